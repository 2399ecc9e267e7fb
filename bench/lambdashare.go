package bench

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/signin-api/signin/bench/hello"
	"github.com/signin-api/signin/shared/cognito/cognitotest"
	"github.com/signin-api/signin/shared/secret/secrettest"
)

// SigninLocalSecret is the row of signin given its secret in CLIENT_SECRET: no Secrets
// Manager read at cold start.
const SigninLocalSecret = "signin (CLIENT_SECRET)"

// HelloPackage is the hello-world bootstrap's source, the floor of every start-up.
const HelloPackage = "./bench/hello/cmd/hello"

// ShareRow is item 3 for one bootstrap at one CPU share: Starts cold starts of a new process
// each under a Runtime API of make bench's own.
type ShareRow struct {
	Function string
	// MemoryMB is the Lambda memory size whose CPU share the process had; 0 is no quota.
	MemoryMB int
	// Init is process start to the first /next.
	Init Summary
	// First is process start to the first answer: for signin, its first sign-in, which reads
	// the client secret and calls Cognito over new TLS connections.
	First Summary
	// Floor, for hello only: its first answer plus the duration of a second event making the
	// two HTTPS round trips a cold sign-in cannot avoid (Secrets Manager, Cognito).
	Floor Summary
	// Warm, for signin only: the Duration of each warm sign-in after the first.
	Warm Summary
	// BilledCold is Init + the first answer's Duration, as billed (rounded up to 1 ms), median.
	BilledCold time.Duration
	// BilledWarm is the warm sign-in's billed duration, median.
	BilledWarm time.Duration
}

// ShareResult is item 3: every bootstrap at every share, measured in turn.
type ShareResult struct {
	// Limiter names the cgroup mechanism; empty when NoQuota says why there is none.
	Limiter string
	NoQuota string
	Period  time.Duration
	Starts  int
	WarmN   int // warm sign-ins per signin start
	// CABundle says what SSL_CERT_FILE held besides the local CA.
	CABundle string
	Rows     []ShareRow
}

// Row returns the row of fn at memoryMB.
func (r ShareResult) Row(fn string, memoryMB int) (ShareRow, bool) {
	for _, row := range r.Rows {
		if row.Function == fn && row.MemoryMB == memoryMB {
			return row, true
		}
	}
	return ShareRow{}, false
}

// Sizes are the memory sizes measured, with 0 (no quota) last.
func (r ShareResult) Sizes() []int {
	if r.Limiter == "" {
		return []int{0}
	}
	return append(append([]int(nil), MemorySizes...), 0)
}

// shareCase is one bootstrap, its environment beyond Lambda's and the events it is sent.
type shareCase struct {
	name      string // the row's key: fn, or fn and how it differs
	fn        string
	bootstrap string
	env       map[string]string
	events    [][]byte
	check     func(i int, body []byte) error
}

// The sample user and app client of the TLS peers; the secret is also what the Secrets
// Manager stand-in returns for CLIENT_SECRET_ARN.
const (
	sharePoolID       = "us-east-1_BenchPool"
	shareClientID     = "1example23456789"
	shareClientSecret = "bench-client-secret-0123456789abcdefghijklmnopqrstuvw"
	shareSecretARN    = "arn:aws:secretsmanager:us-east-1:123456789012:secret:signin-client-AbCdEf"
)

