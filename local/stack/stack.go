// Package stack wires a whole local stack of the service from its resolved Serverless
// configuration: the local Cognito (local/cognito, in this process) with the service's pool and
// app clients, every function as a pool of real bootstrap processes, the Lambda Invoke endpoint
// the pool calls for its triggers, and the API Gateway stand-in with the Cognito authorizer.
// `make dev`, the end-to-end tests and `sls invoke local` all start their stacks here.
package stack

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/signin-api/signin/local/authorizer"
	"github.com/signin-api/signin/local/awsid"
	"github.com/signin-api/signin/local/cognito"
	"github.com/signin-api/signin/local/gateway"
	"github.com/signin-api/signin/local/invokeapi"
	"github.com/signin-api/signin/local/lambdaruntime"
	"github.com/signin-api/signin/local/logline"
	"github.com/signin-api/signin/local/slsconfig"
)

// Options say what to start and where.
type Options struct {
	// Root is the service's folder; BootstrapDir is Root/build/local unless set.
	Root string
	// Config is the resolved Serverless configuration (slsconfig.Load).
	Config *slsconfig.Config
	// StateDir holds the local Cognito's state and the pool ids (.local/<stage>); one stack
	// holds it at a time.
	StateDir string
	// BootstrapDir holds <function>/bootstrap built for this machine.
	BootstrapDir string
	// Bootstraps overrides the bootstrap of some functions, by function key.
	Bootstraps map[string]string
	// APIAddr, LambdaAddr and CognitoAddr are where the gateway, the Invoke endpoint and the
	// local Cognito listen ("127.0.0.1:3000"); empty picks a free port.
	APIAddr, LambdaAddr, CognitoAddr string
	// TriggerEndpoint, when set, is the Lambda endpoint the pool calls for its triggers instead
	// of this stack's own (tests point it at a port nothing listens on).
	TriggerEndpoint string
	// Logs receives every log line, each prefixed with its source: [cognito], [api], [lambda]
	// or the function's key. Nil discards them.
	Logs io.Writer
}

// Stack is a running local stack.
type Stack struct {
	// APIURL is the stage's base URL ("http://127.0.0.1:3000/dev").
	APIURL string
	// LambdaEndpoint is the Invoke endpoint's base URL ("http://127.0.0.1:3002").
	LambdaEndpoint string
	// CognitoURL is the local Cognito's endpoint ("http://127.0.0.1:9229").
	CognitoURL string
	// Issuer is the iss of the pool's tokens.
	Issuer string
	// Pool is the local user pool and its app clients; UserPool is what it was made from.
	Pool     Pool
	UserPool slsconfig.UserPool
	// Routes lists "METHOD /stage/path" of the API.
	Routes []string

	cfg                *slsconfig.Config
	stateDir           string
	logs               io.Writer
	functions          map[string]*lambdaruntime.Pool
	closers            []func() // run last first by Close
	webURL             string
	loadTook, poolTook time.Duration
}

// PortInUseError reports a port that is taken; nothing was started.
type PortInUseError struct {
	// What is "api", "lambda", "cognito" or "web".
	What, Addr string
	Err        error
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("%s port: %s is already in use (%v)", e.What, e.Addr, e.Err)
}

func (e *PortInUseError) Unwrap() error { return e.Err }

