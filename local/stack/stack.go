// Package stack wires a whole local stack of the service from its resolved Serverless
// configuration: the local Cognito (local/cognito, in this process) with the service's pool and
// app clients, every function as a pool of real bootstrap processes, the Lambda Invoke endpoint
// the pool calls for its triggers, the API Gateway stand-in with the Cognito authorizer, and for
// make dev the login page. `make dev`, the tests and `sls invoke local` start their stacks here.
package stack

import (
	"bytes"
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
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/signin-api/signin/local/authorizer"
	"github.com/signin-api/signin/local/awsid"
	"github.com/signin-api/signin/local/buildcache"
	"github.com/signin-api/signin/local/cognito"
	"github.com/signin-api/signin/local/gateway"
	"github.com/signin-api/signin/local/invokeapi"
	"github.com/signin-api/signin/local/lambdaruntime"
	"github.com/signin-api/signin/local/logline"
	"github.com/signin-api/signin/local/slsconfig"
	"github.com/signin-api/signin/local/webhost"
)

// Options say what to start and where.
type Options struct {
	Root string // the service's folder: sls print runs there, BootstrapDir defaults to Root/build/local
	// Config is the resolved configuration; nil runs sls print with Stage, Region and Params
	// ("corsAllowOrigin=http://127.0.0.1:5173") once the ports are bound.
	Config        *slsconfig.Config
	Stage, Region string
	Params        []string
	StateDir      string            // the local Cognito's state and the pool ids (.local/<stage>)
	BootstrapDir  string            // holds <function>/bootstrap built for this machine
	Bootstraps    map[string]string // overrides some bootstraps, by function key
	// APIAddr, LambdaAddr, CognitoAddr and WebAddr are where the gateway, the Invoke endpoint, the
	// local Cognito and the login page listen ("127.0.0.1:3000"); empty picks a free port.
	APIAddr, LambdaAddr, CognitoAddr, WebAddr string
	// WebDir is the login page (web/), served on an origin of its own as S3 would; empty serves none.
	WebDir string
	// TriggerEndpoint is the Lambda endpoint the pool calls for its triggers, if not the stack's.
	TriggerEndpoint string
	// Logs gets every line in one Write, prefixed [cognito], [api], [lambda] or [<function>]; it
	// must be safe for concurrent use (os.Stdout is). Nil discards them.
	Logs io.Writer
}

// Stack is a running local stack.
type Stack struct {
	// APIURL ("http://127.0.0.1:3000/dev"), LambdaEndpoint and CognitoURL are the base URLs;
	// Issuer is the iss of the pool's tokens.
	APIURL, LambdaEndpoint, CognitoURL, Issuer string
	// Pool is the local user pool and its app clients; UserPool is what it was made from.
	Pool     Pool
	UserPool slsconfig.UserPool
	// Routes lists "METHOD /stage/path" of the API.
	Routes []string

	cfg                *slsconfig.Config
	stateDir, webURL   string
	logs               io.Writer
	functions          map[string]*lambdaruntime.Pool
	closers            []func() // Close runs them last first
	loadTook, poolTook time.Duration
}

// errListen says which port ("api", "lambda", "cognito" or "web") could not be bound, and if it
// is taken, how make dev moves it.
func errListen(what, addr string, err error) error {
	if !errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%s port: %w", what, err)
	}
	_, port, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(port)
	name := map[string]string{"api": "the API", "lambda": "the Lambda endpoint", "cognito": "the local Cognito", "web": "the login page"}[what]
	return fmt.Errorf("%s port: %s is already in use (%w): stop what uses it, or move %s with DEV_FLAGS='--%s-port %d'", what, addr, err, name, what, n+100)
}

