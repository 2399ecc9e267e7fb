package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"time"

	"github.com/signin-api/signin/local/buildcache"
	"github.com/signin-api/signin/local/lambdaruntime"
	"github.com/signin-api/signin/local/slsconfig"
)

// InvokeOptions are the settings of one `sls invoke local` of a Go function.
type InvokeOptions struct {
	// Root is the service's folder; Config its resolved configuration.
	Root   string
	Config *slsconfig.Config
	// Function is the function's key (signin); Payload the event.
	Function string
	Payload  []byte
	// Env overrides variables after the function's own are resolved (sls invoke local --env).
	Env map[string]string
	// StateDir holds one state folder per stage (.local, under Root unless absolute), shared
	// with make dev.
	StateDir string
	// Logs receives the function's logs and, when a stack is started here, its other lines.
	Logs io.Writer
}

// InvokeLocal builds the function for this machine and runs one invocation of it in a pool of
// its own, with IS_LOCAL=true as osls sets it for the runtimes it runs. A {Ref: ...} to the pool,
// a client or a secret is resolved from the make dev stack running on the stage's state folder,
// or else from a stack started here for the call on free ports with the same state, so the pool
// and its users are the ones make dev shows; a function without such values needs no stack.
func InvokeLocal(ctx context.Context, opts InvokeOptions) (lambdaruntime.Response, error) {
	cfg, dir := opts.Config, filepath.Join(opts.Root, "build", "local")
	fn, ok := cfg.Function(opts.Function)
	if !ok {
		return lambdaruntime.Response{}, fmt.Errorf("function %q is not in serverless.yml", opts.Function)
	}
	stateDir := filepath.Join(opts.StateDir, cfg.Stage)
	if !filepath.IsAbs(stateDir) {
		stateDir = filepath.Join(opts.Root, stateDir)
	}
	up, _, err := cfg.UserPool()
	var pool Pool
	var endpoint string
	if err == nil {
		_, err = FunctionEnv(fn, cfg, up, pool, "")
	}
	if h, ok := running(stateDir); errors.Is(err, errNoPool) && ok {
		endpoint = h.CognitoURL
		lc, err := lambdaConfig(cfg, up)
		if err == nil {
			pool, err = ensurePool(ctx, newCognitoClient(endpoint, cfg.Region), poolFile(stateDir), up, lc)
		}
		if err != nil {
			return lambdaruntime.Response{}, fmt.Errorf("the make dev stack of %s (pid %d): %w", stateDir, h.PID, err)
		}
	} else if errors.Is(err, errNoPool) { // the triggers run in the stack: build them all
		var keys []string
		for _, f := range cfg.Functions {
			keys = append(keys, f.Key)
		}
		if err := Build(ctx, opts.Root, dir, keys...); err != nil {
			return lambdaruntime.Response{}, err
		}
		st, err := Start(ctx, Options{Root: opts.Root, Config: cfg, StateDir: stateDir, BootstrapDir: dir, Logs: opts.Logs})
		if err != nil {
			return lambdaruntime.Response{}, err
		}
		defer st.Close()
		pool, endpoint = st.Pool, st.CognitoURL
	} else if err != nil {
		return lambdaruntime.Response{}, err
	}
	if err := Build(ctx, opts.Root, dir, fn.Key); err != nil {
		return lambdaruntime.Response{}, err
	}
	env, err := FunctionEnv(fn, cfg, up, pool, endpoint)
	if err != nil {
		return lambdaruntime.Response{}, err
	}
	env["IS_LOCAL"] = "true"
	maps.Copy(env, opts.Env)
	p, err := newFunctionPool(fn, cfg.Region, filepath.Join(dir, fn.Key, "bootstrap"), env, opts.Logs)
	if err != nil {
		return lambdaruntime.Response{}, err
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(ctx, fn.Timeout+30*time.Second) // the pool enforces the timeout; this guards against a stuck runner
	defer cancel()
	return p.Invoke(ctx, opts.Payload)
}

// Build builds the functions' bootstraps for this machine into dir/<key>/bootstrap, with the
// Makefile's build-local flags, reusing those whose inputs did not change (local/buildcache).
func Build(ctx context.Context, root, dir string, keys ...string) error {
	var targets []buildcache.Target
	for _, key := range keys {
		targets = append(targets, buildcache.Target{Package: "./functions/" + key, Out: filepath.Join(dir, key, "bootstrap")})
	}
	_, err := buildcache.Build(ctx, root, targets...)
	return err
}
