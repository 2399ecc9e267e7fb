package lambdaruntime

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// instanceState is where an execution environment is in Lambda's lifecycle.
type instanceState int

const (
	stateInit     instanceState = iota // process started, no /next yet
	stateIdle                          // the runtime waits in /next
	stateBusy                          // an event is out and not answered
	stateDraining                      // answered; the next /next makes it idle
	stateDead                          // exited, failed or being killed
)

// invocation is one event on its way through an instance.
type invocation struct {
	id       string
	traceID  string
	req      Request
	deadline time.Time
	result   chan outcome // buffered; receives the runtime's answer
	log      logTail
}

// outcome is how an invocation ended.
type outcome struct {
	payload       []byte
	functionError bool
	status        string   // REPORT status: "", "error" or "timeout"
	errorType     string   // REPORT error type, with status "error"
	logLines      []string // lines Lambda logs about the failure, before END
}

// instance is one execution environment: a bootstrap process and the
// Runtime API server it talks to.
type instance struct {
	pool    *Pool
	cmd     *exec.Cmd
	srv     *http.Server
	addr    string // host:port of the Runtime API
	started time.Time
	stdout  *outputPipe
	stderr  *outputPipe

	dispatch   chan *invocation // to the runtime's waiting /next
	ready      chan struct{}    // closed at the runtime's first /next
	initFailed chan struct{}    // closed when the runtime posts /runtime/init/error
	exited     chan struct{}    // closed once the process has been reaped

	mu           sync.Mutex
	state        instanceState
	current      *invocation // the event out, until someone claims its outcome
	logTo        *invocation // the invocation whose log lines are captured
	initDuration time.Duration
	initError    []byte // invoker's payload for a posted init error
	initErrType  string
	exitState    *os.ProcessState

	// holdsSlot is guarded by pool.mu: the instance counts against
	// MaxConcurrency from dispatch until it is idle again or gone.
	holdsSlot bool
}

// startInstance starts a bootstrap process with its own Runtime API server.
func startInstance(p *Pool) (*instance, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lambdaruntime: listen for %s: %w", p.fn.Name, err)
	}
	in := &instance{
		pool:       p,
		addr:       ln.Addr().String(),
		dispatch:   make(chan *invocation, 1),
		ready:      make(chan struct{}),
		initFailed: make(chan struct{}),
		exited:     make(chan struct{}),
	}
	if in.stdout, err = newOutputPipe(in.logLine); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("lambdaruntime: pipe for %s: %w", p.fn.Name, err)
	}
	if in.stderr, err = newOutputPipe(in.logLine); err != nil {
		in.closePipes()
		_ = ln.Close()
		return nil, fmt.Errorf("lambdaruntime: pipe for %s: %w", p.fn.Name, err)
	}
	in.srv = &http.Server{Handler: in.routes(), ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = in.srv.Serve(ln) }()

	cmd := exec.Command(p.fn.Bootstrap)
	cmd.Dir = filepath.Dir(p.fn.Bootstrap)
	cmd.Env = instanceEnv(p.env, in.addr, time.Now())
	cmd.Stdout = in.stdout.w
	cmd.Stderr = in.stderr.w
	cmd.SysProcAttr = sysProcAttr()
	in.cmd = cmd
	in.mu.Lock() // the runtime's first /next reads started
	in.started = time.Now()
	in.mu.Unlock()
	err = cmd.Start()
	_ = in.stdout.w.Close() // the child has its own copies now
	_ = in.stderr.w.Close()
	if err != nil {
		in.closePipes()
		_ = in.srv.Close()
		return nil, fmt.Errorf("lambdaruntime: start %s: %w", p.fn.Name, err)
	}
	go in.reap()
	return in, nil
}

// reap waits for the process to end, then frees the port and tells the pool.
func (in *instance) reap() {
	_ = in.cmd.Wait()
	in.stdout.closeAfterExit()
	in.stderr.closeAfterExit()
	in.mu.Lock()
	in.state = stateDead
	in.exitState = in.cmd.ProcessState
	close(in.exited)
	in.mu.Unlock()
	_ = in.srv.Close()
	in.pool.instanceGone(in)
}

