package session_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/signin-api/signin/shared/apigw"
)

// TestRefreshSampleEvents: each events/refresh* file, as sls invoke local sends it, gets new
// tokens, and the refresh token it sent is refused afterwards (rotation).
func TestRefreshSampleEvents(t *testing.T) {
	for _, tt := range []struct {
		file  string
		shape apigw.Shape
	}{{"refresh.json", apigw.Bare}, {"refresh-apigw-v1.json", apigw.RESTProxy}} {
		t.Run(tt.file, func(t *testing.T) {
			h := newHarness(t)
			a := h.invoke(t, "refresh", eventFile(t, tt.file))
			a.check(t, tt.shape, 200, "")
			for _, k := range []string{"user_id", "id_token", "access_token", "refresh_token"} {
				if s, _ := a.body[k].(string); s == "" {
					t.Errorf("%s is missing: %s", k, a.raw)
				}
			}
			if a.body["user_id"] != h.pool.Sub("alice") || a.body["expires_in"] != 3600.0 || a.body["token_type"] != "Bearer" {
				t.Errorf("body %s", a.raw)
			}
			if a.body["refresh_token"] == sampleRefresh {
				t.Error("the refresh token did not rotate")
			}
			if _, ok := a.body["is_new"]; ok {
				t.Error("a refresh says is_new")
			}
			again := h.invoke(t, "refresh", eventFile(t, tt.file))
			again.check(t, tt.shape, 401, "invalid_token")
			next := h.invoke(t, "refresh", event(t, apigw.Bare, request{body: `{"refresh_token":"` + a.body["refresh_token"].(string) + `"}`}))
			next.check(t, apigw.Bare, 200, "")
			if h.calls() != 3 {
				t.Errorf("%d Cognito calls, want 3 (one per refresh)", h.calls())
			}
		})
	}
}

