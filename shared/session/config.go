package session

import (
	"context"
	"errors"
	"fmt"
	"strings"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/signin-api/signin/shared/cognito"
)

// Config is the configuration of the refresh and signout functions, read once at cold start.
// They need the app client and its secret, and no user pool id: their Cognito calls are
// authorized by the client secret and the user's tokens.
type Config struct {
	ClientID string
	// ClientSecret is the app client secret given directly, for local use (CLIENT_SECRET).
	ClientSecret string
	// ClientSecretARN names a Secrets Manager secret holding it (CLIENT_SECRET_ARN), as deployed.
	ClientSecretARN string
	// CORSAllowOrigin is a comma-separated list of exact origins, or "*" (CORS_ALLOW_ORIGIN).
	CORSAllowOrigin string
}

// ConfigFromEnv reads Config through getenv (os.Getenv in main) and says every missing value.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		ClientID:        strings.TrimSpace(getenv("CLIENT_ID")),
		ClientSecret:    getenv("CLIENT_SECRET"),
		ClientSecretARN: strings.TrimSpace(getenv("CLIENT_SECRET_ARN")),
		CORSAllowOrigin: getenv("CORS_ALLOW_ORIGIN"),
	}
	var errs []error
	if c.ClientID == "" {
		errs = append(errs, errors.New("CLIENT_ID is not set"))
	}
	if c.ClientSecret != "" && c.ClientSecretARN != "" {
		errs = append(errs, errors.New("set CLIENT_SECRET or CLIENT_SECRET_ARN, not both"))
	}
	return c, errors.Join(errs...)
}

// Setup is the refresh and signout functions' cold start: Config, the Cognito client with the
// retry policy, and the client secret from Secrets Manager when CLIENT_SECRET_ARN names one. Its
// errors say which step failed and never hold the secret.
func Setup(ctx context.Context, getenv func(string) string) (Config, *cip.Client, error) {
	cfg, err := ConfigFromEnv(getenv)
	if err != nil {
		return Config{}, nil, fmt.Errorf("configuration: %w", err)
	}
	client, clientSecret, err := cognito.Connect(ctx, cfg.ClientSecretARN)
	if err != nil {
		return Config{}, nil, err
	}
	if clientSecret != "" {
		cfg.ClientSecret = clientSecret
	}
	return cfg, client, nil
}
