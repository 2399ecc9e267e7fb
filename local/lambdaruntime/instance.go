package lambdaruntime

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/signin-api/signin/local/awsid"
	"github.com/signin-api/signin/local/logline"
)

// invocation is one event on its way through an instance. The invocation's goroutine (invoke)
// sets started, deadline and init when the runtime takes it, before any handler sees it.
type invocation struct {
	req      Request
	traceID  string
	result   chan result // buffered: the instance never waits for the caller
	started  time.Time   // zero until the runtime's /next takes it
	deadline time.Time
	init     time.Duration // the init phase, when it started the instance
}

type result struct {
	resp Response
	err  error
}

// newInvocation prepares req for an instance, with the trace header Lambda would send.
func newInvocation(req Request) *invocation {
	trace := awsid.TraceID(time.Now()) + ";Parent=" + awsid.Hex(8) + ";Sampled=0"
	return &invocation{req: req, traceID: trace, result: make(chan result, 1)}
}

// instance is one execution environment: a bootstrap process, its Runtime API server, and its
// output pipe. Between invocations it is idle in the pool; during one, the invocation's
// goroutine (invoke) holds it, until its runtime asks for the next event.
type instance struct {
	pool    *Pool
	ln      net.Listener
	srv     *http.Server
	pid     int      // 0 without a process (tests)
	out     *os.File // the write end of the output pipe: the function's stdout and stderr
	mark    string   // starts the runner's own lines in the pipe
	started time.Time

	asks    chan chan *invocation // from /next: where to send the event
	answers chan outcome          // from /response, /error and /init/error
	tails   chan []byte           // from the output reader: each invocation's log, START to REPORT
	exited  chan struct{}         // closed once the process is reaped, state set
	state   *os.ProcessState

	deliver chan *invocation // the waiting /next's, held with the instance

	mu       sync.Mutex
	cur      *invocation   // from invoke to the answer (or the runner's outcome)
	initDone time.Duration // process start to the first /next
}

// newInstance prepares an instance: its Runtime API listener and server (served by start)
// and its output pipe, read into the function's log until every write end is closed.
func newInstance(p *Pool) (*instance, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	in := &instance{pool: p, ln: ln, out: w, mark: "\x00lambdaruntime " + awsid.Hex(8) + " ", started: time.Now(),
		asks: make(chan chan *invocation), answers: make(chan outcome, 1), tails: make(chan []byte, 1), exited: make(chan struct{})}
	in.srv = &http.Server{Handler: in.routes(), ErrorLog: log.New(io.Discard, "", 0)}
	p.instances.Add(1)
	go in.readOutput(r)
	return in, nil
}

// invoke runs inv on in: it gives the event to the runtime's /next (after init, for a new
// instance), waits for the answer, the process's exit or the deadline, answers the invoker,
// and holds in until its runtime asks for the next event. The timeout covers the whole invoke
// phase, until that /next: then, or at the init limit, Lambda resets the environment
// (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
func (in *instance) invoke(inv *invocation) {
	p := in.pool
	cold := in.deliver == nil
	in.mu.Lock()
	in.cur = inv
	in.mu.Unlock()
	deadline := time.After(p.fn.initTimeout + p.fn.Timeout) // init, then Lambda's retry of it
	var out *outcome
	for out == nil {
		if inv.started.IsZero() && in.deliver != nil {
			in.take(inv, cold)
			deadline = time.After(p.fn.Timeout)
		}
		select {
		case in.deliver = <-in.asks:
		case o := <-in.answers:
			out = &o
		case <-in.exited:
			o := exitOutcome(inv.req.RequestID, in.state)
			if !in.claim(inv) { // the answer came first
				o = <-in.answers
			}
			out = &o
		case <-deadline:
			if in.claim(inv) {
				in.signal(syscall.SIGKILL)
				<-in.exited
				o := timeoutOutcome(inv.req.RequestID, p.fn.Timeout)
				out = &o
			}
		}
	}
	if inv.started.IsZero() { // init failed: the runtime was killed or exited
		<-in.exited
		inv.init = time.Since(in.started)
	} else if out.duration == 0 {
		out.duration = time.Since(inv.started)
	}
	in.conclude(inv, *out)
	resp := Response{Payload: out.payload, RequestID: inv.req.RequestID, InitDuration: inv.init, Duration: out.duration, Log: <-in.tails}
	if out.functionError {
		resp.FunctionError = "Unhandled"
	}
	p.mu.Lock()
	dead := false
	select {
	case <-in.exited:
		dead = true
	default:
		p.draining++ // before the invoker hears, so that its next call waits for this instance
	}
	var err error
	if dead && p.closed {
		err = ErrClosed
	}
	p.mu.Unlock()
	inv.result <- result{resp, err}
	if dead {
		in.release()
		return
	}
	select {
	case in.deliver = <-in.asks:
	case <-in.exited:
	case <-time.After(time.Until(inv.deadline)):
		in.signal(syscall.SIGKILL)
		<-in.exited
	}
	p.put(in)
}

