package stack

// End-to-end tests of a session's life through the whole local stack, over HTTP as an app uses
// it: sign-up, refresh with rotation, sign-out, account deletion, the lockout, and bodies that
// are not UTF-8. They follow AWS's documented behaviour (the Cognito API reference for
// GetTokensFromRefreshToken, RevokeToken, GlobalSignOut and DeleteUser; "User pool lockout
// behavior" in the developer guide; PreventUserExistenceErrors LEGACY), which the local user pool
// must emulate for them to pass.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/signin-api/signin/shared/cognito"
)

// post sends a JSON body to path (under the stage) with headers, and notes every token of the
// answer for the log-leak check.
func post(t *testing.T, st *Stack, method, path string, body any, headers map[string]string) result {
	t.Helper()
	h := map[string]string{"Content-Type": "application/json", "Origin": "http://localhost:5173"}
	for k, v := range headers {
		h[k] = v
	}
	var data string
	if body != nil {
		b, _ := json.Marshal(body)
		data = string(b)
	}
	res := do(t, method, st.APIURL+path, data, h)
	var tokens map[string]any
	if json.Unmarshal(res.body, &tokens) == nil {
		for _, k := range []string{"id_token", "access_token", "refresh_token"} {
			if s, _ := tokens[k].(string); s != "" {
				noteSecrets(st, s)
			}
		}
	}
	return res
}

// want fails the test unless res has the status and, for a failure, the code.
func want(t *testing.T, step string, res result, status int, code string) map[string]any {
	t.Helper()
	if res.status != status {
		t.Fatalf("%s: %d %s, want %d %s", step, res.status, res.body, status, code)
	}
	got := res.json(t)
	if code == "" && got["status"] != "success" || code != "" && (got["status"] != "fail" || got["error"] != code) {
		t.Fatalf("%s: body %s, want %s", step, res.body, map[bool]string{true: "success", false: code}[code == ""])
	}
	return got
}

func refresh(t *testing.T, st *Stack, token string) result {
	t.Helper()
	return post(t, st, "POST", "/refresh", map[string]string{"refresh_token": token}, nil)
}

// TestSessionLifecycle: sign up, refresh (new tokens; the old refresh token is refused), sign
// out (the refresh token is refused), sign in again, delete the account, and sign in with the
// same name: a new account.
func TestSessionLifecycle(t *testing.T) {
	needsStack(t)
	st := startStack(t, nil)
	noteSecrets(st, password)

	first := want(t, "sign-up", signin(t, st, "grace", password), 200, "")
	if first["is_new"] != true {
		t.Fatalf("sign-up: is_new %v", first["is_new"])
	}
	userID, oldRefresh := first["user_id"].(string), first["refresh_token"].(string)

	renewed := want(t, "refresh", refresh(t, st, oldRefresh), 200, "")
	if renewed["user_id"] != userID || renewed["refresh_token"] == oldRefresh || renewed["id_token"] == first["id_token"] ||
		renewed["access_token"] == first["access_token"] || renewed["token_type"] != "Bearer" {
		t.Fatalf("refresh: %v; want new tokens of the same user", renewed)
	}
	if exp, _ := renewed["expires_in"].(float64); exp <= 0 {
		t.Errorf("refresh: expires_in %v", renewed["expires_in"])
	}
	// The dev stage's grace period is 0 (refreshRetryGraceSeconds): the old token is refused at once.
	refused := want(t, "refresh with the rotated-out token", refresh(t, st, oldRefresh), 401, "invalid_token")
	garbage := want(t, "refresh with garbage", refresh(t, st, "eyJub3QiOiJhIHRva2VuIn0.x.y.z.w"), 401, "invalid_token")
	if refused["msg"] != garbage["msg"] {
		t.Errorf("invalid_token differs by cause: %v / %v", refused, garbage)
	}

	current := renewed["refresh_token"].(string)
	want(t, "sign-out", post(t, st, "POST", "/signout", map[string]any{"refresh_token": current}, nil), 200, "")
	want(t, "sign-out again (idempotent)", post(t, st, "POST", "/signout", map[string]any{"refresh_token": current}, nil), 200, "")
	want(t, "refresh after sign-out", refresh(t, st, current), 401, "invalid_token")

	again := want(t, "sign-in again", signin(t, st, "grace", password), 200, "")
	if again["is_new"] != false || again["user_id"] != userID {
		t.Fatalf("sign-in again: %v", again)
	}
	access := again["access_token"].(string)

	// The ID token is not enough: DELETE /me takes the access token (its scope).
	if res := post(t, st, "DELETE", "/me", nil, map[string]string{"Authorization": again["id_token"].(string)}); res.status != http.StatusUnauthorized {
		t.Errorf("DELETE /me with the ID token: %d %s, want 401 from the authorizer", res.status, res.body)
	}
	want(t, "DELETE /me", post(t, st, "DELETE", "/me", nil, map[string]string{"Authorization": access}), 200, "")
	want(t, "refresh of a deleted account", refresh(t, st, again["refresh_token"].(string)), 401, "invalid_token")

	reborn := want(t, "sign-in after deletion", signin(t, st, "grace", "An0ther-Passw0rd"), 200, "")
	if reborn["is_new"] != true || reborn["user_id"] == userID {
		t.Errorf("sign-in after deletion: %v; want a new account with a new user_id", reborn)
	}
}