// closePipes closes both ends of the output pipes of a process that never
// started.
func (in *instance) closePipes() {
	for _, o := range []*outputPipe{in.stdout, in.stderr} {
		if o != nil {
			_ = o.w.Close()
			_ = o.r.Close()
		}
	}
}

// syncOutput waits until what the process has written so far is logged.
func (in *instance) syncOutput() {
	in.stdout.sync()
	in.stderr.sync()
}

// signal sends sig to the process group, unless the process is known to be
// gone (its pid may then belong to someone else).
func (in *instance) signal(sig syscall.Signal) {
	select {
	case <-in.exited:
	default:
		_ = syscall.Kill(-in.cmd.Process.Pid, sig)
	}
}

// stop asks the process to end, and kills it after grace.
func (in *instance) stop(grace time.Duration) {
	in.signal(syscall.SIGTERM)
	select {
	case <-in.exited:
	case <-time.After(grace):
		in.signal(syscall.SIGKILL)
	}
}

// kill resets the environment, as Lambda does after a timeout or an init
// failure: the instance is never used again.
func (in *instance) kill() {
	in.mu.Lock()
	in.state = stateDead
	in.mu.Unlock()
	in.signal(syscall.SIGKILL)
}

// isIdle reports whether the runtime waits in /next for an event.
func (in *instance) isIdle() bool {
	return in.hasState(stateIdle)
}

// hasState reports whether the instance is in state s.
func (in *instance) hasState(s instanceState) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.state == s
}

// peakMemoryMB is the process's "Max Memory Used" so far.
func (in *instance) peakMemoryMB() int {
	in.mu.Lock()
	state := in.exitState
	in.mu.Unlock()
	return peakMemoryMB(in.cmd.Process.Pid, state)
}

// logLine writes one line to the function's logs and to the log of the
// invocation under way.
func (in *instance) logLine(text string) {
	in.pool.logs.line(text)
	in.mu.Lock()
	inv := in.logTo
	in.mu.Unlock()
	if inv != nil {
		inv.log.add(text)
	}
}

// claim takes the right to decide inv's outcome; only the first caller
// (the runtime's answer, the timeout or the process exit) gets it.
func (in *instance) claim(inv *invocation) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.current != inv {
		return false
	}
	in.current = nil
	return true
}

// run carries inv through the instance: the init phase if cold, then the
// event, until the runtime answers, the process exits or the deadline
// passes. It returns an error only when the pool closed under it.
func (in *instance) run(inv *invocation, cold bool) (Response, error) {
	fn := in.pool.fn
	var initDuration time.Duration
	if cold {
		d, out, ok := in.awaitInit(inv)
		if !ok {
			if in.pool.isClosed() {
				return Response{}, ErrClosed
			}
			return in.conclude(inv, out, 0, d, in.peakMemoryMB()), nil
		}
		initDuration = d
	}

	in.mu.Lock()
	idle := in.state == stateIdle
	if idle {
		in.state = stateBusy
		in.current = inv
		inv.deadline = time.Now().Add(fn.Timeout)
	}
	in.logTo = inv
	in.mu.Unlock()
	in.logLine("START RequestId: " + inv.id + " Version: $LATEST")
	if !idle { // exited between its /next and now
		<-in.exited
		if in.pool.isClosed() {
			return Response{}, ErrClosed
		}
		return in.conclude(inv, exitOutcome(inv.id, in.exitState), 0, initDuration, in.peakMemoryMB()), nil
	}

	start := time.Now()
	in.dispatch <- inv
	timer := time.NewTimer(fn.Timeout)
	defer timer.Stop()

	var out outcome
	var mem int
	select {
	case out = <-inv.result:
		mem = in.peakMemoryMB()
	case <-in.exited:
		if !in.claim(inv) {
			out = <-inv.result
			break
		}
		if in.pool.isClosed() {
			return Response{}, ErrClosed
		}
		out = exitOutcome(inv.id, in.exitState)
		mem = in.peakMemoryMB()
	case <-timer.C:
		if !in.claim(inv) {
			out = <-inv.result
			break
		}
		mem = in.peakMemoryMB()
		in.kill()
		out = timeoutOutcome(inv.id, fn.Timeout)
	}
	return in.conclude(inv, out, time.Since(start), initDuration, mem), nil
}