// Start starts the stack. It binds every port first and starts nothing when one is taken.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	cfg := opts.Config
	for _, fn := range cfg.Functions {
		if !strings.HasPrefix(fn.Runtime, "provided") {
			return nil, fmt.Errorf("function %s: not supported locally: runtime %q (only provided.* Go bootstrap functions run)", fn.Key, fn.Runtime)
		}
	}
	up, hasPool, err := cfg.UserPool()
	if err == nil && !hasPool {
		err = errors.New("not supported locally: a service without a Cognito user pool")
	}
	if err != nil {
		return nil, err
	}
	lc, err := lambdaConfig(cfg, up)
	if err != nil {
		return nil, err
	}
	st := &Stack{cfg: cfg, stateDir: opts.StateDir, UserPool: up, functions: map[string]*lambdaruntime.Pool{},
		logs: &lockedWriter{w: cmp.Or(opts.Logs, io.Discard)}}
	defer func() {
		if err != nil {
			st.Close()
		}
	}()
	var lns [3]net.Listener
	for i, what := range []string{"api", "lambda", "cognito"} {
		if lns[i], err = st.listen(what, []string{opts.APIAddr, opts.LambdaAddr, opts.CognitoAddr}[i]); err != nil {
			return nil, err
		}
	}
	st.APIURL = "http://" + lns[0].Addr().String() + "/" + cfg.Stage
	st.LambdaEndpoint = "http://" + lns[1].Addr().String()
	st.CognitoURL = "http://" + lns[2].Addr().String()
	unlock, err := lockState(opts.StateDir, st.CognitoURL)
	if err != nil {
		return nil, err
	}
	st.closers = append(st.closers, unlock)

	began := time.Now()
	srv, err := cognito.New(cognito.Options{
		StateFile: cognitoFile(opts.StateDir),
		BaseURL:   st.CognitoURL,
		Region:    cfg.Region,
		Lambda:    newLambdaClient(cmp.Or(opts.TriggerEndpoint, st.LambdaEndpoint), cfg.Region),
		Logger:    slog.New(slog.NewTextHandler(prefixed(st.logs, "cognito"), nil)),
	})
	if err != nil {
		return nil, err
	}
	st.serve(lns[2], srv)
	if st.Pool, err = ensurePool(ctx, st.CognitoClient(), poolFile(opts.StateDir), up, lc); err != nil {
		return nil, err
	}
	st.Issuer = st.CognitoURL + "/" + st.Pool.ID
	st.poolTook = time.Since(began)

	st.closers = append(st.closers, func() { // together: each waits for its processes to exit
		var wg sync.WaitGroup
		for _, p := range st.functions {
			wg.Go(func() { p.Close() })
		}
		wg.Wait()
	})
	pools := map[string]*lambdaruntime.Pool{} // by deployed name, as the Invoke API names functions
	for _, fn := range cfg.Functions {
		env, err := FunctionEnv(fn, cfg, up, st.Pool, st.CognitoURL)
		if err != nil {
			return nil, err
		}
		bootstrap := cmp.Or(opts.Bootstraps[fn.Key], filepath.Join(cmp.Or(opts.BootstrapDir, filepath.Join(opts.Root, "build", "local")), fn.Key, "bootstrap"))
		p, err := newFunctionPool(fn, cfg.Region, bootstrap, env, st.logs)
		if err != nil {
			return nil, fmt.Errorf("function %s: %w (build it with make build-local)", fn.Key, err)
		}
		st.functions[fn.Key], pools[fn.Name] = p, p
	}
	invoke := invokeapi.NewHandler(cfg.Region, pools)
	invoke.Logger = slog.New(slog.NewTextHandler(prefixed(st.logs, "lambda"), nil))
	st.closers = append(st.closers, invoke.Wait) // Event invocations under way, before the pools go
	st.serve(lns[1], invoke)

	authCtx, cancel := context.WithCancel(context.Background())
	st.closers = append(st.closers, cancel)
	gw, err := st.gateway(authCtx)
	if err != nil {
		return nil, err
	}
	st.Routes = gw.Endpoints()
	st.serve(lns[0], gw)
	return st, nil
}

// listen binds addr (a free port when empty) for what, to be closed with the stack.
func (st *Stack) listen(what, addr string) (net.Listener, error) {
	addr = cmp.Or(addr, "127.0.0.1:0")
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, &PortInUseError{What: what, Addr: addr, Err: err}
	}
	st.closers = append(st.closers, func() { ln.Close() })
	return ln, nil
}

// serve serves h on ln until the stack is closed.
func (st *Stack) serve(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	st.closers = append(st.closers, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			srv.Close()
		}
	})
}

