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

// invocation is one event on its way through an instance. The goroutine holding the instance
// sets the times before any handler sees them.
type invocation struct {
	req      Request
	traceID  string
	result   chan result // buffered: nothing waits for the caller
	started  time.Time   // when the runtime's /next took it; zero before
	deadline time.Time
	init     time.Duration // the init phase, if it started the instance
}

type result struct {
	resp Response
	err  error
}

// newInvocation prepares req, with the trace header Lambda would send.
func newInvocation(req Request) *invocation {
	trace := awsid.TraceID(time.Now()) + ";Parent=" + awsid.Hex(8) + ";Sampled=0"
	return &invocation{req: req, traceID: trace, result: make(chan result, 1)}
}

// instance is one execution environment: a bootstrap process, its Runtime API server and its
// output pipe. It is idle in the pool between invocations, and held by an invocation's
// goroutine (invoke) during one.
type instance struct {
	pool    *Pool
	ln      net.Listener
	srv     *http.Server
	pid     int      // 0 without a process (tests)
	out     *os.File // the output pipe's write end: the function's stdout and stderr
	mark    string   // starts the runner's own lines in the pipe
	started time.Time

	asks    chan chan *invocation // from /next: where to send the event
	answers chan outcome          // from /response, /error, /init/error and expire
	tails   chan []byte           // from the output reader: each invocation's lines, START to REPORT
	exited  chan struct{}         // closed once the process is reaped, and state set
	state   *os.ProcessState

	mu       sync.Mutex
	cur      *invocation   // from init or /next to the answer, or the runner's outcome
	initDone time.Duration // process start to the first /next
	timer    *time.Timer   // runs expire at the init limit, then at each invocation's deadline
}

// newInstance prepares an instance: its Runtime API listener and server (start serves it) and
// its output pipe, read into the function's log until every write end is closed.
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
	in.timer = time.AfterFunc(p.fn.initTimeout+p.fn.Timeout, in.expire) // init, then Lambda's retry of it
	p.instances.Add(1)
	go in.readOutput(r)
	return in, nil
}

// invoke runs inv on in, which it started if cold: it hands the event to the runtime's /next,
// waits for the answer (or the runner's outcome), answers the invoker and makes in idle. It
// returns false, and does nothing else, if in was warm and its process exited before taking inv.
func (in *instance) invoke(inv *invocation, cold bool) bool {
	if cold {
		in.mu.Lock()
		in.cur, inv.deadline = inv, in.started.Add(in.pool.fn.initTimeout+in.pool.fn.Timeout)
		in.mu.Unlock()
	}
	var out outcome
	asks := in.asks // until the runtime takes inv
	for answered := false; !answered; {
		select {
		case deliver := <-asks:
			asks = nil
			now := time.Now()
			in.mu.Lock()
			in.cur, inv.started, inv.deadline = inv, now, now.Add(in.pool.fn.Timeout)
			if cold {
				inv.init = in.initDone
			}
			in.timer.Reset(in.pool.fn.Timeout)
			in.mu.Unlock()
			// Behind everything the function wrote before it asked.
			in.write("START RequestId: " + inv.req.RequestID + " Version: $LATEST")
			deliver <- inv
		case out = <-in.answers:
			answered = true
		case <-in.exited:
			if !cold && inv.started.IsZero() { // reset, or gone while idle: another instance takes inv
				in.release()
				return false
			}
			out, answered = exitOutcome(inv.req.RequestID, in.state), true
			if !in.claim(inv) { // the answer came first
				out = <-in.answers
			}
		}
	}
	if inv.started.IsZero() || out.status == "timeout" { // the process was killed, or exited
		<-in.exited
	}
	if inv.started.IsZero() {
		inv.init = time.Since(in.started)
	} else if out.duration == 0 {
		out.duration = time.Since(inv.started)
	}
	in.conclude(inv, out)
	resp := Response{Payload: out.payload, RequestID: inv.req.RequestID, InitDuration: inv.init, Duration: out.duration, Log: <-in.tails}
	if out.functionError {
		resp.FunctionError = "Unhandled"
	}
	var err error
	if in.gone() {
		if in.pool.closed() {
			err = ErrClosed
		}
		in.release()
	} else {
		in.pool.put(in) // before the invoker hears, so that its next call finds in
	}
	inv.result <- result{resp, err}
	return true
}

// claim ends inv for the runner, unless a handler took its answer first.
func (in *instance) claim(inv *invocation) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	ok := in.cur == inv
	if ok {
		in.cur = nil
	}
	return ok
}

// expire is the deadline. The invocation under way (or the init) times out; a runtime that
// answered but has not asked for the next event within it is reset, as Lambda's timeout covers
// the whole invoke phase, until the next /next
// (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
func (in *instance) expire() {
	in.mu.Lock()
	inv := in.cur
	if inv != nil && time.Now().Before(inv.deadline) { // re-armed for the next invocation meanwhile
		in.mu.Unlock()
		return
	}
	in.cur = nil
	in.mu.Unlock()
	if inv != nil {
		in.answers <- timeoutOutcome(inv.req.RequestID, in.pool.fn.Timeout)
	}
	in.signal(syscall.SIGKILL)
}

// conclude writes inv's last lines into the output pipe, behind everything the function wrote
// before its answer: INIT_REPORT and START if init failed, Lambda's lines about a failure, END
// and REPORT.
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

// readOutput logs the output pipe line by line, the function's and the runner's in the order
// written, and hands each invocation's lines from START to REPORT (its log tail) to tails.
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
		if text != "" || !ours { // a line of the function's, or an unterminated one before ours
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

// gone reports whether the process has exited.
func (in *instance) gone() bool {
	select {
	case <-in.exited:
		return true
	default:
		return false
	}
}

// signal sends sig to the process group, unless the process is gone (its pid may be reused).
func (in *instance) signal(sig syscall.Signal) {
	if in.pid > 0 && !in.gone() {
		_ = syscall.Kill(-in.pid, sig)
	}
}

// release closes the instance's server, timer and end of the output pipe, once for good.
func (in *instance) release() {
	in.timer.Stop()
	_, _, _ = in.srv.Close(), in.ln.Close(), in.out.Close()
}
