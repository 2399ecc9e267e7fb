package sessioninfo_test

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/signin-api/signin/shared/apigw"
	"github.com/signin-api/signin/shared/logging"
	"github.com/signin-api/signin/shared/sessioninfo"
)

func TestSession(t *testing.T) {
	sample, err := os.ReadFile("../../events/session.json")
	if err != nil {
		t.Fatal(err)
	}
	// withClaims is the sample with its claims changed (nil value: removed) or, for nil, no authorizer.
	withClaims := func(changes map[string]any) []byte {
		var ev map[string]any
		_ = json.Unmarshal(sample, &ev)
		rc := ev["requestContext"].(map[string]any)
		if changes == nil {
			delete(rc, "authorizer")
		} else {
			claims := rc["authorizer"].(map[string]any)["claims"].(map[string]any)
			for k, v := range changes {
				if v == nil {
					delete(claims, k)
				} else {
					claims[k] = v
				}
			}
		}
		b, _ := json.Marshal(ev)
		return b
	}
	const noToken = `{"status":"fail","error":"unauthorized","msg":"This request carries no verified access token."}`
	tests := []struct {
		name       string
		payload    []byte
		wantStatus int
		wantBody   string
	}{
		{"access-token claims from the authorizer", sample, 200,
			`{"user_id":"8f4e2b1a-3c5d-4e6f-9a0b-1c2d3e4f5a6b","username":"alice","client_id":"1example23456789",` +
				`"scopes":["aws.cognito.signin.user.admin","signin-api/session.read"],"expires_at":"2026-11-21T21:58:00Z"}`},
		{"no scope claim", withClaims(map[string]any{"scope": nil}), 200,
			`{"user_id":"8f4e2b1a-3c5d-4e6f-9a0b-1c2d3e4f5a6b","username":"alice","client_id":"1example23456789","scopes":[],"expires_at":"2026-11-21T21:58:00Z"}`},
		{"no authorizer", withClaims(nil), 401, noToken},
		{"ID-token claims (route not behind scopes)", withClaims(map[string]any{"token_use": "id"}), 401, noToken},
		{"no sub", withClaims(map[string]any{"sub": nil}), 401, noToken},
		{"exp not as API Gateway writes it", withClaims(map[string]any{"exp": "1795298280"}), 401, noToken},
	}
	h := &sessioninfo.Handler{CORS: apigw.ParseCORS("http://localhost:5173"), Log: logging.New(io.Discard)}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), tt.payload)
			if err != nil {
				t.Fatal(err)
			}
			var r events.APIGatewayProxyResponse
			if err := json.Unmarshal(out, &r); err != nil {
				t.Fatal(err)
			}
			if r.StatusCode != tt.wantStatus || r.Body != tt.wantBody {
				t.Errorf("got %d %s, want %d %s", r.StatusCode, r.Body, tt.wantStatus, tt.wantBody)
			}
			if r.Headers["Access-Control-Allow-Origin"] != "http://localhost:5173" || r.Headers["Cache-Control"] != "no-store" {
				t.Errorf("headers %v", r.Headers)
			}
		})
	}
}
