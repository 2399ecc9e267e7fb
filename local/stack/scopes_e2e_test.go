package stack

// End-to-end tests of the access-token route (GET /session behind the session scope) and of
// the pretoken trigger, on the project's own configuration. The local user pool runs the
// pretoken function as its Pre Token Generation V2_0 trigger through the Lambda Invoke API, as
// Cognito does, so the access tokens here carry the session scope because the trigger added it.
// Tokens signed again with the pool's key change one claim of a real token at a time.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/golang-jwt/jwt/v5"
)

// sessionScope is the scope GET /session asks for (serverless.yml, custom.sessionScope).
const sessionScope = "signin-api/session.read"

// adminScope is the one scope Cognito's own access tokens carry.
const adminScope = "aws.cognito.signin.user.admin"

// tokenScopes is the scope claim of an access token, split.
func tokenScopes(t *testing.T, token string) []string {
	t.Helper()
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		t.Fatal(err)
	}
	scope, _ := claims["scope"].(string)
	return strings.Fields(scope)
}

// Pre Token Generation V2_0 adds scopes to access tokens on sign-in and on refresh
// (https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-token-generation.html);
// a method with AuthorizationScopes takes the access token and needs one of them
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-enable-cognito-user-pool.html).
func TestSessionBehindTheSessionScope(t *testing.T) {
	needsStack(t)
	st := startStack(t, nil)
	res := signin(t, st, "grace", password)
	if res.status != 200 {
		t.Fatalf("sign-in: %d %s", res.status, res.body)
	}
	tokens := res.json(t)
	idToken, accessToken := tokens["id_token"].(string), tokens["access_token"].(string)
	if got := tokenScopes(t, accessToken); !slices.Contains(got, sessionScope) || !slices.Contains(got, adminScope) {
		t.Fatalf("access token scopes = %v, want %s added by the trigger beside %s", got, sessionScope, adminScope)
	}

	key, kid := poolKey(t, st)
	strangerKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	past := float64(time.Now().Add(-time.Hour).Unix())

	// Refresh keeps the scope: the trigger runs again (TokenGeneration_RefreshTokens).
	ctx := context.Background()
	api := cognitoAPI(st)
	refreshed, err := api.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{
		ClientId: aws.String(mainClient(st).ID), ClientSecret: aws.String(mainClient(st).Secret),
		RefreshToken: aws.String(tokens["refresh_token"].(string)),
	})
	if err != nil {
		t.Fatal(err)
	}
	refreshedAccess := aws.ToString(refreshed.AuthenticationResult.AccessToken)
	noteSecrets(st, refreshedAccess, aws.ToString(refreshed.AuthenticationResult.IdToken), aws.ToString(refreshed.AuthenticationResult.RefreshToken))

	// Another app client of the pool: the trigger adds the scope for this API's client only, so
	// its access tokens carry only Cognito's own scope and GET /session refuses them.
	auth := otherClientSignIn(t, st, "grace")
	otherClientAccess := aws.ToString(auth.AccessToken)
	noteSecrets(st, otherClientAccess, aws.ToString(auth.IdToken), aws.ToString(auth.RefreshToken))
	if got := tokenScopes(t, otherClientAccess); slices.Contains(got, sessionScope) {
		t.Errorf("another client's access token has scopes %v", got)
	}

	tests := []struct {
		name   string
		path   string
		header string
		status int
	}{
		{"access token from sign-in", "/session", accessToken, 200},
		{"Bearer access token", "/session", "Bearer " + accessToken, 200},
		{"access token from refresh", "/session", refreshedAccess, 200},
		{"access token of another app client (no session scope)", "/session", otherClientAccess, 401},
		{"access token without the session scope", "/session", resign(t, accessToken, key, kid, jwt.MapClaims{"scope": adminScope}), 401},
		{"ID token", "/session", idToken, 401},
		{"ID token that claims the scope", "/session", resign(t, idToken, key, kid, jwt.MapClaims{"scope": sessionScope}), 401},
		{"expired access token", "/session", resign(t, accessToken, key, kid, jwt.MapClaims{"exp": past, "iat": past - 3600}), 401},
		{"access token of another pool (issuer)", "/session", resign(t, accessToken, key, kid, jwt.MapClaims{"iss": st.CognitoURL + "/us-east-1_other"}), 401},
		{"access token signed by another key", "/session", resign(t, accessToken, strangerKey, kid, nil), 401},
		{"no token", "/session", "", 401},
		{"ID token on GET /me", "/me", idToken, 200},
		{"access token on GET /me", "/me", accessToken, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			headers := map[string]string{"Origin": "http://localhost:5173"}
			if tt.header != "" {
				headers["Authorization"] = tt.header
			}
			res := do(t, "GET", st.APIURL+tt.path, "", headers)
			if res.status != tt.status {
				t.Fatalf("status %d %s, want %d", res.status, res.body, tt.status)
			}
			if tt.status == 401 && string(res.body) != `{"message":"Unauthorized"}` {
				t.Errorf("body = %s", res.body)
			}
		})
	}

	// What GET /session answers is what the access token says, as API Gateway passed it on.
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(accessToken, claims); err != nil {
		t.Fatal(err)
	}
	exp, err := claims.GetExpirationTime()
	if err != nil {
		t.Fatal(err)
	}
	got := do(t, "GET", st.APIURL+"/session", "", map[string]string{"Authorization": accessToken, "Origin": "http://localhost:5173"})
	want := map[string]any{
		"user_id":    tokens["user_id"],
		"username":   "grace",
		"client_id":  mainClient(st).ID,
		"scopes":     []any{adminScope, sessionScope},
		"expires_at": exp.UTC().Format(time.RFC3339),
	}
	if body := got.json(t); !reflect.DeepEqual(body, want) {
		t.Errorf("GET /session = %v\nwant %v", body, want)
	}
	if got.header.Get("Access-Control-Allow-Origin") != "*" || got.header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers = %v", got.header)
	}
}

