// Command deleteme is DELETE /me: the signed-in user deletes their own account.
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
	// DeleteUser is authorized by the user's access token alone: no secret, no IAM. CLIENT_ID
	// limits it to access tokens of this API's app client.
	svc := &session.Service{Cognito: client, ClientID: cfg.ClientID}
	lambda.Start(&session.DeleteMeHandler{Service: svc, CORS: apigw.ParseCORS(cfg.CORSAllowOrigin), Log: log})
}