// gateway builds the API Gateway stand-in for the http events.
func (st *Stack) gateway(ctx context.Context) (*gateway.Gateway, error) {
	cfg, logs := st.cfg, prefixed(st.logs, "api")
	auth, err := authorizer.New(ctx, authorizer.Config{JWKSURL: st.Issuer + "/.well-known/jwks.json", Issuer: st.Issuer, Logs: logs})
	if err != nil {
		return nil, err
	}
	var routes []gateway.Route
	for _, fn := range cfg.Functions {
		for _, h := range fn.HTTP {
			r := gateway.Route{Method: h.Method, Path: h.Path, FunctionName: fn.Key, Function: st.functions[fn.Key]}
			if a := h.Authorizer; a != nil {
				if a.PoolLogicalID != st.UserPool.LogicalID {
					return nil, fmt.Errorf("%s /%s: not supported locally: authorizer %q uses pool %q, which is not the service's pool", h.Method, h.Path, a.Name, a.PoolLogicalID)
				}
				// A {Ref: <app client>} is the client id on AWS, which matches itself as a regex.
				expr := ""
				if v := a.IdentityValidationExpression; v != nil && v.Ref != "" && st.Pool.Clients[v.Ref].ID == "" {
					err = fmt.Errorf("authorizer %q: identityValidationExpression {Ref: %s} is not an app client of the local pool", a.Name, v.Ref)
				} else if v != nil {
					expr, err = resolve(*v, cfg, st.UserPool, st.Pool)
					if v.Ref != "" {
						expr = regexp.QuoteMeta(expr)
					}
				}
				if err == nil {
					r.Authorizer, err = auth.Method(authorizer.MethodConfig{Scopes: a.Scopes, IdentityValidationExpression: expr})
				}
				if err != nil {
					return nil, fmt.Errorf("%s /%s: %w", h.Method, h.Path, err)
				}
				r.AuthHeader = a.IdentityHeader
			}
			for _, t := range cfg.MethodThrottles() {
				if (t.Path == h.Path || t.Path == "*") && (t.Method == h.Method || t.Method == "*") {
					r.Throttle = gateway.NewThrottle(t.Rate, t.Burst, nil)
					break
				}
			}
			routes = append(routes, r)
		}
	}
	return gateway.New(gateway.Config{
		Stage:            cfg.Stage,
		APIID:            awsid.FromSeed(cfg.Service+"-"+cfg.Stage, 10),
		Routes:           routes,
		Preflights:       cfg.Preflights(),
		BinaryMediaTypes: cfg.BinaryMediaTypes,
		GatewayResponses: cfg.GatewayResponses(),
		Logs:             logs,
	})
}

// Function returns the pool of a function by its key (signin).
func (st *Stack) Function(key string) (*lambdaruntime.Pool, bool) {
	p, ok := st.functions[key]
	return p, ok
}

// CognitoClient is a Cognito client for the stack's user pool.
func (st *Stack) CognitoClient() *cip.Client { return newCognitoClient(st.CognitoURL, st.cfg.Region) }

// Close stops everything the stack started, last first: the servers, every function's
// processes, and releases the state folder. It is safe to call more than once.
func (st *Stack) Close() {
	for _, c := range slices.Backward(st.closers) {
		c()
	}
	st.closers = nil
}

// newFunctionPool is the one place a service function becomes a lambdaruntime function: the
// deployed name, timeout and memory, and log lines prefixed with the function's key.
func newFunctionPool(fn slsconfig.Function, region, bootstrap string, env map[string]string, logs io.Writer) (*lambdaruntime.Pool, error) {
	return lambdaruntime.NewPool(lambdaruntime.Function{Name: fn.Name, Bootstrap: bootstrap, Env: env,
		Timeout: fn.Timeout, MemoryMB: fn.MemoryMB, Region: region, Logs: logs, LogPrefix: fn.Key})
}

// errNoPool is the answer for a {Ref: ...} to the user pool, an app client or its secret when no
// local pool runs: only the local pool can stand in for them.
var errNoPool = errors.New("no local user pool is running")

