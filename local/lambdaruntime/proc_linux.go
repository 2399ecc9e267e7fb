package lambdaruntime

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// sysProcAttr puts the bootstrap in its own process group, so that a signal reaches anything
// it started (Lambda resets the whole sandbox), and has the kernel kill it if the runner dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// peakMemoryMB is the process's peak resident memory ("Max Memory Used"): VmHWM while it runs,
// the rusage maximum once it has exited.
func (in *instance) peakMemoryMB() int {
	if in.exited.Err() != nil && in.cmd.ProcessState != nil {
		return int(in.cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss+1023) / 1024 // kB on Linux
	}
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(in.cmd.Process.Pid) + "/status")
	_, hwm, _ := strings.Cut(string(b), "VmHWM:")
	kb, _ := strconv.Atoi(strings.Fields(hwm + " 0")[0])
	return (kb + 1023) / 1024
}
