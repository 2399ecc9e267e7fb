package lambdaruntime

import (
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/signin-api/signin/local/awsid"
	"github.com/signin-api/signin/local/logline"
)

// invocation is one event on its way through an instance. req, traceID and result are set
// before it reaches an instance; the other fields belong to the instance's goroutine.
type invocation struct {
	req     Request
	traceID string
	result  chan result // buffered: the instance never waits for the caller

	cold     bool          // it started the instance
	taken    bool          // the runtime's /next returned it
	started  time.Time     // when the runtime took it
	deadline time.Time     // started + the function's timeout
	duration time.Duration // from taken to the answer (or the timeout)
	out      *outcome      // how it ended, once that is decided
	logged   bool          // its START line is written: its log tail collects lines
	closed   bool          // Close stopped the process before it answered
	tail     logline.Tail  // LogType Tail: the last 4 KB
}

// newInvocation prepares req for an instance, with the trace header Lambda would send.
func newInvocation(req Request) *invocation {
	return &invocation{
		req:     req,
		traceID: awsid.TraceID(time.Now()) + ";Parent=" + awsid.Hex(8) + ";Sampled=0",
		result:  make(chan result, 1),
		tail:    logline.Tail{Max: 4 * 1024},
	}
}

type result struct {
	resp Response
	err  error
}

// slot says whether an instance counts against the pool's concurrency cap.
type slot int

const (
	slotFree     slot = iota // waiting in /next for an event, or never given one
	slotBusy                 // serving an invocation
	slotDraining             // answered, and its runtime has not asked for the next event yet
)

// instance is one execution environment: a bootstrap process, the Runtime API server it talks
// to, and the goroutine (run) that owns everything below "owned by run".
type instance struct {
	pool      *Pool
	pid       int // 0 for an instance without a process (tests)
	srv       *http.Server
	out       *os.File // the runner's copy of the output pipe's write end, for fences
	fenceMark string   // starts this instance's fence lines

	calls     chan func()     // from the pool and the Runtime API handlers: run by run
	lines     chan outputLine // from the output reader, in pipe order
	procDone  chan struct{}   // closed once the process is reaped; exitState is set then
	done      chan struct{}   // closed when run returns
	exitState *os.ProcessState

	// Owned by run.
	started      time.Time
	initDone     bool
	initDuration time.Duration
	cur          *invocation // from hand-off to its END line
	waiting      chan reply  // the runtime's /next, waiting for an event
	slot         slot
	timer        *time.Timer // init limit, then each invocation's deadline
	fences       int         // fences handed out
	pending      []fenceAction
	exited       bool // the exit fence arrived: the process is gone and its output read
}

type fenceAction struct {
	n  int
	do func()
}

// exitFence is the fence written once the process has exited.
const exitFence = -1

// outputLine is a line the function wrote, or a fence (fence != 0).
type outputLine struct {
	text  string
	fence int
}

// newInstance prepares an instance for inv (nil for none) that writes fences to out. Its
// goroutines start with serve.
func newInstance(p *Pool, out *os.File, inv *invocation) *instance {
	in := &instance{
		pool:      p,
		out:       out,
		fenceMark: "\x00lambdaruntime fence " + awsid.Hex(8) + " ",
		calls:     make(chan func()),
		lines:     make(chan outputLine),
		procDone:  make(chan struct{}),
		done:      make(chan struct{}),
		started:   time.Now(),
		timer:     time.NewTimer(p.fn.initTimeout + p.fn.Timeout),
	}
	if inv != nil {
		inv.cold = true
		in.cur, in.slot = inv, slotBusy
	}
	p.owners.Add(1)
	return in
}

// startInstance starts a bootstrap process for inv with its own Runtime API server. p.mu is
// held.
func startInstance(p *Pool, inv *invocation) (*instance, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lambdaruntime: listen for %s: %w", p.fn.Name, err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("lambdaruntime: pipe for %s: %w", p.fn.Name, err)
	}
	cmd := exec.Command(p.fn.Bootstrap)
	cmd.Dir = filepath.Dir(p.fn.Bootstrap)
	cmd.Env = instanceEnv(p.env, ln.Addr().String(), time.Now())
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = sysProcAttr()
	in := newInstance(p, w, inv)
	if err := cmd.Start(); err != nil {
		p.owners.Done()
		_, _, _ = ln.Close(), r.Close(), w.Close()
		return nil, fmt.Errorf("lambdaruntime: start %s: %w", p.fn.Name, err)
	}
	in.pid = cmd.Process.Pid
	in.srv = &http.Server{Handler: in.routes(), ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = in.srv.Serve(ln) }()
	go func() {
		_ = cmd.Wait()
		in.processExited(cmd.ProcessState)
	}()
	in.serve(r)
	return in, nil
}