// FunctionEnv builds a function's environment: its own from serverless.yml with each {Ref: X}
// resolved locally (see resolve; a secret holding a client secret becomes CLIENT_SECRET with
// the secret itself), plus the Cognito endpoint (none when empty), placeholder credentials (the
// local stack ignores SigV4, and real AWS takes nothing from them) and Lambda's log settings.
func FunctionEnv(fn slsconfig.Function, cfg *slsconfig.Config, up slsconfig.UserPool, pool Pool,
	cognitoEndpoint string) (map[string]string, error) {
	env := map[string]string{"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
	for _, name := range slices.Sorted(maps.Keys(fn.Environment)) {
		v, err := resolve(fn.Environment[name], cfg, up, pool)
		if err != nil {
			return nil, fmt.Errorf("function %s: %s: %w", fn.Key, name, err)
		}
		if refType(cfg, up, fn.Environment[name].Ref) == slsconfig.TypeSecret {
			name = "CLIENT_SECRET"
		}
		env[name] = v
	}
	if cognitoEndpoint != "" {
		env["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"] = cognitoEndpoint
	}
	if strings.EqualFold(fn.LogFormat, "JSON") {
		env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
		if fn.LogLevel != "" {
			env["AWS_LAMBDA_LOG_LEVEL"] = strings.ToUpper(fn.LogLevel)
		}
	}
	return env, nil
}

// resolve is the local value of a serverless.yml value: a string as it is; a {Ref: X} of the
// user pool, an app client or a secret holding a client's secret as the local pool's id, the
// client's id or its secret. Anything else only a deployed stack can resolve.
func resolve(v slsconfig.EnvValue, cfg *slsconfig.Config, up slsconfig.UserPool, pool Pool) (string, error) {
	if v.IsString() {
		return v.Value, nil
	} else if v.Ref == "" {
		return "", fmt.Errorf("%s is only resolvable by a deployed stack", v.Intrinsic)
	}
	typ := refType(cfg, up, v.Ref)
	switch {
	case pool.ID == "" && slices.Contains([]string{slsconfig.TypeUserPool, slsconfig.TypeUserPoolClient, slsconfig.TypeSecret}, typ):
		return "", fmt.Errorf("{Ref: %s}: %w", v.Ref, errNoPool)
	case typ == slsconfig.TypeUserPool:
		return pool.ID, nil
	case typ == slsconfig.TypeUserPoolClient && pool.Clients[v.Ref].ID != "":
		return pool.Clients[v.Ref].ID, nil
	case typ == slsconfig.TypeSecret && pool.Clients[up.Secrets[v.Ref]].Secret != "":
		return pool.Clients[up.Secrets[v.Ref]].Secret, nil
	case typ == slsconfig.TypeSecret:
		return "", fmt.Errorf("not supported locally: secret %s holds no app client secret the local pool knows", v.Ref)
	}
	return "", fmt.Errorf("{Ref: %s} (%s) is only resolvable by a deployed stack", v.Ref, cmp.Or(typ, "not a resource of serverless.yml"))
}

// refType is the CloudFormation type of what {Ref: ref} names: a resource, or the pool a
// cognitoUserPool event creates.
func refType(cfg *slsconfig.Config, up slsconfig.UserPool, ref string) string {
	if ref != "" && ref == up.LogicalID {
		return slsconfig.TypeUserPool
	}
	return cfg.Resources[ref].Type
}

// errStateInUse is Start's answer on a state folder another stack holds: a local Cognito owns
// its state file, and two on one file would overwrite each other's changes.
var errStateInUse = errors.New("state folder in use")

// holder is what the stack holding a state folder writes in its lock file, so that `sls invoke
// local` can use its user pool.
type holder struct {
	PID        int    `json:"pid"`
	CognitoURL string `json:"cognitoUrl"`
}

// lockState takes the state folder for this process (creating it), with an flock on
// <dir>/lock that goes with the process however it exits.
func lockState(dir, cognitoURL string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("state folder: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("state folder: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		h, _ := running(dir)
		return nil, fmt.Errorf("%w: %s is used by process %d (a running make dev?)", errStateInUse, dir, h.PID)
	}
	data, _ := json.Marshal(holder{os.Getpid(), cognitoURL})
	_ = f.Truncate(0)
	_, _ = f.WriteAt(data, 0)
	return func() { _ = f.Truncate(0); f.Close() }, nil
}

// running returns what the stack holding dir wrote, when one holds it.
func running(dir string) (h holder, ok bool) {
	f, err := os.Open(filepath.Join(dir, "lock"))
	if err != nil {
		return h, false
	}
	defer f.Close()
	if syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB) == nil { // nobody holds it
		return h, false
	}
	return h, json.NewDecoder(f).Decode(&h) == nil
}

// lockedWriter serialises the writes of every part of the stack onto one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// prefixed is a writer that puts "[name] " in front of each line.
func prefixed(w io.Writer, name string) io.Writer {
	return &logline.Writer{Emit: func(line []byte) error {
		_, err := w.Write(slices.Concat([]byte("["+name+"] "), line, []byte("\n")))
		return err
	}}
}
