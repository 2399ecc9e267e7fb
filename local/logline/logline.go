// Package logline cuts the output streams of the local runner's parts into whole lines, so each
// part can filter or prefix a line before it reaches the shared log, and keeps a log's tail.
package logline

import (
	"bytes"
	"sync"
)

// maxLine bounds a line: a longer one is emitted in pieces of maxLine bytes, so a stream
// without newlines cannot grow the buffer without bound.
const maxLine = 64 * 1024

// Writer passes each line written to it, without its newline, to Emit, one at a time and in
// order (Emit runs under the Writer's lock); it is safe for concurrent use.
type Writer struct {
	// Emit must not keep the line after it returns; its error is Write's, and the rest stays
	// for the next write.
	Emit func(line []byte) error

	mu      sync.Mutex
	partial []byte
}

// Write emits the lines p completes and keeps an unterminated rest for the next write.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		line, rest, ok := bytes.Cut(w.partial, []byte{'\n'})
		if len(line) > maxLine {
			line, rest, ok = line[:maxLine], w.partial[maxLine:], true
		}
		if !ok {
			return len(p), nil
		}
		w.partial = rest
		if err := w.Emit(line); err != nil {
			return len(p), err
		}
	}
}

// Tail keeps the last Max bytes of the lines added, each ended by a newline, as Lambda's
// LogType Tail returns the last 4 KB of an invocation's log. It is not safe for concurrent use.
type Tail struct {
	Max int
	buf []byte
}

// Add appends a line.
func (t *Tail) Add(line string) {
	t.buf = append(append(t.buf, line...), '\n')
	if len(t.buf) > 2*t.Max { // trim now and then, not on every line
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.Max:]...)
	}
}

// Bytes returns a copy of the last Max bytes.
func (t *Tail) Bytes() []byte {
	return append([]byte(nil), t.buf[max(0, len(t.buf)-t.Max):]...)
}
