// Command sleep is a test function that sleeps for "ms" milliseconds, or
// until the file "until_file" exists, ignoring its deadline like a stuck
// handler would, then answers with its pid. With INIT_SLEEP_MS set it
// first sleeps that long in init; with IGNORE_SIGTERM set it ignores
// SIGTERM, so only SIGKILL ends it.
package main

import (
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Ms        int    `json:"ms"`
	UntilFile string `json:"until_file"`
}

func handle(e event) (map[string]int, error) {
	time.Sleep(time.Duration(e.Ms) * time.Millisecond)
	for e.UntilFile != "" {
		if _, err := os.Stat(e.UntilFile); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return map[string]int{"pid": os.Getpid()}, nil
}

func main() {
	if os.Getenv("IGNORE_SIGTERM") != "" {
		signal.Ignore(syscall.SIGTERM)
	}
	if ms, err := strconv.Atoi(os.Getenv("INIT_SLEEP_MS")); err == nil {
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	lambda.Start(handle)
}
