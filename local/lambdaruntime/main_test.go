package lambdaruntime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// binDir holds the test functions built from testdata/, one executable per
// directory, for this machine.
var binDir string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "lambdaruntime-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := buildFunctions(dir, "echo", "initcrash", "panic", "exit", "sleep", "fail", "linger"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	binDir = dir
	return m.Run()
}

// buildFunctions builds ./testdata/<name> into dir/<name>/bootstrap, the
// way the project builds its functions for the local runner.
func buildFunctions(dir string, names ...string) error {
	args := []string{"-o", dir + string(filepath.Separator)}
	for _, n := range names {
		args = append(args, "./testdata/"+n)
	}
	if out, err := BuildCommand(context.Background(), ".", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("go build test functions: %v\n%s", err, out)
	}
	for _, n := range names {
		if err := os.MkdirAll(filepath.Join(dir, n+".d"), 0o755); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(dir, n), filepath.Join(dir, n+".d", "bootstrap")); err != nil {
			return err
		}
	}
	return nil
}

// bootstrap is the path of a built test function.
func bootstrap(name string) string {
	return filepath.Join(binDir, name+".d", "bootstrap")
}

// syncBuffer is a bytes.Buffer safe for the pool's log writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newTestPool returns a pool for the named test function, closed when the
// test ends, and the buffer its logs go to.
func newTestPool(t testing.TB, name string, configure func(*Function)) (*Pool, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	fn := Function{
		Name:      "signin-api-test-" + name,
		Bootstrap: bootstrap(name),
		Timeout:   10 * time.Second,
		Logs:      logs,
		LogPrefix: name,
	}
	if configure != nil {
		configure(&fn)
	}
	p, err := NewPool(fn)
	if err != nil {
		t.Fatalf("NewPool: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p, logs
}

// invoke invokes p with event and fails the test on a runner error.
func invoke(t testing.TB, p *Pool, event string) Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := p.Invoke(ctx, []byte(event))
	if err != nil {
		t.Fatalf("Invoke(%s): %v", event, err)
	}
	return resp
}

// pidOf reads the "pid" the test functions put in their answers.
func pidOf(t testing.TB, resp Response) int {
	t.Helper()
	var v struct {
		PID int `json:"pid"`
	}
	if err := json.Unmarshal(resp.Payload, &v); err != nil || v.PID == 0 {
		t.Fatalf("no pid in answer %s (function error %q): %v", resp.Payload, resp.FunctionError, err)
	}
	return v.PID
}

// waitFor polls cond until it holds, failing the test after a minute.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// errorPayload is the error shape of the Runtime API and the Invoke API.
type errorPayload struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}
