package lambdaruntime

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// sysProcAttr puts the bootstrap in its own process group, so a signal
// reaches anything it started (Lambda resets the whole sandbox), and asks the
// kernel to kill it if the runner dies first.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// peakMemoryMB returns the process's peak resident memory ("Max Memory
// Used"): VmHWM while it runs, the rusage maximum once it has exited.
func peakMemoryMB(pid int, state *os.ProcessState) int {
	if state != nil {
		if ru, ok := state.SysUsage().(*syscall.Rusage); ok {
			return int((ru.Maxrss + 1023) / 1024) // kB on Linux
		}
		return 0
	}
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return (kb + 1023) / 1024
		}
	}
	return 0
}
