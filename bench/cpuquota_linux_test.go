package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestCPUGroupStart: a process started in a group is in it from its first instruction (it
// reads its own /proc/self/cgroup), on whichever cgroup version this machine lets us use.
func TestCPUGroupStart(t *testing.T) {
	l, err := detectCPULimiter()
	if err != nil {
		t.Skipf("no CPU quota here: %v", err)
	}
	name := "signin-bench-test-" + strings.ReplaceAll(t.Name(), "/", "-")
	g, err := l.group(name, cpuQuota(512), cfsPeriod)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("cat", "/proc/self/cgroup")
	var out bytes.Buffer
	cmd.Stdout = &out
	if _, err := g.start(cmd); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "/"+name+"\n") {
		t.Errorf("the process's cgroups:\n%s\nwant one ending in %s", out.String(), name)
	}
	// The thread that forked it went back to the parent group: nothing is left in this one.
	if err := g.remove(); err != nil {
		t.Errorf("remove: %v", err)
	}
	if _, err := os.Stat(g.dir); !os.IsNotExist(err) {
		t.Errorf("group %s still there (%v)", g.dir, err)
	}
}

// TestRemoveStale: a group named after a bench process that is gone is removed; one named
// after a running process (this test's) is left.
func TestRemoveStale(t *testing.T) {
	l, err := detectCPULimiter()
	if err != nil {
		t.Skipf("no CPU quota here: %v", err)
	}
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		t.Fatal(err)
	}
	pidMax, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	gone, err := l.group(fmt.Sprintf("%s%d-128mb", groupPrefix, pidMax+1), cpuQuota(128), cfsPeriod)
	if err != nil {
		t.Fatal(err)
	}
	live, err := l.group(fmt.Sprintf("%s%d-128mb", groupPrefix, os.Getpid()), cpuQuota(128), cfsPeriod)
	if err != nil {
		t.Fatal(err)
	}
	defer live.remove()
	l.removeStale()
	if _, err := os.Stat(gone.dir); !os.IsNotExist(err) {
		t.Errorf("stale group %s still there (%v)", gone.dir, err)
		gone.remove()
	}
	if _, err := os.Stat(live.dir); err != nil {
		t.Errorf("a running process's group was removed: %v", err)
	}
}
