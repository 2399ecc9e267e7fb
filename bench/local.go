package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/signin-api/signin/local/lambdaruntime"
	"github.com/signin-api/signin/local/slsconfig"
	"github.com/signin-api/signin/local/stack"
)

// The original design's function, added to the local stack's configuration beside signin
// (never to serverless.yml): same runtime settings and environment, its own route.
const (
	OriginalKey  = "signinOriginal"
	OriginalPath = "signin-original"
	// OriginalPackage is its bootstrap's source, built like the Makefile's build-local.
	OriginalPackage = "./bench/original/cmd/signin-original"
)

// user is a returning user of the benchmark.
type user struct{ Username, Password string }

// sampleUser holds the credentials of every sample event in events/, so the cold starts can
// send those files unchanged and still take the returning-user path.
var sampleUser = user{"alice", "Corr3ct-Horse!"}

// e2eUsers are created once, then signed in in turn by items 3, 5 and 6.
var e2eUsers = func() []user {
	users := []user{sampleUser}
	for i := 1; i <= 20; i++ {
		users = append(users, user{fmt.Sprintf("bench-user-%02d", i), "Bench-Passw0rd!"})
	}
	return users
}()

// localStack is the service's local stack with the original design's function added.
type localStack struct {
	root       string
	cfg        *slsconfig.Config
	st         *stack.Stack
	bootstraps map[string]string // by function key
	logs       *tailBuffer
	client     *http.Client
}

// startLocal builds the original bootstrap, reads serverless.yml through `sls print`, adds the
// original function behind POST /signin-original, lifts the POST /signin throttle (20 rps is
// below what a benchmark sends) and starts the stack on free ports with its state in tmp.
func startLocal(ctx context.Context, root, tmp string) (*localStack, error) {
	ls := &localStack{
		root:       root,
		bootstraps: map[string]string{},
		logs:       &tailBuffer{max: 1 << 20},
		client:     &http.Client{Timeout: 30 * time.Second},
	}
	functions, err := Functions(root)
	if err != nil {
		return nil, err
	}
	for _, fn := range functions {
		ls.bootstraps[fn] = filepath.Join(root, "build", "local", fn, "bootstrap")
		if _, err := os.Stat(ls.bootstraps[fn]); err != nil {
			return nil, fmt.Errorf("%w (run make build-local first)", err)
		}
	}
	ls.bootstraps[OriginalKey] = filepath.Join(tmp, "signin-original", "bootstrap")
	if err := buildLocal(ctx, root, OriginalPackage, ls.bootstraps[OriginalKey]); err != nil {
		return nil, err
	}
	cfg, err := slsconfig.Load(ctx, root, "dev", "")
	if err != nil {
		return nil, err
	}
	if err := addOriginal(cfg); err != nil {
		return nil, err
	}
	liftThrottles(cfg)
	ls.cfg = cfg
	ls.st, err = stack.Start(ctx, stack.Options{
		Root:         root,
		Config:       cfg,
		StateDir:     filepath.Join(tmp, "state", cfg.Stage),
		BootstrapDir: filepath.Join(root, "build", "local"),
		Bootstraps:   map[string]string{OriginalKey: ls.bootstraps[OriginalKey]},
		APIAddr:      "127.0.0.1:0",
		LambdaAddr:   "127.0.0.1:0",
		Logs:         ls.logs,
	})
	if err != nil {
		return nil, ls.withLogs(fmt.Errorf("start the local stack: %w", err))
	}
	return ls, nil
}

func (ls *localStack) close() {
	ls.st.Close()
}

