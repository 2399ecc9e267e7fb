package signin_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/signin-api/signin/shared/apigw"
	"github.com/signin-api/signin/shared/cognito/cognitotest"
	"github.com/signin-api/signin/shared/logging"
	"github.com/signin-api/signin/shared/signin"
)

// The credentials every sample in events/ carries.
const (
	sampleUsername = "alice"
	samplePassword = "Corr3ct-Horse!"
	sampleOrigin   = "http://localhost:5173"
)

// eventFile reads a sample event; they are the same files `sls invoke local -p` takes.
func eventFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// harness is a signin handler over a fake pool, with its log captured. When the test ends it
// fails the test if the log holds any password sent, token issued, SECRET_HASH or the client
// secret, whole or in part: every test that uses it is also a test that nothing leaks.
type harness struct {
	pool      *cognitotest.Pool
	h         *signin.Handler
	logs      *bytes.Buffer
	passwords []string
}

func newHarness(t testing.TB, cors string) *harness {
	pool := cognitotest.New(testPoolID, testClientID, testSecret)
	logs := &bytes.Buffer{}
	hs := &harness{pool: pool, logs: logs, h: &signin.Handler{
		Service: newService(pool), CORS: apigw.ParseCORS(cors), Log: logging.New(logs),
	}}
	t.Cleanup(func() { hs.checkNoLeaks(t) })
	return hs
}

func (hs *harness) checkNoLeaks(t testing.TB) {
	t.Helper()
	secrets := append(hs.pool.Secrets(), hs.passwords...)
	for _, leak := range cognitotest.Leaks(hs.logs.String(), secrets) {
		t.Errorf("log leaks a secret: %s", leak)
	}
}

// notePassword remembers the password a payload carries, when it can be read, for the leak check.
func (hs *harness) notePassword(payload []byte) {
	req, err := apigw.Decode(payload)
	if err != nil {
		return
	}
	if c, _ := signin.ParseCredentials(req.ContentType, req.Body); c.Password != "" {
		hs.passwords = append(hs.passwords, c.Password)
	}
}

// invoke pushes raw event bytes through aws-lambda-go's own handler, as Lambda does, with a
// Lambda context and a deadline.
func (hs *harness) invoke(t testing.TB, payload []byte) []byte {
	t.Helper()
	hs.notePassword(payload)
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "test-request-id"})
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := lambda.NewHandler(hs.h).Invoke(ctx, payload)
	if err != nil {
		t.Fatalf("Invoke returned an error (an expected failure must be a response): %v", err)
	}
	return out
}

// answer is a response read back in any shape.
type answer struct {
	status  int // 0 for the bare shapes, which carry no status
	headers map[string]string
	body    map[string]any
	raw     string
}

func readAnswer(t testing.TB, shape apigw.Shape, out []byte) answer {
	t.Helper()
	var a answer
	body := out
	switch shape {
	case apigw.RESTProxy, apigw.HTTPv2:
		var r events.APIGatewayProxyResponse
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("not a proxy response: %v: %s", err, out)
		}
		a.status, a.headers, body = r.StatusCode, r.Headers, []byte(r.Body)
	}
	a.raw = string(body)
	if err := json.Unmarshal(body, &a.body); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, body)
	}
	if a.body["status"] == "fail" {
		checkNoInternalDetail(t, a.raw)
	}
	return a
}

// checkNoInternalDetail fails when a failure body carries what only we should see: SDK error
// text, Cognito's error names or request ids, a stack.
func checkNoInternalDetail(t testing.TB, body string) {
	t.Helper()
	for _, bad := range []string{"Exception", "operation error", "RequestID", "StatusCode", "https response", "goroutine", ".go:", "api error"} {
		if strings.Contains(body, bad) {
			t.Errorf("failure body carries internal detail %q: %s", bad, body)
		}
	}
}

// sample is one file of events/ and the shape it must be answered in.
var samples = []struct {
	file  string
	shape apigw.Shape
}{
	{"signin.json", apigw.Bare},
	{"signin-apigw-v1.json", apigw.RESTProxy},
	{"signin-apigw-v1-form.json", apigw.RESTProxy},
	{"signin-apigw-v1-base64.json", apigw.RESTProxy},
	{"signin-apigw-console.json", apigw.RESTProxy},
	{"signin-http-v2.json", apigw.HTTPv2},
	{"signin-lambda-integration.json", apigw.LambdaIntegration},
}

