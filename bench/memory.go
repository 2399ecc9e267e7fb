package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/signin-api/signin/local/lambdaruntime"
)

// MemoryRow is item 6 for one function: the peak resident memory of one warm process.
type MemoryRow struct {
	Function    string
	Invocations int
	// AfterFirstKB and AfterAllKB are VmHWM from /proc/<pid>/status after the first and the
	// last invocation, in kB.
	AfterFirstKB, AfterAllKB int64
	// RSSKB is VmRSS after the last invocation, in kB.
	RSSKB int64
	// ReportMB is the "Max Memory Used" of the last invocation's REPORT line (the runtime reads
	// it from VmHWM too, rounded up to MB).
	ReportMB int
}

// PeakMemory runs n returning-user sign-ins (REST proxy events, the users in turn) through one
// new process of signin, and of the original design, against the stack's local Cognito, and
// reads the process's peak memory.
func PeakMemory(ctx context.Context, ls *localStack, n int) ([]MemoryRow, error) {
	payloads, err := signInEvents(filepath.Join(ls.root, "events", "signin-apigw-v1.json"), e2eUsers)
	if err != nil {
		return nil, err
	}
	var rows []MemoryRow
	for _, key := range []string{"signin", OriginalKey} {
		fn, err := ls.function(key)
		if err != nil {
			return nil, err
		}
		row, err := peakMemory(ctx, fn, payloads, n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		row.Function = key
		rows = append(rows, row)
	}
	return rows, nil
}

func peakMemory(ctx context.Context, fn lambdaruntime.Function, payloads [][]byte, n int) (MemoryRow, error) {
	before, err := childPIDs(fn.Bootstrap)
	if err != nil {
		return MemoryRow{}, err
	}
	p, err := lambdaruntime.NewPool(fn)
	if err != nil {
		return MemoryRow{}, err
	}
	defer p.Close()
	row := MemoryRow{Invocations: n}
	var (
		pid  int
		last lambdaruntime.Response
	)
	for i := 0; i < n; i++ {
		resp, err := p.Invoke(ctx, payloads[i%len(payloads)])
		if err != nil {
			return row, err
		}
		if resp.FunctionError != "" {
			return row, fmt.Errorf("invocation %d: function error", i+1)
		}
		if err := signedIn(resp.Payload); err != nil {
			return row, fmt.Errorf("invocation %d: %w", i+1, err)
		}
		if i == 0 {
			if pid, err = newChild(fn.Bootstrap, before); err != nil {
				return row, err
			}
			if row.AfterFirstKB, _, err = procMemory(pid); err != nil {
				return row, err
			}
		}
		last = resp
	}
	if s := p.Stats(); s.Starts != 1 {
		return row, fmt.Errorf("%d processes started, want one warm process for every invocation", s.Starts)
	}
	if row.AfterAllKB, row.RSSKB, err = procMemory(pid); err != nil {
		return row, err
	}
	row.ReportMB = reportMaxMemoryMB(string(last.Log))
	return row, nil
}

// signInEvents is the REST proxy sample event with each user's credentials as its body.
func signInEvents(sample string, users []user) ([][]byte, error) {
	data, err := os.ReadFile(sample)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, u := range users {
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal(data, &ev); err != nil {
			return nil, fmt.Errorf("%s: %w", sample, err)
		}
		body, _ := json.Marshal(map[string]string{"username": u.Username, "password": u.Password})
		ev.Body = string(body)
		b, _ := json.Marshal(ev)
		out = append(out, b)
	}
	return out, nil
}

// childPIDs lists this process's children running the executable exe. The runner exposes no
// pids, and the stack's own pools run the same bootstraps, so a new process is told apart by
// comparing the lists before and after it starts.
func childPIDs(exe string) ([]int, error) {
	want, err := filepath.EvalSymlinks(exe)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("read /proc (peak memory needs Linux): %w", err)
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || parentPID(string(stat)) != self {
			continue
		}
		if got, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil && got == want {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// parentPID reads the ppid from a /proc/<pid>/stat line: the second field after the command,
// which is in parentheses and may itself hold spaces and parentheses.
func parentPID(stat string) int {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return -1
	}
	fields := strings.Fields(stat[i+1:])
	if len(fields) < 2 {
		return -1
	}
	ppid, err := strconv.Atoi(fields[1])
	if err != nil {
		return -1
	}
	return ppid
}

// newChild returns the one child running exe that is not in before.
func newChild(exe string, before []int) (int, error) {
	now, err := childPIDs(exe)
	if err != nil {
		return 0, err
	}
	var added []int
	for _, pid := range now {
		if !slices.Contains(before, pid) {
			added = append(added, pid)
		}
	}
	if len(added) != 1 {
		return 0, fmt.Errorf("found %d new processes of %s, want 1", len(added), exe)
	}
	return added[0], nil
}

// procMemory reads VmHWM and VmRSS (kB) of pid.
func procMemory(pid int) (hwm, rss int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	return parseStatusMemory(bufio.NewScanner(f))
}

// parseStatusMemory reads VmHWM and VmRSS from the lines of a /proc/<pid>/status file.
func parseStatusMemory(sc *bufio.Scanner) (hwm, rss int64, err error) {
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmHWM" && key != "VmRSS") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(value), "kB")), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %q", key, value)
		}
		if key == "VmHWM" {
			hwm = kb
		} else {
			rss = kb
		}
	}
	if hwm == 0 {
		return 0, 0, fmt.Errorf("no VmHWM in /proc status")
	}
	return hwm, rss, sc.Err()
}

var maxMemoryUsed = regexp.MustCompile(`Max Memory Used: (\d+) MB`)

// reportMaxMemoryMB reads "Max Memory Used" from an invocation's log tail; 0 when absent.
func reportMaxMemoryMB(log string) int {
	m := maxMemoryUsed.FindAllStringSubmatch(log, -1)
	if len(m) == 0 {
		return 0
	}
	mb, _ := strconv.Atoi(m[len(m)-1][1])
	return mb
}
