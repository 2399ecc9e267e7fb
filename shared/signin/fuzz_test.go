package signin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/signin-api/signin/shared/apigw"
	"github.com/signin-api/signin/shared/cognito/cognitotest"
	"github.com/signin-api/signin/shared/logging"
	"github.com/signin-api/signin/shared/signin"
)

// documented is every code a client may see, with its status.
var documented = map[string]int{
	"invalid_request": 400, "payload_too_large": 413, "invalid_password": 400,
	"invalid_credentials": 401, "user_not_confirmed": 403, "password_reset_required": 403,
	"challenge_required": 403, "signup_rejected": 403, "too_many_attempts": 429,
	"invalid_token": 401, "too_many_requests": 429,
	"service_unavailable": 503, "internal_error": 500,
}

// FuzzHandler pushes arbitrary event bytes through the event decoder and the whole handler,
// with an in-memory pool. Whatever arrives: no panic, an answer in the event's own shape that is
// a success or a failure with a documented code and its status, and no Cognito call for a
// request it found invalid. Seeds: every sample in events/ and the malformed table.
// `make fuzz` runs it for a set time; `go test` runs the seeds.
func FuzzHandler(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "events", "signin*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, m := range malformed {
		if len(m.body) > 8<<10 {
			continue // a megabyte seed slows every mutation down; 4 KiB + 1 already covers the limit
		}
		f.Add([]byte(m.body))
		f.Add(withBody(f, apigw.RESTProxy, "application/json", []byte(m.body), m.base64))
		f.Add(withBody(f, apigw.HTTPv2, "application/x-www-form-urlencoded", []byte(m.body), m.base64))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		pool := cognitotest.New(testPoolID, testClientID, testSecret)
		pool.AddUser("alice", okPassword)
		var logs bytes.Buffer
		h := &signin.Handler{Service: newService(pool), CORS: apigw.ParseCORS("*"), Log: logging.New(&logs)}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		out, err := h.Invoke(ctx, payload)
		if err != nil {
			t.Fatalf("Invoke returned an error: %v", err)
		}
		req, _ := apigw.Decode(payload)
		status, body := 0, out
		if req.Shape.Proxied() {
			var r events.APIGatewayProxyResponse
			if err := json.Unmarshal(out, &r); err != nil || r.StatusCode == 0 {
				t.Fatalf("%s event answered with a non-proxy response %q", req.Shape, out)
			}
			status, body = r.StatusCode, []byte(r.Body)
		}
		var b struct {
			Status string `json:"status"`
			Error  string `json:"error"`
			Msg    string `json:"msg"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			t.Fatalf("body is not JSON: %q", body)
		}
		switch b.Status {
		case "success":
			if req.Shape.Proxied() && status != 200 {
				t.Fatalf("success with status %d", status)
			}
		case "fail":
			want, ok := documented[b.Error]
			if !ok || b.Msg == "" {
				t.Fatalf("undocumented failure %q", body)
			}
			if req.Shape.Proxied() && status != want {
				t.Fatalf("%s answered with status %d, want %d", b.Error, status, want)
			}
			auth, signUp := pool.Calls()
			if (b.Error == "invalid_request" || b.Error == "payload_too_large") && auth+signUp != 0 {
				t.Fatalf("invalid request cost %d Cognito calls", auth+signUp)
			}
		default:
			t.Fatalf("body without a status: %q", body)
		}
		if leaks := cognitotest.Leaks(logs.String(), pool.Secrets()); len(leaks) > 0 {
			t.Fatalf("log leaks: %v", leaks)
		}
	})
}
