// Command me is GET /me, behind the API Gateway Cognito authorizer.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/signin-api/signin/shared/apigw"
	"github.com/signin-api/signin/shared/logging"
	"github.com/signin-api/signin/shared/me"
)

func main() {
	h := &me.Handler{CORS: apigw.ParseCORS(os.Getenv("CORS_ALLOW_ORIGIN")), Log: logging.New(os.Stdout)}
	lambda.Start(h.Handle)
}