// The pretoken trigger, its real bootstrap invoked through the stack's Lambda Invoke endpoint as
// Cognito invokes triggers, with the sample V2_0 events made to come from the local app client:
// sign-in and refresh get the session scope, another client's events come back unchanged.
func TestPreTokenTriggerThroughInvoke(t *testing.T) {
	needsStack(t)
	st := startStack(t, nil)
	client := lambda.New(lambda.Options{
		Region:       projectConfig.Region,
		BaseEndpoint: aws.String(st.LambdaEndpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	fn, _ := projectConfig.Function("pretoken")
	tests := []struct {
		name      string
		file      string
		clientID  string
		wantScope bool
	}{
		{"sign-in", "pretoken-signin.json", mainClient(st).ID, true},
		{"refresh", "pretoken-refresh.json", mainClient(st).ID, true},
		{"sign-in of another app client", "pretoken-signin.json", "another-client", false},
		{"refresh of another app client", "pretoken-refresh.json", "another-client", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(repoRoot, "events", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var ev map[string]any
			if err := json.Unmarshal(data, &ev); err != nil {
				t.Fatal(err)
			}
			ev["callerContext"].(map[string]any)["clientId"] = tt.clientID
			ev["userPoolId"] = st.Pool.ID
			payload, _ := json.Marshal(ev)
			out, err := client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(fn.Name), Payload: payload})
			if err != nil {
				t.Fatal(err)
			}
			if out.FunctionError != nil {
				t.Fatalf("function error %s: %s", aws.ToString(out.FunctionError), out.Payload)
			}
			var got struct {
				Response json.RawMessage `json:"response"`
			}
			if err := json.Unmarshal(out.Payload, &got); err != nil {
				t.Fatal(err)
			}
			want := `{"claimsAndScopeOverrideDetails":null}`
			if tt.wantScope {
				want = `{"claimsAndScopeOverrideDetails":{"accessTokenGeneration":{"scopesToAdd":["` + sessionScope + `"]}}}`
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, got.Response); err != nil {
				t.Fatal(err)
			}
			if compact.String() != want {
				t.Errorf("response = %s, want %s", compact.String(), want)
			}
		})
	}
}
