package lambdaruntime

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/signin-api/signin/local/awsid"
	"github.com/signin-api/signin/local/logline"
)

// Pool runs the instances of one function: it starts them on demand, keeps them warm between
// invocations and starts another when all are busy, up to its concurrency cap.
type Pool struct {
	fn        Function
	env       []string
	idle      chan *instance  // instances between invocations
	free      chan struct{}   // a token for each process the cap still allows
	closing   context.Context // done once Close is called
	stop      context.CancelFunc
	instances sync.WaitGroup // until each instance's output is read
	waiting   atomic.Int64

	mu     sync.Mutex // guards live and starts, and orders Close before later starts and puts
	live   map[*instance]bool
	starts int
}

// Stats is a snapshot of a pool, for tests and benchmarks.
type Stats struct {
	Starts  int // processes started since NewPool (cold starts)
	Live    int // processes running now
	Idle    int // instances between invocations
	Waiting int // invocations waiting for an instance
}

// instance is one execution environment: a bootstrap process, its Runtime API server and its
// output pipe, idle in the pool between invocations and held by one (invoke) during it.
type instance struct {
	pool    *Pool
	ln      net.Listener
	srv     *http.Server
	pid     int
	out     *os.File // the output pipe's write end: the function's stdout and stderr
	mark    string   // starts the runner's own lines in the pipe
	started time.Time

	asks    chan chan *invocation // from /next: where to send the event
	answers chan outcome          // from /response, /error, /init/error, the deadline and the exit
	tails   chan []byte           // from the output reader: each invocation's lines, START to REPORT
	exited  context.Context       // done once the process is reaped and state set
	reaped  context.CancelFunc
	state   *os.ProcessState

	mu    sync.Mutex
	cur   *invocation // from init or /next to its outcome
	timer *time.Timer // expire, at the init limit and then at each deadline
}

// invocation is one event on its way; invoke sets its times before a handler sees them.
type invocation struct {
	req               Request
	traceID           string
	result            chan result // buffered: nothing waits for the caller
	started, deadline time.Time   // started is when /next took it, zero before
	init              time.Duration
}

type result struct {
	resp Response
	err  error
}

// NewPool checks fn and returns a pool for it. It starts nothing: the first Invoke starts the
// first instance, as Lambda does.
func NewPool(fn Function) (*Pool, error) {
	fn, err := withDefaults(fn)
	if err != nil {
		return nil, err
	}
	p := &Pool{fn: fn, idle: make(chan *instance, fn.maxConcurrency), free: make(chan struct{}, fn.maxConcurrency),
		live: map[*instance]bool{}}
	p.closing, p.stop = context.WithCancel(context.Background())
	for range fn.maxConcurrency {
		p.free <- struct{}{}
	}
	var ignored []string
	p.env, ignored = functionEnv(fn)
	for _, k := range ignored {
		p.log("lambdaruntime: ignoring " + k + " from the function's environment: Lambda reserves it")
	}
	return p, nil
}

// log writes one line to the function's log, prefixed, in one Write.
func (p *Pool) log(line string) { _, _ = io.WriteString(p.fn.Logs, "["+p.fn.LogPrefix+"] "+line+"\n") }

// Invoke runs one invocation with payload as the event, like Lambda's synchronous Invoke.
// Function errors, timeouts and crashes are reported in the Response (FunctionError
// "Unhandled"); the error is only for ctx ending first or a runner fault. An invocation whose
// caller gives up keeps running to its end, as in Lambda.
func (p *Pool) Invoke(ctx context.Context, payload []byte) (Response, error) {
	return p.InvokeRequest(ctx, Request{Payload: payload})
}

// InvokeRequest is Invoke with the other metadata an invocation can carry.
func (p *Pool) InvokeRequest(ctx context.Context, req Request) (Response, error) {
	if len(req.Payload) == 0 {
		req.Payload = []byte("{}")
	}
	req.RequestID = cmp.Or(req.RequestID, awsid.RequestID())
	trace := awsid.TraceID(time.Now()) + ";Parent=" + awsid.Hex(8) + ";Sampled=0"
	inv := &invocation{req: req, traceID: trace, result: make(chan result, 1)}
	go func() {
		for {
			in, cold, err := p.get(ctx)
			if err != nil {
				inv.result <- result{err: err}
			}
			if err != nil || in.invoke(inv, cold) {
				return
			}
		}
	}()
	select {
	case r := <-inv.result:
		return r.resp, r.err
	case <-ctx.Done():
		return Response{}, ctx.Err()
	}
}

