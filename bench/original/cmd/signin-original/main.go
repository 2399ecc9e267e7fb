// Command signin-original is the tutorial's sign-in flow (package original) as a Lambda
// bootstrap, wired exactly like functions/signin, so make bench can run both designs side by
// side under the local stack. It is never deployed.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/signin-api/signin/bench/original"
	"github.com/signin-api/signin/shared/apigw"
	"github.com/signin-api/signin/shared/logging"
	"github.com/signin-api/signin/shared/signin"
)

func main() {
	log := logging.New(os.Stdout)
	cfg, client, err := signin.Setup(context.Background(), os.Getenv)
	if err != nil {
		log.Error("cold start", "error", err.Error())
		os.Exit(1)
	}
	svc := &original.Service{Cognito: client, UserPoolID: cfg.UserPoolID, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret}
	lambda.Start(&signin.Handler{Service: svc, CORS: apigw.ParseCORS(cfg.CORSAllowOrigin), Log: log})
}
