// Package stack wires a whole local stack of the service from its resolved Serverless
// configuration: the local Cognito user pool (local/cognito, in this process) with the
// service's pool and app client, every function as a pool of real bootstrap processes, the
// Lambda Invoke endpoint the pool calls for its triggers, and the API Gateway stand-in with
// the Cognito authorizer. `make dev`, the
// end-to-end tests and the `sls invoke local` plugin all start their stacks here.
package stack

import (
	"cmp"
	"context"
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
	"strconv"
	"strings"
	"sync"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/signin-api/signin/local/authorizer"
	"github.com/signin-api/signin/local/awsid"
	"github.com/signin-api/signin/local/cognito"
	"github.com/signin-api/signin/local/gateway"
	"github.com/signin-api/signin/local/invokeapi"
	"github.com/signin-api/signin/local/lambdaruntime"
	"github.com/signin-api/signin/local/slsconfig"
)

// Options say what to start and where.
type Options struct {
	// Root is the service's folder.
	Root string
	// Config is the resolved Serverless configuration (slsconfig.Load).
	Config *slsconfig.Config
	// StateDir holds the local Cognito's state and the pool ids (.local/<stage>); only one
	// stack uses it at a time.
	StateDir string
	// BootstrapDir holds <function>/bootstrap built for this machine (build/local).
	BootstrapDir string
	// Bootstraps overrides the bootstrap of some functions, by function key (tests).
	Bootstraps map[string]string

	// APIAddr is the API Gateway stand-in's address ("127.0.0.1:3000"; port 0 for any free
	// port); empty starts no gateway.
	APIAddr string
	// LambdaAddr is the Lambda Invoke endpoint's address ("127.0.0.1:3002"; port 0 for any).
	LambdaAddr string
	// CognitoPort is the local Cognito's port; 0 picks a free one.
	CognitoPort int
	// TriggerEndpoint, when set, is the Lambda endpoint the pool calls for its triggers
	// instead of this stack's own (tests point it at a port nothing listens on).
	TriggerEndpoint string

	// Logs receives every log line, each prefixed with its source: [cognito], [api], or the
	// function's key. Nil discards them.
	Logs io.Writer
}

// Stack is a running local stack.
type Stack struct {
	// APIURL is the stage's base URL ("http://127.0.0.1:3000/dev"); empty without a gateway.
	APIURL string
	// LambdaEndpoint is the Invoke endpoint's base URL ("http://127.0.0.1:3002").
	LambdaEndpoint string
	// CognitoURL is the local Cognito's endpoint ("http://127.0.0.1:9229"); empty when the
	// service has no user pool.
	CognitoURL string
	// Pool is the local user pool and its app clients.
	Pool Pool
	// UserPool is what the pool was made from.
	UserPool slsconfig.UserPool
	// Issuer is the iss of the pool's tokens.
	Issuer string
	// Routes lists "METHOD /stage/path" of the API.
	Routes []string
	// Timings says what the start-up spent its time on, in order.
	Timings []Timing

	cfg         *slsconfig.Config
	stateDir    string
	cognitoPort int
	functions   map[string]*lambdaruntime.Pool
	invoke      *invokeapi.Handler
	servers     []*http.Server
	listeners   []net.Listener
	unlock      func()
	cancel      context.CancelFunc
	closeOnce   sync.Once
	closeErr    error
	failed      chan error
}

// Timing is the duration of one start-up step.
type Timing struct {
	Step     string
	Duration time.Duration
}

func (st *Stack) timed(step string, since time.Time) {
	st.Timings = append(st.Timings, Timing{step, time.Since(since)})
}

// PortInUseError reports a port that is taken before anything was started.
type PortInUseError struct {
	// What is "api", "lambda" or "cognito".
	What string
	Addr string
	Err  error
}

// Error says which port is taken.
func (e *PortInUseError) Error() string {
	return fmt.Sprintf("%s port: %s is already in use (%v)", e.What, e.Addr, e.Err)
}

// Unwrap returns the listen error.
func (e *PortInUseError) Unwrap() error { return e.Err }

