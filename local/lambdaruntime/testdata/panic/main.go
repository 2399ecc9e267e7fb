// Command panic is a test function that panics on {"panic":true} and
// otherwise answers with its pid.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Panic bool `json:"panic"`
}

func handle(e event) (map[string]int, error) {
	if e.Panic {
		panic("boom")
	}
	return map[string]int{"pid": os.Getpid()}, nil
}

func main() {
	lambda.Start(handle)
}
