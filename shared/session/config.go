package session

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/signin-api/signin/shared/apigw"
	"github.com/signin-api/signin/shared/logging"
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

// Main is a session function's main: the JSON logger, Setup from Lambda's environment (a failure
// is logged and exits, which Lambda reports as an init error), then lambda.Start with the
// handler newHandler wires from them.
func Main(newHandler func(cfg Config, client *cip.Client, cors apigw.CORS, log *slog.Logger) lambda.Handler) {
	log := logging.New(os.Stdout)
	cfg, client, err := Setup(context.Background(), os.Getenv)
	if err != nil {
		log.Error("cold start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(newHandler(cfg, client, apigw.ParseCORS(cfg.CORSAllowOrigin), log))
}
