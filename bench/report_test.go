package bench

import (
	"strings"
	"testing"
	"time"
)

// TestMarkdown: one table with a section per item, ratios as original ÷ this design, and item 3
// beside the hello-world baseline of the same CPU share.
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
		Shares: ShareResult{Limiter: "cgroup v1 cpu.cfs_quota_us", Period: cfsPeriod, Starts: 15, WarmN: 5, Rows: []ShareRow{
			{Function: "hello", MemoryMB: 128, Init: Summary{N: 15, P50: 80 * ms}, First: Summary{N: 15, P50: 84 * ms}, Floor: Summary{N: 15, P50: 200 * ms}},
			{Function: "signin", MemoryMB: 128, Init: Summary{N: 15, P50: 96 * ms}, First: Summary{N: 15, P50: 220 * ms},
				Warm: Summary{N: 75, P50: 14200 * time.Microsecond}, BilledWarm: 15 * ms, BilledCold: 221 * ms},
			{Function: "me", MemoryMB: 128, Init: Summary{N: 15, P50: 88 * ms}, First: Summary{N: 15, P50: 105 * ms}},
		}},
		Sizes:  []SizeRow{{Function: "signin", Bootstrap: 9502882, Zip: 3549904}},
		E2E:    E2EResult{Ours: Summary{N: 200, P50: 10 * ms, P95: 12 * ms}, Original: Summary{N: 200, P50: 15 * ms, P95: 24 * ms}, Users: 21},
		Memory: []MemoryRow{{Function: "signin", Invocations: 1000, AfterAllKB: 15360, AfterFirstKB: 11264, ReportMB: 15}, {Function: OriginalKey, Invocations: 1000, AfterAllKB: 15360, AfterFirstKB: 11264, ReportMB: 15}},
	}
	md := r.Markdown()
	for _, want := range []string{
		"| # | Measure | This design | Compared with | Ratio |",
		"| 1 | Cognito calls per sign-in: returning user | 1 | 2 | 2.00× |",
		"| 1 | Cognito calls per sign-in: wrong password | 1 | 2 | 2.00× |",
		"| 1 | Cognito calls per sign-in: locked account | 1 | 2 | 2.00× |",
		"| 1 | Cognito calls per sign-in: mix 90% returning / 10% new | 1.20 | 2.00 | 1.67× |",
		"| 2 | Warm handler, success path: `signin-apigw-v1.json` (REST proxy) | 41.2 µs/op · 11,760 B/op · 199 allocs/op | — | — |",
		"| 3 | 128 MB (7.24% of a core): `signin` process start → first /next (reads the secret at init) | 96.0 ms | `hello` 80.0 ms | 1.20× |",
		"| 3 | 128 MB (7.24% of a core): `me` start → first /next / → first answer | 88.0 ms / 105.0 ms | `hello` 80.0 ms / 84.0 ms | 1.10× / 1.25× |",
		"| 3 | 128 MB (7.24% of a core): `signin` cold start → first sign-in answered (secret + Cognito over new TLS connections) | 220.0 ms | floor 200.0 ms | 1.10× |",
		"| 3 | 128 MB (7.24% of a core): `signin` warm sign-in, Duration / billed, median of 75 | 14.2 ms / 15 ms | — | — |",
		// 1M × ($0.20/1M + 0.125 GB × 0.015 s × $0.0000133334) = $0.225; cold 0.221 s: $0.568.
		"| 3 | 128 MB (7.24% of a core): Lambda arm64, 1M sign-ins all warm / all cold (billed 15 / 221 ms) | $0.23 / $0.57 | — | — |",
		"| 3 | API Gateway REST API, 1M requests (any memory size) | $3.50 | — | — |",
		"| 3 | Cognito Essentials: $0.015 per monthly active user above 10,000 free; 1M users signing in in a month | $14,850 | — | — |",
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
	if strings.Contains(md, "`autoconfirm` start") {
		t.Errorf("a function that was not measured has no row:\n%s", md)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 9502882: "9,502,882", -1234: "-1,234"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
