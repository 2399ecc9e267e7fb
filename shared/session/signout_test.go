package session_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/signin-api/signin/shared/apigw"
	"github.com/signin-api/signin/shared/signin"
)

// otherDevice signs alice in once more, as on a second device, and returns its refresh token.
func otherDevice(t *testing.T, h *harness) string {
	t.Helper()
	res, _, err := (&signin.Service{Cognito: h.pool, UserPoolID: testPoolID, ClientID: testClientID, ClientSecret: testSecret}).
		SignIn(context.Background(), signin.Credentials{Username: "alice", Password: "Corr3ct-Horse!"})
	if err != nil {
		t.Fatal(err)
	}
	h.pool.ResetCalls()
	return res.RefreshToken
}

func refreshWorks(t *testing.T, h *harness, token string) bool {
	t.Helper()
	a := h.invoke(t, "refresh", event(t, apigw.Bare, request{body: `{"refresh_token":"` + token + `"}`}))
	return a.body["status"] == "success"
}

// TestSignOutSampleEvents: events/signout.json revokes this device's refresh token only; the
// everywhere event (access token in Authorization) revokes every device's.
func TestSignOutSampleEvents(t *testing.T) {
	tests := []struct {
		file           string
		shape          apigw.Shape
		wantCalls      int
		wantOtherAlive bool
	}{
		{"signout.json", apigw.Bare, 1, true},
		{"signout-everywhere-apigw-v1.json", apigw.RESTProxy, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			h := newHarness(t)
			other := otherDevice(t, h)
			a := h.invoke(t, "signout", eventFile(t, tt.file))
			a.check(t, tt.shape, 200, "")
			if a.raw != `{"status":"success"}` {
				t.Errorf("body %s", a.raw)
			}
			if h.calls() != tt.wantCalls {
				t.Errorf("%d Cognito calls, want %d", h.calls(), tt.wantCalls)
			}
			if refreshWorks(t, h, sampleRefresh) {
				t.Error("the signed-out refresh token still refreshes")
			}
			if got := refreshWorks(t, h, other); got != tt.wantOtherAlive {
				t.Errorf("the other device's refresh works: %v, want %v", got, tt.wantOtherAlive)
			}
			// Idempotent: the same sign-out again is a success.
			if tt.file == "signout.json" {
				h.invoke(t, "signout", eventFile(t, tt.file)).check(t, tt.shape, 200, "")
			}
		})
	}
}

