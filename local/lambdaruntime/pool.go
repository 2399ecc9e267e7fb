package lambdaruntime

import (
	"context"
	"slices"
	"sync"

	"github.com/signin-api/signin/local/awsid"
)

// Pool runs the instances of one function: it starts them on demand, keeps them warm between
// invocations and starts another when all are busy, up to its concurrency cap.
type Pool struct {
	fn   Function
	env  map[string]string
	logs *logSink

	slots  chan struct{} // one token per instance serving an invocation
	done   chan struct{} // closed by Close
	owners sync.WaitGroup

	mu       sync.Mutex
	idle     []*instance // runtimes waiting in /next, most recently used last
	live     map[*instance]bool
	draining int           // instances that answered and have not asked for the next event yet
	changed  chan struct{} // closed and replaced when an instance turns idle or exits
	starts   int
	waiting  int
}

// Stats is a snapshot of a pool, for tests and benchmarks.
type Stats struct {
	// Starts counts the processes started since NewPool (cold starts).
	Starts int
	// Live counts the processes running now.
	Live int
	// Idle counts the instances waiting for an event.
	Idle int
	// Waiting counts invocations waiting for a free slot under the concurrency cap.
	Waiting int
}

// NewPool checks fn and returns a pool for it. It starts nothing: the first Invoke starts the
// first instance, as Lambda does.
func NewPool(fn Function) (*Pool, error) {
	fn, err := withDefaults(fn)
	if err != nil {
		return nil, err
	}
	env, ignored := functionEnv(fn)
	p := &Pool{
		fn:      fn,
		env:     env,
		logs:    &logSink{w: fn.Logs, prefix: "[" + fn.LogPrefix + "] "},
		slots:   make(chan struct{}, fn.maxConcurrency),
		done:    make(chan struct{}),
		live:    map[*instance]bool{},
		changed: make(chan struct{}),
	}
	for _, k := range ignored {
		p.logs.line("lambdaruntime: ignoring " + k + " from the function's environment: Lambda reserves it")
	}
	return p, nil
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
	inv := newInvocation(req)
	if err := p.acquireSlot(ctx); err != nil {
		return Response{}, err
	}
	if err := p.handOff(ctx, inv); err != nil {
		<-p.slots
		return Response{}, err
	}
	select {
	case r := <-inv.result:
		return r.resp, r.err
	case <-ctx.Done():
		return Response{}, ctx.Err()
	}
}

// acquireSlot waits until fewer than maxConcurrency instances are busy.
func (p *Pool) acquireSlot(ctx context.Context) error {
	p.mu.Lock()
	if p.isClosed() {
		p.mu.Unlock()
		return ErrClosed
	}
	p.waiting++
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.waiting--
		p.mu.Unlock()
	}()
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.done:
		return ErrClosed
	}
}

// handOff gives inv, and the caller's slot, to the most recently used idle instance, or to a
// new one. While an instance has answered but not yet asked for its next event it is about to
// be idle, and handOff waits for that (or for its exit, or its reset at the deadline) rather
// than start a needless one: back-to-back invocations then stay warm. The price is for a
// runtime that lingers after answering: Lambda would send the next event to another
// environment, here it waits for that runtime's /next or its reset. aws-lambda-go asks for the
// next event as soon as its answer is posted.
func (p *Pool) handOff(ctx context.Context, inv *invocation) error {
	for {
		p.mu.Lock()
		if p.isClosed() {
			p.mu.Unlock()
			return ErrClosed
		}
		if n := len(p.idle); n > 0 {
			in := p.idle[n-1]
			p.idle = p.idle[:n-1]
			p.mu.Unlock()
			if in.do(func() { in.take(inv) }) {
				return nil
			}
			continue // it exited meanwhile: look again
		}
		if p.draining == 0 {
			// Starting under p.mu keeps Close from missing a process; a fork and exec take
			// about a millisecond.
			defer p.mu.Unlock()
			in, err := startInstance(p, inv)
			if err != nil {
				return err
			}
			p.live[in] = true
			p.starts++
			return nil
		}
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-p.done:
			return ErrClosed
		}
	}
}

// notify wakes the invocations waiting for an instance. p.mu must be held.
func (p *Pool) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// answered counts an instance that has answered and not yet asked for the next event.
func (p *Pool) answered() {
	p.mu.Lock()
	p.draining++
	p.mu.Unlock()
}

// ready takes back an instance whose runtime waits for the next event, and frees its slot.
func (p *Pool) ready(in *instance, s slot) {
	p.mu.Lock()
	if s == slotDraining {
		p.draining--
	}
	if !p.isClosed() {
		p.idle = append(p.idle, in)
	}
	p.notify()
	p.mu.Unlock()
	if s != slotFree {
		<-p.slots
	}
}

// gone forgets an instance whose process has exited, and frees its slot.
func (p *Pool) gone(in *instance, s slot) {
	p.mu.Lock()
	delete(p.live, in)
	p.idle = slices.DeleteFunc(p.idle, func(i *instance) bool { return i == in })
	if s == slotDraining {
		p.draining--
	}
	p.notify()
	p.mu.Unlock()
	if s != slotFree {
		<-p.slots
	}
	p.owners.Done()
}

// isClosed reports whether Close has been called.
func (p *Pool) isClosed() bool {
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
	return Stats{Starts: p.starts, Live: len(p.live), Idle: len(p.idle), Waiting: p.waiting}
}

// Close stops every instance (SIGTERM, then SIGKILL after shutdownGrace), waits for the
// processes to be reaped and their ports closed, and makes further invocations fail with
// ErrClosed. Invocations under way end with ErrClosed. Close is safe to call more than once.
func (p *Pool) Close() error {
	p.mu.Lock()
	if !p.isClosed() { // only Close closes done, and under p.mu
		close(p.done)
	}
	running := make([]*instance, 0, len(p.live))
	for in := range p.live {
		running = append(running, in)
	}
	p.idle = nil
	p.mu.Unlock()

	var wg sync.WaitGroup
	for _, in := range running {
		wg.Go(func() { in.stop(p.fn.shutdownGrace) })
	}
	wg.Wait()
	p.owners.Wait()
	return nil
}
