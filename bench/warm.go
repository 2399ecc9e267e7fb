package bench

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// WarmCommand is how item 2 is measured; the runner runs it in the service's folder.
const WarmCommand = "go test -run '^$' -bench BenchmarkHandler -benchmem ./shared/signin/"

// WarmRow is one line of `go test -bench -benchmem` output.
type WarmRow struct {
	// Name is the sub-benchmark, the sample event's file without "signin-" and ".json".
	Name        string
	NsPerOp     float64
	BytesPerOp  int64
	AllocsPerOp int64
}

// WarmResult is item 2: the benchmark's lines and the CPU it reports.
type WarmResult struct {
	Rows []WarmRow
	CPU  string
}

// Warm runs BenchmarkHandler of shared/signin and reads its figures.
func Warm(ctx context.Context, root string) (WarmResult, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", "BenchmarkHandler", "-benchmem", "./shared/signin/")
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return WarmResult{}, fmt.Errorf("%s: %w\n%s", WarmCommand, err, out.String())
	}
	res := ParseBenchOutput(out.String(), "BenchmarkHandler")
	if len(res.Rows) == 0 {
		return WarmResult{}, fmt.Errorf("%s printed no BenchmarkHandler lines:\n%s", WarmCommand, out.String())
	}
	return res, nil
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op\s+(\d+) B/op\s+(\d+) allocs/op`)

// ParseBenchOutput reads the lines of benchmark (and its sub-benchmarks) from `go test -bench
// -benchmem` output, with the "cpu:" line.
func ParseBenchOutput(out, benchmark string) WarmResult {
	var res WarmResult
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if cpu, ok := strings.CutPrefix(line, "cpu: "); ok {
			res.CPU = cpu
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		name, ok := strings.CutPrefix(m[1], benchmark)
		if !ok || (name != "" && !strings.HasPrefix(name, "/")) {
			continue
		}
		ns, _ := strconv.ParseFloat(m[2], 64)
		b, _ := strconv.ParseInt(m[3], 10, 64)
		allocs, _ := strconv.ParseInt(m[4], 10, 64)
		res.Rows = append(res.Rows, WarmRow{Name: strings.TrimPrefix(name, "/"), NsPerOp: ns, BytesPerOp: b, AllocsPerOp: allocs})
	}
	return res
}