// LambdaShares runs hello, signin (twice: as deployed, and with its secret given directly),
// autoconfirm and me n times each at each memory size's CPU
// share and with no quota, one process at a time and in turn (so the machine's other load
// falls on all alike), signin with warm sign-ins after its first. signin reaches an in-memory
// Cognito and a Secrets Manager stand-in over HTTPS through the SDK's standard variables.
func LambdaShares(ctx context.Context, root, tmp string, n, warm int) (ShareResult, error) {
	res := ShareResult{Period: cfsPeriod, Starts: n, WarmN: warm}
	limiter, err := detectCPULimiter()
	if err != nil {
		res.NoQuota = err.Error()
	} else {
		res.Limiter = limiter.Kind
		limiter.removeStale()
	}
	groups := map[int]*cpuGroup{}
	defer func() {
		for _, g := range groups {
			_ = g.remove()
		}
	}()
	if limiter != nil {
		for _, mb := range MemorySizes {
			g, err := limiter.group(fmt.Sprintf("%s%d-%dmb", groupPrefix, os.Getpid(), mb), cpuQuota(mb), cfsPeriod)
			if err != nil {
				return res, err
			}
			groups[mb] = g
		}
	}

	pool := cognitotest.New(sharePoolID, shareClientID, shareClientSecret)
	pool.AddUser(sampleUser.Username, sampleUser.Password)
	idp := cognitotest.NewTLSServer(pool)
	defer idp.Close()
	secrets := secrettest.NewTLSServer(map[string]string{shareSecretARN: shareClientSecret})
	defer secrets.Close()
	bundle := filepath.Join(tmp, "ca-bundle.pem")
	if res.CABundle, err = writeCABundle(bundle, idp.Certificate().Raw, secrets.Certificate().Raw); err != nil {
		return res, err
	}

	cases, err := shareCases(ctx, root, tmp, idp.URL, secrets.URL, bundle, warm)
	if err != nil {
		return res, err
	}
	redact := []string{sampleUser.Password, shareClientSecret}
	type key struct {
		fn string
		mb int
	}
	runs := map[key][]startRun{}
	for i := 0; i < n; i++ {
		for _, mb := range res.Sizes() {
			for _, c := range cases {
				envMB := mb
				if envMB == 0 {
					envMB = 128
				}
				run, err := runStart(ctx, groups[mb], c.bootstrap, lambdaEnv(c.fn, envMB, c.env), c.events, redact)
				if err != nil {
					return res, fmt.Errorf("%s at %s, start %d: %w", c.fn, sizeName(mb), i+1, err)
				}
				for j, a := range run.Answers {
					if err := c.check(j, a.Body); err != nil {
						return res, fmt.Errorf("%s at %s, start %d, answer %d: %w", c.fn, sizeName(mb), i+1, j+1, err)
					}
				}
				runs[key{c.name, mb}] = append(runs[key{c.name, mb}], run)
			}
		}
	}
	for _, mb := range res.Sizes() {
		for _, c := range cases {
			res.Rows = append(res.Rows, summarizeRuns(c.name, mb, runs[key{c.name, mb}]))
		}
	}
	return res, nil
}

func summarizeRuns(fn string, mb int, runs []startRun) ShareRow {
	var inits, firsts, floors, warms, billedCold, billedWarm []time.Duration
	for _, r := range runs {
		inits = append(inits, r.Init)
		first := r.Answers[0]
		firsts = append(firsts, first.FromStart)
		billedCold = append(billedCold, billed(r.Init+first.Duration))
		switch fn {
		case "hello":
			floors = append(floors, first.FromStart+r.Answers[1].Duration)
		case "signin", SigninLocalSecret:
			for _, a := range r.Answers[1:] {
				warms = append(warms, a.Duration)
				billedWarm = append(billedWarm, billed(a.Duration))
			}
		}
	}
	return ShareRow{
		Function: fn, MemoryMB: mb,
		Init: Summarize(inits), First: Summarize(firsts), Floor: Summarize(floors), Warm: Summarize(warms),
		BilledCold: Summarize(billedCold).P50, BilledWarm: Summarize(billedWarm).P50,
	}
}

// shareCases builds hello and lists the four bootstraps with their events: hello an empty
// event, then one making the two round trips; signin the sample sign-in of a returning user,
// then warm more times; autoconfirm and me their sample events, which call nothing.
func shareCases(ctx context.Context, root, tmp, idpURL, secretsURL, bundle string, warm int) ([]shareCase, error) {
	helloBin := filepath.Join(tmp, "hello", "bootstrap")
	if err := buildLocal(ctx, root, HelloPackage, helloBin); err != nil {
		return nil, err
	}
	event := func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(root, "events", name)) }
	signinEvent, err := event("signin-apigw-v1.json")
	if err != nil {
		return nil, err
	}
	autoEvent, err := event("autoconfirm-presignup.json")
	if err != nil {
		return nil, err
	}
	meEvent, err := event("me.json")
	if err != nil {
		return nil, err
	}
	plain, _ := json.Marshal(hello.Event{})
	trips, _ := json.Marshal(hello.Event{Get: []string{secretsURL, idpURL}})
	signinEvents := [][]byte{signinEvent}
	for range warm {
		signinEvents = append(signinEvents, signinEvent)
	}
	local := func(fn string) string { return filepath.Join(root, "build", "local", fn, "bootstrap") }
	// signin as deployed: the secret named by CLIENT_SECRET_ARN, read at cold start.
	signinEnv := map[string]string{
		"USER_POOL_ID": sharePoolID, "CLIENT_ID": shareClientID, "CLIENT_SECRET_ARN": shareSecretARN,
		"CORS_ALLOW_ORIGIN":                          "http://localhost:5173",
		"AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": idpURL,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER":           secretsURL,
		"SSL_CERT_FILE":                              bundle,
	}
	// The same with the secret given directly, so its start-up is the code's alone.
	localSecretEnv := map[string]string{"CLIENT_SECRET": shareClientSecret}
	for k, v := range signinEnv {
		if k != "CLIENT_SECRET_ARN" && k != "AWS_ENDPOINT_URL_SECRETS_MANAGER" {
			localSecretEnv[k] = v
		}
	}
	signedInAt := func(_ int, b []byte) error { return signedIn(b) }
	cases := []shareCase{
		{"hello", "hello", helloBin, map[string]string{"SSL_CERT_FILE": bundle}, [][]byte{plain, trips}, helloAnswered},
		{"signin", "signin", local("signin"), signinEnv, signinEvents, signedInAt},
		{SigninLocalSecret, "signin", local("signin"), localSecretEnv, signinEvents, signedInAt},
		{"autoconfirm", "autoconfirm", local("autoconfirm"), nil, [][]byte{autoEvent}, func(_ int, b []byte) error { return autoConfirmed(b) }},
		{"me", "me", local("me"), map[string]string{"CORS_ALLOW_ORIGIN": "http://localhost:5173"}, [][]byte{meEvent}, func(_ int, b []byte) error { return proxyOK(b) }},
	}
	for _, c := range cases {
		if _, err := os.Stat(c.bootstrap); err != nil {
			return nil, fmt.Errorf("%w (run make build-local first)", err)
		}
	}
	return cases, nil
}

