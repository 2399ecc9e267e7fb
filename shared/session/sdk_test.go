package session_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/signin-api/signin/shared/apigw"
	"github.com/signin-api/signin/shared/cognito"
	"github.com/signin-api/signin/shared/cognito/cognitotest"
	"github.com/signin-api/signin/shared/session"
)

// TestRealSDKClient: the handlers built as functions/refresh and functions/signout build them
// (session.Setup from the environment, the real SDK client with the retry policy) against a
// Cognito stand-in over HTTP: Cognito's error codes arrive through the SDK's own deserializer and
// map as in the unit tables, the raw client secret is what the pool checks, and a Cognito that
// keeps failing is retried, then answered with 503.
func TestRealSDKClient(t *testing.T) {
	h := newHarness(t)
	srv := cognitotest.NewServer(h.pool)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", srv.URL)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	env := map[string]string{"CLIENT_ID": testClientID, "CLIENT_SECRET": testSecret, "CORS_ALLOW_ORIGIN": sampleOrigin}
	cfg, client, err := session.Setup(context.Background(), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	// The client Setup built, with the policy's own retryer minus its waits between attempts
	// (shared/cognito's TestLoadConfigRetryPolicy checks those).
	noWait := retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	client = cip.New(client.Options(), func(o *cip.Options) { o.Retryer = cognito.NewRetryer(noWait) })
	h.svc = &session.Service{Cognito: client, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret}

	a := h.invoke(t, "refresh", eventFile(t, "refresh-apigw-v1.json"))
	a.check(t, apigw.RESTProxy, 200, "")
	h.invoke(t, "refresh", eventFile(t, "refresh-apigw-v1.json")).check(t, apigw.RESTProxy, 401, "invalid_token")
	h.invoke(t, "deleteme", eventFile(t, "me-delete.json")).check(t, apigw.RESTProxy, 200, "")
	if h.pool.Users() != 0 {
		t.Error("DELETE /me left the user")
	}

	h.pool.AddUser("bob", "Corr3ct-Horse!")
	bobsAccess := accessToken(testClientID, "access")
	h.pool.AddSession("bob", "bobs-refresh-token", bobsAccess)
	h.pool.AddSession("bob", "bobs-other-refresh-token", "")
	h.invoke(t, "signout", event(t, apigw.RESTProxy, request{method: "POST", path: "/signout", base64: true,
		body: `{"refresh_token":"bobs-refresh-token","everywhere":true}`, authorization: "Bearer " + bobsAccess})).check(t, apigw.RESTProxy, 200, "")
	if refreshWorks(t, h, "bobs-other-refresh-token") {
		t.Error("another device's refresh token survived a sign-out everywhere")
	}
	h.invoke(t, "signout", eventFile(t, "signout.json")).check(t, apigw.Bare, 200, "")

	// A wrong client secret is ours to fix: 500, not the client's invalid_token.
	h.svc.ClientSecret = "not-the-secret"
	h.invoke(t, "refresh", event(t, apigw.Bare, request{body: `{"refresh_token":"bobs-refresh-token"}`})).check(t, apigw.Bare, 500, "internal_error")
	h.svc.ClientSecret = testSecret

	srv.Fault = func(w http.ResponseWriter, r *http.Request, op string, attempt int) bool {
		w.WriteHeader(http.StatusInternalServerError)
		return true
	}
	before := srv.Attempts("GetTokensFromRefreshToken")
	h.invoke(t, "refresh", event(t, apigw.Bare, request{body: `{"refresh_token":"bobs-refresh-token"}`})).check(t, apigw.Bare, 503, "service_unavailable")
	if got := srv.Attempts("GetTokensFromRefreshToken") - before; got != cognito.MaxAttempts {
		t.Errorf("%d attempts at a failing Cognito, want %d (cognito.MaxAttempts)", got, cognito.MaxAttempts)
	}
}