func TestSignOutCases(t *testing.T) {
	body := func(token string, everywhere string) string {
		if everywhere == "" {
			return `{"refresh_token":"` + token + `"}`
		}
		return `{"refresh_token":"` + token + `","everywhere":` + everywhere + `}`
	}
	tests := []struct {
		name          string
		body          string
		contentType   string
		authorization string
		fault         error
		wantStatus    int
		wantCode      string
		wantCalls     int
		wantRevoked   bool // the sample refresh token no longer works
	}{
		{name: "this device", body: body(sampleRefresh, ""), wantStatus: 200, wantCalls: 1, wantRevoked: true},
		{name: "everywhere false", body: body(sampleRefresh, "false"), authorization: sampleAccess, wantStatus: 200, wantCalls: 1, wantRevoked: true},
		{name: "unknown token", body: body("eyJhbGciOiJub25lIn0.e30.e30.e30.e30", ""), wantStatus: 200, wantCalls: 1},
		{name: "garbage token", body: body("not a token", ""), wantStatus: 200},
		{name: "an access token sent as the refresh token", body: body(sampleAccess, ""), wantStatus: 200, wantCalls: 1},
		{name: "everywhere", body: body(sampleRefresh, "true"), authorization: sampleAccess, wantStatus: 200, wantCalls: 2, wantRevoked: true},
		{name: "everywhere, Bearer", body: body(sampleRefresh, "true"), authorization: "Bearer " + sampleAccess, wantStatus: 200, wantCalls: 2, wantRevoked: true},
		{name: "everywhere as a form checkbox", contentType: "application/x-www-form-urlencoded", body: "refresh_token=" + sampleRefresh + "&everywhere=on", authorization: sampleAccess, wantStatus: 200, wantCalls: 2, wantRevoked: true},
		{name: "everywhere without an access token", body: body(sampleRefresh, "true"), wantStatus: 400, wantCode: "invalid_request"},
		{name: "everywhere with a refused access token", body: body(sampleRefresh, "true"), authorization: accessToken(testClientID, "access"), wantStatus: 401, wantCode: "invalid_token", wantCalls: 1},
		{name: "everywhere with another app client's access token", body: body(sampleRefresh, "true"), authorization: accessToken("someotherclient", "access"), wantStatus: 401, wantCode: "invalid_token"},
		{name: "everywhere with a garbage access token", body: body(sampleRefresh, "true"), authorization: "Bearer not:a:token ö", wantStatus: 401, wantCode: "invalid_token"},
		{name: "everywhere is a string", body: body(sampleRefresh, `"yes"`), wantStatus: 400, wantCode: "invalid_request"},
		{name: "everywhere is null", body: body(sampleRefresh, `null`), wantStatus: 400, wantCode: "invalid_request"},
		{name: "form everywhere=maybe", contentType: "application/x-www-form-urlencoded", body: "refresh_token=x&everywhere=maybe", wantStatus: 400, wantCode: "invalid_request"},
		{name: "missing token", body: `{"everywhere":false}`, wantStatus: 400, wantCode: "invalid_request"},
		{name: "token Cognito does not take", body: body(sampleRefresh, ""), fault: &types.NotAuthorizedException{Message: aws.String("Invalid token")}, wantStatus: 200, wantCalls: 1},
		{name: "token outside Cognito's pattern", body: body("abc:def", ""), wantStatus: 200},
		{name: "our client secret refused (NotAuthorized)", body: body(sampleRefresh, ""), fault: &types.NotAuthorizedException{Message: aws.String("Unable to verify secret hash for client x")}, wantStatus: 500, wantCode: "internal_error", wantCalls: 1},
		{name: "throttled", body: body(sampleRefresh, ""), fault: &types.TooManyRequestsException{Message: aws.String("x")}, wantStatus: 429, wantCode: "too_many_requests", wantCalls: 1},
		{name: "Cognito failing", body: body(sampleRefresh, ""), fault: &types.InternalErrorException{Message: aws.String("x")}, wantStatus: 503, wantCode: "service_unavailable", wantCalls: 1},
		{name: "our client secret refused", body: body(sampleRefresh, ""), fault: &types.UnauthorizedException{Message: aws.String("x")}, wantStatus: 500, wantCode: "internal_error", wantCalls: 1},
		{name: "revocation off on the client", body: body(sampleRefresh, ""), fault: &types.UnsupportedOperationException{Message: aws.String("x")}, wantStatus: 500, wantCode: "internal_error", wantCalls: 1},
	}
	for _, shape := range []apigw.Shape{apigw.RESTProxy, apigw.HTTPv2} {
		for _, tt := range tests {
			t.Run(shape.String()+"/"+tt.name, func(t *testing.T) {
				h := newHarness(t)
				h.api.err = tt.fault
				a := h.invoke(t, "signout", event(t, shape, request{method: "POST", path: "/signout", contentType: tt.contentType,
					body: tt.body, base64: true, authorization: tt.authorization}))
				a.check(t, shape, tt.wantStatus, tt.wantCode)
				if h.calls() != tt.wantCalls {
					t.Errorf("%d Cognito calls, want %d", h.calls(), tt.wantCalls)
				}
				h.api.err = nil
				if got := !refreshWorks(t, h, sampleRefresh); got != tt.wantRevoked {
					t.Errorf("refresh token revoked: %v, want %v", got, tt.wantRevoked)
				}
			})
		}
	}
	// The shapes without headers sign out this device.
	for _, shape := range []apigw.Shape{apigw.Bare, apigw.LambdaIntegration} {
		h := newHarness(t)
		h.invoke(t, "signout", event(t, shape, request{method: "POST", body: body(sampleRefresh, "")})).check(t, shape, 200, "")
		if refreshWorks(t, h, sampleRefresh) {
			t.Errorf("%v: the refresh token still works", shape)
		}
	}
}
