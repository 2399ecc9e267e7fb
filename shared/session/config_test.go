package session_test

import (
	"context"
	"strings"
	"testing"

	"github.com/signin-api/signin/shared/session"
)

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    session.Config
		wantErr string
	}{
		{name: "deployed", env: map[string]string{"CLIENT_ID": "c", "CLIENT_SECRET_ARN": "arn:s", "CORS_ALLOW_ORIGIN": "*"}, want: session.Config{ClientID: "c", ClientSecretARN: "arn:s", CORSAllowOrigin: "*"}},
		{name: "local", env: map[string]string{"CLIENT_ID": "c", "CLIENT_SECRET": "s"}, want: session.Config{ClientID: "c", ClientSecret: "s"}},
		{name: "no client", env: map[string]string{}, wantErr: "CLIENT_ID is not set"},
		{name: "both secrets", env: map[string]string{"CLIENT_ID": "c", "CLIENT_SECRET": "s", "CLIENT_SECRET_ARN": "a"}, wantErr: "not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := session.ConfigFromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// TestSetup: a cold start with a local secret builds the client; a missing setting names the
// step, and the secret never appears in an error.
func TestSetup(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE") // Lambda's environment, as cognito.LoadConfig requires
	t.Setenv("AWS_SECRET_ACCESS_KEY", "example")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	env := map[string]string{"CLIENT_ID": "c", "CLIENT_SECRET": "s3cr3t-value"}
	cfg, client, err := session.Setup(context.Background(), func(k string) string { return env[k] })
	if err != nil || client == nil || cfg.ClientSecret != "s3cr3t-value" {
		t.Fatalf("Setup: %+v %v %v", cfg, client, err)
	}
	delete(env, "CLIENT_ID")
	_, _, err = session.Setup(context.Background(), func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "configuration: CLIENT_ID is not set") || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error %v", err)
	}
}