// buildLocal builds pkg for this machine with the Makefile's flags (GO_BUILD).
func buildLocal(ctx context.Context, root, pkg, out string) error {
	if b, err := lambdaruntime.BuildCommand(ctx, root, "-o", out, pkg).CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// addOriginal adds the original design's function to cfg: a copy of signin (runtime, timeout,
// memory, environment with the same pool, client and secret references) on its own path.
func addOriginal(cfg *slsconfig.Config) error {
	fn, ok := cfg.Function("signin")
	if !ok {
		return errors.New("serverless.yml has no signin function")
	}
	orig := fn
	orig.Key = OriginalKey
	orig.Name = strings.TrimSuffix(fn.Name, "signin") + OriginalKey
	orig.HTTP = nil
	for _, h := range fn.HTTP {
		h.Path = OriginalPath
		orig.HTTP = append(orig.HTTP, h)
	}
	if len(orig.HTTP) == 0 {
		return errors.New("the signin function has no http event")
	}
	cfg.Functions = append(cfg.Functions, orig)
	return nil
}

// liftThrottles replaces the stage's method throttles with one so high it never refuses, on
// both sign-in routes, so both designs still pass through the same throttle code.
func liftThrottles(cfg *slsconfig.Config) {
	props, _ := json.Marshal(map[string]any{"MethodSettings": []map[string]any{
		{"ResourcePath": "/~1signin", "HttpMethod": "POST", "ThrottlingRateLimit": 1e6, "ThrottlingBurstLimit": 1000000},
		{"ResourcePath": "/~1" + OriginalPath, "HttpMethod": "POST", "ThrottlingRateLimit": 1e6, "ThrottlingBurstLimit": 1000000},
	}})
	resources := map[string]slsconfig.Resource{}
	for id, r := range cfg.Resources {
		if r.Type == "AWS::ApiGateway::Stage" {
			r.Properties = props
		}
		resources[id] = r
	}
	cfg.Resources = resources
}

// function is key's configuration for a pool of its own (cold starts, memory), with the
// environment the stack gives it.
func (ls *localStack) function(key string) (lambdaruntime.Function, error) {
	fn, ok := ls.cfg.Function(key)
	if !ok {
		return lambdaruntime.Function{}, fmt.Errorf("no function %s", key)
	}
	env, err := stack.FunctionEnv(fn, ls.cfg, ls.st.UserPool, ls.st.Pool, ls.st.CognitoURL)
	if err != nil {
		return lambdaruntime.Function{}, err
	}
	return lambdaruntime.Function{
		Name: fn.Name, Bootstrap: ls.bootstraps[key], Env: env,
		Timeout: fn.Timeout, MemoryMB: fn.MemoryMB, Region: ls.cfg.Region,
	}, nil
}

// signInResult is one sign-in through the API Gateway stand-in.
type signInResult struct {
	Latency time.Duration
	Status  int
	Body    map[string]any
}

// signIn posts credentials to path (signin or signin-original) as a login screen does and
// times the whole HTTP exchange, from sending the request to reading the last byte.
func (ls *localStack) signIn(ctx context.Context, path string, u user) (signInResult, error) {
	body, _ := json.Marshal(map[string]string{"username": u.Username, "password": u.Password})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ls.st.APIURL+"/"+path, bytes.NewReader(body))
	if err != nil {
		return signInResult{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "http://localhost:5173")
	start := time.Now()
	resp, err := ls.client.Do(req)
	if err != nil {
		return signInResult{}, err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if err != nil {
		return signInResult{}, err
	}
	r := signInResult{Latency: took, Status: resp.StatusCode}
	if err := json.Unmarshal(data, &r.Body); err != nil {
		return r, fmt.Errorf("POST /%s: status %d, body is not JSON", path, resp.StatusCode)
	}
	return r, nil
}

// createUsers signs each user up through this design's POST /signin.
func (ls *localStack) createUsers(ctx context.Context, users []user) error {
	for _, u := range users {
		r, err := ls.signIn(ctx, "signin", u)
		if err != nil {
			return ls.withLogs(err)
		}
		if r.Status != http.StatusOK || r.Body["is_new"] != true {
			return ls.withLogs(fmt.Errorf("creating %s: status %d, %v", u.Username, r.Status, r.Body["error"]))
		}
	}
	return nil
}

// withLogs adds the end of the stack's logs to err, with the benchmark's passwords and the
// local client secrets blanked should any part of the stack have logged them.
func (ls *localStack) withLogs(err error) error {
	var secrets []string
	for _, u := range e2eUsers {
		secrets = append(secrets, u.Password)
	}
	if ls.st != nil {
		for _, c := range ls.st.Pool.Clients {
			secrets = append(secrets, c.Secret)
		}
	}
	tail := ls.logs.tail(40)
	for _, s := range secrets {
		if s != "" {
			tail = strings.ReplaceAll(tail, s, "[redacted]")
		}
	}
	return fmt.Errorf("%w\nlast lines of the local stack's logs:\n%s", err, tail)
}

// tailBuffer keeps the last max bytes written to it, for an error message.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > b.max {
		b.buf = append([]byte(nil), b.buf[len(b.buf)-b.max/2:]...)
	}
	return len(p), nil
}

// tail returns the last n lines.
func (b *tailBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	lines := strings.Split(strings.TrimRight(string(b.buf), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
