package stack

import (
	"bytes"
	"io"
	"sync"
)

// logMux serialises the log lines of every part of the stack onto one writer, so lines from
// concurrent sources never interleave mid-line.
type logMux struct {
	mu  sync.Mutex
	out io.Writer
}

func newLogMux(out io.Writer) *logMux {
	if out == nil {
		out = io.Discard
	}
	return &logMux{out: out}
}

// raw is a writer for sources that write whole, already prefixed lines (the function pools).
func (m *logMux) raw() io.Writer { return rawWriter{m} }

// prefixed is a writer that puts "[name] " in front of each line.
func (m *logMux) prefixed(name string) io.Writer {
	return &prefixWriter{mux: m, prefix: []byte("[" + name + "] ")}
}

type rawWriter struct{ mux *logMux }

func (w rawWriter) Write(p []byte) (int, error) {
	w.mux.mu.Lock()
	defer w.mux.mu.Unlock()
	return w.mux.out.Write(p)
}

type prefixWriter struct {
	mux     *logMux
	prefix  []byte
	mu      sync.Mutex
	partial []byte
}

func (w *prefixWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := append(append([]byte(nil), w.prefix...), w.partial[:i+1]...)
		w.partial = w.partial[i+1:]
		w.mux.mu.Lock()
		_, err := w.mux.out.Write(line)
		w.mux.mu.Unlock()
		if err != nil {
			return len(p), err
		}
	}
}