// TestRefreshFailures: every shape, every code; a bad token is invalid_token with the same bytes
// whatever made it bad.
func TestRefreshFailures(t *testing.T) {
	body := func(token string) string { return `{"refresh_token":"` + token + `"}` }
	tests := []struct {
		name        string
		body        string
		contentType string
		base64      bool
		setup       func(t *testing.T, h *harness)
		fault       error
		wantStatus  int
		wantCode    string
		wantCalls   int
	}{
		{name: "unknown token", body: body("eyJhbGciOiJub25lIn0.e30.e30.e30.e30"), wantStatus: 401, wantCode: "invalid_token", wantCalls: 1},
		{name: "revoked token", body: body(sampleRefresh), setup: func(t *testing.T, h *harness) { h.invoke(t, "signout", eventFile(t, "signout.json")) }, wantStatus: 401, wantCode: "invalid_token", wantCalls: 1},
		{name: "rotated-out token", body: body(sampleRefresh), setup: func(t *testing.T, h *harness) { h.invoke(t, "refresh", eventFile(t, "refresh.json")) }, wantStatus: 401, wantCode: "invalid_token", wantCalls: 1},
		{name: "deleted user", body: body(sampleRefresh), setup: func(t *testing.T, h *harness) { h.invoke(t, "deleteme", eventFile(t, "me-delete.json")) }, wantStatus: 401, wantCode: "invalid_token", wantCalls: 1},
		{name: "reused token (Cognito's own code)", body: body(sampleRefresh), fault: &types.RefreshTokenReuseException{Message: aws.String("x")}, wantStatus: 401, wantCode: "invalid_token", wantCalls: 1},
		{name: "garbage token", body: body("not a token"), wantStatus: 401, wantCode: "invalid_token"},
		{name: "non-ASCII token", body: body("tökén"), wantStatus: 401, wantCode: "invalid_token"},
		{name: "token outside Cognito's pattern", body: body("abc:def/ghi"), wantStatus: 401, wantCode: "invalid_token"},
		{name: "missing token", body: `{}`, wantStatus: 400, wantCode: "invalid_request"},
		{name: "empty token", body: body(""), wantStatus: 400, wantCode: "invalid_request"},
		{name: "token is a number", body: `{"refresh_token":42}`, wantStatus: 400, wantCode: "invalid_request"},
		{name: "token twice", body: `{"refresh_token":"a","refresh_token":"b"}`, wantStatus: 400, wantCode: "invalid_request"},
		{name: "not JSON", body: `refresh_token`, wantStatus: 400, wantCode: "invalid_request"},
		{name: "text/plain", contentType: "text/plain", body: body(sampleRefresh), wantStatus: 400, wantCode: "invalid_request"},
		{name: "invalid UTF-8", base64: true, body: "{\"refresh_token\":\"a\xffb\"}", wantStatus: 400, wantCode: "invalid_request"},
		{name: "too large", body: body(strings.Repeat("x", 5000)), wantStatus: 413, wantCode: "payload_too_large"},
		{name: "throttled", body: body(sampleRefresh), fault: &types.TooManyRequestsException{Message: aws.String("Rate exceeded")}, wantStatus: 429, wantCode: "too_many_requests", wantCalls: 1},
		{name: "Cognito failing", body: body(sampleRefresh), fault: &types.InternalErrorException{Message: aws.String("x")}, wantStatus: 503, wantCode: "service_unavailable", wantCalls: 1},
		{name: "our client secret refused", body: body(sampleRefresh), fault: &types.NotAuthorizedException{Message: aws.String("Unable to verify secret hash for client x")}, wantStatus: 500, wantCode: "internal_error", wantCalls: 1},
		{name: "unknown client", body: body(sampleRefresh), fault: &types.ResourceNotFoundException{Message: aws.String("x")}, wantStatus: 500, wantCode: "internal_error", wantCalls: 1},
	}
	invalidTokenBodies := map[string]bool{}
	for _, shape := range allShapes {
		for _, tt := range tests {
			if !shape.Proxied() && (tt.contentType != "" || tt.base64) {
				continue // no headers and no base64 flag in these shapes
			}
			if shape == apigw.LambdaIntegration && !strings.HasPrefix(tt.body, "{") {
				continue // the template hands over parsed JSON only
			}
			t.Run(shape.String()+"/"+tt.name, func(t *testing.T) {
				h := newHarness(t)
				if tt.setup != nil {
					tt.setup(t, h)
					h.pool.ResetCalls()
				}
				h.api.err = tt.fault
				a := h.invoke(t, "refresh", event(t, shape, request{method: "POST", path: "/refresh", contentType: tt.contentType, body: tt.body, base64: tt.base64}))
				a.check(t, shape, tt.wantStatus, tt.wantCode)
				if h.calls() != tt.wantCalls {
					t.Errorf("%d Cognito calls, want %d", h.calls(), tt.wantCalls)
				}
				if tt.wantCode == "too_many_requests" && shape.Proxied() && a.headers["Retry-After"] != "1" {
					t.Errorf("Retry-After %q", a.headers["Retry-After"])
				}
				if tt.wantCode == "invalid_token" {
					invalidTokenBodies[a.raw] = true
				}
			})
		}
	}
	if len(invalidTokenBodies) != 1 {
		t.Errorf("invalid_token has %d different bodies, want one: %v", len(invalidTokenBodies), invalidTokenBodies)
	}
}

// TestRefreshForm: a form body refreshes too.
func TestRefreshForm(t *testing.T) {
	h := newHarness(t)
	a := h.invoke(t, "refresh", event(t, apigw.RESTProxy, request{method: "POST", path: "/refresh",
		contentType: "application/x-www-form-urlencoded", body: "refresh_token=" + sampleRefresh, base64: true}))
	a.check(t, apigw.RESTProxy, 200, "")
}

// TestRefreshWithoutRotation: an app client without rotation returns no refresh token; the
// answer holds the one sent, which stays the one to keep.
func TestRefreshWithoutRotation(t *testing.T) {
	h := newHarness(t)
	h.svc.Cognito = noRotation{h.api}
	a := h.invoke(t, "refresh", eventFile(t, "refresh.json"))
	a.check(t, apigw.Bare, 200, "")
	if a.body["refresh_token"] != sampleRefresh {
		t.Errorf("refresh_token %v, want the one sent", a.body["refresh_token"])
	}
}
