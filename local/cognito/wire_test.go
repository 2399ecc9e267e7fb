package cognito

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// "AWS JSON 1.1 protocol" (Smithy awsJson1_1): errors carry their code in X-Amzn-ErrorType and
// in the body's __type, with a message; "User pool exceptions" name the codes.
func TestErrorWireFormat(t *testing.T) {
	srv, _ := New(Options{})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	for _, tt := range []struct{ target, body, code string }{
		{"AWSCognitoIdentityProviderService.DescribeUserPool", `{"UserPoolId":"us-east-1_nope"}`, "ResourceNotFoundException"},
		{"AWSCognitoIdentityProviderService.SetUICustomization", `{}`, "UnknownOperationException"},
		{"AWSCognitoIdentityProviderService.SignUp", `{"ClientId":`, "SerializationException"},
	} {
		req, _ := http.NewRequest("POST", hs.URL, strings.NewReader(tt.body))
		req.Header.Set("X-Amz-Target", tt.target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var body map[string]string
		if err := json.Unmarshal(data, &body); err != nil {
			t.Fatalf("%s: body %s", tt.target, data)
		}
		if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-ErrorType") != tt.code || body["__type"] != tt.code || body["message"] == "" {
			t.Errorf("%s: %d %s %s", tt.target, resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), data)
		}
	}
}

// API_DescribeUserPool, API_DescribeUserPoolClient, API_CreateResourceServer: what was created
// reads back through the SDK, timestamps (epoch seconds on the wire) included.
func TestControlPlaneRoundTrip(t *testing.T) {
	e := newEnv(t, nil)
	pool, err := e.api.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(e.poolID)})
	if err != nil {
		t.Fatal(err)
	}
	p := pool.UserPool
	if !strings.HasPrefix(e.poolID, "us-east-1_") || *p.Name != "test" || p.CreationDate == nil ||
		p.CreationDate.Sub(e.clock.Now()).Abs() > time.Second || *p.Policies.PasswordPolicy.MinimumLength != 8 ||
		*p.UsernameConfiguration.CaseSensitive {
		t.Errorf("DescribeUserPool = %+v", p)
	}
	c, err := e.api.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(e.poolID), ClientId: e.client.ClientId})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(c.UserPoolClient.ClientSecret) == "" || *c.UserPoolClient.ClientSecret != *e.client.ClientSecret ||
		len(c.UserPoolClient.ExplicitAuthFlows) != 3 || c.UserPoolClient.PreventUserExistenceErrors != "ENABLED" {
		t.Errorf("DescribeUserPoolClient = %+v", c.UserPoolClient)
	}
	_, err = e.api.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(e.poolID), ClientId: aws.String("nope")})
	wantErr(t, err, "ResourceNotFoundException", "User pool client nope does not exist.")
	rs, err := e.api.CreateResourceServer(ctx, &cip.CreateResourceServerInput{UserPoolId: aws.String(e.poolID),
		Identifier: aws.String("signin-api"), Name: aws.String("API")})
	if err != nil || *rs.ResourceServer.Identifier != "signin-api" {
		t.Errorf("CreateResourceServer = %+v, %v", rs, err)
	}
}

// The state survives a restart; no password is kept in clear.
func TestStatePersists(t *testing.T) {
	e := newEnv(t, nil)
	e.confirmedUser(t, "sam", pw)
	first, err := e.adminAuth("sam", pw)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(e.srv.opts.StateFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{pw, "Temp0rary-pass", *first.AuthenticationResult.RefreshToken} {
		if strings.Contains(string(data), secret) {
			t.Errorf("the state file holds a password or refresh token in clear")
		}
	}
	restarted, err := New(e.srv.opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(restarted)
	defer hs.Close()
	e.api, e.url = newClient(hs.URL), hs.URL
	out, err := e.adminAuth("sam", pw)
	if err != nil {
		t.Fatalf("sign-in after a restart: %v", err)
	}
	if _, err := e.api.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: e.client.ClientId,
		RefreshToken: first.AuthenticationResult.RefreshToken, ClientSecret: e.client.ClientSecret}); err != nil {
		t.Errorf("a refresh token from before the restart: %v", err)
	}
	// The same key: the token's kid is the one published before.
	claims := e.verify(t, *out.AuthenticationResult.IdToken)
	if claims["cognito:username"] != "sam" {
		t.Errorf("claims = %v", claims)
	}
	if err := os.WriteFile(e.srv.opts.StateFile, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(e.srv.opts); err == nil || !strings.Contains(err.Error(), "delete it") {
		t.Errorf("a corrupt state file: %v", err)
	}
}

type panickingInvoker struct{}

func (panickingInvoker) Invoke(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	panic("boom")
}

// A request that panics gets InternalErrorException (HTTP 500); the server goes on.
func TestPanicIsAnInternalError(t *testing.T) {
	e := newEnv(t, func(o *Options, p *cip.CreateUserPoolInput, _ *cip.CreateUserPoolClientInput) {
		o.Lambda = panickingInvoker{}
		p.LambdaConfig = &types.LambdaConfigType{PreSignUp: aws.String(preSignUpARN)}
	})
	_, err := e.signUp("tom", pw)
	wantErr(t, err, "InternalErrorException", "")
	if _, err := e.api.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(e.poolID)}); err != nil {
		t.Errorf("after a panic: %v", err)
	}
}
