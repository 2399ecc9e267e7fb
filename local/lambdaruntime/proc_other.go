//go:build unix && !linux

package lambdaruntime

import (
	"os"
	"syscall"
)

// sysProcAttr puts the bootstrap in its own process group, so that a signal reaches anything
// it started.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// peakMemoryMB is not measured outside Linux.
func peakMemoryMB(int, *os.ProcessState) int { return 0 }
