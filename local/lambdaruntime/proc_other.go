//go:build unix && !linux

package lambdaruntime

import "syscall"

// sysProcAttr puts the bootstrap in its own process group, so that a signal reaches anything
// it started.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// peakMemoryMB is not measured outside Linux.
func (in *instance) peakMemoryMB() int { return 0 }
