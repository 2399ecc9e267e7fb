package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/signin-api/signin/shared/logging"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name          string
		ctx           context.Context
		wantRequestID any
	}{
		{"in an invocation", lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"}), "req-1"},
		{"at cold start", context.Background(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			logging.New(&out).With("fn", "signin").InfoContext(tt.ctx, "sign-in", "outcome", "success")
			var got map[string]any
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatalf("not one JSON line: %q", out.String())
			}
			for k, want := range map[string]any{"message": "sign-in", "level": "INFO", "outcome": "success", "fn": "signin", "requestId": tt.wantRequestID} {
				if got[k] != want {
					t.Errorf("%s = %v, want %v (line %s)", k, got[k], want, out.String())
				}
			}
			if _, ok := got["timestamp"]; !ok {
				t.Errorf("no timestamp: %s", out.String())
			}
		})
	}
}
