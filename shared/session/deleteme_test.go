package session_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/signin-api/signin/shared/apigw"
	"github.com/signin-api/signin/shared/signin"
)

// TestDeleteMeSampleEvent: events/me-delete.json deletes alice; her tokens stop working, the
// same request again is a success, and signing in with her name creates a new account.
func TestDeleteMeSampleEvent(t *testing.T) {
	h := newHarness(t)
	oldSub := h.pool.Sub("alice")
	a := h.invoke(t, "deleteme", eventFile(t, "me-delete.json"))
	a.check(t, apigw.RESTProxy, 200, "")
	if a.raw != `{"status":"success"}` || h.calls() != 1 || h.pool.Users() != 0 {
		t.Fatalf("body %s, %d calls, %d users", a.raw, h.calls(), h.pool.Users())
	}
	if refreshWorks(t, h, sampleRefresh) {
		t.Error("a deleted user's refresh token still works")
	}
	h.invoke(t, "deleteme", eventFile(t, "me-delete.json")).check(t, apigw.RESTProxy, 200, "")

	svc := &signin.Service{Cognito: h.pool, UserPoolID: testPoolID, ClientID: testClientID, ClientSecret: testSecret}
	res, _, err := svc.SignIn(context.Background(), signin.Credentials{Username: "alice", Password: "An0ther-Horse!"})
	if err != nil || !res.IsNew || res.UserID == oldSub {
		t.Errorf("sign-in after deletion: %+v %v; want a new account with a new user_id", res, err)
	}
}

func TestDeleteMeCases(t *testing.T) {
	tests := []struct {
		name          string
		authorization string
		fault         error
		wantStatus    int
		wantCode      string
		wantCalls     int
	}{
		{name: "access token", authorization: sampleAccess, wantStatus: 200, wantCalls: 1},
		{name: "Bearer access token", authorization: "Bearer " + sampleAccess, wantStatus: 200, wantCalls: 1},
		{name: "no Authorization", wantStatus: 401, wantCode: "invalid_token"},
		{name: "garbage", authorization: "not a token", wantStatus: 401, wantCode: "invalid_token"},
		{name: "refused token", authorization: accessToken(testClientID, "access"), wantStatus: 401, wantCode: "invalid_token", wantCalls: 1},
		{name: "another app client's access token", authorization: accessToken("someotherclient", "access"), wantStatus: 401, wantCode: "invalid_token"},
		{name: "an ID token", authorization: accessToken(testClientID, "id"), wantStatus: 401, wantCode: "invalid_token"},
		{name: "revoked token", authorization: sampleAccess, fault: &types.NotAuthorizedException{Message: aws.String("Access Token has been revoked")}, wantStatus: 401, wantCode: "invalid_token", wantCalls: 1},
		{name: "throttled", authorization: sampleAccess, fault: &types.TooManyRequestsException{Message: aws.String("x")}, wantStatus: 429, wantCode: "too_many_requests", wantCalls: 1},
		{name: "Cognito failing", authorization: sampleAccess, fault: &types.InternalErrorException{Message: aws.String("x")}, wantStatus: 503, wantCode: "service_unavailable", wantCalls: 1},
		{name: "forbidden", authorization: sampleAccess, fault: &types.ForbiddenException{Message: aws.String("x")}, wantStatus: 500, wantCode: "internal_error", wantCalls: 1},
	}
	for _, shape := range []apigw.Shape{apigw.RESTProxy, apigw.HTTPv2} {
		for _, tt := range tests {
			t.Run(shape.String()+"/"+tt.name, func(t *testing.T) {
				h := newHarness(t)
				h.api.err = tt.fault
				a := h.invoke(t, "deleteme", event(t, shape, request{method: "DELETE", path: "/me", authorization: tt.authorization}))
				a.check(t, shape, tt.wantStatus, tt.wantCode)
				if h.calls() != tt.wantCalls {
					t.Errorf("%d Cognito calls, want %d", h.calls(), tt.wantCalls)
				}
				if wantUsers := map[bool]int{true: 0, false: 1}[tt.wantStatus == 200]; h.pool.Users() != wantUsers {
					t.Errorf("%d users left, want %d", h.pool.Users(), wantUsers)
				}
			})
		}
	}
	// A bare event carries no token: nothing is deleted.
	h := newHarness(t)
	h.invoke(t, "deleteme", []byte(`{}`)).check(t, apigw.Bare, 401, "invalid_token")
}
