package lambdaruntime

import (
	"os"
	"sync"
	"time"
)

// outputPipe carries one output stream of the process into log lines. It
// owns the pipe (rather than letting exec copy it) so that sync can tell
// when everything the function wrote before answering has been logged:
// the function's lines then come before END and REPORT, as in Lambda.
type outputPipe struct {
	r, w *os.File // w is the child's end, closed here once it has started
	lw   lineWriter

	mu       sync.Mutex
	consumed int64
	eof      chan struct{}
}

func newOutputPipe(emit func(string)) (*outputPipe, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	o := &outputPipe{r: r, w: w, lw: lineWriter{emit: emit}, eof: make(chan struct{})}
	go o.copy()
	return o, nil
}

// copy reads the stream until every writer has closed it.
func (o *outputPipe) copy() {
	defer close(o.eof)
	buf := make([]byte, 32*1024)
	for {
		n, err := o.r.Read(buf)
		if n > 0 {
			_, _ = o.lw.Write(buf[:n])
			o.mu.Lock()
			o.consumed += int64(n)
			o.mu.Unlock()
		}
		if err != nil {
			o.lw.flush()
			return
		}
	}
}

// syncWait bounds sync, in case the reader is stuck behind a slow Logs.
const syncWait = 100 * time.Millisecond

// sync waits until the bytes in the pipe now have been read and logged.
func (o *outputPipe) sync() {
	o.mu.Lock()
	target := o.consumed + int64(pendingBytes(o.r))
	o.mu.Unlock()
	giveUp := time.Now().Add(syncWait)
	for {
		o.mu.Lock()
		caughtUp := o.consumed >= target
		o.mu.Unlock()
		if caughtUp || time.Now().After(giveUp) {
			return
		}
		select {
		case <-o.eof:
			return
		case <-time.After(time.Millisecond):
		}
	}
}

// closeAfterExit waits (briefly: a grandchild may hold the pipe open) for
// the rest of the output, then closes the pipe.
func (o *outputPipe) closeAfterExit() {
	select {
	case <-o.eof:
	case <-time.After(time.Second):
	}
	_ = o.r.Close()
}
