// Command deleteme is DELETE /me: the signed-in user deletes their own account.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/signin-api/signin/shared/apigw"
	"github.com/signin-api/signin/shared/cognito"
	"github.com/signin-api/signin/shared/logging"
	"github.com/signin-api/signin/shared/session"
)

func main() {
	log := logging.New(os.Stdout)
	awsCfg, err := cognito.LoadConfig(context.Background())
	if err != nil {
		log.Error("cold start", "error", err.Error())
		os.Exit(1)
	}
	// DeleteUser is authorized by the user's access token alone: no client, secret or IAM.
	svc := &session.Service{Cognito: cip.NewFromConfig(awsCfg)}
	lambda.Start(&session.DeleteMeHandler{Service: svc, CORS: apigw.ParseCORS(os.Getenv("CORS_ALLOW_ORIGIN")), Log: log})
}