// TestHandlerEventShapes: every sample signs up, then signs in, answered in its own shape.
func TestHandlerEventShapes(t *testing.T) {
	for _, s := range samples {
		t.Run(s.file, func(t *testing.T) {
			hs := newHarness(t, sampleOrigin)
			payload := eventFile(t, s.file)
			for i, wantNew := range []bool{true, false} {
				a := readAnswer(t, s.shape, hs.invoke(t, payload))
				if s.shape.Proxied() {
					if a.status != 200 {
						t.Fatalf("call %d: status %d, body %s", i, a.status, a.raw)
					}
					for k, v := range map[string]string{
						"Content-Type": "application/json", "Cache-Control": "no-store",
						"X-Content-Type-Options": "nosniff",
					} {
						if a.headers[k] != v {
							t.Errorf("header %s = %q, want %q", k, a.headers[k], v)
						}
					}
				}
				if a.body["status"] != "success" || a.body["is_new"] != wantNew {
					t.Fatalf("call %d: body %s, want success with is_new %v", i, a.raw, wantNew)
				}
				if a.body["user_id"] != hs.pool.Sub(sampleUsername) {
					t.Errorf("user_id %v, want the sub %q", a.body["user_id"], hs.pool.Sub(sampleUsername))
				}
				for _, k := range []string{"id_token", "access_token", "refresh_token"} {
					if v, _ := a.body[k].(string); v == "" {
						t.Errorf("%s missing in %s", k, a.raw)
					}
				}
				if a.body["expires_in"] != 3600.0 || a.body["token_type"] != "Bearer" {
					t.Errorf("expires_in %v token_type %v", a.body["expires_in"], a.body["token_type"])
				}
			}
			if hs.pool.Users() != 1 {
				t.Errorf("%d users created, want 1", hs.pool.Users())
			}
		})
	}
}

// TestHandlerCORS: "*" allows any origin; an exact list echoes the request's Origin only when
// listed, with Vary: Origin; no list allows none.
func TestHandlerCORS(t *testing.T) {
	const other = "https://evil.example.com"
	tests := []struct {
		cors, origin string // origin "": the request has no Origin header
		want         string // Access-Control-Allow-Origin; "" for none
		wantVary     bool
	}{
		{"*", sampleOrigin, "*", false},
		{"*", "", "*", false},
		{"https://app.example.com," + sampleOrigin, sampleOrigin, sampleOrigin, true},
		{"https://app.example.com," + sampleOrigin, "https://app.example.com", "https://app.example.com", true},
		{"https://app.example.com," + sampleOrigin, other, "", true},
		{"https://app.example.com," + sampleOrigin, "", "", true},
		{"", sampleOrigin, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.cors+" from "+tt.origin, func(t *testing.T) {
			hs := newHarness(t, tt.cors)
			a := readAnswer(t, apigw.RESTProxy, hs.invoke(t, withOrigin(t, tt.origin)))
			if got := a.headers["Access-Control-Allow-Origin"]; got != tt.want {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tt.want)
			}
			if got := a.headers["Vary"] == "Origin"; got != tt.wantVary {
				t.Errorf("Vary %q, want Vary: Origin %v", a.headers["Vary"], tt.wantVary)
			}
		})
	}
}

// withOrigin returns the REST proxy sample sent from origin, or with no Origin header for "".
func withOrigin(t testing.TB, origin string) []byte {
	t.Helper()
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(eventFile(t, "signin-apigw-v1.json"), &ev); err != nil {
		t.Fatal(err)
	}
	delete(ev.Headers, "Origin")
	delete(ev.MultiValueHeaders, "Origin")
	if origin != "" {
		ev.Headers["Origin"] = origin
		ev.MultiValueHeaders["Origin"] = []string{origin}
	}
	return mustJSON(ev)
}

