package cognito

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
)

var ctx = context.Background()

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a Server behind a real HTTP listener and the real SDK client pointed at it.
type env struct {
	srv    *Server
	url    string
	api    *cip.Client
	clock  *clock
	poolID string
	client types.UserPoolClientType
}

// newEnv starts a server with its state in a temporary folder and the project's pool
// settings (serverless.yml): case-insensitive usernames, the password policy, a client with a
// secret, ADMIN_USER_PASSWORD_AUTH, USER_PASSWORD_AUTH and refresh, existence errors ENABLED.
func newEnv(t *testing.T, change func(*Options, *cip.CreateUserPoolInput, *cip.CreateUserPoolClientInput)) *env {
	t.Helper()
	clk := &clock{t: time.Now()}
	opts := Options{StateFile: filepath.Join(t.TempDir(), "cognito.json"), Region: "us-east-1", Now: clk.Now}
	poolIn := &cip.CreateUserPoolInput{
		PoolName:              aws.String("test"),
		UsernameConfiguration: &types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)},
		Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{
			MinimumLength: aws.Int32(8), RequireLowercase: true, RequireUppercase: true, RequireNumbers: true,
		}},
	}
	clientIn := &cip.CreateUserPoolClientInput{
		ClientName: aws.String("app"), GenerateSecret: true,
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
		PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled,
		AccessTokenValidity:        aws.Int32(30), IdTokenValidity: aws.Int32(45), RefreshTokenValidity: 2,
		TokenValidityUnits: &types.TokenValidityUnitsType{AccessToken: types.TimeUnitsTypeMinutes,
			IdToken: types.TimeUnitsTypeMinutes, RefreshToken: types.TimeUnitsTypeDays},
	}
	if change != nil {
		change(&opts, poolIn, clientIn)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	e := &env{srv: srv, url: hs.URL, api: newClient(hs.URL), clock: clk}
	pool, err := e.api.CreateUserPool(ctx, poolIn)
	if err != nil {
		t.Fatalf("CreateUserPool: %v", err)
	}
	e.poolID = *pool.UserPool.Id
	clientIn.UserPoolId = pool.UserPool.Id
	c, err := e.api.CreateUserPoolClient(ctx, clientIn)
	if err != nil {
		t.Fatalf("CreateUserPoolClient: %v", err)
	}
	e.client = *c.UserPoolClient
	return e
}

func newClient(url string) *cip.Client {
	return cip.New(cip.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

// secretHash is computed here from the documented formula ("Computing secret hash values"),
// independently of the server's code.
func (e *env) secretHash(username string) *string {
	mac := hmac.New(sha256.New, []byte(aws.ToString(e.client.ClientSecret)))
	mac.Write([]byte(username + aws.ToString(e.client.ClientId)))
	return aws.String(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
}

func (e *env) signUp(username, password string) (*cip.SignUpOutput, error) {
	return e.api.SignUp(ctx, &cip.SignUpInput{ClientId: e.client.ClientId, Username: aws.String(username),
		Password: aws.String(password), SecretHash: e.secretHash(username)})
}

// confirmedUser creates a CONFIRMED user with AdminCreateUser + AdminSetUserPassword.
func (e *env) confirmedUser(t *testing.T, username, password string) {
	t.Helper()
	if _, err := e.api.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(e.poolID),
		Username: aws.String(username), TemporaryPassword: aws.String("Temp0rary-pass")}); err != nil {
		t.Fatalf("AdminCreateUser: %v", err)
	}
	if _, err := e.api.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(e.poolID),
		Username: aws.String(username), Password: aws.String(password), Permanent: true}); err != nil {
		t.Fatalf("AdminSetUserPassword: %v", err)
	}
}

func (e *env) adminAuth(username, password string) (*cip.AdminInitiateAuthOutput, error) {
	return e.api.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(e.poolID), ClientId: e.client.ClientId,
		AuthFlow:       types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": username, "PASSWORD": password, "SECRET_HASH": *e.secretHash(username)}})
}

// wantErr checks err is the Cognito error code with message (message "" checks only the code).
func wantErr(t *testing.T, err error, code, message string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want %s", err, code)
	}
	if apiErr.ErrorCode() != code || (message != "" && apiErr.ErrorMessage() != message) {
		t.Fatalf("err = %s %q, want %s %q", apiErr.ErrorCode(), apiErr.ErrorMessage(), code, message)
	}
}
