package lambdaruntime

import (
	"os/exec"
	"testing"
	"time"
)

// report is one REPORT line's content.
type report struct {
	requestID           string
	duration, init      time.Duration
	memoryMB, maxUsedMB int
	status, errorType   string
}

func TestReportLine(t *testing.T) {
	tests := []struct {
		name string
		r    report
		want string
	}{
		{
			name: "warm",
			r:    report{requestID: "id", duration: 1234 * time.Microsecond, memoryMB: 128, maxUsedMB: 20},
			want: "REPORT RequestId: id\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\t",
		},
		{
			name: "cold",
			r:    report{requestID: "id", duration: 2 * time.Millisecond, init: 10500 * time.Microsecond, memoryMB: 128, maxUsedMB: 20},
			want: "REPORT RequestId: id\tDuration: 2.00 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\tInit Duration: 10.50 ms\t",
		},
		{
			name: "timeout",
			r:    report{requestID: "id", duration: time.Second, memoryMB: 128, maxUsedMB: 20, status: "timeout"},
			want: "REPORT RequestId: id\tDuration: 1000.00 ms\tBilled Duration: 1000 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\tStatus: timeout\t",
		},
		{
			name: "crash",
			r:    report{requestID: "id", duration: time.Millisecond, memoryMB: 128, maxUsedMB: 20, status: "error", errorType: "Runtime.ExitError"},
			want: "REPORT RequestId: id\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\tStatus: error\tError Type: Runtime.ExitError\t",
		},
	}
	for _, tt := range tests {
		r := tt.r
		if got := reportLine(r.requestID, r.duration, r.init, r.memoryMB, r.maxUsedMB, outcome{status: r.status, errorType: r.errorType}); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestExitReason(t *testing.T) {
	tests := []struct {
		script string
		want   string
	}{
		{"exit 0", "Runtime exited without providing a reason"},
		{"exit 2", "Runtime exited with error: exit status 2"},
		{"kill -9 $$", "Runtime exited with error: signal: killed"},
	}
	for _, tt := range tests {
		cmd := exec.Command("/bin/sh", "-c", tt.script)
		_ = cmd.Run()
		if got := exitOutcome("id", cmd.ProcessState).logLines[0]; got != "RequestId: id Error: "+tt.want {
			t.Errorf("%s: exit reason = %q, want %q", tt.script, got, tt.want)
		}
	}
}
