// Command refresh is POST /refresh: new tokens for a refresh token.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/signin-api/signin/shared/apigw"
	"github.com/signin-api/signin/shared/logging"
	"github.com/signin-api/signin/shared/session"
)

func main() {
	log := logging.New(os.Stdout)
	cfg, client, err := session.Setup(context.Background(), os.Getenv)
	if err != nil {
		log.Error("cold start", "error", err.Error())
		os.Exit(1)
	}
	svc := &session.Service{Cognito: client, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret}
	lambda.Start(&session.RefreshHandler{Service: svc, CORS: apigw.ParseCORS(cfg.CORSAllowOrigin), Log: log})
}
