// Command exit is a test function that calls os.Exit(2) on {"exit":true}
// and otherwise answers with its pid.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Exit bool `json:"exit"`
}

func handle(e event) (map[string]int, error) {
	if e.Exit {
		fmt.Println("exit: exiting mid-invoke")
		os.Exit(2)
	}
	return map[string]int{"pid": os.Getpid()}, nil
}

func main() {
	lambda.Start(handle)
}