// Start starts the stack. It checks every port first and starts nothing when one is taken.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	cfg := opts.Config
	if cfg == nil {
		return nil, errors.New("stack: no configuration")
	}
	for _, fn := range cfg.Functions {
		if !strings.HasPrefix(fn.Runtime, "provided") {
			return nil, fmt.Errorf("function %s: not supported locally: runtime %q (only provided.* Go bootstrap functions run)", fn.Key, fn.Runtime)
		}
	}
	up, hasPool, err := cfg.UserPool()
	if err != nil {
		return nil, err
	}
	lc, err := lambdaConfig(cfg, up)
	if err != nil {
		return nil, err
	}
	unlock, err := lockState(opts.StateDir)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	st := &Stack{cfg: cfg, stateDir: opts.StateDir, functions: map[string]*lambdaruntime.Pool{}, unlock: unlock, cancel: cancel, failed: make(chan error, 4)}
	defer func() {
		if err != nil {
			_ = st.Close()
		}
	}()

	// Ports first: every listener is kept and served.
	apiLn, lambdaLn, cognitoLn, err := st.listenAll(opts, hasPool)
	if err != nil {
		return nil, err
	}
	logs := newLogMux(opts.Logs)
	st.LambdaEndpoint = "http://" + lambdaLn.Addr().String()
	if hasPool {
		began := time.Now()
		if err := st.startCognito(ctx, cognitoLn, opts, up, lc, logs); err != nil {
			return nil, err
		}
		st.timed("user pool", began)
	}
	if err := st.startFunctions(opts, logs); err != nil {
		return nil, err
	}
	st.invoke = invokeapi.NewHandler(cfg.Region, st.poolsByName())
	st.invoke.Logger = slog.New(slog.NewTextHandler(logs.prefixed("lambda"), nil))
	st.serve(lambdaLn, st.invoke)
	if apiLn != nil {
		gw, err := st.newGateway(runCtx, logs)
		if err != nil {
			return nil, err
		}
		st.Routes = gw.Endpoints()
		st.APIURL = "http://" + apiLn.Addr().String() + "/" + cfg.Stage
		st.serve(apiLn, gw)
	}
	if err := writeRunning(opts.StateDir, st); err != nil {
		return nil, err
	}
	return st, nil
}

// listenAll binds the stack's ports: the API's when it has one, the Lambda endpoint's, and the
// local Cognito's when the service has a user pool.
func (st *Stack) listenAll(opts Options, hasPool bool) (api, lambda, cognito net.Listener, err error) {
	bind := func(what, addr string) (net.Listener, error) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, &PortInUseError{What: what, Addr: addr, Err: err}
		}
		st.listeners = append(st.listeners, ln)
		return ln, nil
	}
	if opts.APIAddr != "" {
		if api, err = bind("api", opts.APIAddr); err != nil {
			return nil, nil, nil, err
		}
	}
	if lambda, err = bind("lambda", cmp.Or(opts.LambdaAddr, "127.0.0.1:0")); err != nil {
		return nil, nil, nil, err
	}
	if hasPool {
		if cognito, err = bind("cognito", net.JoinHostPort(cognitoHost, strconv.Itoa(opts.CognitoPort))); err != nil {
			return nil, nil, nil, err
		}
	}
	return api, lambda, cognito, nil
}

// startCognito serves the local Cognito on ln and makes sure the service's pool and app clients
// exist in it.
func (st *Stack) startCognito(ctx context.Context, ln net.Listener, opts Options, up slsconfig.UserPool,
	lc *types.LambdaConfigType, logs *logMux) error {
	st.CognitoURL = "http://" + ln.Addr().String()
	st.cognitoPort = ln.Addr().(*net.TCPAddr).Port
	srv, err := cognito.New(cognito.Options{
		StateFile: cognitoFile(opts.StateDir),
		BaseURL:   st.CognitoURL,
		Region:    st.cfg.Region,
		Lambda:    newLambdaClient(cmp.Or(opts.TriggerEndpoint, st.LambdaEndpoint), st.cfg.Region),
		Logger:    slog.New(slog.NewTextHandler(logs.prefixed("cognito"), nil)),
	})
	if err != nil {
		return err
	}
	st.serve(ln, srv)
	st.UserPool = up
	if st.Pool, err = ensurePool(ctx, st.CognitoClient(), poolFile(opts.StateDir), up, lc); err != nil {
		return err
	}
	st.Issuer = st.CognitoURL + "/" + st.Pool.ID
	return nil
}

// startFunctions makes a pool of bootstrap processes for every function.
func (st *Stack) startFunctions(opts Options, logs *logMux) error {
	for _, fn := range st.cfg.Functions {
		env, err := FunctionEnv(fn, st.cfg, st.UserPool, st.Pool, st.CognitoURL)
		if err != nil {
			return err
		}
		bootstrap := cmp.Or(opts.Bootstraps[fn.Key], filepath.Join(opts.BootstrapDir, fn.Key, "bootstrap"))
		pool, err := newFunctionPool(fn, st.cfg.Region, bootstrap, env, logs.raw())
		if err != nil {
			return fmt.Errorf("function %s: %w (build it with make build-local)", fn.Key, err)
		}
		st.functions[fn.Key] = pool
	}
	return nil
}

// CognitoClient is a Cognito client for the stack's user pool.
func (st *Stack) CognitoClient() *cip.Client { return newCognitoClient(st.CognitoURL, st.cfg.Region) }