// Start starts the stack. It binds every port first, and starts nothing when one is taken.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	began := time.Now()
	st := &Stack{stateDir: opts.StateDir, functions: map[string]*lambdaruntime.Pool{}, logs: cmp.Or(opts.Logs, io.Discard)}
	defer func() {
		if err != nil {
			st.Close()
		}
	}()
	var lns []net.Listener
	for i, addr := range []string{opts.APIAddr, opts.LambdaAddr, opts.CognitoAddr, opts.WebAddr} {
		addr = cmp.Or(addr, "127.0.0.1:0")
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, errListen([]string{"api", "lambda", "cognito", "web"}[i], addr, err)
		}
		st.closers = append(st.closers, func() { ln.Close() })
		lns = append(lns, ln)
	}
	api, fns, cog, web := lns[0], lns[1], lns[2], lns[3]
	cfg := opts.Config
	if cfg == nil {
		if cfg, err = slsconfig.Load(ctx, opts.Root, opts.Stage, opts.Region, opts.Params...); err != nil {
			return nil, err
		}
		st.loadTook = time.Since(began)
	}
	st.cfg = cfg
	for _, fn := range cfg.Functions {
		if !strings.HasPrefix(fn.Runtime, "provided") {
			return nil, fmt.Errorf("function %s: not supported locally: runtime %q (only provided.* Go bootstrap functions run)", fn.Key, fn.Runtime)
		}
	}
	up, hasPool, err := cfg.UserPool()
	if err == nil && !hasPool {
		err = errors.New("not supported locally: a service without a Cognito user pool")
	}
	var lc *types.LambdaConfigType
	if err == nil {
		lc, err = lambdaConfig(cfg, up)
	}
	if err != nil {
		return nil, err
	}
	st.UserPool = up
	st.APIURL = "http://" + api.Addr().String() + "/" + cfg.Stage
	st.LambdaEndpoint = "http://" + fns.Addr().String()
	st.CognitoURL = "http://" + cog.Addr().String()
	unlock, publish, err := lockState(opts.StateDir)
	if err != nil {
		return nil, err
	}
	st.closers = append(st.closers, unlock)

	began = time.Now()
	srv, err := cognito.New(cognito.Options{StateFile: cognitoFile(opts.StateDir), BaseURL: st.CognitoURL, Region: cfg.Region,
		// The real Lambda client, without retries: a trigger that cannot run fails the call at
		// once, as UnexpectedLambdaException.
		Lambda: lambda.New(lambda.Options{Region: cfg.Region, BaseEndpoint: aws.String(cmp.Or(opts.TriggerEndpoint, st.LambdaEndpoint)),
			Credentials: localCredentials, RetryMaxAttempts: 1}),
		Logger: slog.New(slog.NewTextHandler(prefixed(st.logs, "cognito"), nil))})
	if err != nil {
		return nil, err
	}
	st.serve(cog, srv)
	if st.Pool, err = ensurePool(ctx, st.CognitoClient(), poolFile(opts.StateDir), up, lc); err != nil {
		return nil, err
	}
	st.Issuer, st.poolTook = st.CognitoURL+"/"+st.Pool.ID, time.Since(began)
	if err := publish(st.CognitoURL); err != nil { // only now may sls invoke local use this pool
		return nil, err
	}

	st.closers = append(st.closers, func() { // together: each waits for its processes to exit
		var wg sync.WaitGroup
		for _, p := range st.functions {
			wg.Go(func() { p.Close() })
		}
		wg.Wait()
	})
	invoke := &invokeapi.Handler{Functions: map[string]invokeapi.Invoker{}, Region: cfg.Region,
		Logger: slog.New(slog.NewTextHandler(prefixed(st.logs, "lambda"), nil))}
	dir := cmp.Or(opts.BootstrapDir, filepath.Join(opts.Root, "build", "local"))
	for _, fn := range cfg.Functions {
		env, err := FunctionEnv(fn, cfg, up, st.Pool, st.CognitoURL)
		if err != nil {
			return nil, err
		}
		p, err := newFunctionPool(fn, cfg.Region, cmp.Or(opts.Bootstraps[fn.Key], filepath.Join(dir, fn.Key, "bootstrap")), env, st.logs)
		if err != nil {
			return nil, fmt.Errorf("function %s: %w (build it with make build-local)", fn.Key, err)
		}
		st.functions[fn.Key], invoke.Functions[fn.Name] = p, p // the Invoke API names functions by deployed name
	}
	st.closers = append(st.closers, invoke.Wait) // Event invocations under way end before the pools
	st.serve(fns, invoke)

	authCtx, cancel := context.WithCancel(context.Background())
	st.closers = append(st.closers, cancel)
	gw, err := st.gateway(authCtx)
	if err != nil {
		return nil, err
	}
	st.Routes = gw.Endpoints()
	st.serve(api, gw)
	if opts.WebDir != "" {
		page, err := webhost.Handler(opts.WebDir, st.APIURL)
		if err != nil {
			return nil, err
		}
		st.serve(web, page)
		st.webURL = "http://" + web.Addr().String()
	}
	return st, nil
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
	logs := prefixed(st.logs, "api")
	auth, err := authorizer.New(ctx, st.Issuer+"/.well-known/jwks.json", st.Issuer, logs)
	if err != nil {
		return nil, err
	}
	return gateway.New(st.cfg, st.functions, func(a *slsconfig.Authorizer) (gateway.Authorizer, error) {
		if a.PoolLogicalID != st.UserPool.LogicalID {
			return nil, fmt.Errorf("not supported locally: authorizer %q uses pool %q, which is not the service's pool", a.Name, a.PoolLogicalID)
		}
		// The token validation regex: a {Ref: <app client>} is the client id, on AWS too,
		// which matches itself as a regex.
		v := a.IdentityValidationExpression
		expr, err := resolve(v, st.cfg, st.UserPool, st.Pool)
		if err != nil {
			return nil, err
		} else if v.Ref != "" {
			expr = regexp.QuoteMeta(expr)
		}
		return auth.Method(a.Scopes, expr)
	}, logs)
}

