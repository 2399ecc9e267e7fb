// Command fail is a test function that returns a *ValidationError on
// {"fail":true} and otherwise answers with its pid.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

// ValidationError is the error the handler returns; aws-lambda-go reports
// its type name as errorType.
type ValidationError struct{ Field string }

func (e *ValidationError) Error() string { return "invalid " + e.Field }

type event struct {
	Fail bool `json:"fail"`
}

func handle(e event) (map[string]int, error) {
	if e.Fail {
		return nil, &ValidationError{Field: "username"}
	}
	return map[string]int{"pid": os.Getpid()}, nil
}

func main() {
	lambda.Start(handle)
}
