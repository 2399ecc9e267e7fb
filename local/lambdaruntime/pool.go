package lambdaruntime

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Pool runs the instances of one function: it starts them on demand, keeps
// them warm between invocations and starts another when all are busy, up to
// MaxConcurrency.
type Pool struct {
	fn   Function
	env  map[string]string
	logs *logSink

	slots chan struct{} // one token per instance handling an invocation
	done  chan struct{} // closed by Close

	mu      sync.Mutex
	idle    []*instance // runtimes waiting in /next, most recently used last
	live    map[*instance]bool
	changed chan struct{} // closed and replaced when an instance turns idle or exits
	starts  int
	waiting int
	closed  bool
	reapers sync.WaitGroup // one per started process
}

// drainWait bounds how long an invocation waits for an instance that has
// answered but not yet asked for the next event, before starting another.
// Over a network the runtime's /next always wins that race; in-process
// callers are quicker, and without the wait every sequential invocation
// would be a cold start.
const drainWait = time.Second

// Stats is a snapshot of a pool, for tests and benchmarks.
type Stats struct {
	// Starts counts the processes started since NewPool (cold starts).
	Starts int
	// Live counts the processes running now.
	Live int
	// Idle counts the instances waiting for an event.
	Idle int
	// Waiting counts invocations waiting for a free slot under MaxConcurrency.
	Waiting int
}

// NewPool checks fn and returns a pool for it. It starts nothing: the first
// Invoke starts the first instance, as Lambda does.
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
		slots:   make(chan struct{}, fn.MaxConcurrency),
		done:    make(chan struct{}),
		live:    map[*instance]bool{},
		changed: make(chan struct{}),
	}
	for _, k := range ignored {
		p.logs.line("lambdaruntime: ignoring " + k + " from the function's environment: Lambda reserves it")
	}
	return p, nil
}

// Invoke runs one invocation with payload as the event, like Lambda's
// synchronous Invoke. Function errors, timeouts and crashes are reported
// in the Response (FunctionError "Unhandled"); the error is only for ctx
// ending first or a runner fault. An invocation whose caller gives up keeps
// running to its end, as in Lambda.
func (p *Pool) Invoke(ctx context.Context, payload []byte) (Response, error) {
	return p.InvokeRequest(ctx, Request{Payload: payload})
}

// InvokeRequest is Invoke with the other metadata an invocation can carry.
func (p *Pool) InvokeRequest(ctx context.Context, req Request) (Response, error) {
	if len(req.Payload) == 0 {
		req.Payload = []byte("{}")
	}
	if err := p.acquireSlot(ctx); err != nil {
		return Response{}, err
	}
	in, cold, err := p.instanceFor()
	if err != nil {
		<-p.slots
		return Response{}, err
	}
	if req.RequestID == "" {
		req.RequestID = NewRequestID()
	}
	inv := &invocation{
		id:      req.RequestID,
		traceID: newTraceID(time.Now()),
		req:     req,
		result:  make(chan outcome, 1),
	}
	type result struct {
		resp Response
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := in.run(inv, cold)
		done <- result{resp, err}
	}()
	select {
	case r := <-done:
		return r.resp, r.err
	case <-ctx.Done():
		return Response{}, ctx.Err()
	}
}

// acquireSlot waits until fewer than MaxConcurrency instances are busy.
func (p *Pool) acquireSlot(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
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

// instanceFor returns a warm instance, or starts one (cold) if none is idle
// or about to be. The caller holds a slot, which passes to the instance.
func (p *Pool) instanceFor() (*instance, bool, error) {
	giveUp := time.NewTimer(drainWait)
	defer giveUp.Stop()
	waitForDraining := true
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, false, ErrClosed
		}
		if in := p.takeIdle(); in != nil {
			p.mu.Unlock()
			return in, false, nil
		}
		if !waitForDraining || !p.anyDraining() {
			defer p.mu.Unlock()
			in, err := p.start()
			return in, true, err
		}
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-p.done:
			return nil, false, ErrClosed
		case <-giveUp.C:
			waitForDraining = false
		}
	}
}

// takeIdle returns the most recently used idle instance, holding a slot,
// or nil. p.mu must be held.
func (p *Pool) takeIdle() *instance {
	for len(p.idle) > 0 {
		in := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if in.isIdle() {
			in.holdsSlot = true
			return in
		}
	}
	return nil
}

// anyDraining reports whether an instance has answered and is about to ask
// for the next event. p.mu must be held.
func (p *Pool) anyDraining() bool {
	for in := range p.live {
		if in.hasState(stateDraining) {
			return true
		}
	}
	return false
}

// start starts an instance holding a slot. p.mu must be held: starting
// under it keeps Close from missing a process, and a fork and exec take
// about a millisecond.
func (p *Pool) start() (*instance, error) {
	p.reapers.Add(1)
	in, err := startInstance(p)
	if err != nil {
		p.reapers.Done()
		return nil, err
	}
	in.holdsSlot = true
	p.live[in] = true
	p.starts++
	return in, nil
}

// notify wakes invocations waiting for an instance to turn idle. p.mu must
// be held.
func (p *Pool) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// instanceIdle takes back an instance whose runtime asked for the next
// event after answering the last one.
func (p *Pool) instanceIdle(in *instance) {
	p.mu.Lock()
	// The state changes under p.mu too, so that instanceFor never sees it
	// neither draining nor in p.idle, and starts a needless instance.
	in.mu.Lock()
	if in.state == stateDraining {
		in.state = stateIdle
	}
	in.mu.Unlock()
	release := in.holdsSlot
	in.holdsSlot = false
	if p.live[in] && !p.closed {
		p.idle = append(p.idle, in)
	}
	p.notify()
	p.mu.Unlock()
	if release {
		<-p.slots
	}
}

// instanceGone forgets an instance whose process has exited.
func (p *Pool) instanceGone(in *instance) {
	p.mu.Lock()
	delete(p.live, in)
	p.idle = slices.DeleteFunc(p.idle, func(i *instance) bool { return i == in })
	release := in.holdsSlot
	in.holdsSlot = false
	p.notify()
	p.mu.Unlock()
	if release {
		<-p.slots
	}
	p.reapers.Done()
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

// Close stops every instance (SIGTERM, then SIGKILL after ShutdownGrace),
// waits for the processes to be reaped and their ports closed, and makes
// further invocations fail with ErrClosed. Invocations under way end with
// ErrClosed. Close is safe to call more than once.
func (p *Pool) Close() error {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.done)
	}
	var running []*instance
	for in := range p.live {
		running = append(running, in)
	}
	p.idle = nil
	p.mu.Unlock()

	var wg sync.WaitGroup
	for _, in := range running {
		wg.Go(func() { in.stop(p.fn.ShutdownGrace) })
	}
	wg.Wait()
	p.reapers.Wait()
	return nil
}
