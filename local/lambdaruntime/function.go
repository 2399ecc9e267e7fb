package lambdaruntime

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/signin-api/signin/local/awsid"
)

// Function describes one function to run locally.
type Function struct {
	Name      string            // the deployed name, e.g. "signin-api-dev-signin"
	Bootstrap string            // the executable built for this machine
	Env       map[string]string // the function's own environment; keys Lambda reserves are ignored
	Timeout   time.Duration     // the invocation timeout; 3 s if zero, Lambda's default
	MemoryMB  int               // the configured memory, reported but not enforced; 128 if zero
	Region    string            // us-east-1 if empty
	// Logs receives the function's output and Lambda's START, END and REPORT lines, each line
	// one Write prefixed with "[<LogPrefix>] " (LogPrefix is Name if empty); nil discards them.
	// Instances write concurrently: it must be safe for concurrent use.
	Logs      io.Writer
	LogPrefix string

	// Tests shorten these; Lambda's values otherwise.
	maxConcurrency int           // instances at once; 10 (Lambda's account default is 1000)
	initTimeout    time.Duration // process start to the first /next; 10 s, Lambda's limit
	shutdownGrace  time.Duration // Close's wait after SIGTERM before SIGKILL; 500 ms
}

// Request is one invocation with the metadata the Invoke API can carry.
type Request struct {
	Payload       []byte // the event; empty means "{}", as with Lambda
	ClientContext string // the decoded X-Amz-Client-Context, passed as Lambda-Runtime-Client-Context
	RequestID     string // a random UUID if empty
}

// Response is what Lambda's Invoke API would return, plus local timings.
type Response struct {
	Payload       []byte        // the function's response, or the error payload
	FunctionError string        // "" or "Unhandled" (X-Amz-Function-Error)
	RequestID     string        // the invocation's request id
	InitDuration  time.Duration // process start to the first /next, for a cold start; else 0
	Duration      time.Duration // from handing over the event to the answer
	Log           []byte        // the last 4 KB of its log lines, as LogType Tail returns them
}

// ErrClosed is returned by Invoke once Close has been called.
var ErrClosed = errors.New("lambdaruntime: pool closed")

// MaxSyncPayload is Lambda's 6 MB limit on the request and response payloads of a synchronous
// invocation (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
const MaxSyncPayload = 6 * 1024 * 1024

// maxResponseSize is the response limit as Lambda's error message states it: 6 MiB plus 100 bytes.
const maxResponseSize = MaxSyncPayload + 100

// withDefaults checks fn and fills in the zero fields.
func withDefaults(fn Function) (Function, error) {
	abs, err := filepath.Abs(fn.Bootstrap)
	info, err2 := os.Stat(abs)
	switch {
	case fn.Name == "":
		return fn, errors.New("lambdaruntime: function name is empty")
	case err != nil || err2 != nil:
		return fn, fmt.Errorf("lambdaruntime: bootstrap of %s: %w", fn.Name, cmp.Or(err, err2))
	case info.IsDir() || info.Mode()&0o111 == 0:
		return fn, fmt.Errorf("lambdaruntime: bootstrap of %s: %s is not an executable file", fn.Name, abs)
	}
	fn.Bootstrap = abs
	fn.Timeout = cmp.Or(fn.Timeout, 3*time.Second)
	fn.MemoryMB = cmp.Or(fn.MemoryMB, 128)
	fn.Region = cmp.Or(fn.Region, awsid.Region)
	fn.Logs = cmp.Or[io.Writer](fn.Logs, io.Discard)
	fn.LogPrefix = cmp.Or(fn.LogPrefix, fn.Name)
	fn.maxConcurrency = cmp.Or(fn.maxConcurrency, 10)
	fn.initTimeout = cmp.Or(fn.initTimeout, 10*time.Second)
	fn.shutdownGrace = cmp.Or(fn.shutdownGrace, 500*time.Millisecond)
	return fn, nil
}

// functionEnv is the environment (KEY=value, sorted) every instance of fn starts with, in the
// order Lambda applies it: unreserved defaults, the function's own variables, then Lambda's
// (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
// and the reserved keys fn.Env tried to set. Nothing comes from this process (no HOME either),
// and the AWS config files are /dev/null, so that a function without credentials in its Env
// never finds the developer's ~/.aws; AWS_ACCESS_KEY_ID and the like in Env stand in for the
// execution role.
func functionEnv(fn Function) (env []string, ignored []string) {
	root := filepath.Dir(fn.Bootstrap)
	vars := map[string]string{"PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin", "LANG": "en_US.UTF-8",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull}
	lambda := map[string]string{"_HANDLER": "bootstrap", "TZ": ":UTC", "AWS_REGION": fn.Region, "AWS_DEFAULT_REGION": fn.Region,
		"AWS_LAMBDA_FUNCTION_NAME": fn.Name, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(fn.MemoryMB), "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/" + fn.Name, "LAMBDA_TASK_ROOT": root, "LAMBDA_RUNTIME_DIR": root}
	perInstance := []string{"_X_AMZN_TRACE_ID", "AWS_EXECUTION_ENV", "AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_LOG_STREAM_NAME"} // or not at all
	for k, v := range fn.Env {
		if _, reserved := lambda[k]; reserved || slices.Contains(perInstance, k) {
			ignored = append(ignored, k)
		} else {
			vars[k] = v
		}
	}
	maps.Copy(vars, lambda)
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	slices.Sort(env)
	slices.Sort(ignored)
	return env, ignored
}

// BuildCommand is `go build` with the flags a bootstrap for this machine is built with (the
// Makefile's GO_BUILD: no cgo, the lambda.norpc tag, trimmed paths, no symbols), run in dir
// and followed by args (-o and the packages). Builds that share the flags share Go's build
// cache.
func BuildCommand(ctx context.Context, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "go", append([]string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	return cmd
}
