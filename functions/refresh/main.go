// Command refresh is POST /refresh: new tokens for a refresh token.
package main

import (
	"log/slog"

	"github.com/aws/aws-lambda-go/lambda"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/signin-api/signin/shared/apigw"
	"github.com/signin-api/signin/shared/session"
)

func main() {
	session.Main(func(cfg session.Config, client *cip.Client, cors apigw.CORS, log *slog.Logger) lambda.Handler {
		svc := &session.Service{Cognito: client, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret}
		return &session.RefreshHandler{Service: svc, CORS: cors, Log: log}
	})
}
