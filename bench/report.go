package bench

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// warmEvents names the sample event and shape behind each BenchmarkHandler sub-benchmark.
var warmEvents = map[string]string{
	"bare":               "bare JSON",
	"apigw-v1":           "REST proxy",
	"apigw-v1-form":      "REST proxy, form body",
	"apigw-v1-base64":    "REST proxy, base64 form body",
	"apigw-console":      "REST proxy, console test (no Content-Type)",
	"http-v2":            "HTTP API v2",
	"lambda-integration": "`integration: lambda` template",
}

func eventFileOf(name string) string {
	if name == "bare" {
		return "signin.json"
	}
	return "signin-" + name + ".json"
}

// Markdown renders the report: a heading, the machine, one table with a section per item, and
// the notes that say how each figure was measured.
func (r *Report) Markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	m := r.Machine
	p("## Benchmark: this design vs the original order (SignUp first) and a hello-world function\n\n")
	p("Run %s UTC in %s with `%s`.\n", r.Started.Format("2006-01-02 15:04"), r.Took.Round(time.Second), r.Command)
	p("Machine: %d CPUs (%s), %s, Linux %s, load average at start %s; Node %s.\n\n",
		m.CPUs, orDash(m.CPUModel), orDash(m.GoVersion), orDash(m.Kernel), orDash(m.LoadAvg), orDash(m.Node))

	p("| # | Measure | This design | Compared with | Ratio |\n")
	p("|---|---|---:|---:|---:|\n")
	row := func(item int, measure, ours, orig, ratio string) {
		p("| %d | %s | %s | %s | %s |\n", item, measure, ours, orig, ratio)
	}

	if len(r.Calls) == 2 {
		o, g := r.Calls[0], r.Calls[1]
		row(1, "Cognito calls per sign-in: returning user", strconv.Itoa(o.Returning), strconv.Itoa(g.Returning), ratio(float64(g.Returning), float64(o.Returning)))
		row(1, "Cognito calls per sign-in: new user", strconv.Itoa(o.NewUser), strconv.Itoa(g.NewUser), ratio(float64(g.NewUser), float64(o.NewUser)))
		row(1, "Cognito calls per sign-in: wrong password", strconv.Itoa(o.WrongPassword), strconv.Itoa(g.WrongPassword), ratio(float64(g.WrongPassword), float64(o.WrongPassword)))
		row(1, "Cognito calls per sign-in: locked account", strconv.Itoa(o.Locked), strconv.Itoa(g.Locked), ratio(float64(g.Locked), float64(o.Locked)))
		row(1, "Cognito calls per sign-in: concurrent first sign-in (lost the race)", strconv.Itoa(o.Concurrent), strconv.Itoa(g.Concurrent), ratio(float64(g.Concurrent), float64(o.Concurrent)))
		row(1, fmt.Sprintf("Cognito calls per sign-in: mix %.0f%% returning / %.0f%% new", ReturningShare*100, (1-ReturningShare)*100),
			fmt.Sprintf("%.2f", o.Mix), fmt.Sprintf("%.2f", g.Mix), ratio(g.Mix, o.Mix))
	}
	for _, w := range r.Warm.Rows {
		row(2, fmt.Sprintf("Warm handler, success path: `%s` (%s)", eventFileOf(w.Name), warmEvents[w.Name]),
			fmt.Sprintf("%s µs/op · %s B/op · %d allocs/op", fmtFloat(w.NsPerOp/1000, 1), thousands(w.BytesPerOp), w.AllocsPerOp), "—", "—")
	}
	r.shareRows(row)
	for _, s := range r.Sizes {
		row(4, fmt.Sprintf("`build/%s/bootstrap` (linux/arm64)", s.Function), size(s.Bootstrap), "—", "—")
		row(4, fmt.Sprintf("`build/%s.zip`", s.Function), size(s.Zip), "—", "—")
	}
	if e := r.E2E; e.Ours.N > 0 {
		row(5, fmt.Sprintf("End to end, returning user, p50 of %d", e.Ours.N), msStr(e.Ours.P50), msStr(e.Original.P50), ratio(ms(e.Original.P50), ms(e.Ours.P50)))
		row(5, fmt.Sprintf("End to end, returning user, p95 of %d", e.Ours.N), msStr(e.Ours.P95), msStr(e.Original.P95), ratio(ms(e.Original.P95), ms(e.Ours.P95)))
	}
	if len(r.Memory) == 2 {
		o, g := r.Memory[0], r.Memory[1]
		row(6, fmt.Sprintf("Peak memory (VmHWM) of one warm process after %s sign-ins", thousands(int64(o.Invocations))),
			mib(o.AfterAllKB), mib(g.AfterAllKB), ratio(float64(g.AfterAllKB), float64(o.AfterAllKB)))
		row(6, "… the same process's VmHWM after its first sign-in", mib(o.AfterFirstKB), mib(g.AfterFirstKB), ratio(float64(g.AfterFirstKB), float64(o.AfterFirstKB)))
		row(6, "… REPORT line's “Max Memory Used” after the last sign-in", fmt.Sprintf("%d MB", o.ReportMB), fmt.Sprintf("%d MB", g.ReportMB), "—")
	}

	p("\nRatios: items 1, 5 and 6 are the original order ÷ this design; item 3 is this design ÷ the hello-world baseline beside it (1.00× = as fast as hello-world).\n")
	p("\nHow each figure was measured:\n\n")
	for i, note := range r.notes() {
		p("%d. %s\n", i+1, note)
	}
	return b.String()
}

