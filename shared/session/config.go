package session

import (
	"context"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/signin-api/signin/shared/signin"
)

// Config is the configuration of the session functions, read once at cold start: signin's,
// without the user pool id (their Cognito calls are authorized by the client secret and the
// user's tokens, and name no pool).
type Config = signin.Config

// ConfigFromEnv reads Config through getenv (os.Getenv in main) and says every missing value.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	return signin.ClientConfigFromEnv(getenv)
}

// Setup is the session functions' cold start (signin.SetupClient): Config, the Cognito client
// with the retry policy, and the client secret from Secrets Manager when CLIENT_SECRET_ARN names
// one. Its errors say which step failed and never hold the secret.
func Setup(ctx context.Context, getenv func(string) string) (Config, *cip.Client, error) {
	return signin.SetupClient(ctx, getenv)
}
