package lambdaruntime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// echoReply is what testdata/echo answers.
type echoReply struct {
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

func decodeEcho(t *testing.T, resp Response) echoReply {
	t.Helper()
	if resp.FunctionError != "" {
		t.Fatalf("echo failed: %s", resp.Payload)
	}
	var r echoReply
	if err := json.Unmarshal(resp.Payload, &r); err != nil {
		t.Fatalf("decode echo answer %s: %v", resp.Payload, err)
	}
	return r
}

func TestInvokePassesEventAndContext(t *testing.T) {
	t.Setenv("LAMBDARUNTIME_PARENT_ONLY", "leak")
	p, _ := newTestPool(t, "echo", func(fn *Function) {
		fn.Region = "eu-west-3"
		fn.MemoryMB = 256
		fn.Env = map[string]string{"USER_POOL_ID": "local_pool", "AWS_REGION": "us-west-2", "LANG": "C.UTF-8"}
	})
	before := time.Now()
	resp, err := p.InvokeRequest(context.Background(), Request{
		Payload:       []byte(`{"username":"ana"}`),
		ClientContext: `{"custom":{"app":"test"}}`,
	})
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	got := decodeEcho(t, resp)

	if string(got.Event) != `{"username":"ana"}` {
		t.Errorf("event = %s, want the payload", got.Event)
	}
	if got.RequestID != resp.RequestID || !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(got.RequestID) {
		t.Errorf("request id = %q, Response.RequestID = %q, want the same UUID", got.RequestID, resp.RequestID)
	}
	if want := "arn:aws:lambda:eu-west-3:000000000000:function:signin-api-test-echo"; got.FunctionARN != want {
		t.Errorf("function ARN = %q, want %q", got.FunctionARN, want)
	}
	if got.FunctionName != "signin-api-test-echo" {
		t.Errorf("lambdacontext.FunctionName = %q", got.FunctionName)
	}
	if deadline := time.UnixMilli(got.DeadlineMs); deadline.Before(before.Add(9*time.Second)) || deadline.After(time.Now().Add(10*time.Second)) {
		t.Errorf("deadline = %v, want about now + 10s", deadline)
	}
	if !strings.HasPrefix(got.TraceID, "Root=1-") {
		t.Errorf("trace id = %q, want an X-Ray header", got.TraceID)
	}
	if got.ClientContext["app"] != "test" {
		t.Errorf("client context custom = %v, want app=test", got.ClientContext)
	}
	taskRoot := filepath.Dir(bootstrap("echo"))
	if got.Cwd != taskRoot {
		t.Errorf("working directory = %q, want %q", got.Cwd, taskRoot)
	}

	wantEnv := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        "signin-api-test-echo",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/signin-api-test-echo",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_REGION":                      "eu-west-3", // the function's AWS_REGION is reserved
		"AWS_DEFAULT_REGION":              "eu-west-3",
		"LAMBDA_TASK_ROOT":                taskRoot,
		"LAMBDA_RUNTIME_DIR":              taskRoot,
		"_HANDLER":                        "bootstrap",
		"TZ":                              ":UTC",
		"LANG":                            "C.UTF-8", // unreserved: the function's value wins
		"PATH":                            "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"USER_POOL_ID":                    "local_pool",
		"AWS_CONFIG_FILE":                 "/dev/null", // not the developer's ~/.aws
		"AWS_SHARED_CREDENTIALS_FILE":     "/dev/null",
	}
	for k, want := range wantEnv {
		if got.Env[k] != want {
			t.Errorf("env %s = %q, want %q", k, got.Env[k], want)
		}
	}
	for _, k := range []string{"HOME", "LAMBDARUNTIME_PARENT_ONLY"} {
		if v, ok := got.Env[k]; ok {
			t.Errorf("env %s = %q leaked from the runner", k, v)
		}
	}
	if !regexp.MustCompile(`^127\.0\.0\.1:\d+$`).MatchString(got.Env["AWS_LAMBDA_RUNTIME_API"]) {
		t.Errorf("AWS_LAMBDA_RUNTIME_API = %q, want 127.0.0.1:port", got.Env["AWS_LAMBDA_RUNTIME_API"])
	}
	if !regexp.MustCompile(`^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$`).MatchString(got.Env["AWS_LAMBDA_LOG_STREAM_NAME"]) {
		t.Errorf("AWS_LAMBDA_LOG_STREAM_NAME = %q", got.Env["AWS_LAMBDA_LOG_STREAM_NAME"])
	}
}

