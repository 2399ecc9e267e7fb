package lambdaruntime

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/signin-api/signin/local/awsid"
)

// Function describes one function to run locally.
type Function struct {
	// Name is the deployed name, e.g. "signin-api-dev-signin".
	Name string
	// Bootstrap is the path of the executable built for this machine.
	Bootstrap string
	// Env is the function's own environment, already resolved. Keys that
	// Lambda reserves (AWS_REGION, AWS_LAMBDA_*, TZ, ...) are ignored, as
	// Lambda refuses them; AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
	// AWS_SESSION_TOKEN are passed through and stand in for the execution
	// role's credentials.
	Env map[string]string
	// Timeout is the invocation timeout (serverless.yml's timeout); 3s if zero,
	// Lambda's default.
	Timeout time.Duration
	// MemoryMB is the configured memory size; 128 if zero. Only reported, not
	// enforced.
	MemoryMB int
	// Region is the function's region; us-east-1 if empty.
	Region string
	// Logs receives the function's stdout and stderr and the START, END and
	// REPORT lines, each line prefixed with "[<LogPrefix>] " and written
	// with one Write call (pools sharing a writer need it safe for
	// concurrent use). Nil discards them.
	Logs io.Writer
	// LogPrefix is the short name in front of each log line; Name if empty.
	LogPrefix string

	// Tests shorten these; Lambda's values otherwise.
	maxConcurrency int           // instances running at once; 10 (Lambda's account default is 1000)
	initTimeout    time.Duration // init phase, process start to the first /next; 10 s, Lambda's limit
	shutdownGrace  time.Duration // Close's wait after SIGTERM before SIGKILL; 500 ms
}

// Request is one invocation with the metadata the Invoke API can carry.
type Request struct {
	// Payload is the event; empty means "{}", as with Lambda.
	Payload []byte
	// ClientContext is the client context JSON (X-Amz-Client-Context,
	// base64-decoded), passed to the runtime as Lambda-Runtime-Client-Context.
	ClientContext string
	// RequestID is the invocation's request id; a random UUID if empty.
	RequestID string
}

// Response is what Lambda's Invoke API would return, plus local timings.
type Response struct {
	// Payload is the function's response, or the error payload when
	// FunctionError is set.
	Payload []byte
	// FunctionError is "" or "Unhandled" (X-Amz-Function-Error).
	FunctionError string
	// RequestID is the invocation's request id.
	RequestID string
	// InitDuration is the time from process start to the runtime's first
	// /next when this invocation started the instance (a cold start); zero
	// when warm. InitDuration+Duration is process start to first response.
	InitDuration time.Duration
	// Duration is the time from handing the event to the runtime to its
	// response.
	Duration time.Duration
	// Log holds the last 4 KB of this invocation's log lines without the
	// prefix, as Invoke with LogType Tail returns them.
	Log []byte
}

// ErrClosed is returned by Invoke once Close has been called.
var ErrClosed = errors.New("lambdaruntime: pool closed")

const (
	defaultTimeout        = 3 * time.Second
	defaultMemoryMB       = 128
	defaultMaxConcurrency = 10
	defaultInitTimeout    = 10 * time.Second
	defaultShutdownGrace  = 500 * time.Millisecond

	// maxResponseSize is Lambda's synchronous response limit as its error
	// message states it: 6 MiB plus 100 bytes.
	maxResponseSize = MaxSyncPayload + 100
)

// MaxSyncPayload is Lambda's 6 MB limit on the request and response payloads of a synchronous
// invocation (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
const MaxSyncPayload = 6 * 1024 * 1024

// withDefaults checks fn and fills in the zero fields.
func withDefaults(fn Function) (Function, error) {
	if fn.Name == "" {
		return fn, errors.New("lambdaruntime: function name is empty")
	}
	abs, err := filepath.Abs(fn.Bootstrap)
	if err != nil {
		return fn, fmt.Errorf("lambdaruntime: bootstrap of %s: %w", fn.Name, err)
	}
	info, err := os.Stat(abs)
	if err != nil {
		return fn, fmt.Errorf("lambdaruntime: bootstrap of %s: %w", fn.Name, err)
	}
	if info.IsDir() || info.Mode()&0o111 == 0 {
		return fn, fmt.Errorf("lambdaruntime: bootstrap of %s: %s is not an executable file", fn.Name, abs)
	}
	fn.Bootstrap = abs
	fn.Timeout = cmp.Or(fn.Timeout, defaultTimeout)
	fn.MemoryMB = cmp.Or(fn.MemoryMB, defaultMemoryMB)
	fn.Region = cmp.Or(fn.Region, awsid.Region)
	if fn.Logs == nil {
		fn.Logs = io.Discard
	}
	fn.LogPrefix = cmp.Or(fn.LogPrefix, fn.Name)
	fn.maxConcurrency = cmp.Or(fn.maxConcurrency, defaultMaxConcurrency)
	fn.initTimeout = cmp.Or(fn.initTimeout, defaultInitTimeout)
	fn.shutdownGrace = cmp.Or(fn.shutdownGrace, defaultShutdownGrace)
	return fn, nil
}

// arn is the invoked function ARN Lambda passes to the runtime.
func (fn Function) arn() string {
	return awsid.FunctionARN(fn.Region, fn.Name)
}
