package bench

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// Machine describes where the figures were measured.
type Machine struct {
	CPUs      int
	CPUModel  string
	GoVersion string // `go version`, the toolchain that built the bootstraps
	Kernel    string
	// LoadAvg is /proc/loadavg's 1, 5 and 15 minute load at the start: other work on the
	// machine shows in every timing.
	LoadAvg string
	Node    string
}

// ReadMachine reads what it can; a field it cannot read stays empty.
func ReadMachine(ctx context.Context, root string) Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if out, err := exec.CommandContext(ctx, "go", "version").Output(); err == nil {
		m.GoVersion = strings.TrimPrefix(strings.TrimSpace(string(out)), "go version ")
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	if out, err := exec.CommandContext(ctx, "node", "--version").Output(); err == nil {
		m.Node = strings.TrimSpace(string(out))
	}
	return m
}
