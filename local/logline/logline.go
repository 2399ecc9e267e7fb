// Package logline cuts the output streams of the local runner's parts (the functions' processes,
// the gateway, the Invoke endpoint's logger) into whole lines, so that each part can filter or
// prefix a line before it reaches the shared log.
package logline

import (
	"bytes"
	"sync"
)

// Writer passes each newline-terminated line written to it to Emit, without the newline; a
// line may arrive over several writes. It is safe for concurrent use, and Emit runs under its
// lock, so Emit sees the lines one at a time and in order.
type Writer struct {
	// Emit receives each line, which it must not keep after it returns. An error it returns is
	// returned by Write, which keeps what follows the line for the next write.
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
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := w.partial[:i]
		w.partial = w.partial[i+1:]
		if err := w.Emit(line); err != nil {
			return len(p), err
		}
	}
}

// Flush emits an unterminated last line, if any; call it once the stream has ended.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) == 0 {
		return nil
	}
	line := w.partial
	w.partial = nil
	return w.Emit(line)
}
