// Command rejecttrigger is a PreSignUp trigger that refuses every sign-up with an error, as a
// trigger with a bug or a deliberate refusal does; the end-to-end tests run it in place of
// autoconfirm.
package main

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return nil, errors.New("sign-up refused by the test trigger")
	})
}
