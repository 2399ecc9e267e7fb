// Command dev runs the whole service on this machine (make dev): the local Cognito with the
// service's user pool, every function as real bootstrap processes, the Lambda Invoke endpoint
// and the API Gateway stand-in, until Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/signin-api/signin/local/stack"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts stack.DevOptions
	fs.IntVar(&opts.APIPort, "api-port", 3000, "port of the API Gateway stand-in")
	fs.IntVar(&opts.LambdaPort, "lambda-port", 3002, "port of the Lambda Invoke endpoint")
	fs.IntVar(&opts.CognitoPort, "cognito-port", 9229, "port of the local Cognito user pool")
	fs.StringVar(&opts.Stage, "stage", "dev", "Serverless stage")
	fs.StringVar(&opts.Region, "region", "", "AWS region (default: serverless.yml's)")
	fs.StringVar(&opts.StateDir, "state-dir", ".local", "folder for the local stack's state (the user pool), one sub-folder per stage")
	fs.StringVar(&opts.Root, "root", ".", "the service's folder (serverless.yml)")
	fs.StringVar(&opts.BootstrapDir, "bootstrap-dir", "", "folder of the functions built for this machine (default <root>/build/local)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	dev, err := stack.StartDev(ctx, opts, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "dev:", err)
		return 1
	}
	stack.WriteBanner(stdout, dev, time.Since(start))
	var failed error
	select {
	case <-ctx.Done():
	case failed = <-dev.Failed():
	}
	stop()
	fmt.Fprintln(stdout, "stopping...")
	if err := dev.Close(); err != nil {
		fmt.Fprintln(stderr, "dev: stop:", err)
		return 1
	}
	if failed != nil && !errors.Is(failed, context.Canceled) {
		fmt.Fprintln(stderr, "dev:", failed)
		return 1
	}
	return 0
}