func TestEmptyPayloadIsAnEmptyObject(t *testing.T) {
	p, _ := newTestPool(t, "echo", nil)
	if got := decodeEcho(t, invoke(t, p, "")); string(got.Event) != "{}" {
		t.Errorf("event = %s, want {}", got.Event)
	}
}

func TestWarmInstanceIsReused(t *testing.T) {
	p, _ := newTestPool(t, "echo", nil)
	first := invoke(t, p, `{}`)
	second := invoke(t, p, `{}`)
	if a, b := decodeEcho(t, first).PID, decodeEcho(t, second).PID; a != b {
		t.Errorf("pids = %d then %d, want the warm process reused", a, b)
	}
	if first.InitDuration <= 0 || second.InitDuration != 0 {
		t.Errorf("InitDuration = %v then %v, want >0 (cold) then 0 (warm)", first.InitDuration, second.InitDuration)
	}
	// Back-to-back invocations race the runtime's next /next; each must
	// still find the warm instance.
	for range 100 {
		invoke(t, p, `{}`)
	}
	if got := p.Stats().Starts; got != 1 {
		t.Errorf("Starts = %d, want 1", got)
	}
}

// failureCase is an invocation that fails as Lambda reports it.
type failureCase struct {
	name      string
	function  string
	configure func(t *testing.T, fn *Function)
	event     string
	wantType  string
	wantMsg   func(requestID string) string // exact errorMessage
	wantWarm  bool                          // the environment survives the failure
	followUp  string                        // an event that then succeeds
}

