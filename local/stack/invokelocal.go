package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/signin-api/signin/local/buildcache"
	"github.com/signin-api/signin/local/lambdaruntime"
	"github.com/signin-api/signin/local/slsconfig"
)

// InvokeOptions are the settings of one `sls invoke local` of a Go function.
type InvokeOptions struct {
	// Root is the service's folder.
	Root string
	// Config is the resolved configuration; nil reads it with `sls print`.
	Config        *slsconfig.Config
	Stage, Region string
	// Function is the function's key (signin).
	Function string
	// Payload is the event.
	Payload []byte
	// Env overrides variables after the function's own are resolved (sls invoke local --env).
	Env map[string]string
	// StateDir holds one state folder per stage (.local), shared with make dev.
	StateDir string
	// Logs receives the function's logs and, when a stack is started here, its other lines.
	Logs io.Writer
}

// InvokeLocal builds the function for this machine and runs one invocation of it, as `sls
// invoke local` would in Lambda's environment. Its {Ref: ...} environment values are resolved
// locally: from the running make dev stack of the stage when there is one (its user pool
// and Lambda endpoint serve the invocation), or else from a stack started here for the
// invocation on free ports, with the same state folder, so the pool and its users are the ones
// make dev shows. A function without such values needs no stack.
func InvokeLocal(ctx context.Context, opts InvokeOptions) (lambdaruntime.Response, error) {
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return lambdaruntime.Response{}, err
	}
	cfg := opts.Config
	if cfg == nil {
		if cfg, err = slsconfig.Load(ctx, root, opts.Stage, opts.Region); err != nil {
			return lambdaruntime.Response{}, err
		}
	}
	fn, ok := cfg.Function(opts.Function)
	if !ok {
		return lambdaruntime.Response{}, fmt.Errorf("function %q is not in serverless.yml", opts.Function)
	}
	bootstrapDir := filepath.Join(root, "build", "local")
	if err := Build(ctx, root, bootstrapDir, fn.Key); err != nil {
		return lambdaruntime.Response{}, err
	}
	stateDir := filepath.Join(opts.StateDir, cfg.Stage)
	if !filepath.IsAbs(stateDir) {
		stateDir = filepath.Join(root, stateDir)
	}

	up, _, err := cfg.UserPool()
	if err != nil {
		return lambdaruntime.Response{}, err
	}
	env, err := FunctionEnv(fn, cfg, up, Pool{}, "")
	if err == nil {
		return invokeOnce(ctx, fn, cfg, filepath.Join(bootstrapDir, fn.Key, "bootstrap"), env, opts)
	}
	if !errors.Is(err, errNoPool) {
		return lambdaruntime.Response{}, err
	}

	if running, ok := readRunning(stateDir); ok && running.CognitoPort != 0 {
		lc, err := lambdaConfig(cfg, up)
		if err != nil {
			return lambdaruntime.Response{}, err
		}
		endpoint := "http://" + net.JoinHostPort(cognitoHost, strconv.Itoa(running.CognitoPort))
		pool, err := ensurePool(ctx, newCognitoClient(endpoint, cfg.Region), poolFile(stateDir), up, lc)
		if err != nil {
			return lambdaruntime.Response{}, fmt.Errorf("the make dev stack of %s (pid %d): %w", stateDir, running.PID, err)
		}
		env, err := FunctionEnv(fn, cfg, up, pool, endpoint)
		if err != nil {
			return lambdaruntime.Response{}, err
		}
		return invokeOnce(ctx, fn, cfg, filepath.Join(bootstrapDir, fn.Key, "bootstrap"), env, opts)
	}

	// No stack runs on this state: start one for the invocation, without the gateway. Its
	// other functions are needed for the triggers; they are built too.
	var keys []string
	for _, f := range cfg.Functions {
		if f.Key != fn.Key {
			keys = append(keys, f.Key)
		}
	}
	if err := Build(ctx, root, bootstrapDir, keys...); err != nil {
		return lambdaruntime.Response{}, err
	}
	st, err := Start(ctx, Options{
		Root:         root,
		Config:       withEnvOverrides(cfg, fn.Key, opts.Env),
		StateDir:     stateDir,
		BootstrapDir: bootstrapDir,
		LambdaAddr:   "127.0.0.1:0",
		Logs:         opts.Logs,
	})
	if err != nil {
		return lambdaruntime.Response{}, err
	}
	defer st.Close()
	pool, _ := st.Function(fn.Key)
	return invokeWithDeadline(ctx, pool, fn, opts.Payload)
}

// invokeEnv is what sls invoke local adds to a function's environment: IS_LOCAL=true, as osls
// sets it for the runtimes it runs, then the --env overrides.
func invokeEnv(overrides map[string]string) map[string]string {
	env := map[string]string{"IS_LOCAL": "true"}
	maps.Copy(env, overrides)
	return env
}

// withEnvOverrides returns a copy of cfg where the function's environment has invokeEnv's
// variables.
func withEnvOverrides(cfg *slsconfig.Config, key string, overrides map[string]string) *slsconfig.Config {
	out := *cfg
	out.Functions = append([]slsconfig.Function(nil), cfg.Functions...)
	for i, fn := range out.Functions {
		if fn.Key != key {
			continue
		}
		merged := map[string]slsconfig.EnvValue{}
		maps.Copy(merged, fn.Environment)
		for k, v := range invokeEnv(overrides) {
			merged[k] = slsconfig.EnvValue{Value: v}
		}
		out.Functions[i].Environment = merged
	}
	return &out
}

// invokeOnce runs one invocation in a pool of its own.
func invokeOnce(ctx context.Context, fn slsconfig.Function, cfg *slsconfig.Config, bootstrap string,
	env map[string]string, opts InvokeOptions) (lambdaruntime.Response, error) {
	maps.Copy(env, invokeEnv(opts.Env))
	pool, err := newFunctionPool(fn, cfg.Region, bootstrap, env, opts.Logs)
	if err != nil {
		return lambdaruntime.Response{}, err
	}
	defer pool.Close()
	return invokeWithDeadline(ctx, pool, fn, opts.Payload)
}

func invokeWithDeadline(ctx context.Context, pool *lambdaruntime.Pool, fn slsconfig.Function, payload []byte) (lambdaruntime.Response, error) {
	// The pool enforces the function's timeout; this only guards against a stuck runner.
	ctx, cancel := context.WithTimeout(ctx, fn.Timeout+30*time.Second)
	defer cancel()
	return pool.Invoke(ctx, payload)
}

// Build builds the functions' bootstraps for this machine into dir/<key>/bootstrap, with the
// flags of the Makefile's build-local, so either reuses the other's build cache. A bootstrap
// whose Go sources did not change since its last build here is reused without running go.
func Build(ctx context.Context, root, dir string, keys ...string) error {
	targets := make([]buildcache.Target, 0, len(keys))
	for _, key := range keys {
		targets = append(targets, buildcache.Target{Package: "./functions/" + key, Out: filepath.Join(dir, key, "bootstrap")})
	}
	_, err := buildcache.Build(ctx, root, targets...)
	return err
}
