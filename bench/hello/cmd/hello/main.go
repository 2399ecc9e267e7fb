// Command hello is package hello's handler as a Lambda bootstrap, built with the Makefile's
// flags by make bench: the start-up floor of an aws-lambda-go function. It is never deployed.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/signin-api/signin/bench/hello"
)

func main() {
	lambda.Start((&hello.Handler{}).Handle)
}