// serve starts the output reader on r and the goroutine that owns the instance.
func (in *instance) serve(r *os.File) {
	go in.readOutput(r)
	go in.run()
}

// processExited records the exit, then writes the exit fence (behind all the process wrote)
// and closes the runner's end of the pipe.
func (in *instance) processExited(state *os.ProcessState) {
	in.exitState = state
	close(in.procDone)
	in.writeFence(exitFence)
	_ = in.out.Close()
}

// run owns the instance until its process has exited and its output is read.
func (in *instance) run() {
	defer close(in.done)
	for !in.exited {
		select {
		case f := <-in.calls:
			f()
		case l := <-in.lines:
			in.output(l)
		case <-in.timer.C:
			in.expire()
		}
	}
	if in.srv != nil {
		_ = in.srv.Close()
	}
	if in.waiting != nil {
		in.waiting <- reply{}
	}
	in.pool.gone(in, in.slot)
}

// take makes inv, with the slot it holds, the instance's current invocation.
func (in *instance) take(inv *invocation) {
	in.cur, in.slot = inv, slotBusy
	if in.waiting != nil {
		in.dispatch()
	}
}

// dispatch gives the current invocation to the runtime waiting in /next. Its START line
// follows the init output, through the fence the /next handler writes before the event.
func (in *instance) dispatch() {
	inv := in.cur
	inv.taken, inv.started = true, time.Now()
	inv.deadline = inv.started.Add(in.pool.fn.Timeout)
	in.timer.Reset(in.pool.fn.Timeout)
	n := in.afterOutput(func() {
		inv.logged = true
		in.log("START RequestId: " + inv.req.RequestID + " Version: $LATEST")
	})
	in.waiting <- reply{inv: inv, fence: n}
	in.waiting = nil
}

// afterOutput queues do to run once the fence it returns comes back from the output pipe.
func (in *instance) afterOutput(do func()) int {
	in.fences++
	in.pending = append(in.pending, fenceAction{in.fences, do})
	return in.fences
}

// writeFence writes fence n into the output pipe. Writes this short are atomic, and the
// leading newline ends a line the function left unterminated.
func (in *instance) writeFence(n int) {
	_, _ = io.WriteString(in.out, "\n"+in.fenceMark+strconv.Itoa(n)+"\n")
}

// output logs a line, or runs what waited for a fence. A fence stands for everything written
// before it, so one also settles the lower numbers (fences from concurrent handlers may reach
// the pipe out of order); the exit fence settles all.
func (in *instance) output(l outputLine) {
	if l.fence == 0 {
		in.log(l.text)
		return
	}
	upTo := l.fence
	if upTo == exitFence {
		<-in.procDone // closed before the exit fence was written: exitState is set
		upTo, in.exited = math.MaxInt, true
	}
	for len(in.pending) > 0 && in.pending[0].n <= upTo {
		do := in.pending[0].do
		in.pending = in.pending[1:]
		do()
	}
	if in.exited && in.cur != nil {
		if in.cur.out == nil {
			out := exitOutcome(in.cur.req.RequestID, in.exitState)
			in.cur.out, in.cur.closed = &out, in.pool.isClosed()
		}
		in.conclude()
	}
}

// expire handles the timer: the init limit (initTimeout, then Lambda's retry of init under the
// function's timeout), an invocation's deadline, or a runtime that answered but did not ask
// for the next event within it. The timeout covers the whole invoke phase, until the next
// /next; each ends in a reset of the environment.
func (in *instance) expire() {
	inv := in.cur
	switch {
	case inv != nil && inv.out == nil && (inv.taken || !in.initDone):
		if inv.taken {
			inv.duration = time.Since(inv.started)
		}
		out := timeoutOutcome(inv.req.RequestID, in.pool.fn.Timeout)
		inv.out = &out
	case in.slot != slotDraining:
		return
	}
	in.signal(syscall.SIGKILL)
}

