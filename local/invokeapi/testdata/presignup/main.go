// Command presignup is a test Cognito PreSignUp trigger: it confirms every
// user, except "reject", for whom it returns an error (Cognito then refuses
// the sign-up with UserLambdaValidationException).
package main

import (
	"errors"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(e events.CognitoEventUserPoolsPreSignup) (events.CognitoEventUserPoolsPreSignup, error) {
	if e.UserName == "reject" {
		return e, errors.New("sign-up refused")
	}
	e.Response.AutoConfirmUser = true
	return e, nil
}

func main() {
	lambda.Start(handle)
}