// TestSignOutEverywhere: with the access token and everywhere, every device's refresh token
// stops working.
func TestSignOutEverywhere(t *testing.T) {
	needsStack(t)
	st := startStack(t, nil)
	noteSecrets(st, password)
	phone := want(t, "sign-up", signin(t, st, "heidi", password), 200, "")
	laptop := want(t, "sign-in on a second device", signin(t, st, "heidi", password), 200, "")

	want(t, "everywhere without an access token", post(t, st, "POST", "/signout",
		map[string]any{"refresh_token": phone["refresh_token"], "everywhere": true}, nil), 400, "invalid_request")
	want(t, "sign-out everywhere", post(t, st, "POST", "/signout",
		map[string]any{"refresh_token": phone["refresh_token"], "everywhere": true},
		map[string]string{"Authorization": "Bearer " + phone["access_token"].(string)}), 200, "")
	want(t, "refresh on the phone", refresh(t, st, phone["refresh_token"].(string)), 401, "invalid_token")
	want(t, "refresh on the laptop", refresh(t, st, laptop["refresh_token"].(string)), 401, "invalid_token")
}

// TestWrongPasswordIsOneStrike: four wrong passwords and then the right one signs in (each
// wrong one is one failed attempt, not two); five lock the account: the right password then
// gets too_many_attempts with Retry-After.
func TestWrongPasswordIsOneStrike(t *testing.T) {
	needsStack(t)
	st := startStack(t, nil)
	noteSecrets(st, password)
	for _, user := range []string{"ivan", "judy"} {
		want(t, "sign-up "+user, signin(t, st, user, password), 200, "")
	}
	for i := range 4 {
		want(t, "wrong password", signin(t, st, "ivan", "Wr0ng-password-"+strings.Repeat("x", i)), 401, "invalid_credentials")
	}
	want(t, "right password after four wrong ones", signin(t, st, "ivan", password), 200, "")

	for i := range 5 {
		want(t, "wrong password", signin(t, st, "judy", "Wr0ng-password-"+strings.Repeat("x", i)), 401, "invalid_credentials")
	}
	// The fifth failure locks judy for 1 s; a request through the stack takes milliseconds.
	locked := signin(t, st, "judy", password)
	want(t, "right password after five wrong ones", locked, 429, "too_many_attempts")
	if locked.header.Get("Retry-After") == "" || locked.header.Get("Access-Control-Expose-Headers") != "Retry-After" {
		t.Errorf("locked: headers %v, want Retry-After readable by the page", locked.header)
	}
	// The 429 is Cognito's own lockout, as AWS words it, not something the function decided.
	client := mainClient(st)
	_, err := cognitoAPI(st).AdminInitiateAuth(context.Background(), &cip.AdminInitiateAuthInput{
		UserPoolId: aws.String(st.Pool.ID), ClientId: aws.String(client.ID), AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "judy", "PASSWORD": password,
			"SECRET_HASH": cognito.SecretHash("judy", client.ID, client.Secret)},
	})
	wantCognitoError(t, err, "NotAuthorizedException", "Password attempts exceeded")
}

// TestBodyNotUTF8: bytes that are not UTF-8 are refused through the gateway, JSON or form, and
// create no account (JSON and forms are binary media types: the function sees the exact bytes).
func TestBodyNotUTF8(t *testing.T) {
	needsStack(t)
	st := startStack(t, nil)
	for _, tc := range []struct{ contentType, body string }{
		{"application/json", "{\"username\":\"mallory\xff\",\"password\":\"" + password + "\"}"},
		{"application/x-www-form-urlencoded", "username=mallory\xff&password=" + password},
		{"application/json; charset=utf-8", "{\"username\":\"mall\xc3\x28ory\",\"password\":\"" + password + "\"}"},
	} {
		res := do(t, "POST", st.APIURL+"/signin", tc.body, map[string]string{"Content-Type": tc.contentType})
		want(t, "body not UTF-8 as "+tc.contentType, res, 400, "invalid_request")
	}
	res := do(t, "POST", st.APIURL+"/refresh", "{\"refresh_token\":\"a\xffb\"}", map[string]string{"Content-Type": "application/json"})
	want(t, "refresh body not UTF-8", res, 400, "invalid_request")
	_, err := cognitoAPI(st).AdminGetUser(context.Background(), &cip.AdminGetUserInput{
		UserPoolId: aws.String(st.Pool.ID), Username: aws.String("mallory"),
	})
	var notFound *types.UserNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("AdminGetUser(mallory) = %v, want UserNotFoundException: a refused body must create no account", err)
	}
}