// conclude writes the current invocation's END and REPORT lines (after INIT_REPORT and START
// when its init failed), returns the instance to the pool, and answers the invoker.
func (in *instance) conclude() {
	inv, out := in.cur, *in.cur.out
	if !in.initDone {
		if in.initDuration == 0 {
			in.initDuration = time.Since(in.started)
		}
		line := fmt.Sprintf("INIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: %s\t", ms(in.initDuration), out.status)
		if out.errorType != "" {
			line += "Error Type: " + out.errorType + "\t"
		}
		in.log(line)
	}
	if !inv.logged {
		inv.logged = true
		in.log("START RequestId: " + inv.req.RequestID + " Version: $LATEST")
	}
	for _, l := range out.logLines {
		in.log(l)
	}
	resp := Response{Payload: out.payload, RequestID: inv.req.RequestID, Duration: inv.duration}
	if inv.cold {
		resp.InitDuration = in.initDuration
	}
	if out.functionError {
		resp.FunctionError = errTypeUnhandled
	}
	in.log("END RequestId: " + inv.req.RequestID)
	in.log(report{
		requestID: inv.req.RequestID,
		duration:  resp.Duration,
		init:      resp.InitDuration,
		memoryMB:  in.pool.fn.MemoryMB,
		maxUsedMB: in.peakMemoryMB(),
		status:    out.status,
		errorType: out.errorType,
	}.String())
	resp.Log = inv.tail.Bytes()
	in.cur = nil

	// The pool hears before the invoker, so that the invoker's next call finds this instance.
	var err error
	if inv.closed {
		err = ErrClosed
	}
	switch {
	case in.exited:
	case in.waiting != nil:
		in.pool.ready(in, in.slot)
		in.slot = slotFree
	default:
		in.pool.answered()
		in.slot = slotDraining
	}
	inv.result <- result{resp, err}
}

// log writes a line to the function's log and to the log tail of the invocation under way.
func (in *instance) log(text string) {
	in.pool.logs.line(text)
	if in.cur != nil && in.cur.logged {
		in.cur.tail.Add(text)
	}
}

// readOutput cuts the output pipe into lines and hands them, and the fences, to run. A blank
// line is held back until the next line: when a fence follows, it was the fence's own leading
// newline.
func (in *instance) readOutput(r *os.File) {
	defer r.Close()
	held := false
	send := func(l outputLine) {
		select {
		case in.lines <- l:
		case <-in.done: // run has ended; a process it started may still write
			if l.fence == 0 {
				in.pool.logs.line(l.text)
			}
		}
	}
	w := &logline.Writer{Emit: func(b []byte) error {
		line := strings.TrimSuffix(string(b), "\r")
		if n, ok := strings.CutPrefix(line, in.fenceMark); ok {
			held = false
			fence, _ := strconv.Atoi(n)
			send(outputLine{fence: fence})
			return nil
		}
		if held {
			send(outputLine{})
		}
		held = line == ""
		if !held {
			send(outputLine{text: line})
		}
		return nil
	}}
	_, _ = io.Copy(w, r)
	_ = w.Flush()
	if held {
		send(outputLine{})
	}
}

// signal sends sig to the process group, unless the process is known to be gone (its pid may
// then belong to someone else).
func (in *instance) signal(sig syscall.Signal) {
	select {
	case <-in.procDone:
	default:
		if in.pid > 0 {
			_ = syscall.Kill(-in.pid, sig)
		}
	}
}

// stop asks the process to end (SIGTERM, which Lambda sends at shutdown), and kills it after
// grace.
func (in *instance) stop(grace time.Duration) {
	in.signal(syscall.SIGTERM)
	select {
	case <-in.procDone:
	case <-time.After(grace):
		in.signal(syscall.SIGKILL)
	}
}

// peakMemoryMB is the process's "Max Memory Used" so far.
func (in *instance) peakMemoryMB() int {
	if in.pid == 0 {
		return 0
	}
	select {
	case <-in.procDone:
		return peakMemoryMB(in.pid, in.exitState)
	default:
		return peakMemoryMB(in.pid, nil)
	}
}