// withBody returns the sample of the given shape carrying body instead of its credentials.
func withBody(t testing.TB, shape apigw.Shape, contentType string, body []byte, isBase64 bool) []byte {
	t.Helper()
	switch shape {
	case apigw.Bare:
		return body
	case apigw.LambdaIntegration:
		var ev map[string]any
		_ = json.Unmarshal(eventFile(t, "signin-lambda-integration.json"), &ev)
		out, _ := json.Marshal(ev)
		return bytes.Replace(out, mustJSON(ev["body"]), body, 1)
	case apigw.HTTPv2:
		var ev events.APIGatewayV2HTTPRequest
		_ = json.Unmarshal(eventFile(t, "signin-http-v2.json"), &ev)
		ev.Headers["content-type"] = contentType
		ev.Body, ev.IsBase64Encoded = string(body), isBase64
		return mustJSON(ev)
	}
	var ev events.APIGatewayProxyRequest
	_ = json.Unmarshal(eventFile(t, "signin-apigw-v1.json"), &ev)
	ev.Headers["Content-Type"] = contentType
	ev.MultiValueHeaders["Content-Type"] = []string{contentType}
	ev.Body, ev.IsBase64Encoded = string(body), isBase64
	return mustJSON(ev)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func creds(username, password string) []byte {
	return mustJSON(map[string]string{"username": username, "password": password})
}

// TestHandlerFailureCodes: every documented failure code, in every shape, with its status.
func TestHandlerFailureCodes(t *testing.T) {
	challenge := &cip.AdminInitiateAuthOutput{ChallengeName: types.ChallengeNameTypeSoftwareTokenMfa, Session: aws.String("s")}
	tests := []struct {
		name       string
		body       []byte
		existing   bool
		authOut    *cip.AdminInitiateAuthOutput
		authErr    error
		signUpErr  error
		wantStatus int
		wantCode   signin.Code
	}{
		{name: "missing username", body: []byte(`{"password":"Corr3ct-Horse!"}`), wantStatus: 400, wantCode: signin.CodeInvalidRequest},
		{name: "bad JSON", body: []byte(`{"username":`), wantStatus: 400, wantCode: signin.CodeInvalidRequest},
		{name: "too large", body: creds("erin", strings.Repeat("x", 5000)), wantStatus: 413, wantCode: signin.CodePayloadTooLarge},
		{name: "password policy", body: creds("erin", "short"), signUpErr: &types.InvalidPasswordException{Message: aws.String("Password did not conform with policy: Password not long enough")}, wantStatus: 400, wantCode: signin.CodeInvalidPassword},
		{name: "wrong password", body: creds("erin", "wrong-password"), existing: true, wantStatus: 401, wantCode: signin.CodeInvalidCredentials},
		{name: "not confirmed", body: creds("erin", "Corr3ct-Horse!"), existing: true, authErr: &types.UserNotConfirmedException{Message: aws.String("x")}, wantStatus: 403, wantCode: signin.CodeUserNotConfirmed},
		{name: "reset required", body: creds("erin", "Corr3ct-Horse!"), existing: true, authErr: &types.PasswordResetRequiredException{Message: aws.String("x")}, wantStatus: 403, wantCode: signin.CodePasswordResetRequired},
		{name: "challenge", body: creds("erin", "Corr3ct-Horse!"), existing: true, authOut: challenge, wantStatus: 403, wantCode: signin.CodeChallengeRequired},
		{name: "trigger refused", body: creds("erin", "Corr3ct-Horse!"), signUpErr: &types.UserLambdaValidationException{Message: aws.String("x")}, wantStatus: 403, wantCode: signin.CodeSignupRejected},
		{name: "throttled", body: creds("erin", "Corr3ct-Horse!"), existing: true, authErr: &types.TooManyRequestsException{Message: aws.String("x")}, wantStatus: 429, wantCode: signin.CodeTooManyRequests},
		{name: "locked out", body: creds("erin", "Corr3ct-Horse!"), existing: true, authErr: &types.NotAuthorizedException{Message: aws.String("Password attempts exceeded")}, wantStatus: 429, wantCode: signin.CodeTooManyAttempts},
		{name: "unavailable", body: creds("erin", "Corr3ct-Horse!"), existing: true, authErr: &types.InternalErrorException{Message: aws.String("x")}, wantStatus: 503, wantCode: signin.CodeServiceUnavailable},
		{name: "internal", body: creds("erin", "Corr3ct-Horse!"), existing: true, authErr: &types.ResourceNotFoundException{Message: aws.String("x")}, wantStatus: 500, wantCode: signin.CodeInternal},
	}
	for _, shape := range []apigw.Shape{apigw.Bare, apigw.RESTProxy, apigw.HTTPv2, apigw.LambdaIntegration} {
		for _, tt := range tests {
			if shape == apigw.LambdaIntegration && tt.name == "bad JSON" {
				continue // the template hands over parsed JSON: a syntax error cannot reach it
			}
			t.Run(shape.String()+"/"+tt.name, func(t *testing.T) {
				hs := newHarness(t, "*")
				if tt.existing {
					hs.pool.AddUser("erin", "Corr3ct-Horse!")
				}
				hs.pool.AuthHook = func(context.Context, *cip.AdminInitiateAuthInput) (*cip.AdminInitiateAuthOutput, error) {
					return tt.authOut, tt.authErr
				}
				hs.pool.SignUpHook = func(context.Context, *cip.SignUpInput) (*cip.SignUpOutput, error) {
					return nil, tt.signUpErr
				}
				a := readAnswer(t, shape, hs.invoke(t, withBody(t, shape, "application/json", tt.body, false)))
				if shape.Proxied() && a.status != tt.wantStatus {
					t.Errorf("status %d, want %d", a.status, tt.wantStatus)
				}
				if a.body["status"] != "fail" || a.body["error"] != string(tt.wantCode) {
					t.Errorf("body %s, want fail with %s", a.raw, tt.wantCode)
				}
				if msg, _ := a.body["msg"].(string); msg == "" || strings.Contains(msg, "Exception") {
					t.Errorf("msg %q is not one human sentence", msg)
				}
				if wait := tt.wantCode.RetryAfter(); wait > 0 {
					if shape.Proxied() && a.headers["Retry-After"] != strconv.Itoa(wait) {
						t.Errorf("Retry-After %q, want %d", a.headers["Retry-After"], wait)
					}
					if a.body["retry_after"] != float64(wait) {
						t.Errorf("retry_after %v, want %d", a.body["retry_after"], wait)
					}
				}
				if tt.wantCode == signin.CodeChallengeRequired && a.body["challenge"] != "SOFTWARE_TOKEN_MFA" {
					t.Errorf("challenge %v, want SOFTWARE_TOKEN_MFA", a.body["challenge"])
				}
			})
		}
	}
}

// TestHandlerInvalidCredentialsBodyIsOne: an unknown user, a wrong password, and a password
// that a race made wrong all get the same bytes, so the answer tells nothing about the account.
func TestHandlerInvalidCredentialsBodyIsOne(t *testing.T) {
	var bodies []string
	for _, tc := range []struct {
		existing  bool
		authErr   error
		signUpErr error
	}{
		{existing: true}, // wrong password
		{authErr: &types.UserNotFoundException{Message: aws.String("User does not exist.")}, signUpErr: &types.UsernameExistsException{Message: aws.String("x")}},
		{existing: true, authErr: &types.NotAuthorizedException{Message: aws.String("User is disabled.")}},
	} {
		hs := newHarness(t, "*")
		if tc.existing {
			hs.pool.AddUser("frank", "Corr3ct-Horse!")
		}
		hs.pool.AuthHook = func(context.Context, *cip.AdminInitiateAuthInput) (*cip.AdminInitiateAuthOutput, error) {
			return nil, tc.authErr
		}
		hs.pool.SignUpHook = func(context.Context, *cip.SignUpInput) (*cip.SignUpOutput, error) { return nil, tc.signUpErr }
		out := hs.invoke(t, withBody(t, apigw.RESTProxy, "application/json", creds("frank", "not-the-password"), false))
		var r events.APIGatewayProxyResponse
		_ = json.Unmarshal(out, &r)
		if r.StatusCode != 401 {
			t.Fatalf("status %d body %s", r.StatusCode, r.Body)
		}
		bodies = append(bodies, r.Body)
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Errorf("invalid_credentials bodies differ:\n%s\n%s", bodies[0], b)
		}
	}
}