func (r *Report) notes() []string {
	e := r.E2E
	return []string{
		"Counted on `cognitotest`'s in-memory pool, which answers as Cognito does with PreventUserExistenceErrors LEGACY (serverless.yml's app client): one sign-in per case, its outcome checked. " +
			"This design: AdminInitiateAuth first; SignUp then auth again only after UserNotFoundException (a new user) or, after SignUp's UsernameExistsException, once more for a concurrent first sign-in; a wrong password or a locked account is one call. " +
			"Original order (`bench/original`): SignUp, then AdminInitiateAuth, always; same `cognito.API`, SECRET_HASH and answers, random `user_id`. " +
			"The mix is 0.9 × returning + 0.1 × new. These counts are asserted by `go test ./bench/...`.",
		"`" + WarmCommand + "` (CPU: " + orDash(r.Warm.CPU) + "): `lambda.NewHandler(h).Invoke` on each file of `events/`, returning user, fake pool in memory (tokens issued once, before the loop), JSON logs to `io.Discard`. Default `-benchtime` (1 s per event).",
		r.shareNote(),
		"`make build` output: `GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags='-s -w'`, zipped with the bootstrap at the root. 1 MiB = 1,048,576 bytes.",
		fmt.Sprintf("One local stack (the code of `make dev`: the local Cognito of `local/cognito`, the functions under `local/lambdaruntime`, the API Gateway stand-in), real HTTP on 127.0.0.1. "+
			"The original runs as an added function `%s` (never deployed) with signin's environment (same pool, client and secret) behind `POST /dev/%s`, the same route shape as `POST /dev/signin`; "+
			"both routes' throttle is raised to 10⁶ rps for the run. %d returning users created first, %d untimed sign-ins per design, then %d per design, one at a time, interleaved, "+
			"timed by the client from sending the request to reading the last byte; %d process starts during the timed part. "+
			"The milliseconds are local ones: the local Cognito answers SignUp of an existing user from a lookup, but rewrites its whole state file on every AdminInitiateAuth (it stores the session); "+
			"called directly through the SDK, p50 of %d each: AdminInitiateAuth %s, SignUp of an existing user %s. "+
			"So the ratio depends on what the extra SignUp costs next to AdminInitiateAuth; on AWS it is a network round trip to Cognito, not a local lookup, and it was not measured there.",
			OriginalKey, OriginalPath, e.Users, e2eWarmUp, e.Ours.N, e.ColdStartsTimed, e.Auth.N, msStr(e.Auth.P50), msStr(e.SignUpExisting.P50)),
		"One new process per design under `local/lambdaruntime`, returning-user sign-ins (REST proxy event, the users in turn) against the local Cognito, all on the one warm process; " +
			"VmHWM read from `/proc/<pid>/status` (the pid found among the runner's children), and the runtime's REPORT line for comparison.",
	}
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func ratio(orig, ours float64) string {
	if ours == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", orig/ours)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func msStr(d time.Duration) string { return fmtFloat(ms(d), 1) + " ms" }

func fmtFloat(f float64, decimals int) string { return strconv.FormatFloat(f, 'f', decimals, 64) }

func size(bytes int64) string {
	return fmt.Sprintf("%s MiB (%s B)", fmtFloat(float64(bytes)/(1<<20), 2), thousands(bytes))
}

func mib(kb int64) string { return fmtFloat(float64(kb)/1024, 1) + " MiB" }

// thousands writes n with commas between groups of three digits.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