func helloAnswered(i int, body []byte) error {
	var a hello.Answer
	if err := json.Unmarshal(body, &a); err != nil || a.Message == "" {
		return fmt.Errorf("not hello's answer: %s", body)
	}
	if i == 1 && len(a.Statuses) != 2 {
		return fmt.Errorf("want two round trips, got statuses %v", a.Statuses)
	}
	return nil
}

// systemRoots are where Linux distributions keep the system's trusted roots in one file
// (Debian's, then Amazon Linux's and Fedora's).
var systemRoots = []string{"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"}

// writeCABundle writes the local CA certificates after this machine's system roots. The
// functions find it through SSL_CERT_FILE, where Go's crypto/x509 reads the system roots at the
// first handshake: so they parse as many roots as on AWS, at the same moment. (AWS_CA_BUNDLE,
// which the SDK also honours, would parse them at config load, in init, which on AWS does not
// happen.) It returns what the bundle holds besides the local CA.
func writeCABundle(path string, certs ...[]byte) (string, error) {
	var b []byte
	held := "no system roots (none found)"
	for _, p := range systemRoots {
		if roots, err := os.ReadFile(p); err == nil {
			b = append(roots, '\n')
			held = "`" + p + "`"
			break
		}
	}
	seen := map[string]bool{}
	for _, c := range certs {
		if !seen[string(c)] {
			seen[string(c)] = true
			b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c})...)
		}
	}
	if len(seen) == 0 {
		return "", errors.New("no local CA certificate")
	}
	return held, os.WriteFile(path, b, 0o644)
}

// billed is a duration as Lambda bills it: rounded up to the next millisecond.
func billed(d time.Duration) time.Duration {
	return (d + time.Millisecond - 1).Truncate(time.Millisecond)
}

func sizeName(mb int) string {
	if mb == 0 {
		return "no quota"
	}
	return fmt.Sprintf("%d MB", mb)
}

// signedIn checks a proxy response of a returning user's successful sign-in.
func signedIn(payload []byte) error {
	var r events.APIGatewayProxyResponse
	var body struct {
		Status string `json:"status"`
		IsNew  bool   `json:"is_new"`
		Error  string `json:"error"`
	}
	if err := json.Unmarshal(payload, &r); err != nil {
		return fmt.Errorf("not a proxy response: %w", err)
	}
	if err := json.Unmarshal([]byte(r.Body), &body); err != nil || r.StatusCode != 200 || body.Status != "success" || body.IsNew {
		return fmt.Errorf("status %d, %q %q: want a returning user's success", r.StatusCode, body.Status, body.Error)
	}
	return nil
}

func proxyOK(payload []byte) error {
	var r events.APIGatewayProxyResponse
	if err := json.Unmarshal(payload, &r); err != nil || r.StatusCode != 200 {
		return fmt.Errorf("want a 200 proxy response, got status %d (%v)", r.StatusCode, err)
	}
	return nil
}

func autoConfirmed(payload []byte) error {
	var ev events.CognitoEventUserPoolsPreSignup
	if err := json.Unmarshal(payload, &ev); err != nil || !ev.Response.AutoConfirmUser {
		return fmt.Errorf("want autoConfirmUser true (%v)", err)
	}
	return nil
}