// get takes an idle instance, else starts one (cold) if the cap allows, else waits. An instance
// is idle from its answer on, so that back-to-back invocations stay warm.
func (p *Pool) get(ctx context.Context) (*instance, bool, error) {
	p.waiting.Add(1)
	defer p.waiting.Add(-1)
	for {
		var in *instance
		select {
		case in = <-p.idle:
		default:
			select {
			case in = <-p.idle:
			case <-p.free:
				in, err := p.start()
				if err != nil {
					p.free <- struct{}{}
				}
				return in, true, err
			case <-ctx.Done():
				return nil, false, ctx.Err()
			case <-p.closing.Done():
				return nil, false, ErrClosed
			}
		}
		if in.exited.Err() == nil {
			return in, false, nil
		}
		in.release() // it exited while idle
	}
}

// start starts a bootstrap process in a new instance, under p.mu so that Close cannot miss it.
func (p *Pool) start() (*instance, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closing.Err() != nil {
		return nil, ErrClosed
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lambdaruntime: start %s: %w", p.fn.Name, err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("lambdaruntime: start %s: %w", p.fn.Name, err)
	}
	in := &instance{pool: p, ln: ln, out: w, mark: "\x00lambdaruntime " + awsid.Hex(8) + " ", started: time.Now(),
		asks: make(chan chan *invocation), answers: make(chan outcome, 1), tails: make(chan []byte, 1)}
	in.exited, in.reaped = context.WithCancel(context.Background())
	in.srv = &http.Server{Handler: in.routes(), ErrorLog: log.New(io.Discard, "", 0)}
	in.timer = time.AfterFunc(p.fn.initTimeout+p.fn.Timeout, in.expire) // init, then Lambda's retry of it
	cmd := exec.Command(p.fn.Bootstrap)
	cmd.Dir = filepath.Dir(p.fn.Bootstrap)
	cmd.Env = append(slices.Clip(p.env), "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String(),
		"AWS_LAMBDA_LOG_STREAM_NAME="+in.started.UTC().Format("2006/01/02")+"/[$LATEST]"+awsid.Hex(16))
	cmd.Stdout, cmd.Stderr = w, w // one pipe, one log stream, as in Lambda
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		_, _, _ = ln.Close(), r.Close(), w.Close()
		return nil, fmt.Errorf("lambdaruntime: start %s: %w", p.fn.Name, err)
	}
	in.pid = cmd.Process.Pid
	p.instances.Add(1)
	go in.readOutput(r)
	go func() { _ = in.srv.Serve(ln) }()
	go func() {
		_ = cmd.Wait()
		p.exited(in, cmd.ProcessState)
	}()
	p.live[in] = true
	p.starts++
	return in, nil
}

// exited forgets in's process, frees its place, and ends the invocation it was running, if any.
func (p *Pool) exited(in *instance, state *os.ProcessState) {
	p.mu.Lock()
	delete(p.live, in)
	p.mu.Unlock()
	p.free <- struct{}{}
	in.state = state
	in.reaped()
	in.mu.Lock()
	inv := in.cur
	in.cur = nil
	in.mu.Unlock()
	if inv != nil {
		in.answers <- exitOutcome(inv.req.RequestID, state)
	}
}

// put makes an instance that has answered idle, or releases it once it or the pool is done.
func (p *Pool) put(in *instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closing.Err() != nil || in.exited.Err() != nil {
		in.release()
	} else {
		p.idle <- in // never blocks: there are no more instances than places
	}
}

// Stats returns a snapshot of the pool.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Stats{Starts: p.starts, Live: len(p.live), Idle: len(p.idle), Waiting: int(p.waiting.Load())}
}

// Close stops every instance (SIGTERM, which Lambda sends at shutdown, then SIGKILL after
// shutdownGrace), waits until the processes are reaped, their ports closed and their output
// logged, and makes further invocations fail with ErrClosed, as do those under way. Close is
// safe to call more than once.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.stop()
	live := slices.Collect(maps.Keys(p.live))
	p.mu.Unlock()
	for _, in := range live {
		in.signal(syscall.SIGTERM)
	}
	kill := time.AfterFunc(p.fn.shutdownGrace, func() {
		for _, in := range live {
			in.signal(syscall.SIGKILL)
		}
	})
	for _, in := range live {
		<-in.exited.Done()
	}
	kill.Stop()
	for drained := false; !drained; {
		select {
		case in := <-p.idle:
			in.release()
		default:
			drained = true
		}
	}
	p.instances.Wait()
	return nil
}

