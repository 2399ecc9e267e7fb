package signin_test

import (
	"context"
	"strings"
	"testing"

	"github.com/signin-api/signin/shared/secret/secrettest"
	"github.com/signin-api/signin/shared/signin"
)

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    signin.Config
		wantErr []string
	}{
		{name: "deployed", env: map[string]string{"USER_POOL_ID": "us-east-1_X", "CLIENT_ID": "c", "CLIENT_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:s", "CORS_ALLOW_ORIGIN": "*"},
			want: signin.Config{UserPoolID: "us-east-1_X", ClientID: "c", ClientSecretARN: "arn:aws:secretsmanager:us-east-1:1:secret:s", CORSAllowOrigin: "*"}},
		{name: "local", env: map[string]string{"USER_POOL_ID": "local_X", "CLIENT_ID": "c", "CLIENT_SECRET": "s"},
			want: signin.Config{UserPoolID: "local_X", ClientID: "c", ClientSecret: "s"}},
		{name: "public client", env: map[string]string{"USER_POOL_ID": "p", "CLIENT_ID": "c"}, want: signin.Config{UserPoolID: "p", ClientID: "c"}},
		{name: "nothing set", env: map[string]string{}, wantErr: []string{"USER_POOL_ID is not set", "CLIENT_ID is not set"}},
		{name: "both secrets", env: map[string]string{"USER_POOL_ID": "p", "CLIENT_ID": "c", "CLIENT_SECRET": "s", "CLIENT_SECRET_ARN": "a"}, wantErr: []string{"not both"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := signin.ConfigFromEnv(func(k string) string { return tt.env[k] })
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatal("no error")
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				if tt.env["CLIENT_SECRET"] != "" && strings.Contains(err.Error(), tt.env["CLIENT_SECRET"]+"\"") {
					t.Errorf("error quotes the secret: %q", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// TestSetup: a cold start with a local secret builds the client; one with CLIENT_SECRET_ARN
// reads the secret through the real Secrets Manager client (AWS_ENDPOINT_URL_SECRETS_MANAGER);
// a missing setting or secret names itself and the step; the secret never appears in an error.
func TestSetup(t *testing.T) {
	const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:signin-client-AbCdEf"
	sm := secrettest.NewServer(map[string]string{arn: "s3cr3t-from-sm"})
	defer sm.Close()
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "example")
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", sm.URL)
	tests := []struct {
		name       string
		env        map[string]string
		wantSecret string
		wantErr    string
	}{
		{"local secret", map[string]string{"USER_POOL_ID": "local_X", "CLIENT_ID": "c", "CLIENT_SECRET": "s3cr3t-value"}, "s3cr3t-value", ""},
		{"secret in Secrets Manager", map[string]string{"USER_POOL_ID": "local_X", "CLIENT_ID": "c", "CLIENT_SECRET_ARN": arn}, "s3cr3t-from-sm", ""},
		{"unknown secret", map[string]string{"USER_POOL_ID": "local_X", "CLIENT_ID": "c", "CLIENT_SECRET_ARN": arn + "x"}, "", "client secret: read secret " + arn + "x"},
		{"missing setting", map[string]string{"USER_POOL_ID": "local_X", "CLIENT_SECRET": "s3cr3t-value"}, "", "configuration: CLIENT_ID is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, client, err := signin.Setup(context.Background(), func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "s3cr3t") {
					t.Errorf("error %v, want one saying %q, with no secret", err, tt.wantErr)
				}
				return
			}
			if err != nil || client == nil || cfg.ClientSecret != tt.wantSecret {
				t.Fatalf("Setup: client %v, err %v, secret %q; want %q", client, err, cfg.ClientSecret, tt.wantSecret)
			}
		})
	}
}
