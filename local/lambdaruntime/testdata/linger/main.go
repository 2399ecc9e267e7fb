// Command linger is a test runtime that speaks the Runtime API itself: it takes one event,
// answers it with its pid, and then never asks for the next one, like a runtime stuck in work
// after its response.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

func main() {
	base := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	resp, err := http.Get(base + "next")
	if err != nil {
		fmt.Fprintln(os.Stderr, "linger:", err)
		os.Exit(1)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
	answer := fmt.Sprintf(`{"pid":%d}`, os.Getpid())
	if resp, err = http.Post(base+id+"/response", "application/json", strings.NewReader(answer)); err == nil {
		resp.Body.Close()
	}
	select {}
}
