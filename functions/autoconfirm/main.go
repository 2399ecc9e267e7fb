// Command autoconfirm is the Cognito PreSignUp trigger that confirms new users on the spot.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/signin-api/signin/shared/autoconfirm"
	"github.com/signin-api/signin/shared/logging"
)

func main() {
	lambda.Start(&autoconfirm.Handler{Log: logging.New(os.Stdout)})
}
