package signin

import (
	"context"
	"fmt"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/signin-api/signin/shared/cognito"
	"github.com/signin-api/signin/shared/secret"
)

// Setup is a signin function's cold start: it reads Config through getenv (os.Getenv in main),
// builds the Cognito client with the retry policy, and reads the client secret from Secrets
// Manager when CLIENT_SECRET_ARN names one. Its errors say which step failed and never hold the
// secret.
func Setup(ctx context.Context, getenv func(string) string) (Config, *cip.Client, error) {
	cfg, err := ConfigFromEnv(getenv)
	if err != nil {
		return Config{}, nil, fmt.Errorf("configuration: %w", err)
	}
	awsCfg, err := cognito.LoadConfig(ctx)
	if err != nil {
		return Config{}, nil, err
	}
	if cfg.ClientSecretARN != "" {
		if cfg.ClientSecret, err = secret.Load(ctx, secretsmanager.NewFromConfig(awsCfg), cfg.ClientSecretARN); err != nil {
			return Config{}, nil, fmt.Errorf("client secret: %w", err)
		}
	}
	return cfg, cip.NewFromConfig(awsCfg), nil
}
