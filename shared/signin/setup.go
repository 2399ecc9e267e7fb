package signin

import (
	"context"
	"fmt"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/signin-api/signin/shared/cognito"
)

// Setup is a signin function's cold start: it reads Config through getenv (os.Getenv in main),
// builds the Cognito client with the retry policy, and reads the client secret from Secrets
// Manager when CLIENT_SECRET_ARN names one. Its errors say which step failed and never hold the
// secret.
func Setup(ctx context.Context, getenv func(string) string) (Config, *cip.Client, error) {
	return setup(ctx, getenv, ConfigFromEnv)
}

// SetupClient is Setup without USER_POOL_ID (ClientConfigFromEnv), for the functions whose
// Cognito calls name no pool.
func SetupClient(ctx context.Context, getenv func(string) string) (Config, *cip.Client, error) {
	return setup(ctx, getenv, ClientConfigFromEnv)
}

func setup(ctx context.Context, getenv func(string) string, read func(func(string) string) (Config, error)) (Config, *cip.Client, error) {
	cfg, err := read(getenv)
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
