//go:build !linux

package bench

import (
	"errors"
	"os/exec"
	"time"
)

type cpuLimiter struct{ Kind string }

func detectCPULimiter() (*cpuLimiter, error) {
	return nil, errors.New("CPU quotas need Linux cgroups")
}

func (l *cpuLimiter) removeStale() {}

type cpuGroup struct{}

func (l *cpuLimiter) group(string, time.Duration, time.Duration) (*cpuGroup, error) {
	return nil, errors.New("CPU quotas need Linux cgroups")
}

func (g *cpuGroup) start(cmd *exec.Cmd) (time.Time, error) {
	t := time.Now()
	return t, cmd.Start()
}

func (g *cpuGroup) remove() error { return nil }
