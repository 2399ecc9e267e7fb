package bench

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestParentPID(t *testing.T) {
	tests := []struct {
		stat string
		want int
	}{
		{"1234 (bootstrap) S 99 1234 1234 0 -1", 99},
		{"1234 (weird) name)) R 7 1 1", 7},
		{"garbage", -1},
		{"1 (x) S notanumber", -1},
	}
	for _, tt := range tests {
		if got := parentPID(tt.stat); got != tt.want {
			t.Errorf("parentPID(%q) = %d, want %d", tt.stat, got, tt.want)
		}
	}
}

func TestParseStatusMemory(t *testing.T) {
	status := "Name:\tbootstrap\nVmPeak:\t 1262000 kB\nVmHWM:\t   14848 kB\nVmRSS:\t   14500 kB\nThreads:\t5\n"
	hwm, rss, err := parseStatusMemory(bufio.NewScanner(strings.NewReader(status)))
	if err != nil || hwm != 14848 || rss != 14500 {
		t.Errorf("got %d, %d, %v; want 14848, 14500, nil", hwm, rss, err)
	}
	if _, _, err := parseStatusMemory(bufio.NewScanner(strings.NewReader("Name:\tx\n"))); err == nil {
		t.Error("no VmHWM: want an error")
	}
}

// TestNewChild: a process this test starts from its own executable is found among its
// children, told apart from those that ran before, and its memory can be read.
func TestNewChild(t *testing.T) {
	if os.Getenv("BENCH_HELPER_WAIT") == "1" {
		return // the helper run is TestHelperWait
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	before, err := childPIDs(exe)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestHelperWait$")
	cmd.Env = append(os.Environ(), "BENCH_HELPER_WAIT=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		_ = cmd.Wait()
	}()
	pid, err := newChild(exe, before)
	if err != nil {
		t.Fatal(err)
	}
	if pid != cmd.Process.Pid {
		t.Errorf("newChild = %d, want %d", pid, cmd.Process.Pid)
	}
	if hwm, rss, err := procMemory(pid); err != nil || hwm <= 0 || rss <= 0 {
		t.Errorf("procMemory = %d, %d, %v; want both positive", hwm, rss, err)
	}
}

// TestHelperWait is the child of TestNewChild: it waits until its stdin closes.
func TestHelperWait(t *testing.T) {
	if os.Getenv("BENCH_HELPER_WAIT") != "1" {
		return
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
}

func TestReportMaxMemoryMB(t *testing.T) {
	log := "START RequestId: a Version: $LATEST\nEND RequestId: a\nREPORT RequestId: a\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 15 MB\t\n"
	if got := reportMaxMemoryMB(log); got != 15 {
		t.Errorf("got %d, want 15", got)
	}
	if got := reportMaxMemoryMB("no report"); got != 0 {
		t.Errorf("got %d, want 0", got)
	}
}
