package bench

import (
	"strings"
	"testing"
	"time"
)

// TestMarkdown: one table with a section per item, ratios as original ÷ this design.
func TestMarkdown(t *testing.T) {
	ms := time.Millisecond
	r := &Report{
		Started: time.Date(2026, 11, 21, 21, 0, 0, 0, time.UTC), Took: 95 * time.Second, Command: "make bench",
		Machine: Machine{CPUs: 2, CPUModel: "Test CPU", GoVersion: "go1.26.8 linux/amd64"},
		Calls: []CallRow{
			{Design: "this design", Returning: 1, NewUser: 3, WrongPassword: 1, Locked: 1, Concurrent: 3, Mix: 1.2},
			{Design: "original order", Returning: 2, NewUser: 2, WrongPassword: 2, Locked: 2, Concurrent: 2, Mix: 2},
		},
		Warm: WarmResult{Rows: []WarmRow{{Name: "apigw-v1", NsPerOp: 41234, BytesPerOp: 11760, AllocsPerOp: 199}}},
		Cold: []ColdRow{
			{Function: "signin", FirstResponse: Summary{N: 20, P50: 10 * ms, Max: 15 * ms}, Init: Summary{N: 20, P50: 5 * ms, Max: 6 * ms}},
			{Function: OriginalKey, FirstResponse: Summary{N: 20, P50: 12 * ms, Max: 16 * ms}, Init: Summary{N: 20, P50: 5 * ms, Max: 7 * ms}},
		},
		Sizes:  []SizeRow{{Function: "signin", Bootstrap: 9502882, Zip: 3549904}},
		E2E:    E2EResult{Ours: Summary{N: 200, P50: 10 * ms, P95: 12 * ms}, Original: Summary{N: 200, P50: 15 * ms, P95: 24 * ms}, Users: 21},
		Memory: []MemoryRow{{Function: "signin", Invocations: 1000, AfterAllKB: 15360, AfterFirstKB: 11264, ReportMB: 15}, {Function: OriginalKey, Invocations: 1000, AfterAllKB: 15360, AfterFirstKB: 11264, ReportMB: 15}},
	}
	md := r.Markdown()
	for _, want := range []string{
		"| # | Measure | This design | Original order | Original ÷ this |",
		"| 1 | Cognito calls per sign-in: returning user | 1 | 2 | 2.00× |",
		"| 1 | Cognito calls per sign-in: wrong password | 1 | 2 | 2.00× |",
		"| 1 | Cognito calls per sign-in: locked account | 1 | 2 | 2.00× |",
		"| 1 | Cognito calls per sign-in: mix 90% returning / 10% new | 1.20 | 2.00 | 1.67× |",
		"| 2 | Warm handler, success path: `signin-apigw-v1.json` (REST proxy) | 41.2 µs/op · 11,760 B/op · 199 allocs/op | — | — |",
		"| 3 | Cold start `signin`: process start → first response, median / max of 20 | 10.0 / 15.0 ms | 12.0 / 16.0 ms | 1.20× |",
		"| 4 | `build/signin.zip` | 3.39 MiB (3,549,904 B) | — | — |",
		"| 5 | End to end, returning user, p50 of 200 | 10.0 ms | 15.0 ms | 1.50× |",
		"| 5 | End to end, returning user, p95 of 200 | 12.0 ms | 24.0 ms | 2.00× |",
		"| 6 | Peak memory (VmHWM) of one warm process after 1,000 sign-ins | 15.0 MiB | 15.0 MiB | 1.00× |",
		"`make bench`",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if strings.Count(md, "| # |") != 1 {
		t.Errorf("want exactly one table:\n%s", md)
	}
	if strings.Contains(md, "`signinOriginal`: process start") {
		t.Errorf("the original's cold start belongs in signin's row, not its own:\n%s", md)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 9502882: "9,502,882", -1234: "-1,234"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
