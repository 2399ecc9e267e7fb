package cognito_test

import (
	"context"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/signin-api/signin/shared/cognito"
	"github.com/signin-api/signin/shared/cognito/cognitotest"
	"github.com/signin-api/signin/shared/secret"
	"github.com/signin-api/signin/shared/secret/secrettest"
)

// configVars are every variable LoadConfig reads.
var configVars = []string{
	"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "AWS_ENDPOINT_URL_SECRETS_MANAGER",
	"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_CA_BUNDLE",
}

// setEnv gives the test exactly env among configVars: the others are unset, not empty, as the
// SDK's clients tell an unset endpoint variable from an empty one.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, k := range configVars {
		t.Setenv(k, "") // restores the variable after the test
		os.Unsetenv(k)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// lambdaEnv is what Lambda sets for a function in us-east-1 (its role's credentials included).
func lambdaEnv(extra map[string]string) map[string]string {
	env := map[string]string{
		"AWS_REGION": "eu-west-3", "AWS_DEFAULT_REGION": "eu-west-3",
		"AWS_ACCESS_KEY_ID": "ASIAEXAMPLEKEYID0001", "AWS_SECRET_ACCESS_KEY": "example/secret/access/key", "AWS_SESSION_TOKEN": "example-session-token",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

func TestLoadConfigRegionAndCredentials(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		wantRegion string
		wantErr    string
	}{
		{"Lambda's variables", lambdaEnv(nil), "eu-west-3", ""},
		{"AWS_REGION wins over AWS_DEFAULT_REGION", lambdaEnv(map[string]string{"AWS_DEFAULT_REGION": "us-west-2"}), "eu-west-3", ""},
		{"AWS_DEFAULT_REGION alone", lambdaEnv(map[string]string{"AWS_REGION": ""}), "eu-west-3", ""},
		{"no region", map[string]string{"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"}, "", "AWS_REGION is not set"},
		{"no credentials", map[string]string{"AWS_REGION": "us-east-1"}, "", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"},
		{"a key without its secret", map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "k"}, "", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.env
			if tt.name == "AWS_DEFAULT_REGION alone" {
				delete(env, "AWS_REGION")
			}
			setEnv(t, env)
			cfg, err := cognito.LoadConfig(context.Background())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Region != tt.wantRegion {
				t.Errorf("region %q, want %q", cfg.Region, tt.wantRegion)
			}
			got, err := cfg.Credentials.Retrieve(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			want := aws.Credentials{AccessKeyID: env["AWS_ACCESS_KEY_ID"], SecretAccessKey: env["AWS_SECRET_ACCESS_KEY"], SessionToken: env["AWS_SESSION_TOKEN"]}
			if got.AccessKeyID != want.AccessKeyID || got.SecretAccessKey != want.SecretAccessKey || got.SessionToken != want.SessionToken {
				t.Errorf("credentials %+v, want %+v", got, want)
			}
			if got := cfg.Retryer().MaxAttempts(); got != cognito.MaxAttempts {
				t.Errorf("retryer makes %d attempts, want %d", got, cognito.MaxAttempts)
			}
		})
	}
}

// The endpoint variables, as the SDK documents them: a service's own variable over the global
// one, both ignored when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true.
func TestLoadConfigEndpoints(t *testing.T) {
	const idp, sm, global = "http://127.0.0.1:9229", "http://127.0.0.1:4566", "http://127.0.0.1:8000"
	tests := []struct {
		name            string
		env             map[string]string
		wantIDP, wantSM string // "" is the service's own AWS endpoint
	}{
		{"none: AWS's endpoints", nil, "", ""},
		{"Cognito's own", map[string]string{"AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": idp}, idp, ""},
		{"Secrets Manager's own", map[string]string{"AWS_ENDPOINT_URL_SECRETS_MANAGER": sm}, "", sm},
		{"global", map[string]string{"AWS_ENDPOINT_URL": global}, global, global},
		{"a service's own over the global", map[string]string{"AWS_ENDPOINT_URL": global, "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": idp}, idp, global},
		{"ignored", map[string]string{"AWS_ENDPOINT_URL": global, "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": idp, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, lambdaEnv(tt.env))
			cfg, err := cognito.LoadConfig(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(cip.NewFromConfig(cfg).Options().BaseEndpoint); got != tt.wantIDP {
				t.Errorf("Cognito endpoint %q, want %q", got, tt.wantIDP)
			}
			if got := aws.ToString(secretsmanager.NewFromConfig(cfg).Options().BaseEndpoint); got != tt.wantSM {
				t.Errorf("Secrets Manager endpoint %q, want %q", got, tt.wantSM)
			}
		})
	}
}

// Requests reach the stand-ins named by the service variables, signed with Lambda's
// credentials (the session token included).
func TestLoadConfigRequestsReachTheEndpoints(t *testing.T) {
	pool := cognitotest.New("us-east-1_Pool", "client-1", "")
	pool.AddUser("alice", "Corr3ct-Horse!")
	idp := cognitotest.NewServer(pool)
	defer idp.Close()
	var auth, token string
	idp.Fault = func(_ http.ResponseWriter, r *http.Request, _ string, _ int) bool {
		auth, token = r.Header.Get("Authorization"), r.Header.Get("X-Amz-Security-Token")
		return false
	}
	sm := secrettest.NewServer(map[string]string{"arn:aws:secretsmanager:eu-west-3:1:secret:s": "value-1"})
	defer sm.Close()
	setEnv(t, lambdaEnv(map[string]string{"AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": idp.URL, "AWS_ENDPOINT_URL_SECRETS_MANAGER": sm.URL}))
	cfg, err := cognito.LoadConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signInAlice(cfg, pool); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(auth, "Credential=ASIAEXAMPLEKEYID0001/") || !strings.Contains(auth, "/eu-west-3/cognito-idp/") || token != "example-session-token" {
		t.Errorf("request signed with %q, token %q: want Lambda's credentials for eu-west-3", auth, token)
	}
	got, err := secret.Load(context.Background(), secretsmanager.NewFromConfig(cfg), "arn:aws:secretsmanager:eu-west-3:1:secret:s")
	if err != nil || got != "value-1" || sm.Calls() != 1 {
		t.Errorf("secret %q, %v after %d calls; want value-1 from one call", got, err, sm.Calls())
	}
}

func signInAlice(cfg aws.Config, pool *cognitotest.Pool) (*cip.AdminInitiateAuthOutput, error) {
	return cip.NewFromConfig(cfg).AdminInitiateAuth(context.Background(), &cip.AdminInitiateAuthInput{
		UserPoolId: aws.String(pool.UserPoolID), ClientId: aws.String(pool.ClientID),
		AuthFlow:       types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": "Corr3ct-Horse!"},
	})
}

// AWS_CA_BUNDLE is the only trust the clients have, as with the SDK's config loader: the local
// CA in it is trusted, and without it the same server is refused.
func TestLoadConfigCABundle(t *testing.T) {
	pool := cognitotest.New("us-east-1_Pool", "client-1", "")
	pool.AddUser("alice", "Corr3ct-Horse!")
	srv := cognitotest.NewTLSServer(pool)
	defer srv.Close()
	dir := t.TempDir()
	bundle := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.pem")
	if err := os.WriteFile(empty, []byte("not a certificate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		bundle        string
		wantLoadErr   string
		wantCallError bool
	}{
		{"bundle with the local CA", bundle, "", false},
		{"no bundle: the system roots, which lack it", "", "", true},
		{"missing file", filepath.Join(dir, "none.pem"), "AWS_CA_BUNDLE", false},
		{"no certificate in the file", empty, "no PEM certificate", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": srv.URL}
			if tt.bundle != "" {
				env["AWS_CA_BUNDLE"] = tt.bundle
			}
			setEnv(t, lambdaEnv(env))
			cfg, err := cognito.LoadConfig(context.Background())
			if tt.wantLoadErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantLoadErr) {
					t.Fatalf("LoadConfig err = %v, want one saying %q", err, tt.wantLoadErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, err = signInAlice(cfg, pool)
			if tt.wantCallError {
				if err == nil || !strings.Contains(err.Error(), "certificate") {
					t.Fatalf("call err = %v, want a certificate error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The policy LoadConfig gives every client: MaxAttempts attempts; throttling retried, a refused
// password not; a wait before each retry jittered below MaxBackoff (not MaxBackoff every time,
// which would make every function retry in step); each HTTP attempt cut at AttemptTimeout.
func TestLoadConfigRetryPolicy(t *testing.T) {
	setEnv(t, lambdaEnv(nil))
	cfg, err := cognito.LoadConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Retryer()
	if got := r.MaxAttempts(); got != cognito.MaxAttempts {
		t.Errorf("MaxAttempts() = %d, want %d", got, cognito.MaxAttempts)
	}
	throttled := &smithy.GenericAPIError{Code: "TooManyRequestsException"}
	if !r.IsErrorRetryable(throttled) {
		t.Error("TooManyRequestsException is not retried")
	}
	if r.IsErrorRetryable(&smithy.GenericAPIError{Code: "NotAuthorizedException"}) {
		t.Error("NotAuthorizedException is retried")
	}
	for attempt := 1; attempt < cognito.MaxAttempts; attempt++ {
		lowest, highest := cognito.MaxBackoff, time.Duration(0)
		for range 200 {
			d, err := r.RetryDelay(attempt, throttled)
			if err != nil || d < 0 || d >= cognito.MaxBackoff {
				t.Fatalf("RetryDelay(%d) = %v, %v; want in [0, %v)", attempt, d, err, cognito.MaxBackoff)
			}
			lowest, highest = min(lowest, d), max(highest, d)
		}
		// 200 uniform draws all in one half of the range: odds 2^-199.
		if lowest > cognito.MaxBackoff/2 || highest < cognito.MaxBackoff/2 {
			t.Errorf("RetryDelay(%d) ranged over [%v, %v]: not jittered across [0, %v)", attempt, lowest, highest, cognito.MaxBackoff)
		}
	}
	if client, ok := cfg.HTTPClient.(*awshttp.BuildableClient); !ok {
		t.Errorf("HTTP client %T, want an *awshttp.BuildableClient", cfg.HTTPClient)
	} else if got := client.GetTimeout(); got != cognito.AttemptTimeout {
		t.Errorf("HTTP client cuts attempts at %v, want %v", got, cognito.AttemptTimeout)
	}
}
