// Command exit is a test function that calls os.Exit(2) on {"exit":true}
// and otherwise answers with its pid. With {"exit":true,"child":true} it
// first starts `sleep 30` with its stdout, a child left behind.
package main

import (
	"fmt"
	"os"
	"os/exec"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Exit  bool `json:"exit"`
	Child bool `json:"child"`
}

func handle(e event) (map[string]int, error) {
	if e.Child {
		child := exec.Command("sleep", "30")
		child.Stdout, child.Stderr = os.Stdout, os.Stderr
		if err := child.Start(); err != nil {
			return nil, err
		}
	}
	if e.Exit {
		fmt.Println("exit: exiting mid-invoke")
		os.Exit(2)
	}
	return map[string]int{"pid": os.Getpid()}, nil
}

func main() {
	lambda.Start(handle)
}