// take hands inv to the runtime waiting in /next. Its START line goes into the output pipe
// behind everything the function wrote before it asked.
func (in *instance) take(inv *invocation, cold bool) {
	now := time.Now()
	in.mu.Lock()
	inv.started, inv.deadline = now, now.Add(in.pool.fn.Timeout)
	if cold {
		inv.init = in.initDone
	}
	in.mu.Unlock()
	in.write("START RequestId: " + inv.req.RequestID + " Version: $LATEST")
	in.deliver <- inv
	in.deliver = nil
}

// claim ends inv for the runner (a timeout or an exit), unless a handler took its answer.
func (in *instance) claim(inv *invocation) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cur != inv {
		return false
	}
	in.cur = nil
	return true
}

// conclude writes inv's last lines into the output pipe, behind everything the function wrote
// before its answer: INIT_REPORT and START if init failed, Lambda's lines about a failure,
// END and REPORT.
func (in *instance) conclude(inv *invocation, out outcome) {
	var lines []string
	if inv.started.IsZero() {
		line := fmt.Sprintf("INIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: %s\t", ms(inv.init), out.status)
		if out.errorType != "" {
			line += "Error Type: " + out.errorType + "\t"
		}
		lines = append(lines, line, "START RequestId: "+inv.req.RequestID+" Version: $LATEST")
	}
	lines = append(append(lines, out.logLines...), "END RequestId: "+inv.req.RequestID,
		reportLine(inv.req.RequestID, out.duration, inv.init, in.pool.fn.MemoryMB, in.peakMemoryMB(), out))
	in.write(lines...)
}

// write puts the runner's lines into the output pipe, marked, in one write: writes this short
// are atomic, so they never split a line of the function's.
func (in *instance) write(lines ...string) {
	_, _ = io.WriteString(in.out, in.mark+strings.Join(lines, "\n"+in.mark)+"\n")
}

// readOutput logs the output pipe line by line, the function's lines and the runner's, in
// the order written, and hands each invocation's lines from START to REPORT to tails.
func (in *instance) readOutput(r *os.File) {
	defer in.pool.instances.Done()
	defer r.Close()
	var tail *logline.Tail
	log := func(line string) {
		line = strings.TrimSuffix(line, "\r")
		in.pool.log(line)
		if tail != nil {
			tail.Add(line)
		}
	}
	w := &logline.Writer{Emit: func(b []byte) error {
		text, own, ours := strings.Cut(string(b), in.mark)
		if text != "" || !ours { // a line of the function's, or the unterminated start of one
			log(text)
		}
		if ours {
			if strings.HasPrefix(own, "START ") {
				tail = &logline.Tail{Max: 4 * 1024}
			}
			log(own)
			if strings.HasPrefix(own, "REPORT ") {
				in.tails <- tail.Bytes()
				tail = nil
			}
		}
		return nil
	}}
	_, _ = io.Copy(w, r)
	_ = w.Flush()
}

// signal sends sig to the process group, unless the process is known to be gone (its pid may
// then belong to someone else).
func (in *instance) signal(sig syscall.Signal) {
	select {
	case <-in.exited:
	default:
		if in.pid > 0 {
			_ = syscall.Kill(-in.pid, sig)
		}
	}
}

// release closes the instance's server and its end of the output pipe, once for good.
func (in *instance) release() {
	_ = in.srv.Close()
	_ = in.ln.Close()
	_ = in.out.Close()
}

// peakMemoryMB is the process's "Max Memory Used" so far.
func (in *instance) peakMemoryMB() int {
	select {
	case <-in.exited:
		return peakMemoryMB(in.pid, in.state)
	default:
		return peakMemoryMB(in.pid, nil)
	}
}
