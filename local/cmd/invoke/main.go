// Command invoke runs one invocation of a Go function on this machine, for `sls invoke local`
// (the .serverless_plugins/go-invoke-local.js plugin hands Go functions to it) or by hand:
//
//	go run ./local/cmd/invoke -f signin -p events/signin.json
//
// It prints the function's result as pretty JSON on stdout, the function's logs on stderr, and
// exits 1 when the function returns an error (2 when it could not run it at all).
package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/signin-api/signin/local/lambdaruntime"
	"github.com/signin-api/signin/local/slsconfig"
	"github.com/signin-api/signin/local/stack"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts, env := stack.Options{Logs: stderr}, map[string]string{}
	var key, event, stage, region, configFile, stateDir string
	fs.StringVar(&key, "f", "", "function key in serverless.yml (required)")
	fs.StringVar(&event, "p", "", "file holding the event (JSON); none is {}")
	fs.StringVar(&stage, "stage", "dev", "Serverless stage")
	fs.StringVar(&region, "region", "", "AWS region (default: serverless.yml's)")
	fs.StringVar(&opts.Root, "root", ".", "the service's folder (serverless.yml)")
	fs.StringVar(&stateDir, "state-dir", ".local", "folder for the local stack's state, shared with make dev, one sub-folder per stage")
	fs.StringVar(&configFile, "config-file", "", "the resolved configuration as JSON (what sls print prints); default: run sls print")
	fs.Func("env", "NAME=value overriding the function's environment (repeatable)", func(s string) error {
		name, value, _ := strings.Cut(s, "=")
		if name == "" {
			return fmt.Errorf("%q is not NAME=value", s)
		}
		env[name] = value
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if key == "" {
		fmt.Fprintln(stderr, "invoke: -f <function> is required")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	payload, err := os.ReadFile(cmp.Or(event, os.DevNull)) // an empty event is {}
	if raw := []byte(nil); err == nil && configFile != "" {
		if raw, err = os.ReadFile(configFile); err == nil {
			opts.Config, err = slsconfig.Parse(raw, stage, region)
		}
	} else if err == nil {
		opts.Config, err = slsconfig.Load(ctx, opts.Root, stage, region)
	}
	var resp lambdaruntime.Response
	if err == nil {
		opts.StateDir = filepath.Join(stateDir, opts.Config.Stage)
		resp, err = stack.InvokeLocal(ctx, opts, key, payload, env)
	}
	if err != nil {
		fmt.Fprintln(stderr, "invoke:", err)
		return 2
	}
	fmt.Fprintln(stdout, pretty(resp.Payload))
	return map[bool]int{true: 1}[resp.FunctionError != ""]
}

// pretty indents a JSON result with four spaces, as sls invoke local prints the results of the
// runtimes it runs itself.
func pretty(payload []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, payload, "", "    ") != nil {
		return string(payload)
	}
	return out.String()
}