// invoke runs inv on in (just started if cold), answers the invoker and makes in idle; false,
// having done nothing, if in was warm and its process exited before taking inv.
func (in *instance) invoke(inv *invocation, cold bool) bool {
	fn := in.pool.fn
	if cold {
		in.mu.Lock()
		in.cur, inv.deadline = inv, in.started.Add(fn.initTimeout+fn.Timeout)
		in.mu.Unlock()
	}
	asks, exited := in.asks, in.exited.Done() // until the runtime takes inv
	var out outcome
	for answered := false; !answered; {
		select {
		case deliver := <-asks:
			now := time.Now()
			in.mu.Lock()
			if in.exited.Err() != nil { // then the exit's outcome or the retry comes next
				in.mu.Unlock()
				deliver <- nil
				continue
			}
			in.cur, inv.started, inv.deadline = inv, now, now.Add(fn.Timeout)
			if cold {
				inv.init = now.Sub(in.started)
			}
			in.timer.Reset(fn.Timeout)
			in.mu.Unlock()
			in.write("START RequestId: " + inv.req.RequestID + " Version: $LATEST") // behind the output before /next
			deliver <- inv
			asks, exited = nil, nil
		case <-exited: // warm, and reset or gone while idle: another instance takes inv
			if !cold {
				in.release()
				return false
			}
			exited = nil // init failed: the outcome comes through answers
		case out = <-in.answers:
			answered = true
		}
	}
	if inv.started.IsZero() || out.status == "timeout" { // the process was killed, or exited
		<-in.exited.Done()
	}
	if inv.started.IsZero() {
		inv.init = time.Since(in.started)
	} else {
		out.duration = time.Since(inv.started)
	}
	in.conclude(inv, out)
	resp := Response{Payload: out.payload, RequestID: inv.req.RequestID, InitDuration: inv.init, Duration: out.duration, Log: <-in.tails}
	if out.functionError {
		resp.FunctionError = "Unhandled"
	}
	var err error
	if in.exited.Err() != nil && in.pool.closing.Err() != nil {
		err = ErrClosed
	}
	in.pool.put(in) // before the invoker hears, so that its next call finds in
	inv.result <- result{resp, err}
	return true
}

// expire is the deadline. The invocation under way (or the init) times out; a runtime that
// answered but has not asked for the next event since is reset, as Lambda's timeout covers the
// invoke phase until the next /next (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
func (in *instance) expire() {
	in.mu.Lock()
	inv := in.cur
	if inv != nil && time.Now().Before(inv.deadline) { // re-armed meanwhile
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

// conclude writes inv's last lines into the pipe: INIT_REPORT and START if init failed,
// Lambda's lines about a failure, END and REPORT.
func (in *instance) conclude(inv *invocation, out outcome) {
	var lines []string
	if inv.started.IsZero() {
		lines = []string{fmt.Sprintf("INIT_REPORT Init Duration: %.2f ms\tPhase: init\t", ms(inv.init)) + field("Status", out.status) +
			field("Error Type", out.errorType), "START RequestId: " + inv.req.RequestID + " Version: $LATEST"}
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

// readOutput logs the pipe line by line, and hands each invocation's lines from START to REPORT
// (its log tail) to tails.
func (in *instance) readOutput(r *os.File) {
	defer in.pool.instances.Done()
	defer r.Close()
	var tail logline.Tail
	log := func(line string) {
		line = strings.TrimSuffix(line, "\r")
		in.pool.log(line)
		tail.Add(line)
	}
	w := &logline.Writer{Emit: func(b []byte) error {
		text, own, ours := strings.Cut(string(b), in.mark)
		if text != "" || !ours { // a line of the function's, or an unterminated one before ours
			log(text)
		}
		if ours {
			if strings.HasPrefix(own, "START ") {
				tail = logline.Tail{Max: 4 * 1024}
			}
			log(own)
			if strings.HasPrefix(own, "REPORT ") {
				in.tails <- tail.Bytes()
			}
		}
		return nil
	}}
	_, _ = io.Copy(w, r)
	_ = w.Flush()
}

// signal sends sig to the process group, unless the process is gone (its pid may be reused).
func (in *instance) signal(sig syscall.Signal) {
	if in.exited.Err() == nil {
		_ = syscall.Kill(-in.pid, sig)
	}
}

// release closes the instance's server, timer and end of the output pipe, once for good.
func (in *instance) release() {
	in.timer.Stop()
	_, _, _ = in.srv.Close(), in.ln.Close(), in.out.Close()
}
