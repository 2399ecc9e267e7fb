package signin_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/signin-api/signin/shared/apigw"
)

const okPassword = "Corr3ct-Horse!"

// malformed is what a login screen, a script or an attacker may send, with the exact answer.
// Every invalid request is answered without a Cognito call.
var malformed = []struct {
	name        string
	contentType string
	body        string
	base64      bool // the body is sent as is, marked isBase64Encoded
	binary      bool // the body is base64-encoded as API Gateway does for bytes a JSON string cannot carry
	wantStatus  int
	wantCode    string // "" for success
}{
	{name: "empty body", body: "", wantStatus: 400, wantCode: "invalid_request"},
	{name: "whitespace body", body: " \n\t ", wantStatus: 400, wantCode: "invalid_request"},
	{name: "null", body: "null", wantStatus: 400, wantCode: "invalid_request"},
	{name: "array", body: `["alice","` + okPassword + `"]`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "string", body: `"alice"`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "number", body: `42`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "empty object", body: `{}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "username is a number", body: `{"username":123,"password":"` + okPassword + `"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "username is null", body: `{"username":null,"password":"` + okPassword + `"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "username is an object", body: `{"username":{"$ne":""},"password":"` + okPassword + `"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "username is an array", body: `{"username":["alice"],"password":"` + okPassword + `"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "password is a boolean", body: `{"username":"alice","password":true}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "password is null", body: `{"username":"alice","password":null}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "duplicate username", body: `{"username":"alice","username":"admin","password":"` + okPassword + `"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "duplicate password", body: `{"username":"alice","password":"a","password":"` + okPassword + `"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "keys in another case", body: `{"Username":"alice","Password":"` + okPassword + `"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "invalid UTF-8", binary: true, body: "{\"username\":\"al\xffce\",\"password\":\"" + okPassword + "\"}", wantStatus: 400, wantCode: "invalid_request"},
	{name: "lone surrogate escape", body: `{"username":"al\ud800ce","password":"` + okPassword + `"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "NUL in username", body: `{"username":"al\u0000ice","password":"` + okPassword + `"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "NUL in password", body: `{"username":"alice","password":"Corr3ct\u0000Horse"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "space in username", body: `{"username":"al ice","password":"` + okPassword + `"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "leading space in username", body: `{"username":" alice","password":"` + okPassword + `"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "tab in username", body: `{"username":"al\tice","password":"` + okPassword + `"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "newline in username", body: `{"username":"alice\n","password":"` + okPassword + `"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "no-break space in username", body: `{"username":"al\u00a0ice","password":"` + okPassword + `"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "bell in username", body: `{"username":"al\u0007ice","password":"` + okPassword + `"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "escape in password", body: `{"username":"alice","password":"Corr3ct\u001b[2JHorse"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "empty username", body: `{"username":"","password":"` + okPassword + `"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "empty password", body: `{"username":"alice","password":""}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "129-character username", body: `{"username":"` + strings.Repeat("u", 129) + `","password":"` + okPassword + `"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "128-character username", body: `{"username":"` + strings.Repeat("u", 128) + `","password":"` + okPassword + `"}`, wantStatus: 200},
	{name: "257-character password", body: `{"username":"alice","password":"` + strings.Repeat("p", 257) + `"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "256-character password", body: `{"username":"alice","password":"` + strings.Repeat("p", 256) + `"}`, wantStatus: 200},
	{name: "129 multibyte characters", body: `{"username":"` + strings.Repeat("é", 129) + `","password":"` + okPassword + `"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "body of 4097 bytes", body: padded(4097), wantStatus: 413, wantCode: "payload_too_large"},
	{name: "body of 4096 bytes", body: padded(4096), wantStatus: 200},
	{name: "body of 1 MiB", body: padded(1 << 20), wantStatus: 413, wantCode: "payload_too_large"},
	{name: "truncated JSON", body: `{"username":"alice","password":"Corr3`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "trailing garbage", body: `{"username":"alice","password":"` + okPassword + `"} x`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "two objects", body: `{"username":"alice","password":"` + okPassword + `"}{}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "text/plain", contentType: "text/plain", body: `{"username":"alice","password":"` + okPassword + `"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "multipart form", contentType: "multipart/form-data; boundary=x", body: "--x\r\n", wantStatus: 400, wantCode: "invalid_request"},
	{name: "unparseable content type", contentType: ";;;", body: `{"username":"alice","password":"` + okPassword + `"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "bad base64", base64: true, body: "!!not base64!!", wantStatus: 400, wantCode: "invalid_request"},
	{name: "form with duplicate username", contentType: "application/x-www-form-urlencoded", body: "username=alice&username=bob&password=Corr3ct-Horse%21", wantStatus: 400, wantCode: "invalid_request"},
	{name: "form with bad escape", contentType: "application/x-www-form-urlencoded", body: "username=al%zzice&password=x", wantStatus: 400, wantCode: "invalid_request"},
	{name: "form without password", contentType: "application/x-www-form-urlencoded", body: "username=alice", wantStatus: 400, wantCode: "invalid_request"},
	{name: "form with invalid UTF-8", contentType: "application/x-www-form-urlencoded", body: "username=al%FFice&password=Corr3ct-Horse%21", wantStatus: 400, wantCode: "invalid_request"},
	{name: "JSON charset parameter", contentType: "application/json; charset=utf-8", body: `{"username":"alice","password":"` + okPassword + `"}`, wantStatus: 200},
	{name: "unicode username", body: `{"username":"ünïcødé-ñame","password":"` + okPassword + `"}`, wantStatus: 200},
	{name: "emoji in username (a symbol to PRECIS)", body: `{"username":"alice🙂","password":"` + okPassword + `"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "non-ASCII symbol in username", body: `{"username":"alice©","password":"` + okPassword + `"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "full-width username", body: `{"username":"ａｌｉｃｅ","password":"` + okPassword + `"}`, wantStatus: 200},
	{name: "decomposed username", body: `{"username":"cafe\u0301","password":"` + okPassword + `"}`, wantStatus: 200},
	{name: "ideographic space in password", body: `{"username":"alice","password":"Corr3ct\u3000Horse"}`, wantStatus: 200},
	{name: "U+FFFD in the body", body: "{\"username\":\"al\uFFFDce\",\"password\":\"" + okPassword + "\"}", wantStatus: 400, wantCode: "invalid_request"},
	{name: "U+FFFD in the password", body: "{\"username\":\"alice\",\"password\":\"Corr3ct\uFFFDHorse\"}", wantStatus: 400, wantCode: "invalid_request"},
	{name: "escaped U+FFFD in the password", body: `{"username":"alice","password":"Corr3ct\ufffdHorse"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "lone surrogate in the password", body: `{"username":"alice","password":"Corr3ct\ud800Horse"}`, wantStatus: 400, wantCode: "invalid_request"},
	{name: "form with U+FFFD", contentType: "application/x-www-form-urlencoded", body: "username=alice&password=Corr3ct%EF%BF%BDHorse", wantStatus: 400, wantCode: "invalid_request"},
	{name: "escaped username", body: `{"username":"al\u0069ce","password":"` + okPassword + `"}`, wantStatus: 200},
	{name: "spaces inside the password", body: `{"username":"alice","password":"correct horse battery staple"}`, wantStatus: 200},
	{name: "extra nested members", body: `{"remember":{"me":[true,null,{"x":1}]},"username":"alice","password":"` + okPassword + `"}`, wantStatus: 200},
}

// padded is a valid sign-in body of exactly n bytes, padded by an extra member.
func padded(n int) string {
	head := `{"username":"alice","password":"` + okPassword + `","pad":"`
	return head + strings.Repeat("x", n-len(head)-2) + `"}`
}

func TestHandlerMalformedRequests(t *testing.T) {
	if len(malformed) < 30 {
		t.Fatalf("only %d malformed cases", len(malformed))
	}
	for _, tt := range malformed {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, "*")
			contentType := tt.contentType
			if contentType == "" {
				contentType = "application/json"
			}
			body := []byte(tt.body)
			if tt.binary {
				body = []byte(base64.StdEncoding.EncodeToString(body))
			}
			a := readAnswer(t, apigw.RESTProxy, hs.invoke(t, withBody(t, apigw.RESTProxy, contentType, body, tt.base64 || tt.binary)))
			if a.status != tt.wantStatus {
				t.Errorf("status %d, want %d (%s)", a.status, tt.wantStatus, a.raw)
			}
			wantStatus := "success"
			if tt.wantCode != "" {
				wantStatus = "fail"
			}
			if a.body["status"] != wantStatus || (tt.wantCode != "" && a.body["error"] != tt.wantCode) {
				t.Errorf("body %s, want %s %s", a.raw, wantStatus, tt.wantCode)
			}
			if auth, signUp := hs.pool.Calls(); tt.wantCode != "" && auth+signUp != 0 {
				t.Errorf("an invalid request cost %d Cognito calls, want 0", auth+signUp)
			}
		})
	}
}
