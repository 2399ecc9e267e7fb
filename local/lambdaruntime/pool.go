package lambdaruntime

import (
	"bufio"
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
	fn      Function
	env     []string
	idle    chan *instance  // instances between invocations
	free    chan struct{}   // a token for each process the cap still allows
	closing context.Context // done once Close is called
	stop    context.CancelFunc
	readers sync.WaitGroup // until each instance's output is read
	waiting atomic.Int64

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
	cmd     *exec.Cmd
	ln      net.Listener
	srv     *http.Server
	out     *os.File // the output pipe's write end: the function's stdout and stderr
	mark    string   // starts the runner's own lines in the pipe
	started time.Time

	asks    chan chan *invocation // from /next: where to send the event
	answers chan outcome          // from /response, /error, /init/error, the deadline and the exit
	tails   chan []byte           // from the output reader: each invocation's lines, START to REPORT
	exited  context.Context       // done once the process is reaped
	reaped  context.CancelFunc

	mu    sync.Mutex
	cur   *invocation // from init or /next to its outcome
	timer *time.Timer // expire, at the init limit and then at each deadline
}

// invocation is one event on its way; invoke sets its times before a handler sees them.
type invocation struct {
	req               Request
	result            chan result // buffered: nothing waits for the caller
	started, deadline time.Time   // started is when /next took it, zero before
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
	inv := &invocation{req: req, result: make(chan result, 1)}
	go func() {
		for {
			in, cold, err := p.get(ctx, inv)
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

// get takes an idle instance, else starts one (cold, for inv) if the cap allows, else waits.
// An instance is idle from its answer on, so that back-to-back invocations stay warm.
func (p *Pool) get(ctx context.Context, inv *invocation) (*instance, bool, error) {
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
				in, err := p.start(inv)
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

// start starts a bootstrap process in a new instance, initialising for inv, under p.mu so that
// Close cannot miss it.
func (p *Pool) start(inv *invocation) (*instance, error) {
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
	in := &instance{pool: p, cmd: exec.Command(p.fn.Bootstrap), ln: ln, out: w, mark: "\x00lambdaruntime " + awsid.Hex(8) + " ",
		started: time.Now(), asks: make(chan chan *invocation), answers: make(chan outcome, 1), tails: make(chan []byte, 1), cur: inv}
	in.exited, in.reaped = context.WithCancel(context.Background())
	in.srv = &http.Server{Handler: in.routes(), ErrorLog: log.New(io.Discard, "", 0)}
	in.cmd.Dir = filepath.Dir(p.fn.Bootstrap)
	in.cmd.Env = append(slices.Clip(p.env), "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String(),
		"AWS_LAMBDA_LOG_STREAM_NAME="+in.started.UTC().Format("2006/01/02")+"/[$LATEST]"+awsid.Hex(16))
	in.cmd.Stdout, in.cmd.Stderr = w, w // one pipe, one log stream, as in Lambda
	in.cmd.SysProcAttr = sysProcAttr()
	if err := in.cmd.Start(); err != nil {
		_, _, _ = ln.Close(), r.Close(), w.Close()
		return nil, fmt.Errorf("lambdaruntime: start %s: %w", p.fn.Name, err)
	}
	in.timer = time.AfterFunc(p.fn.initTimeout+p.fn.Timeout, in.expire) // init, then Lambda's retry of it
	p.readers.Go(func() { in.readOutput(r) })
	go func() { _ = in.srv.Serve(ln) }()
	go func() { // forget the reaped process, free its place, end the invocation it was running
		_ = in.cmd.Wait()
		_ = syscall.Kill(-in.cmd.Process.Pid, syscall.SIGKILL) // what it started goes too: Lambda resets the sandbox
		p.mu.Lock()
		delete(p.live, in)
		p.mu.Unlock()
		p.free <- struct{}{}
		in.reaped()
		in.mu.Lock()
		cur := in.cur
		in.cur = nil
		in.mu.Unlock()
		if cur != nil {
			in.answers <- exitOutcome(cur.req.RequestID, in.cmd.ProcessState)
		}
	}()
	p.live[in] = true
	p.starts++
	return in, nil
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
	signal := func(sig syscall.Signal) {
		for _, in := range live {
			in.signal(sig)
		}
	}
	signal(syscall.SIGTERM)
	kill := time.AfterFunc(p.fn.shutdownGrace, func() { signal(syscall.SIGKILL) })
	for _, in := range live {
		<-in.exited.Done()
	}
	kill.Stop()
	for {
		select {
		case in := <-p.idle:
			in.release()
		default:
			p.readers.Wait()
			return nil
		}
	}
}

// invoke runs inv on in (just started if cold), answers the invoker and makes in idle; false,
// having done nothing, if in was warm and its process exited before taking inv.
func (in *instance) invoke(inv *invocation, cold bool) bool {
	fn, id := in.pool.fn, inv.req.RequestID
	asks, exited := in.asks, in.exited.Done() // until the runtime takes inv
	var out outcome
	for answered := false; !answered; {
		select {
		case deliver := <-asks:
			in.mu.Lock()
			if in.exited.Err() != nil || cold && in.cur != inv { // gone, or its init failed: the outcome or the retry comes next
				in.mu.Unlock()
				deliver <- nil
				continue
			}
			inv.started = time.Now()
			in.cur, inv.deadline = inv, inv.started.Add(fn.Timeout)
			in.timer.Reset(fn.Timeout)
			in.mu.Unlock()
			in.write("START RequestId: " + id + " Version: $LATEST") // behind the output before /next
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
	var lines []string
	var init, duration time.Duration
	switch {
	case inv.started.IsZero(): // init failed, and the process was killed or exited
		<-in.exited.Done()
		init = time.Since(in.started)
		lines = []string{fmt.Sprintf("INIT_REPORT Init Duration: %.2f ms\tPhase: init\t", ms(init)) + out.fields(),
			"START RequestId: " + id + " Version: $LATEST"}
	case out.status == "timeout": // the process was killed
		<-in.exited.Done()
		fallthrough
	default:
		duration = time.Since(inv.started)
		if cold {
			init = inv.started.Sub(in.started)
		}
	}
	in.write(append(append(lines, out.logLines...), "END RequestId: "+id, reportLine(id, duration, init, fn.MemoryMB, in.peakMemoryMB(), out))...)
	resp := Response{Payload: out.payload, RequestID: id, InitDuration: init, Duration: duration, Log: <-in.tails}
	if out.functionError {
		resp.FunctionError = "Unhandled"
	}
	var err error
	p := in.pool
	p.mu.Lock() // ordered with Close
	switch {
	case p.closing.Err() == nil && in.exited.Err() == nil:
		p.idle <- in // before the invoker hears, so that its next call finds in; never blocks
	case in.exited.Err() != nil && p.closing.Err() != nil:
		err = ErrClosed
		fallthrough
	default:
		in.release()
	}
	p.mu.Unlock()
	inv.result <- result{resp, err}
	return true
}

// expire is the deadline. The invocation under way, or the init (10 s, and Lambda's retry of it
// within the timeout), times out; a runtime that answered but has not asked for the next event
// since is reset, as Lambda's timeout covers the invoke phase until the next /next
// (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
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
		msg := fmt.Sprintf("Task timed out after %.2f seconds", in.pool.fn.Timeout.Seconds())
		in.answers <- failure("Sandbox.Timedout", "RequestId: "+inv.req.RequestID+" Error: "+msg, "timeout",
			time.Now().UTC().Format("2006-01-02T15:04:05.000Z")+" "+inv.req.RequestID+" "+msg)
	}
	in.signal(syscall.SIGKILL)
}

// write puts the runner's lines into the output pipe, marked, in one write: writes this short
// are atomic, so they never split a line of the function's.
func (in *instance) write(lines ...string) {
	_, _ = io.WriteString(in.out, in.mark+strings.Join(lines, "\n"+in.mark)+"\n")
}

// readOutput logs the pipe line by line (a longer one than 64 KB in pieces), and hands each
// invocation's lines from START to REPORT (its log tail) to tails.
func (in *instance) readOutput(r *os.File) {
	defer r.Close()
	var tail logline.Tail
	log := func(line string) {
		in.pool.log(line)
		tail.Add(line)
	}
	for br := bufio.NewReaderSize(r, 64*1024); ; {
		b, _, err := br.ReadLine()
		if err != nil {
			return
		}
		text, own, ours := strings.Cut(strings.TrimSuffix(string(b), "\r"), in.mark)
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
	}
}

// signal sends sig to the process group, unless the process is gone (its pid may be reused).
func (in *instance) signal(sig syscall.Signal) {
	if in.exited.Err() == nil {
		_ = syscall.Kill(-in.cmd.Process.Pid, sig)
	}
}

// release closes the instance's server, timer and end of the output pipe, once for good.
func (in *instance) release() {
	in.timer.Stop()
	_, _, _ = in.srv.Close(), in.ln.Close(), in.out.Close()
}
