package lambdaruntime

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
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
	idle      chan *instance // instances between invocations
	free      chan struct{}  // one token for each process the cap still allows
	done      chan struct{}  // closed by Close
	instances sync.WaitGroup // until each instance's output is read
	waiting   atomic.Int64

	mu     sync.Mutex // guards live and starts, and orders Close against starts and puts
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

// NewPool checks fn and returns a pool for it. It starts nothing: the first Invoke starts the
// first instance, as Lambda does.
func NewPool(fn Function) (*Pool, error) {
	fn, err := withDefaults(fn)
	if err != nil {
		return nil, err
	}
	p := &Pool{fn: fn, idle: make(chan *instance, fn.maxConcurrency), free: make(chan struct{}, fn.maxConcurrency),
		done: make(chan struct{}), live: map[*instance]bool{}}
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
	req.RequestID = cmp.Or(req.RequestID, awsid.RequestID())
	inv := newInvocation(req)
	go func() {
		for {
			in, cold, err := p.get(ctx)
			if err != nil {
				inv.result <- result{err: err}
				return
			}
			if in.invoke(inv, cold) {
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

// get takes an idle instance, or starts one (cold) if the cap allows. An instance is idle as
// soon as it has answered, so back-to-back invocations stay warm: the next one then waits for
// the runtime to ask for it.
func (p *Pool) get(ctx context.Context) (*instance, bool, error) {
	for {
		var in *instance
		var err error
		cold := false
		select {
		case <-p.done:
			return nil, false, ErrClosed
		case in = <-p.idle:
		default:
			p.waiting.Add(1)
			select {
			case in = <-p.idle:
			case <-p.free:
				if in, err = p.start(); err != nil {
					p.free <- struct{}{}
				}
				cold = true
			case <-ctx.Done():
				err = ctx.Err()
			case <-p.done:
				err = ErrClosed
			}
			p.waiting.Add(-1)
		}
		if err != nil || cold || !in.gone() {
			return in, cold, err
		}
		in.release() // it exited while idle
	}
}

// start starts a bootstrap process in a new instance, under p.mu so that Close cannot miss it.
func (p *Pool) start() (*instance, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed() {
		return nil, ErrClosed
	}
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

// exited forgets in's process, which has exited, and frees its place under the cap.
func (p *Pool) exited(in *instance, state *os.ProcessState) {
	p.mu.Lock()
	delete(p.live, in)
	p.mu.Unlock()
	p.free <- struct{}{}
	in.state = state
	close(in.exited)
}

// put makes an instance that has answered idle, or releases it once the pool is closed.
func (p *Pool) put(in *instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed() {
		in.release()
	} else {
		p.idle <- in // never blocks: there are no more instances than places
	}
}

// closed reports whether Close has been called.
func (p *Pool) closed() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
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
	if !p.closed() {
		close(p.done)
	}
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
				<-in.exited
			}
		})
	}
	wg.Wait()
	for len(p.idle) > 0 {
		select {
		case in := <-p.idle:
			in.release()
		default:
		}
	}
	p.instances.Wait()
	return nil
}
