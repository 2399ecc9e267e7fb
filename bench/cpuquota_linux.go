package bench

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuLimiter makes cgroups with a CPU quota, on whichever cgroup version's cpu controller this
// machine lets us write: v2's cpu.max, or v1's cpu.cfs_quota_us and cpu.cfs_period_us.
type cpuLimiter struct {
	// Kind names the mechanism, for the report.
	Kind string
	// parent is the folder the groups are made in: this process's own cgroup in the
	// controller's hierarchy.
	parent string
	v2     bool
}

// detectCPULimiter finds the cpu controller through /proc/self/mountinfo and /proc/self/cgroup,
// preferring v2. Its error says why neither is usable (not root, no controller, ...).
func detectCPULimiter() (*cpuLimiter, error) {
	mounts, err := cgroupMounts()
	if err != nil {
		return nil, err
	}
	own, err := ownCgroups()
	if err != nil {
		return nil, err
	}
	var why []string
	if m, ok := mounts["cgroup2"]; ok {
		dir := filepath.Join(m, own[""])
		if b, err := os.ReadFile(filepath.Join(m, "cgroup.controllers")); err == nil && slices.Contains(strings.Fields(string(b)), "cpu") {
			// The children of dir get a cpu.max only when dir delegates the controller.
			if err := os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte("+cpu"), 0); err == nil {
				return &cpuLimiter{Kind: "cgroup v2 cpu.max", parent: dir, v2: true}, nil
			} else {
				why = append(why, "cgroup v2: "+err.Error())
			}
		} else {
			why = append(why, "cgroup v2 at "+m+" has no cpu controller")
		}
	}
	if m, ok := mounts["cpu"]; ok {
		dir := filepath.Join(m, own["cpu"])
		probe := filepath.Join(dir, fmt.Sprintf("signin-bench-probe-%d", os.Getpid()))
		if err := os.Mkdir(probe, 0o755); err != nil {
			why = append(why, "cgroup v1 cpu: "+err.Error())
		} else {
			_ = os.Remove(probe)
			return &cpuLimiter{Kind: "cgroup v1 cpu.cfs_quota_us", parent: dir}, nil
		}
	} else {
		why = append(why, "no cgroup v1 cpu controller mounted")
	}
	return nil, errors.New(strings.Join(why, "; "))
}

// cgroupMounts maps "cgroup2" and each v1 controller (cpu, memory, ...) to its mount point.
func cgroupMounts() (map[string]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	mounts := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields, tail := strings.Fields(pre), strings.Fields(post)
		if !ok || len(fields) < 5 || len(tail) < 3 {
			continue
		}
		switch tail[0] {
		case "cgroup2":
			mounts["cgroup2"] = fields[4]
		case "cgroup":
			for _, opt := range strings.Split(tail[2], ",") {
				mounts[opt] = fields[4]
			}
		}
	}
	return mounts, sc.Err()
}

// ownCgroups maps each v1 controller (and "" for v2) to this process's cgroup path in it.
func ownCgroups() (map[string]string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	own := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		// hierarchy-ID:controller-list:cgroup-path
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			own[c] = parts[2]
		}
	}
	return own, nil
}

// cpuGroup is one cgroup with a CPU quota per period.
type cpuGroup struct {
	dir, parent string
	v2          bool
}

// group makes the cgroup name with the quota, replacing a leftover one of that name.
func (l *cpuLimiter) group(name string, quota, period time.Duration) (*cpuGroup, error) {
	g := &cpuGroup{dir: filepath.Join(l.parent, name), parent: l.parent, v2: l.v2}
	_ = os.Remove(g.dir)
	if err := os.Mkdir(g.dir, 0o755); err != nil {
		return nil, err
	}
	us := func(d time.Duration) string { return strconv.FormatInt(d.Microseconds(), 10) }
	var err error
	if g.v2 {
		err = os.WriteFile(filepath.Join(g.dir, "cpu.max"), []byte(us(quota)+" "+us(period)), 0)
	} else if err = os.WriteFile(filepath.Join(g.dir, "cpu.cfs_period_us"), []byte(us(period)), 0); err == nil {
		err = os.WriteFile(filepath.Join(g.dir, "cpu.cfs_quota_us"), []byte(us(quota)), 0)
	}
	if err != nil {
		_ = os.Remove(g.dir)
		return nil, fmt.Errorf("cgroup %s: %w", g.dir, err)
	}
	return g, nil
}

// start starts cmd as a member of g from its first instruction, and returns the time just
// before the fork. v2 clones the child straight into the group (CLONE_INTO_CGROUP); v1 has no
// such flag but puts threads in groups one by one, so a thread of ours, locked to this call,
// joins the group, forks the child there (a child starts in its parent thread's cgroups) and
// goes back to the parent group before it runs any other Go code. A nil g starts cmd unlimited.
func (g *cpuGroup) start(cmd *exec.Cmd) (time.Time, error) {
	if g == nil {
		t := time.Now()
		return t, cmd.Start()
	}
	if g.v2 {
		fd, err := syscall.Open(g.dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		if err != nil {
			return time.Time{}, err
		}
		defer syscall.Close(fd)
		if cmd.SysProcAttr == nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{}
		}
		cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, fd
		t := time.Now()
		return t, cmd.Start()
	}
	type started struct {
		at  time.Time
		err error
	}
	done := make(chan started, 1)
	go func() {
		runtime.LockOSThread()
		tid := []byte(strconv.Itoa(syscall.Gettid()))
		if err := os.WriteFile(filepath.Join(g.dir, "tasks"), tid, 0); err != nil {
			runtime.UnlockOSThread()
			done <- started{err: fmt.Errorf("join %s: %w", g.dir, err)}
			return
		}
		t := time.Now()
		err := cmd.Start()
		// Back out before anything else runs on this thread; should that fail, the goroutine
		// ends still locked and takes the thread with it.
		if os.WriteFile(filepath.Join(g.parent, "tasks"), tid, 0) == nil {
			runtime.UnlockOSThread()
		}
		done <- started{t, err}
	}()
	s := <-done
	return s.at, s.err
}

// removeStale removes the groups earlier runs left behind (right after its last process exits,
// the kernel may still refuse to remove a group). A group is stale when the bench process whose
// pid it is named after is gone: a running bench's groups, another engineer's say, stay.
func (l *cpuLimiter) removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(l.parent, groupPrefix+"*"))
	for _, d := range dirs {
		pid, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(d), groupPrefix), "-")
		if _, err := strconv.Atoi(pid); err != nil {
			continue
		}
		if _, err := os.Stat("/proc/" + pid); err == nil {
			continue
		}
		_ = os.Remove(d)
	}
}

// remove deletes the group once its processes and thread are gone.
func (g *cpuGroup) remove() error {
	if g == nil {
		return nil
	}
	return os.Remove(g.dir)
}
