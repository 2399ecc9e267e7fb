// Command dev runs the whole service on this machine (make dev): the local Cognito with the
// service's user pool, every function as real bootstrap processes, the Lambda Invoke endpoint,
// the API Gateway stand-in, and the login page (web/) on an origin of its own, until Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/signin-api/signin/local/stack"
	"github.com/signin-api/signin/local/webhost"
)

// params collects repeated --param name=value flags.
type params []string

func (p *params) String() string     { return strings.Join(*p, " ") }
func (p *params) Set(v string) error { *p = append(*p, v); return nil }

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
	fs.Var((*params)(&opts.Params), "param", "Serverless parameter name=value for the configuration, as sls deploy takes it (repeatable), e.g. corsAllowOrigin=http://127.0.0.1:5173")
	webPort := fs.Int("web-port", 5173, "port of the login page (web/), an origin of its own")
	webDir := fs.String("web-dir", "", "folder of the login page (default <root>/web)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "dev: unexpected arguments %q (Serverless parameters go in --param name=value)\n", fs.Args())
		return 2
	}
	if *webDir == "" {
		*webDir = filepath.Join(opts.Root, "web")
	}
	// The page's port is taken first, with the others, before anything starts.
	webAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(*webPort))
	webLn, err := net.Listen("tcp", webAddr)
	if err != nil {
		fmt.Fprintln(stderr, "dev:", stack.PortError(&stack.PortInUseError{What: "web", Addr: webAddr, Err: err}))
		return 1
	}
	defer webLn.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	dev, err := stack.StartDev(ctx, opts, stdout)
	if err != nil {
		if ctx.Err() != nil { // Ctrl-C while starting: what failed is only the interruption
			fmt.Fprintln(stdout, "stopped before the stack was ready")
			return 0
		}
		fmt.Fprintln(stderr, "dev:", err)
		return 1
	}
	page, err := webhost.Handler(*webDir, dev.APIURL)
	if err != nil {
		fmt.Fprintln(stderr, "dev:", err)
		_ = dev.Close()
		return 1
	}
	web := &http.Server{Handler: page, ReadHeaderTimeout: 10 * time.Second}
	webFailed := make(chan error, 1)
	go func() { webFailed <- web.Serve(webLn) }()
	pageURL := "http://" + webLn.Addr().String()
	stack.WriteBanner(stdout, dev, time.Since(start),
		fmt.Sprintf("Login page  %s  (open it in a browser: its own origin, so the API's CORS setting applies)", pageURL))
	var failed error
	select {
	case <-ctx.Done():
	case failed = <-dev.Failed():
	case err := <-webFailed:
		failed = fmt.Errorf("login page server: %w", err)
	}
	stop()
	fmt.Fprintln(stdout, "stopping...")
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = web.Shutdown(shutdown)
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
