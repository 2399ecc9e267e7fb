package lambdaruntime

import (
	"fmt"
	"io"
	"math"
	"sync"
	"time"
)

// logSink writes whole lines to a Function's Logs, each prefixed with its
// short name, so that lines from concurrent instances never interleave.
type logSink struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
}

func (s *logSink) line(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = io.WriteString(s.w, s.prefix+text+"\n")
}

// report is the content of Lambda's REPORT line for one invocation.
type report struct {
	requestID string
	duration  time.Duration
	init      time.Duration // zero when warm
	memoryMB  int
	maxUsedMB int
	status    string // "", "timeout" or "error"
	errorType string // with status "error"
}

// String formats r like Lambda, tab-separated with a trailing tab. Billed
// Duration includes the init phase, as Lambda bills it since August 2025.
func (r report) String() string {
	billed := int64(math.Ceil(ms(r.duration + r.init)))
	s := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		r.requestID, ms(r.duration), billed, r.memoryMB, r.maxUsedMB)
	if r.init > 0 {
		s += fmt.Sprintf("Init Duration: %.2f ms\t", ms(r.init))
	}
	if r.status != "" {
		s += "Status: " + r.status + "\t"
	}
	if r.errorType != "" {
		s += "Error Type: " + r.errorType + "\t"
	}
	return s
}

// ms is d in milliseconds, as Lambda's log lines give durations.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