func (st *Stack) serve(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	st.servers = append(st.servers, srv)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			st.fail(fmt.Errorf("server on %s: %w", ln.Addr(), err))
		}
	}()
}

// poolsByName maps deployed function names (signin-api-dev-signin) to their pools, which is
// how the Invoke API names functions.
func (st *Stack) poolsByName() map[string]*lambdaruntime.Pool {
	out := map[string]*lambdaruntime.Pool{}
	for _, fn := range st.cfg.Functions {
		out[fn.Name] = st.functions[fn.Key]
	}
	return out
}

// Function returns the pool of a function by its key (signin).
func (st *Stack) Function(key string) (*lambdaruntime.Pool, bool) {
	p, ok := st.functions[key]
	return p, ok
}

func (st *Stack) fail(err error) {
	select {
	case st.failed <- err:
	default:
	}
}

// Failed reports a part of the stack that stopped on its own (a server failing); the stack
// should then be closed.
func (st *Stack) Failed() <-chan error { return st.failed }

// Close stops everything the stack started: the servers (the local Cognito's too) and every
// function's processes, and releases the state folder. It is safe to call more than once.
func (st *Stack) Close() error {
	st.closeOnce.Do(func() {
		var errs []error
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, srv := range st.servers {
			if err := srv.Shutdown(ctx); err != nil {
				_ = srv.Close()
			}
		}
		for _, ln := range st.listeners { // the ones never served
			_ = ln.Close()
		}
		if st.invoke != nil {
			st.invoke.Wait() // Event invocations under way
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		for key, p := range st.functions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := p.Close(); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("function %s: %w", key, err))
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		st.cancel()
		if st.unlock != nil {
			st.unlock()
		}
		st.closeErr = errors.Join(errs...)
	})
	return st.closeErr
}

// errNoPool is FunctionEnv's answer for a function whose environment refers to the user pool, an
// app client or its secret when no local pool runs: only the local pool can stand in for them.
var errNoPool = errors.New("no local user pool is running")

// localCredentials stand in for the execution role's credentials: the local stack ignores SigV4,
// and they get nothing from real AWS should a call go there by mistake.
var localCredentials = map[string]string{
	"AWS_ACCESS_KEY_ID":     "local",
	"AWS_SECRET_ACCESS_KEY": "local",
}

// FunctionEnv builds a function's environment: its own from serverless.yml, with each {Ref: X}
// resolved locally (a user pool to the local pool id, an app client to the local client id, a
// Secrets Manager secret holding a client secret to CLIENT_SECRET with that secret instead of
// the variable), plus the Cognito endpoint, local credentials and Lambda's log settings.
// cognitoEndpoint is empty when no local user pool runs.
func FunctionEnv(fn slsconfig.Function, cfg *slsconfig.Config, up slsconfig.UserPool, pool Pool,
	cognitoEndpoint string) (map[string]string, error) {
	env := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(fn.Environment)) {
		v := fn.Environment[name]
		switch {
		case v.IsString():
			env[name] = v.Value
		case v.Ref != "":
			typ := refType(cfg, up, v.Ref)
			if pool.ID == "" && (typ == slsconfig.TypeUserPool || typ == slsconfig.TypeUserPoolClient || typ == slsconfig.TypeSecret) {
				return nil, fmt.Errorf("function %s: %s is {Ref: %s}: %w", fn.Key, name, v.Ref, errNoPool)
			}
			switch typ {
			case slsconfig.TypeUserPool:
				env[name] = pool.ID
			case slsconfig.TypeUserPoolClient:
				c, ok := pool.Clients[v.Ref]
				if !ok {
					return nil, fmt.Errorf("function %s: %s: no local app client for %s", fn.Key, name, v.Ref)
				}
				env[name] = c.ID
			case slsconfig.TypeSecret:
				client, ok := up.Secrets[v.Ref]
				if !ok || pool.Clients[client].Secret == "" {
					return nil, fmt.Errorf("function %s: %s: secret %s holds no app client secret the local stack knows", fn.Key, name, v.Ref)
				}
				env["CLIENT_SECRET"] = pool.Clients[client].Secret
			default:
				return nil, fmt.Errorf("function %s: %s is {Ref: %s} (%s), which only a deployed stack can resolve", fn.Key, name, v.Ref, orUnknown(typ))
			}
		default:
			return nil, fmt.Errorf("function %s: %s is %s, which only a deployed stack can resolve", fn.Key, name, v.Intrinsic)
		}
	}
	if cognitoEndpoint != "" {
		env["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"] = cognitoEndpoint
	}
	maps.Copy(env, localCredentials)
	if strings.EqualFold(fn.LogFormat, "JSON") {
		env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
		if fn.LogLevel != "" {
			env["AWS_LAMBDA_LOG_LEVEL"] = strings.ToUpper(fn.LogLevel)
		}
	}
	return env, nil
}

