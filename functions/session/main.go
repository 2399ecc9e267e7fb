// Command session is GET /session, behind the API Gateway Cognito authorizer with the session
// scope (access tokens).
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/signin-api/signin/shared/apigw"
	"github.com/signin-api/signin/shared/logging"
	"github.com/signin-api/signin/shared/sessioninfo"
)

func main() {
	h := &sessioninfo.Handler{CORS: apigw.ParseCORS(os.Getenv("CORS_ALLOW_ORIGIN")), Log: logging.New(os.Stdout)}
	lambda.Start(h.Handle)
}
