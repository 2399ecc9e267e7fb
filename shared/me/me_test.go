package me_test

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
	"github.com/signin-api/signin/shared/me"
)

func TestMe(t *testing.T) {
	sample, err := os.ReadFile("../../events/me.json")
	if err != nil {
		t.Fatal(err)
	}
	noClaims := func() []byte {
		var ev map[string]any
		_ = json.Unmarshal(sample, &ev)
		delete(ev["requestContext"].(map[string]any), "authorizer")
		b, _ := json.Marshal(ev)
		return b
	}()
	tests := []struct {
		name       string
		payload    []byte
		wantStatus int
		wantBody   string
	}{
		{"claims from the authorizer", sample, 200, `{"user_id":"8f4e2b1a-3c5d-4e6f-9a0b-1c2d3e4f5a6b","username":"alice"}`},
		{"no authorizer", noClaims, 401, `{"status":"fail","error":"unauthorized","msg":"This request carries no verified identity."}`},
	}
	h := &me.Handler{CORS: apigw.ParseCORS("http://localhost:5173"), Log: logging.New(io.Discard)}
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
