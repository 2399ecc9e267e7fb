// Command dev runs the whole service on this machine (make dev): the local Cognito with the
// service's user pool, every function as real bootstrap processes, the Lambda Invoke endpoint,
// the API Gateway stand-in, and the login page (web/) on an origin of its own, until Ctrl-C.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
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
	var opts stack.Options
	api := fs.Int("api-port", 3000, "port of the API Gateway stand-in")
	lambda := fs.Int("lambda-port", 3002, "port of the Lambda Invoke endpoint")
	cognito := fs.Int("cognito-port", 9229, "port of the local Cognito user pool")
	web := fs.Int("web-port", 5173, "port of the login page (web/), an origin of its own")
	fs.StringVar(&opts.Stage, "stage", "dev", "Serverless stage")
	fs.StringVar(&opts.Region, "region", "", "AWS region (default: serverless.yml's)")
	stateDir := fs.String("state-dir", ".local", "folder for the local stack's state (the user pool), one sub-folder per stage")
	fs.StringVar(&opts.Root, "root", ".", "the service's folder (serverless.yml)")
	fs.StringVar(&opts.BootstrapDir, "bootstrap-dir", "", "folder of the functions built for this machine (default <root>/build/local)")
	fs.Func("param", "Serverless parameter name=value for the configuration, as sls deploy takes it (repeatable), e.g. corsAllowOrigin=http://127.0.0.1:5173",
		func(s string) error { opts.Params = append(opts.Params, s); return nil })
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "dev: unexpected arguments %q (Serverless parameters go in --param name=value)\n", fs.Args())
		return 2
	}
	addr := func(port *int) string { return fmt.Sprintf("127.0.0.1:%d", *port) }
	opts.APIAddr, opts.LambdaAddr, opts.CognitoAddr, opts.WebAddr = addr(api), addr(lambda), addr(cognito), addr(web)
	opts.StateDir, opts.WebDir, opts.Logs = filepath.Join(*stateDir, opts.Stage), filepath.Join(opts.Root, "web"), stdout
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	began := time.Now()
	st, err := stack.Start(ctx, opts)
	switch {
	case ctx.Err() != nil: // Ctrl-C while starting: what failed is only the interruption
		fmt.Fprintln(stdout, "stopped before the stack was ready")
		if err == nil {
			st.Close()
		}
		return 0
	case err != nil:
		fmt.Fprintln(stderr, "dev:", err)
		return 1
	}
	stack.WriteBanner(stdout, st, time.Since(began))
	<-ctx.Done()
	fmt.Fprintln(stdout, "stopping...")
	st.Close()
	return 0
}
