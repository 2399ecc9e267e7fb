// Package bench is `make bench`: it measures this service's sign-in design against the
// original tutorial's order (package original) on this machine, and writes one Markdown
// table of the figures. Run puts together six measurements, each in its own file:
//
//  1. Cognito calls per sign-in, counted on an in-memory pool (calls.go);
//  2. the warm handler's cost per sample event, from `go test -bench` (warm.go);
//  3. cold starts and warm sign-ins at Lambda's CPU share for each memory size, beside a
//     hello-world bootstrap, with the first sign-in over TLS, and what a million cost
//     (lambdashare.go, cpuquota_*.go, runtimeapi.go, cost.go);
//  4. the sizes of the arm64 bootstraps and zips of `make build` (sizes.go);
//  5. end-to-end sign-in latency through the local stack and the local Cognito (e2e.go);
//  6. the peak memory of a warm signin process (memory.go).
//
// Only counts are asserted in tests: timings on a shared 2-core machine are too noisy.
package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Options say where the service is and how much to measure.
type Options struct {
	// Root is the service's folder (the repository root).
	Root string
	// ColdStarts is how many cold starts of each function to time at each CPU share (item 3).
	ColdStarts int
	// WarmSignIns is how many warm sign-ins follow each cold start of signin (item 3).
	WarmSignIns int
	// SignIns is how many returning-user sign-ins of each design to time end to end (item 5).
	SignIns int
	// Invocations is how many sign-ins a warm process handles before its peak memory is read
	// (item 6).
	Invocations int
	// Command is the command line to print in the report, to reproduce it.
	Command string
	// Progress receives one line per step; nil discards them.
	Progress io.Writer
}

// DefaultOptions are the figures the issue asks for.
func DefaultOptions() Options {
	return Options{Root: ".", ColdStarts: 15, WarmSignIns: 5, SignIns: 200, Invocations: 1000, Command: "make bench"}
}

// Report is everything one run measured.
type Report struct {
	Started time.Time
	Took    time.Duration
	Command string
	Machine Machine

	Calls  []CallRow
	Warm   WarmResult
	Shares ShareResult
	Sizes  []SizeRow
	E2E    E2EResult
	Memory []MemoryRow
}

// Run measures everything, in an order that keeps the noisy parts apart: the counts and sizes
// first, then the in-process benchmark, the cold starts at Lambda's CPU shares, then the local
// stack for end-to-end latency and memory.
func Run(ctx context.Context, opts Options) (*Report, error) {
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, err
	}
	opts.Root = root
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	step := func(format string, args ...any) { fmt.Fprintf(progress, "bench: "+format+"\n", args...) }

	r := &Report{Started: time.Now().UTC(), Command: opts.Command}
	r.Machine = ReadMachine(ctx, root)

	step("1/6 Cognito calls per sign-in (in-memory pool)")
	if r.Calls, err = CallsPerSignIn(ctx); err != nil {
		return nil, fmt.Errorf("calls per sign-in: %w", err)
	}
	step("4/6 sizes of the arm64 bootstraps and zips (make build)")
	functions, err := Functions(root)
	if err != nil {
		return nil, err
	}
	if r.Sizes, err = Sizes(root, functions); err != nil {
		return nil, fmt.Errorf("sizes: %w", err)
	}
	step("2/6 warm handler: %s", WarmCommand)
	if r.Warm, err = Warm(ctx, root); err != nil {
		return nil, fmt.Errorf("warm handler: %w", err)
	}

	// Item 3 needs no local stack: its peers are in-memory TLS servers.
	step("3/6 cold starts at Lambda's CPU shares: %d per function and size, in turn", opts.ColdStarts)
	tmp, err := os.MkdirTemp("", "signin-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if r.Shares, err = LambdaShares(ctx, root, tmp, opts.ColdStarts, opts.WarmSignIns); err != nil {
		return nil, fmt.Errorf("cold starts: %w", err)
	}

	step("starting the local stack (the local Cognito, functions, API Gateway stand-in)")
	ls, err := startLocal(ctx, root, tmp)
	if err != nil {
		return nil, err
	}
	defer ls.close()
	if err := ls.createUsers(ctx, e2eUsers); err != nil {
		return nil, fmt.Errorf("create users: %w", err)
	}

	step("5/6 end to end: %d returning-user sign-ins per design", opts.SignIns)
	if r.E2E, err = EndToEnd(ctx, ls, opts.SignIns); err != nil {
		return nil, fmt.Errorf("end to end: %w", ls.withLogs(err))
	}
	step("6/6 peak memory after %d invocations", opts.Invocations)
	if r.Memory, err = PeakMemory(ctx, ls, opts.Invocations); err != nil {
		return nil, fmt.Errorf("peak memory: %w", ls.withLogs(err))
	}
	r.Took = time.Since(r.Started)
	return r, nil
}
