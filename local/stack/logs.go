package stack

import (
	"io"
	"sync"

	"github.com/signin-api/signin/local/logline"
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
	prefix := []byte("[" + name + "] ")
	return &logline.Writer{Emit: func(line []byte) error {
		out := append(append(append([]byte(nil), prefix...), line...), '\n')
		m.mu.Lock()
		defer m.mu.Unlock()
		_, err := m.out.Write(out)
		return err
	}}
}

type rawWriter struct{ mux *logMux }

func (w rawWriter) Write(p []byte) (int, error) {
	w.mux.mu.Lock()
	defer w.mux.mu.Unlock()
	return w.mux.out.Write(p)
}