// awaitInit waits for the runtime's first /next. Lambda gives init
// InitTimeout, then retries it inside the invocation under the function's
// timeout; a hang therefore ends after both, as a Sandbox.Timedout with
// the function's timeout in the message.
func (in *instance) awaitInit(inv *invocation) (time.Duration, outcome, bool) {
	fn := in.pool.fn
	timer := time.NewTimer(fn.InitTimeout + fn.Timeout)
	defer timer.Stop()
	var out outcome
	status := "error"
	select {
	case <-in.ready:
		in.mu.Lock()
		defer in.mu.Unlock()
		return in.initDuration, outcome{}, true
	case <-in.initFailed:
		in.kill()
		in.mu.Lock()
		out = outcome{payload: in.initError, functionError: true, status: "error", errorType: in.initErrType}
		in.mu.Unlock()
	case <-in.exited:
		out = exitOutcome(inv.id, in.exitState)
	case <-timer.C:
		in.kill()
		out = timeoutOutcome(inv.id, fn.Timeout)
		status = "timeout"
	}
	d := time.Since(in.started)
	line := fmt.Sprintf("INIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: %s\t", float64(d)/float64(time.Millisecond), status)
	if out.errorType != "" && status == "error" {
		line += "Error Type: " + out.errorType + "\t"
	}
	in.logLine(line)
	in.mu.Lock()
	in.logTo = inv
	in.mu.Unlock()
	in.logLine("START RequestId: " + inv.id + " Version: $LATEST")
	return d, out, false
}

// conclude writes the END and REPORT lines and builds the invoker's answer.
func (in *instance) conclude(inv *invocation, out outcome, d, initDuration time.Duration, memMB int) Response {
	in.syncOutput()
	for _, l := range out.logLines {
		in.logLine(l)
	}
	in.logLine("END RequestId: " + inv.id)
	in.logLine(report{
		requestID: inv.id,
		duration:  d,
		init:      initDuration,
		memoryMB:  in.pool.fn.MemoryMB,
		maxUsedMB: memMB,
		status:    out.status,
		errorType: out.errorType,
	}.String())
	in.mu.Lock()
	if in.logTo == inv {
		in.logTo = nil
	}
	in.mu.Unlock()
	resp := Response{
		Payload:      out.payload,
		RequestID:    inv.id,
		InitDuration: initDuration,
		Duration:     d,
		Log:          inv.log.bytes(),
	}
	if out.functionError {
		resp.FunctionError = errTypeUnhandled
	}
	return resp
}

// exitOutcome is the outcome of a runtime that exited without answering.
func exitOutcome(requestID string, state *os.ProcessState) outcome {
	reason := fmt.Sprintf("RequestId: %s Error: %s", requestID, exitReason(state))
	return outcome{
		payload:       exitPayload(requestID, state),
		functionError: true,
		status:        "error",
		errorType:     errTypeExit,
		logLines:      []string{reason, errTypeExit},
	}
}

// timeoutOutcome is the outcome of an invocation that outlived its timeout.
func timeoutOutcome(requestID string, timeout time.Duration) outcome {
	line := fmt.Sprintf("%s %s Task timed out after %.2f seconds",
		time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), requestID, timeout.Seconds())
	return outcome{
		payload:       timeoutPayload(requestID, timeout),
		functionError: true,
		status:        "timeout",
		logLines:      []string{line},
	}
}