// Function returns the pool of a function by its key (signin).
func (st *Stack) Function(key string) (*lambdaruntime.Pool, bool) {
	p, ok := st.functions[key]
	return p, ok
}

// CognitoClient is a Cognito client for the stack's user pool.
func (st *Stack) CognitoClient() *cip.Client { return newCognitoClient(st.CognitoURL, st.cfg.Region) }

// Close stops everything the stack started and releases the state folder; a second call does nothing.
func (st *Stack) Close() {
	for _, c := range slices.Backward(st.closers) {
		c()
	}
	st.closers = nil
}

// newFunctionPool runs a service function under its deployed name, timeout and memory, its log
// lines prefixed with its key.
func newFunctionPool(fn slsconfig.Function, region, bootstrap string, env map[string]string, logs io.Writer) (*lambdaruntime.Pool, error) {
	return lambdaruntime.NewPool(lambdaruntime.Function{Name: fn.Name, Bootstrap: bootstrap, Env: env,
		Timeout: fn.Timeout, MemoryMB: fn.MemoryMB, Region: region, Logs: logs, LogPrefix: fn.Key})
}

// errNoPool: only the local pool can stand in for the pool, a client or its secret.
var errNoPool = errors.New("no local user pool is running")

// FunctionEnv builds a function's environment: its own with each {Ref: X} resolved locally (a
// secret holding a client secret becomes CLIENT_SECRET, the secret itself), the Cognito endpoint
// unless empty, placeholder credentials (SigV4 is ignored here, refused by AWS) and Lambda's log settings.
func FunctionEnv(fn slsconfig.Function, cfg *slsconfig.Config, up slsconfig.UserPool, pool Pool,
	cognitoEndpoint string) (map[string]string, error) {
	env := map[string]string{"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
	for _, name := range slices.Sorted(maps.Keys(fn.Environment)) {
		v, err := resolve(fn.Environment[name], cfg, up, pool)
		if err != nil {
			return nil, fmt.Errorf("function %s: %s: %w", fn.Key, name, err)
		}
		if _, ok := up.Secrets[fn.Environment[name].Ref]; ok {
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
	typ := cfg.Resources[v.Ref].Type // or the pool a cognitoUserPool event creates
	if v.Ref == up.LogicalID {
		typ = slsconfig.TypeUserPool
	}
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

// errStateInUse is Start's answer on a state folder another stack holds: a local Cognito owns
// its state file, and two on one file would overwrite each other's changes.
var errStateInUse = errors.New("state folder in use")

// lockState takes the state folder (creating it) with an flock on <dir>/lock, which goes with the
// process however it exits. The file says "<pid>" to `sls invoke local` meanwhile, and
// "<pid> <Cognito URL>" once publish is called, when the pool is ready for it.
func lockState(dir string) (unlock func(), publish func(cognitoURL string) error, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("state folder: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("state folder: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		pid, _ := running(dir)
		return nil, nil, fmt.Errorf("%w: %s is used by process %d (a running make dev?)", errStateInUse, dir, pid)
	}
	unlock = func() { _ = f.Truncate(0); f.Close() }
	publish = func(cognitoURL string) error {
		_ = f.Truncate(0) // what a stack that crashed left, or the pid alone
		if _, err := f.WriteAt(fmt.Appendln(nil, os.Getpid(), cognitoURL), 0); err != nil {
			return fmt.Errorf("state folder: %w", err)
		}
		return nil
	}
	if err := publish(""); err != nil {
		unlock()
		return nil, nil, err
	}
	return unlock, publish, nil
}

// running returns the pid and Cognito URL of the stack holding dir; none holds it if url is "".
func running(dir string) (pid int, url string) {
	f, err := os.Open(filepath.Join(dir, "lock"))
	if err != nil {
		return 0, ""
	}
	defer f.Close()
	if syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB) == nil { // nobody holds it
		return 0, ""
	}
	_, _ = fmt.Fscan(f, &pid, &url)
	return pid, url
}

// prefixed is a writer that puts "[name] " in front of each line.
func prefixed(w io.Writer, name string) io.Writer {
	return &logline.Writer{Emit: func(line []byte) error {
		_, err := w.Write(slices.Concat([]byte("["+name+"] "), line, []byte("\n")))
		return err
	}}
}

// WriteBanner prints what a developer needs to use the stack: its URLs, the pool and client ids
// (not the client secret), the function names and ready-to-paste curl commands.
func WriteBanner(w io.Writer, st *Stack, took time.Duration) {
	var b strings.Builder
	cfg, round := st.cfg, func(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }
	fmt.Fprintf(&b, "\n%s local stack ready in %s (sls print %s, user pool %s; stage %s, region %s)\n\n", cfg.Service, round(took),
		round(st.loadTook), round(st.poolTook), cfg.Stage, cfg.Region)
	if st.webURL != "" {
		fmt.Fprintf(&b, "  Login page  %s  (open it in a browser: its own origin, so the API's CORS setting applies)\n\n", st.webURL)
	}
	fmt.Fprintf(&b, "  API         %s\n", st.APIURL)
	for _, r := range st.Routes {
		fmt.Fprintf(&b, "                %s\n", r)
	}
	fmt.Fprintf(&b, "  Lambda      %s  (aws lambda invoke --endpoint-url %s --function-name <name> ...)\n", st.LambdaEndpoint, st.LambdaEndpoint)
	for _, fn := range cfg.Functions {
		fmt.Fprintf(&b, "                %s\n", fn.Name)
	}
	fmt.Fprintf(&b, "  Cognito     %s  (aws cognito-idp --endpoint-url %s ...; tokens for local use only)\n", st.CognitoURL, st.CognitoURL)
	fmt.Fprintf(&b, "  User pool   %s\n", st.Pool.ID)
	for _, id := range slices.Sorted(maps.Keys(st.Pool.Clients)) {
		fmt.Fprintf(&b, "  App client  %s  %s%s\n", st.Pool.Clients[id].ID, id, map[bool]string{true: " (with a secret)"}[st.Pool.Clients[id].Secret != ""])
	}
	if st.Pool.Stale {
		b.WriteString("\n  Note: the pool in the state folder was made from other serverless.yml settings;\n" +
			"  stop, delete the stage's folder under .local/ and start again to recreate it (users are lost).\n")
	}
	// The credentials of events/signin.json, so sls invoke local and these commands find one user.
	signin := fmt.Sprintf(`curl -s -X POST %s/signin -H 'Content-Type: application/json' -d '{"username":"alice","password":"Corr3ct-Horse!"}'`, st.APIURL)
	fmt.Fprintf(&b, "\n  Sign up or sign in:\n    %s\n  Then /me with the ID token:\n", signin)
	fmt.Fprintf(&b, "    ID_TOKEN=$(%s | node -pe 'JSON.parse(require(\"fs\").readFileSync(0)).id_token')\n", signin)
	fmt.Fprintf(&b, "    curl -s %s/me -H \"Authorization: $ID_TOKEN\"\n", st.APIURL)
	for _, fn := range cfg.Functions {
		for _, h := range fn.HTTP {
			if h.Authorizer != nil && len(h.Authorizer.Scopes) > 0 {
				fmt.Fprintf(&b, "  %s %s/%s takes an access token with one of: %s\n", h.Method, st.APIURL, h.Path, strings.Join(h.Authorizer.Scopes, " "))
			}
		}
	}
	b.WriteString("\nCtrl-C stops everything.\n\n")
	_, _ = io.WriteString(w, b.String())
}

// localCredentials stand in for real ones: the local stack ignores SigV4.
var localCredentials = credentials.NewStaticCredentialsProvider("local", "local", "")

func newCognitoClient(endpoint, region string) *cip.Client {
	return cip.New(cip.Options{Region: region, BaseEndpoint: aws.String(endpoint), Credentials: localCredentials})
}

// Pool is the local user pool with its app clients by logical id; Stale says it was made from
// other settings than serverless.yml's now.
type Pool struct {
	ID      string
	Clients map[string]Client
	Stale   bool
}

// Client is an app client of the local pool; Secret is its generated secret, or "".
type Client struct{ ID, Secret string }

// poolRecord is pool.json: ids only, the secret is read back from the pool.
type poolRecord struct {
	UserPoolID string            `json:"userPoolId"`
	Clients    map[string]string `json:"clients"`
	SpecHash   string            `json:"specHash"`
}

func poolFile(stateDir string) string    { return filepath.Join(stateDir, "pool.json") }
func cognitoFile(stateDir string) string { return filepath.Join(stateDir, "cognito.json") }

// lambdaConfig maps the pool's triggers to CreateUserPool's LambdaConfig, each naming its
// function by the ARN the local Invoke endpoint answers to.
func lambdaConfig(cfg *slsconfig.Config, up slsconfig.UserPool) (*types.LambdaConfigType, error) {
	lc := &types.LambdaConfigType{}
	for _, t := range up.Triggers {
		fn, _ := cfg.Function(t.Function)
		arn := aws.String(awsid.FunctionARN(cfg.Region, fn.Name))
		switch {
		case t.Name == "PreSignUp":
			lc.PreSignUp = arn
		case t.Name == "PreTokenGeneration" && t.LambdaVersion == string(types.PreTokenGenerationLambdaVersionTypeV20):
			lc.PreTokenGenerationConfig = &types.PreTokenGenerationVersionConfigType{LambdaArn: arn, LambdaVersion: types.PreTokenGenerationLambdaVersionTypeV20}
		default:
			return nil, fmt.Errorf("function %s: the Cognito trigger %s (version %q) is not supported locally: only PreSignUp and PreTokenGeneration V2_0 are",
				t.Function, t.Name, t.LambdaVersion)
		}
	}
	return lc, nil
}

// ensurePool finds the pool and clients recorded in stateFile, or creates them as up says
// (with its resource servers) and records them. A recorded pool or client the local Cognito no
// longer has (its state was deleted) is created again.
func ensurePool(ctx context.Context, api *cip.Client, stateFile string, up slsconfig.UserPool, lc *types.LambdaConfigType) (Pool, error) {
	var rec poolRecord
	data, err := os.ReadFile(stateFile)
	if err == nil {
		err = json.Unmarshal(data, &rec)
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return Pool{}, fmt.Errorf("%s: %w (delete it to start over)", stateFile, err)
	}
	notFound := func(err error) bool { return errors.As(err, new(*types.ResourceNotFoundException)) }
	if rec.UserPoolID != "" {
		if _, err := api.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: &rec.UserPoolID}); notFound(err) {
			rec = poolRecord{}
		} else if err != nil {
			return Pool{}, fmt.Errorf("describe user pool %s: %w", rec.UserPoolID, err)
		}
	}
	pool := Pool{ID: rec.UserPoolID, Clients: map[string]Client{}, Stale: rec.UserPoolID != "" && rec.SpecHash != up.Hash()}
	if pool.ID == "" {
		in := up.Input
		in.LambdaConfig = lc
		out, err := api.CreateUserPool(ctx, &in)
		if err != nil {
			return Pool{}, fmt.Errorf("create user pool: %w", err)
		}
		pool.ID = aws.ToString(out.UserPool.Id)
		rec = poolRecord{UserPoolID: pool.ID, SpecHash: up.Hash()}
		for _, id := range slices.Sorted(maps.Keys(up.ResourceServers)) {
			in := up.ResourceServers[id]
			in.UserPoolId = &pool.ID
			if _, err := api.CreateResourceServer(ctx, &in); err != nil {
				return Pool{}, fmt.Errorf("create resource server %s: %w", id, err)
			}
		}
	}
	if rec.Clients == nil {
		rec.Clients = map[string]string{}
	}
	for _, id := range slices.Sorted(maps.Keys(up.Clients)) {
		if clientID := rec.Clients[id]; clientID != "" {
			out, err := api.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: &pool.ID, ClientId: &clientID})
			if err == nil {
				pool.Clients[id] = Client{clientID, aws.ToString(out.UserPoolClient.ClientSecret)}
				continue
			} else if !notFound(err) {
				return Pool{}, fmt.Errorf("describe app client %s: %w", id, err)
			}
		}
		in := up.Clients[id]
		in.UserPoolId = &pool.ID
		out, err := api.CreateUserPoolClient(ctx, &in)
		if err != nil {
			return Pool{}, fmt.Errorf("create app client %s: %w", id, err)
		}
		pool.Clients[id] = Client{aws.ToString(out.UserPoolClient.ClientId), aws.ToString(out.UserPoolClient.ClientSecret)}
		rec.Clients[id] = pool.Clients[id].ID
	}
	if out, _ := json.MarshalIndent(rec, "", "  "); !bytes.Equal(append(out, '\n'), data) { // written only when it changes
		// Renamed into place: a stack killed mid-write, or an sls invoke local reading it, never sees half a file.
		if err := os.WriteFile(stateFile+".tmp", append(out, '\n'), 0o644); err != nil {
			return pool, err
		}
		return pool, os.Rename(stateFile+".tmp", stateFile)
	}
	return pool, nil
}

