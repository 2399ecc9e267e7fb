// Command initcrash is a test function whose init fails once. While the
// file named by CRASH_MARKER exists it removes it and fails: with
// INIT_ERROR=post it first reports the error to /runtime/init/error, as
// runtimes other than aws-lambda-go do; either way it then exits with
// status 3 before lambda.Start. Afterwards it starts and answers "ok".
package main

import (
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	if marker := os.Getenv("CRASH_MARKER"); marker != "" {
		if err := os.Remove(marker); err == nil {
			fmt.Fprintln(os.Stderr, "initcrash: failing init")
			if os.Getenv("INIT_ERROR") == "post" {
				postInitError()
			}
			os.Exit(3)
		}
	}
	lambda.Start(func() (string, error) { return "ok", nil })
}

func postInitError() {
	url := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"errorMessage":"config missing","errorType":"ConfigError"}`))
	req.Header.Set("Lambda-Runtime-Function-Error-Type", "Runtime.ConfigError")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "initcrash:", err)
		return
	}
	resp.Body.Close()
	fmt.Fprintln(os.Stderr, "initcrash: init error posted:", resp.StatusCode)
}
