package original_test

import (
	"context"
	"encoding/json"
	"io"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/signin-api/signin/bench/original"
	"github.com/signin-api/signin/shared/apigw"
	"github.com/signin-api/signin/shared/cognito/cognitotest"
	"github.com/signin-api/signin/shared/logging"
	"github.com/signin-api/signin/shared/signin"
)

const (
	poolID   = "us-east-1_BENCHPOOL"
	clientID = "benchclientid0123456789"
	secret   = "bench-client-secret-0123456789abcdef"
	username = "olga"
	password = "Corr3ct-Horse!"
)

// TestSignInCalls: the tutorial's order costs two Cognito calls whatever the case (SignUp, then
// auth), where this service's design costs one for a returning user and three otherwise.
func TestSignInCalls(t *testing.T) {
	tests := []struct {
		name       string
		existing   bool
		password   string
		wantAuth   int
		wantSignUp int
		wantCode   signin.Code // "" for success, for both designs
		wantNew    bool
		oursAuth   int // this service's design
		oursSignUp int
	}{
		{name: "returning user", existing: true, password: password, wantAuth: 1, wantSignUp: 1, oursAuth: 1},
		{name: "new user", password: password, wantAuth: 1, wantSignUp: 1, wantNew: true, oursAuth: 2, oursSignUp: 1},
		{name: "wrong password", existing: true, password: "not-the-password", wantAuth: 1, wantSignUp: 1, wantCode: signin.CodeInvalidCredentials, oursAuth: 1, oursSignUp: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool := cognitotest.New(poolID, clientID, secret)
			var sub string
			if tt.existing {
				sub = pool.AddUser(username, password)
			}
			svc := &original.Service{Cognito: pool, UserPoolID: poolID, ClientID: clientID, ClientSecret: secret}
			res, st, err := svc.SignIn(context.Background(), signin.Credentials{Username: username, Password: tt.password})
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("SignIn: %v", err)
				}
				if res.IsNew != tt.wantNew || res.IDToken == "" || res.UserID == "" {
					t.Errorf("result %+v, want is_new %v with tokens and a user id", res, tt.wantNew)
				}
				if sub != "" && res.UserID == sub {
					t.Errorf("user_id is the sub; the tutorial's is random")
				}
			} else if got := codeOf(err); got != tt.wantCode {
				t.Errorf("code %q, want %q", got, tt.wantCode)
			}
			if auth, signUp := pool.Calls(); auth != tt.wantAuth || signUp != tt.wantSignUp || st.CognitoCalls != auth+signUp {
				t.Errorf("calls: %d auth, %d SignUp, Stats %d; want %d, %d", auth, signUp, st.CognitoCalls, tt.wantAuth, tt.wantSignUp)
			}

			// The same case through this service's design, for the comparison in make bench.
			ours := cognitotest.New(poolID, clientID, secret)
			if tt.existing {
				ours.AddUser(username, password)
			}
			svcOurs := &signin.Service{Cognito: ours, UserPoolID: poolID, ClientID: clientID, ClientSecret: secret}
			if _, _, err := svcOurs.SignIn(context.Background(), signin.Credentials{Username: username, Password: tt.password}); codeOf(err) != tt.wantCode {
				t.Fatalf("signin.Service: %v", err)
			}
			if auth, signUp := ours.Calls(); auth != tt.oursAuth || signUp != tt.oursSignUp {
				t.Errorf("signin.Service calls: %d auth, %d SignUp; want %d, %d", auth, signUp, tt.oursAuth, tt.oursSignUp)
			}
		})
	}
}

// TestHandler: signin.Handler runs the tutorial's flow behind the same event shapes.
func TestHandler(t *testing.T) {
	pool := cognitotest.New(poolID, clientID, secret)
	pool.AddUser(username, password)
	h := &signin.Handler{
		Service: &original.Service{Cognito: pool, UserPoolID: poolID, ClientID: clientID, ClientSecret: secret},
		CORS:    apigw.ParseCORS("*"),
		Log:     logging.New(io.Discard),
	}
	tests := []struct {
		password   string
		wantStatus int
		wantField  string
		want       any
	}{
		{password, 200, "status", "success"},
		{"not-the-password", 401, "error", "invalid_credentials"},
	}
	for _, tt := range tests {
		body, _ := json.Marshal(map[string]string{"username": username, "password": tt.password})
		ev, _ := json.Marshal(events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/signin",
			Headers: map[string]string{"Content-Type": "application/json"}, Body: string(body)})
		out, err := lambda.NewHandler(h).Invoke(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		var r events.APIGatewayProxyResponse
		var got map[string]any
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
			t.Fatal(err)
		}
		if r.StatusCode != tt.wantStatus || got[tt.wantField] != tt.want {
			t.Errorf("status %d body %s, want %d with %s %v", r.StatusCode, r.Body, tt.wantStatus, tt.wantField, tt.want)
		}
	}
}

// codeOf is the failure code of a sign-in, "" for a success.
func codeOf(err error) signin.Code {
	if err == nil {
		return ""
	}
	return signin.ErrorOf(err).Code
}
