package session_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/signin-api/signin/shared/apigw"
	"github.com/signin-api/signin/shared/signin"
)

// routeCodes are the codes the README's contract gives the session routes.
var routeCodes = map[string]bool{
	"invalid_request": true, "payload_too_large": true, "invalid_token": true,
	"too_many_requests": true, "service_unavailable": true, "internal_error": true,
}

// FuzzHandlers pushes arbitrary event bytes through each session handler with an in-memory
// pool. Whatever arrives: no panic, an answer in the event's shape that is a success or a
// failure whose code has the status of the one table, and no Cognito call for a request found
// invalid. Seeds: the session samples in events/. `go test` runs the seeds.
func FuzzHandlers(f *testing.F) {
	for _, pattern := range []string{"refresh*.json", "signout*.json", "me-delete.json"} {
		files, _ := filepath.Glob(filepath.Join("..", "..", "events", pattern))
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(`{"refresh_token":"\u0000","everywhere":"x"}`))
	f.Add([]byte(`{"httpMethod":"POST","body":"e30=","isBase64Encoded":true,"headers":{"Authorization":"Bearer "}}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		for _, route := range []string{"refresh", "signout", "deleteme"} {
			h := newHarness(t)
			a := h.invoke(t, route, payload)
			req, _ := apigw.Decode(payload)
			switch a.body["status"] {
			case "success":
				if req.Shape.Proxied() && a.status != http.StatusOK {
					t.Fatalf("%s: success with status %d", route, a.status)
				}
			case "fail":
				code, _ := a.body["error"].(string)
				if msg, _ := a.body["msg"].(string); msg == "" {
					t.Fatalf("%s: failure without a msg: %s", route, a.raw)
				}
				if !routeCodes[code] {
					t.Fatalf("%s: code %q is not one a session route answers", route, code)
				}
				if req.Shape.Proxied() && a.status != signin.Code(code).Status() {
					t.Fatalf("%s: %s with status %d", route, code, a.status)
				}
				if (code == "invalid_request" || code == "payload_too_large") && h.calls() != 0 {
					t.Fatalf("%s: an invalid request cost %d Cognito calls", route, h.calls())
				}
			default:
				b, _ := json.Marshal(a.body)
				t.Fatalf("%s: body without a status: %s", route, b)
			}
		}
	})
}
