// Command echo is a test function: it answers with its event and what it
// sees of its process, environment and invocation context. It asks for
// SIGTERM at shutdown (through the Extensions API) and exits on it. With {"lines": n} it first
// writes n numbered lines, even ones to stdout and odd ones to stderr. With {"answer": v} it
// answers with just v.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type reply struct {
	Event         json.RawMessage   `json:"event"`
	PID           int               `json:"pid"`
	Cwd           string            `json:"cwd"`
	Env           map[string]string `json:"env"`
	FunctionName  string            `json:"function_name"`
	RequestID     string            `json:"request_id"`
	FunctionARN   string            `json:"function_arn"`
	DeadlineMs    int64             `json:"deadline_ms"`
	TraceID       string            `json:"trace_id"`
	ClientContext map[string]string `json:"client_context_custom"`
}

func handle(ctx context.Context, event json.RawMessage) (any, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	fmt.Println("handling", lc.AwsRequestID)
	var opts struct {
		Lines  int             `json:"lines"`
		Answer json.RawMessage `json:"answer"`
	}
	_ = json.Unmarshal(event, &opts)
	if opts.Answer != nil {
		return opts.Answer, nil
	}
	for i := range opts.Lines {
		out := os.Stdout
		if i%2 == 1 {
			out = os.Stderr
		}
		fmt.Fprintf(out, "line %d %s\n", i, strings.Repeat("x", 100))
	}
	r := reply{
		Event:         event,
		PID:           os.Getpid(),
		Env:           map[string]string{},
		FunctionName:  lambdacontext.FunctionName,
		RequestID:     lc.AwsRequestID,
		FunctionARN:   lc.InvokedFunctionArn,
		ClientContext: lc.ClientContext.Custom,
	}
	r.Cwd, _ = os.Getwd()
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		r.Env[k] = v
	}
	if d, ok := ctx.Deadline(); ok {
		r.DeadlineMs = d.UnixMilli()
	}
	if v, ok := ctx.Value("x-amzn-trace-id").(string); ok {
		r.TraceID = v
	}
	return r, nil
}

func main() {
	lambda.StartWithOptions(handle, lambda.WithEnableSIGTERM(func() {
		fmt.Println("echo: SIGTERM")
		os.Exit(0)
	}))
}