func TestFailuresAreReportedAsLambdaDoes(t *testing.T) {
	bigAnswer := `"` + strings.Repeat("x", 7*1024*1024) + `"`
	tests := []failureCase{
		{
			name: "returned error", function: "fail", event: `{"fail":true}`,
			wantType: "ValidationError",
			wantMsg:  func(string) string { return "invalid username" },
			wantWarm: true, followUp: `{}`,
		},
		{
			name: "panic", function: "panic", event: `{"panic":true}`,
			wantType: "string", // aws-lambda-go names a panic by the panic value's type
			wantMsg:  func(string) string { return "boom" },
			followUp: `{}`,
		},
		{
			name: "os.Exit mid-invoke", function: "exit", event: `{"exit":true}`,
			wantType: "Runtime.ExitError",
			wantMsg: func(id string) string {
				return "RequestId: " + id + " Error: Runtime exited with error: exit status 2"
			},
			followUp: `{}`,
		},
		{
			name: "timeout", function: "sleep", event: `{"ms":60000}`,
			configure: func(_ *testing.T, fn *Function) { fn.Timeout = 200 * time.Millisecond },
			wantType:  "Sandbox.Timedout",
			wantMsg: func(id string) string {
				return "RequestId: " + id + " Error: Task timed out after 0.20 seconds"
			},
			followUp: `{}`,
		},
		{
			name: "response too large", function: "echo", event: `{"answer":` + bigAnswer + `}`,
			wantType: "Function.ResponseSizeTooLarge",
			wantMsg: func(string) string {
				return fmt.Sprintf("Response payload size (%d bytes) exceeded maximum allowed payload size (6291556 bytes).", len(bigAnswer))
			},
			followUp: `{}`,
		},
		{
			name: "exit at init", function: "initcrash", event: `{}`,
			configure: func(t *testing.T, fn *Function) { fn.Env = map[string]string{"CRASH_MARKER": marker(t)} },
			wantType:  "Runtime.ExitError",
			wantMsg: func(id string) string {
				return "RequestId: " + id + " Error: Runtime exited with error: exit status 3"
			},
			followUp: `{}`,
		},
		{
			name: "init error posted", function: "initcrash", event: `{}`,
			configure: func(t *testing.T, fn *Function) {
				fn.Env = map[string]string{"CRASH_MARKER": marker(t), "INIT_ERROR": "post"}
			},
			wantType: "ConfigError",
			wantMsg:  func(string) string { return "config missing" },
			followUp: `{}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := newTestPool(t, tt.function, func(fn *Function) {
				if tt.configure != nil {
					tt.configure(t, fn)
				}
			})
			var warmPID int
			if tt.wantWarm {
				warmPID = pidOf(t, invoke(t, p, tt.followUp))
			}

			resp := invoke(t, p, tt.event)
			if resp.FunctionError != "Unhandled" {
				t.Errorf("FunctionError = %q, want Unhandled", resp.FunctionError)
			}
			var got errorPayload
			if err := json.Unmarshal(resp.Payload, &got); err != nil {
				t.Fatalf("error payload %s: %v", resp.Payload, err)
			}
			want := errorPayload{ErrorType: tt.wantType, ErrorMessage: tt.wantMsg(resp.RequestID)}
			if got != want {
				t.Errorf("error payload = %+v, want %+v", got, want)
			}

			next := invoke(t, p, tt.followUp)
			if next.FunctionError != "" {
				t.Fatalf("next invocation failed: %s", next.Payload)
			}
			if tt.function == "initcrash" {
				if string(next.Payload) != `"ok"` {
					t.Errorf("next answer = %s, want \"ok\"", next.Payload)
				}
				if got := p.Stats().Starts; got != 2 {
					t.Errorf("Starts = %d, want 2 (the failed init, then a fresh one)", got)
				}
				return
			}
			pid := pidOf(t, next)
			if tt.wantWarm && pid != warmPID {
				t.Errorf("pid after a returned error = %d, want the same environment %d", pid, warmPID)
			}
			if !tt.wantWarm && pid == warmPID {
				t.Errorf("pid after the failure = %d, want a fresh environment", pid)
			}
		})
	}
}

// marker creates the file testdata/initcrash removes before failing once.
func marker(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "crash-once")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestInitHangTimesOut(t *testing.T) {
	p, logs := newTestPool(t, "sleep", func(fn *Function) {
		fn.initTimeout = 100 * time.Millisecond
		fn.Timeout = 200 * time.Millisecond
		fn.Env = map[string]string{"INIT_SLEEP_MS": "60000"}
	})
	resp := invoke(t, p, `{}`)
	want := errorPayload{ErrorType: "Sandbox.Timedout", ErrorMessage: "RequestId: " + resp.RequestID + " Error: Task timed out after 0.20 seconds"}
	var got errorPayload
	if err := json.Unmarshal(resp.Payload, &got); err != nil || got != want || resp.FunctionError != "Unhandled" {
		t.Errorf("answer = %q %s, want Unhandled %+v", resp.FunctionError, resp.Payload, want)
	}
	waitFor(t, "the hung process to be killed", func() bool { return p.Stats().Live == 0 })
	if !strings.Contains(logs.String(), "INIT_REPORT Init Duration: ") || !strings.Contains(logs.String(), "Status: timeout") {
		t.Errorf("logs lack the init timeout:\n%s", logs)
	}
}

// Lambda's timeout covers the whole invoke phase, until the runtime's next /next: a runtime
// that answers and never asks again is reset at the deadline, and the next invocation, which
// waited for it, gets a fresh one.
func TestAnsweredRuntimeThatNeverAsksAgainIsReset(t *testing.T) {
	p, _ := newTestPool(t, "linger", func(fn *Function) { fn.Timeout = 200 * time.Millisecond })
	first := pidOf(t, invoke(t, p, `{}`))
	second := pidOf(t, invoke(t, p, `{}`))
	if first == second {
		t.Errorf("both invocations answered by pid %d, want a fresh environment after the reset", first)
	}
	if err := syscall.Kill(first, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the lingering process %d after its deadline: kill(0) = %v, want ESRCH", first, err)
	}
	if got := p.Stats().Starts; got != 2 {
		t.Errorf("Starts = %d, want 2", got)
	}
}

func TestBusyInstancesScaleOut(t *testing.T) {
	const n = 3
	release := filepath.Join(t.TempDir(), "release")
	p, _ := newTestPool(t, "sleep", nil)
	pids := runBlocked(t, p, n, release, func() bool { return p.Stats().Starts == n })
	if len(pids) != n {
		t.Errorf("distinct pids = %v, want %d instances", pids, n)
	}
	waitFor(t, "the instances to ask for the next event", func() bool { return p.Stats().Idle == n })
	if s := p.Stats(); s.Starts != n || s.Live != n {
		t.Errorf("stats = %+v, want %d started and live", s, n)
	}
}

func TestMaxConcurrencyQueuesInvocations(t *testing.T) {
	release := filepath.Join(t.TempDir(), "release")
	p, _ := newTestPool(t, "sleep", func(fn *Function) { fn.maxConcurrency = 2 })
	pids := runBlocked(t, p, 3, release, func() bool {
		s := p.Stats()
		return s.Starts == 2 && s.Waiting == 1
	})
	if len(pids) != 2 {
		t.Errorf("distinct pids = %v, want 2 instances serving 3 invocations", pids)
	}
	if got := p.Stats().Starts; got != 2 {
		t.Errorf("Starts = %d, want 2", got)
	}
}

// runBlocked runs n invocations that block until the file release exists,
// creates it once ready holds, and returns the distinct pids that answered.
func runBlocked(t *testing.T, p *Pool, n int, release string, ready func() bool) map[int]bool {
	t.Helper()
	event := fmt.Sprintf(`{"until_file":%q}`, release)
	resps := make([]Response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { resps[i] = invoke(t, p, event) })
	}
	waitFor(t, "the invocations to be under way", ready)
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	pids := map[int]bool{}
	for _, r := range resps {
		pids[pidOf(t, r)] = true
	}
	return pids
}

func TestCloseStopsProcessesAndFreesPorts(t *testing.T) {
	release := filepath.Join(t.TempDir(), "release")
	p, _ := newTestPool(t, "echo", nil)
	sleeper, _ := newTestPool(t, "sleep", nil)

	// Two echo instances (one per concurrent invocation) and one sleeper
	// busy when Close comes.
	var echoes []echoReply
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			r := invoke(t, p, `{}`)
			mu.Lock()
			echoes = append(echoes, decodeEcho(t, r))
			mu.Unlock()
		})
	}
	wg.Wait()
	busy := make(chan error, 1)
	go func() {
		_, err := sleeper.Invoke(context.Background(), []byte(fmt.Sprintf(`{"until_file":%q}`, release)))
		busy <- err
	}()
	waitFor(t, "the sleeper to start", func() bool { return sleeper.Stats().Live == 1 })

	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := sleeper.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-busy; !errors.Is(err, ErrClosed) {
		t.Errorf("invocation under way at Close: err = %v, want ErrClosed", err)
	}
	for _, e := range echoes {
		if err := syscall.Kill(e.PID, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process %d after Close: kill(0) = %v, want ESRCH", e.PID, err)
		}
		ln, err := net.Listen("tcp", e.Env["AWS_LAMBDA_RUNTIME_API"])
		if err != nil {
			t.Errorf("Runtime API port %s still bound after Close: %v", e.Env["AWS_LAMBDA_RUNTIME_API"], err)
			continue
		}
		ln.Close()
	}
	if s := p.Stats(); s.Live != 0 {
		t.Errorf("stats after Close = %+v, want nothing live", s)
	}
	if _, err := p.Invoke(context.Background(), []byte(`{}`)); !errors.Is(err, ErrClosed) {
		t.Errorf("Invoke after Close: err = %v, want ErrClosed", err)
	}
}

func TestCloseSendsSIGTERMThenSIGKILL(t *testing.T) {
	echo, logs := newTestPool(t, "echo", nil)
	stubborn, _ := newTestPool(t, "sleep", func(fn *Function) {
		fn.Env = map[string]string{"IGNORE_SIGTERM": "1"}
		fn.shutdownGrace = 200 * time.Millisecond
	})
	pids := []int{decodeEcho(t, invoke(t, echo, `{}`)).PID, pidOf(t, invoke(t, stubborn, `{}`))}
	_ = echo.Close()
	_ = stubborn.Close()
	if !strings.Contains(logs.String(), "[echo] echo: SIGTERM\n") {
		t.Errorf("echo's SIGTERM handler did not run:\n%s", logs)
	}
	if strings.Contains(logs.String(), "WARNING") {
		t.Errorf("aws-lambda-go could not register for SIGTERM:\n%s", logs)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process %d after Close: kill(0) = %v, want ESRCH", pid, err)
		}
	}
}

func TestCallerContextEndsWait(t *testing.T) {
	p, _ := newTestPool(t, "sleep", nil)
	ctx, cancel := context.WithCancel(context.Background())
	release := filepath.Join(t.TempDir(), "release")
	errc := make(chan error, 1)
	go func() {
		_, err := p.Invoke(ctx, []byte(fmt.Sprintf(`{"until_file":%q}`, release)))
		errc <- err
	}()
	waitFor(t, "the invocation to start", func() bool { return p.Stats().Live == 1 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	// The abandoned invocation still runs to its end, then the instance
	// serves the next one.
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the abandoned invocation to end", func() bool { return p.Stats().Idle == 1 })
	pidOf(t, invoke(t, p, `{}`))
	if got := p.Stats().Starts; got != 1 {
		t.Errorf("Starts = %d, want 1", got)
	}
}

func TestLogsArePrefixedWithLambdaLines(t *testing.T) {
	p, logs := newTestPool(t, "echo", nil)
	resp := invoke(t, p, `{}`)
	id := resp.RequestID
	for _, want := range []string{
		"[echo] START RequestId: " + id + " Version: $LATEST\n",
		"[echo] handling " + id + "\n",
		"[echo] END RequestId: " + id + "\n",
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	report := regexp.MustCompile(`(?m)^\[echo\] REPORT RequestId: ` + id +
		`\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: [1-9]\d* MB\tInit Duration: \d+\.\d\d ms\t$`)
	if !report.MatchString(logs.String()) {
		t.Errorf("logs lack a cold REPORT line:\n%s", logs)
	}
	if !strings.HasPrefix(string(resp.Log), "START RequestId: "+id) || !strings.Contains(string(resp.Log), "\nREPORT RequestId: "+id) {
		t.Errorf("Response.Log = %q, want the invocation's lines from START to REPORT", resp.Log)
	}
	for _, line := range strings.Split(strings.TrimSuffix(logs.String(), "\n"), "\n") {
		if !strings.HasPrefix(line, "[echo] ") {
			t.Errorf("log line without prefix: %q", line)
		}
	}
}

// The function's stdout and stderr reach the log in the order written, all of it before END,
// even when it is more than the pipe holds and the log is slower than the function.
func TestOutputIsLoggedInOrderBeforeEND(t *testing.T) {
	logs := &syncBuffer{}
	p, _ := newTestPool(t, "echo", func(fn *Function) { fn.Logs = slowWriter{logs, new(atomic.Int64)} })
	const n = 1000 // about 100 KB, more than a pipe holds
	for range 2 {
		before := len(logs.String())
		resp := invoke(t, p, fmt.Sprintf(`{"lines":%d}`, n))
		lines := strings.Split(logs.String()[before:], "\n")
		var got []string
		end := -1
		for i, l := range lines {
			if strings.HasPrefix(l, "[echo] line ") {
				got = append(got, l)
			}
			if l == "[echo] END RequestId: "+resp.RequestID {
				end = i
				break
			}
		}
		if end < 0 {
			t.Fatalf("no END line for %s", resp.RequestID)
		}
		if len(got) != n {
			t.Fatalf("%d of %d lines before END", len(got), n)
		}
		for i, l := range got {
			if want := fmt.Sprintf("[echo] line %d ", i); !strings.HasPrefix(l, want) {
				t.Fatalf("line %d = %.30q, want %q: out of order", i, l, want)
			}
		}
	}
}

// slowWriter makes every tenth log write take a while, so that output backs up in the pipe.
type slowWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (s slowWriter) Write(p []byte) (int, error) {
	if s.n.Add(1)%10 == 0 {
		time.Sleep(20 * time.Microsecond)
	}
	return s.w.Write(p)
}

func TestNewPoolRejectsBadFunctions(t *testing.T) {
	tests := []struct {
		name string
		fn   Function
	}{
		{"no name", Function{Bootstrap: bootstrap("echo")}},
		{"missing bootstrap", Function{Name: "f", Bootstrap: filepath.Join(t.TempDir(), "bootstrap")}},
		{"directory", Function{Name: "f", Bootstrap: t.TempDir()}},
		{"not executable", Function{Name: "f", Bootstrap: writeFile(t, "bootstrap", 0o644)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewPool(tt.fn); err == nil {
				t.Errorf("NewPool(%+v) = nil error, want one", tt.fn)
			}
		})
	}
}

func writeFile(t *testing.T, name string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// A bootstrap that cannot start (deleted since NewPool, as during a rebuild) is Invoke's error,
// and the place it would have taken stays free for the next attempt.
func TestBootstrapThatCannotStartIsAnError(t *testing.T) {
	path := writeFile(t, "bootstrap", 0o755)
	p, _ := newTestPool(t, "echo", func(fn *Function) { fn.Bootstrap, fn.maxConcurrency = path, 1 })
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := p.Invoke(context.Background(), []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "start signin-api-test-echo") {
			t.Errorf("Invoke with the bootstrap gone: err = %v, want the start error", err)
		}
	}
	if s := p.Stats(); s.Starts != 0 || s.Live != 0 {
		t.Errorf("stats = %+v, want nothing started", s)
	}
}

// A runtime that exits takes what it started with it, as Lambda resets the whole sandbox: a
// child left holding the output pipe neither lives on nor keeps Close waiting for it.
func TestExitEndsWhatTheRuntimeStarted(t *testing.T) {
	p, _ := newTestPool(t, "exit", nil)
	if r := invoke(t, p, `{"exit":true,"child":true}`); r.FunctionError == "" {
		t.Fatalf("invocation = %s, want a Runtime.ExitError", r.Payload)
	}
	closed := make(chan struct{})
	go func() { _ = p.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close still waiting after 10 s for the output of the exited runtime's child")
	}
}
