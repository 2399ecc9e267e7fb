package lambdaruntime

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/signin-api/signin/local/awsid"
)

// Pool runs the instances of one function: it starts them on demand, keeps them warm between
// invocations and starts another when all are busy, up to its concurrency cap.
type Pool struct {
	fn        Function
	env       []string
	logMu     sync.Mutex
	instances sync.WaitGroup // until each instance's output is read

	mu       sync.Mutex
	closed   bool
	live     map[*instance]bool // processes running
	idle     []*instance        // runtimes waiting in /next, most recently used last
	draining int                // instances that answered and have not asked for the next event yet
	changed  chan struct{}      // closed and replaced when an instance turns idle or exits
	starts   int
	waiting  int
}

// Stats is a snapshot of a pool, for tests and benchmarks.
type Stats struct {
	Starts  int // processes started since NewPool (cold starts)
	Live    int // processes running now
	Idle    int // instances waiting for an event
	Waiting int // invocations waiting for an instance
}

// NewPool checks fn and returns a pool for it. It starts nothing: the first Invoke starts the
// first instance, as Lambda does.
func NewPool(fn Function) (*Pool, error) {
	fn, err := withDefaults(fn)
	if err != nil {
		return nil, err
	}
	p := &Pool{fn: fn, live: map[*instance]bool{}, changed: make(chan struct{})}
	var ignored []string
	p.env, ignored = functionEnv(fn)
	for _, k := range ignored {
		p.log("lambdaruntime: ignoring " + k + " from the function's environment: Lambda reserves it")
	}
	return p, nil
}

// log writes one line to the function's log, prefixed, in one Write.
func (p *Pool) log(line string) {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	_, _ = io.WriteString(p.fn.Logs, "["+p.fn.LogPrefix+"] "+line+"\n")
}

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
	if req.RequestID == "" {
		req.RequestID = awsid.RequestID()
	}
	in, err := p.get(ctx)
	if err != nil {
		return Response{}, err
	}
	inv := newInvocation(req)
	go in.invoke(inv)
	select {
	case r := <-inv.result:
		return r.resp, r.err
	case <-ctx.Done():
		return Response{}, ctx.Err()
	}
}

// get takes the most recently used idle instance, or starts one. While an instance has
// answered but not yet asked for its next event, it waits for that rather than start a
// needless one, so that back-to-back invocations stay warm (aws-lambda-go asks as soon as it
// has answered; a runtime that lingers is waited for until its reset at the deadline).
func (p *Pool) get(ctx context.Context) (*instance, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		switch n := len(p.idle); {
		case p.closed:
			return nil, ErrClosed
		case n > 0:
			in := p.idle[n-1]
			p.idle = p.idle[:n-1]
			return in, nil
		case p.draining == 0 && len(p.live) < p.fn.maxConcurrency:
			return p.start()
		}
		changed := p.changed
		p.waiting++
		p.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
		}
		p.mu.Lock()
		p.waiting--
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
}

// start starts a bootstrap process in a new instance. p.mu is held, so that Close cannot miss
// it; a fork and exec take about a millisecond.
func (p *Pool) start() (*instance, error) {
	in, err := newInstance(p)
	if err != nil {
		return nil, fmt.Errorf("lambdaruntime: start %s: %w", p.fn.Name, err)
	}
	cmd := exec.Command(p.fn.Bootstrap)
	cmd.Dir = filepath.Dir(p.fn.Bootstrap)
	cmd.Env = append(slices.Clip(p.env), "AWS_LAMBDA_RUNTIME_API="+in.ln.Addr().String(),
		"AWS_LAMBDA_LOG_STREAM_NAME="+time.Now().UTC().Format("2006/01/02")+"/[$LATEST]"+awsid.Hex(16))
	cmd.Stdout, cmd.Stderr = in.out, in.out // one pipe, one log stream, as in Lambda
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		in.release()
		return nil, fmt.Errorf("lambdaruntime: start %s: %w", p.fn.Name, err)
	}
	in.pid = cmd.Process.Pid
	go func() { _ = in.srv.Serve(in.ln) }() // after pid is set: the handlers read it
	go func() {
		_ = cmd.Wait()
		p.exited(in, cmd.ProcessState)
	}()
	p.live[in] = true
	p.starts++
	return in, nil
}

// put ends the drain of an instance that has answered: back to the idle list once its runtime
// asks for the next event, or released if its process has exited.
func (p *Pool) put(in *instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draining--
	select {
	case <-in.exited:
		in.release()
	default:
		p.idle = append(p.idle, in)
	}
	p.notify()
}

// exited records that in's process has exited, and releases in if it was idle (an invocation
// holding it releases it otherwise).
func (p *Pool) exited(in *instance, state *os.ProcessState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	in.state = state
	close(in.exited)
	delete(p.live, in)
	if i := slices.Index(p.idle, in); i >= 0 {
		p.idle = slices.Delete(p.idle, i, i+1)
		in.release()
	}
	p.notify()
}

// notify wakes the invocations waiting for an instance. p.mu is held.
func (p *Pool) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// Stats returns a snapshot of the pool.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Stats{Starts: p.starts, Live: len(p.live), Idle: len(p.idle), Waiting: p.waiting}
}

// Close stops every instance (SIGTERM, which Lambda sends at shutdown, then SIGKILL after
// shutdownGrace), waits until the processes are reaped, their ports closed and their output
// logged, and makes further invocations fail with ErrClosed, as do those under way. Close is
// safe to call more than once.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	p.notify()
	live := slices.Collect(maps.Keys(p.live))
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, in := range live {
		wg.Go(func() {
			in.signal(syscall.SIGTERM)
			select {
			case <-in.exited:
			case <-time.After(p.fn.shutdownGrace):
				in.signal(syscall.SIGKILL)
			}
		})
	}
	wg.Wait()
	p.instances.Wait()
	return nil
}
