// Command signin-original is the tutorial's sign-in flow (package original) as a Lambda
// bootstrap, wired exactly like functions/signin, so make bench can run both designs side by
// side under the local stack. It is never deployed.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/signin-api/signin/bench/original"
	"github.com/signin-api/signin/shared/apigw"
	"github.com/signin-api/signin/shared/cognito"
	"github.com/signin-api/signin/shared/logging"
	"github.com/signin-api/signin/shared/secret"
	"github.com/signin-api/signin/shared/signin"
)

func main() {
	ctx := context.Background()
	log := logging.New(os.Stdout)
	cfg, err := signin.ConfigFromEnv(os.Getenv)
	if err != nil {
		log.Error("cold start: configuration", "error", err.Error())
		os.Exit(1)
	}
	awsCfg, err := cognito.LoadConfig(ctx)
	if err != nil {
		log.Error("cold start: AWS configuration", "error", err.Error())
		os.Exit(1)
	}
	if cfg.ClientSecretARN != "" {
		if cfg.ClientSecret, err = secret.Load(ctx, secretsmanager.NewFromConfig(awsCfg), cfg.ClientSecretARN); err != nil {
			log.Error("cold start: client secret", "error", err.Error())
			os.Exit(1)
		}
	}
	svc := &original.Service{Cognito: cip.NewFromConfig(awsCfg), UserPoolID: cfg.UserPoolID, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret}
	lambda.Start(&signin.Handler{Service: svc, CORS: apigw.ParseCORS(cfg.CORSAllowOrigin), Log: log})
}