// refType is the CloudFormation type of the resource {Ref: ref} names: one under resources, or
// the pool a cognitoUserPool event creates; empty for anything else.
func refType(cfg *slsconfig.Config, up slsconfig.UserPool, ref string) string {
	if res, ok := cfg.Resources[ref]; ok {
		return res.Type
	}
	if ref == up.LogicalID {
		return slsconfig.TypeUserPool
	}
	return ""
}

func orUnknown(typ string) string {
	if typ == "" {
		return "not a resource of serverless.yml"
	}
	return typ
}

// newGateway builds the API Gateway stand-in for the http events.
func (st *Stack) newGateway(ctx context.Context, logs *logMux) (*gateway.Gateway, error) {
	cfg := st.cfg
	var cognitoAuth *authorizer.Authorizer
	throttles := cfg.MethodThrottles()
	var routes []gateway.Route
	for _, fn := range cfg.Functions {
		for _, h := range fn.HTTP {
			r := gateway.Route{
				Method:       h.Method,
				Path:         h.Path,
				FunctionName: fn.Key,
				Function:     st.functions[fn.Key],
			}
			if h.Authorizer != nil {
				a := *h.Authorizer
				if st.CognitoURL == "" || a.PoolLogicalID != st.UserPool.LogicalID {
					return nil, fmt.Errorf("%s /%s: not supported locally: authorizer %q uses pool %q, which is not the service's pool", h.Method, h.Path, a.Name, a.PoolLogicalID)
				}
				var err error
				if cognitoAuth == nil {
					cognitoAuth, err = authorizer.New(ctx, authorizer.Config{
						JWKSURL: st.Issuer + "/.well-known/jwks.json",
						Issuer:  st.Issuer,
						Logs:    logs.prefixed("api"),
					})
					if err != nil {
						return nil, err
					}
				}
				expr, err := st.identityValidationExpression(a)
				if err != nil {
					return nil, fmt.Errorf("%s /%s: %w", h.Method, h.Path, err)
				}
				m, err := cognitoAuth.Method(authorizer.MethodConfig{Scopes: a.Scopes, IdentityValidationExpression: expr})
				if err != nil {
					return nil, fmt.Errorf("%s /%s: %w", h.Method, h.Path, err)
				}
				r.Authorizer = m
				r.AuthHeader = a.IdentityHeader
			}
			for _, t := range throttles {
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
		Logs:             logs.prefixed("api"),
	})
}

// newFunctionPool is the one place a service function becomes a lambdaruntime function, for the
// stack and for invoke local alike: the deployed name, timeout and memory, and log lines
// prefixed with the function's key.
func newFunctionPool(fn slsconfig.Function, region, bootstrap string, env map[string]string, logs io.Writer) (*lambdaruntime.Pool, error) {
	return lambdaruntime.NewPool(lambdaruntime.Function{
		Name:      fn.Name,
		Bootstrap: bootstrap,
		Env:       env,
		Timeout:   fn.Timeout,
		MemoryMB:  fn.MemoryMB,
		Region:    region,
		Logs:      logs,
		LogPrefix: fn.Key,
	})
}

// identityValidationExpression resolves an authorizer's token validation regex locally: a
// plain string as it is, a {Ref: ...} to an app client of the stack as that client's local id
// (its Ref on AWS is the client id, which matches itself as a regex).
func (st *Stack) identityValidationExpression(a slsconfig.Authorizer) (string, error) {
	v := a.IdentityValidationExpression
	switch {
	case v == nil:
		return "", nil
	case v.IsString():
		return v.Value, nil
	case v.Ref != "":
		if c, ok := st.Pool.Clients[v.Ref]; ok {
			return regexp.QuoteMeta(c.ID), nil
		}
		return "", fmt.Errorf("authorizer %q: identityValidationExpression {Ref: %s} is not an app client of the local pool", a.Name, v.Ref)
	}
	return "", fmt.Errorf("authorizer %q: identityValidationExpression %s is only resolvable by a deployed stack", a.Name, v.Intrinsic)
}

// runningRecord is what a running stack records in its state folder, so that `sls invoke local`
// can use its user pool rather than start another on the same state.
type runningRecord struct {
	PID            int    `json:"pid"`
	CognitoPort    int    `json:"cognitoPort"`
	LambdaEndpoint string `json:"lambdaEndpoint"`
	APIURL         string `json:"apiUrl,omitempty"`
}

func runningFile(stateDir string) string { return filepath.Join(stateDir, "running.json") }

func writeRunning(stateDir string, st *Stack) error {
	r := runningRecord{PID: os.Getpid(), LambdaEndpoint: st.LambdaEndpoint, APIURL: st.APIURL}
	r.CognitoPort = st.cognitoPort
	return writeJSONFile(runningFile(stateDir), r)
}