// InvokeLocal builds the function key for this machine and runs one invocation of it with the
// event payload in a pool of its own, with IS_LOCAL=true as osls sets it for the runtimes it runs
// and env over its environment (sls invoke local --env); opts.Logs gets its logs. A {Ref: ...} to
// the pool, a client or a secret is resolved from the make dev stack running on opts.StateDir, or
// else from a stack started here for the call, Start(opts), so the pool and its users are the
// ones make dev shows; a function without such values needs no stack. opts.Config is needed.
func InvokeLocal(ctx context.Context, opts Options, key string, payload []byte, env map[string]string) (lambdaruntime.Response, error) {
	cfg := opts.Config
	opts.BootstrapDir = cmp.Or(opts.BootstrapDir, filepath.Join(opts.Root, "build", "local"))
	fn, ok := cfg.Function(key)
	if !ok {
		return lambdaruntime.Response{}, fmt.Errorf("function %q is not in serverless.yml", key)
	}
	up, _, err := cfg.UserPool()
	if err != nil {
		return lambdaruntime.Response{}, err
	}
	pool, endpoint := Pool{}, ""
	_, err = FunctionEnv(fn, cfg, up, pool, "")
	pid, devURL := running(opts.StateDir)
	switch {
	case !errors.Is(err, errNoPool): // needs no pool (or fails again below)
	case devURL != "": // make dev made the pool: only its ids are read here
		endpoint = devURL
		if pool, err = ensurePool(ctx, newCognitoClient(endpoint, cfg.Region), poolFile(opts.StateDir), up, nil); err != nil {
			return lambdaruntime.Response{}, fmt.Errorf("the make dev stack of %s (pid %d): %w", opts.StateDir, pid, err)
		}
	default: // a stack for the call, whose triggers need building too
		var keys []string
		for _, f := range cfg.Functions {
			keys = append(keys, f.Key)
		}
		if err := buildcache.Build(ctx, opts.Root, opts.BootstrapDir, keys...); err != nil {
			return lambdaruntime.Response{}, err
		}
		st, err := Start(ctx, opts)
		if err != nil {
			return lambdaruntime.Response{}, err
		}
		defer st.Close()
		pool, endpoint = st.Pool, st.CognitoURL
	}
	fnEnv, err := FunctionEnv(fn, cfg, up, pool, endpoint)
	if err == nil {
		err = buildcache.Build(ctx, opts.Root, opts.BootstrapDir, key)
	}
	if err != nil {
		return lambdaruntime.Response{}, err
	}
	fnEnv["IS_LOCAL"] = "true"
	maps.Copy(fnEnv, env)
	p, err := newFunctionPool(fn, cfg.Region, filepath.Join(opts.BootstrapDir, key, "bootstrap"), fnEnv, opts.Logs)
	if err != nil {
		return lambdaruntime.Response{}, err
	}
	defer p.Close()
	return p.Invoke(ctx, payload) // the pool enforces the function's timeout
}