// TestHandlerBase64AndForm: a base64 form body, as some clients send it, signs in.
func TestHandlerBase64AndForm(t *testing.T) {
	hs := newHarness(t, "*")
	body := base64.StdEncoding.EncodeToString([]byte("username=gina&password=Corr3ct-Horse%21"))
	a := readAnswer(t, apigw.RESTProxy, hs.invoke(t, withBody(t, apigw.RESTProxy, "application/x-www-form-urlencoded; charset=UTF-8", []byte(body), true)))
	if a.status != 200 || a.body["is_new"] != true {
		t.Fatalf("status %d body %s", a.status, a.raw)
	}
}

// TestHandlerLogLine: one JSON line per sign-in with the outcome, is_new, the call count, the
// duration and the request id.
func TestHandlerLogLine(t *testing.T) {
	hs := newHarness(t, "*")
	hs.invoke(t, eventFile(t, "signin.json"))
	lines := strings.Split(strings.TrimSpace(hs.logs.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d log lines, want 1:\n%s", len(lines), hs.logs)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatalf("log line is not JSON: %v", err)
	}
	for k, want := range map[string]any{"outcome": "success", "is_new": true, "cognito_calls": 3.0, "requestId": "test-request-id", "message": "sign-in"} {
		if rec[k] != want {
			t.Errorf("log %s = %v, want %v", k, rec[k], want)
		}
	}
	if _, ok := rec["duration_ms"].(float64); !ok {
		t.Errorf("log has no duration_ms: %s", lines[0])
	}
}
