package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/signin-api/signin/local/slsconfig"
)

// DevOptions are the settings of `make dev` (local/cmd/dev's flags).
type DevOptions struct {
	APIPort, LambdaPort, CognitoPort int
	Stage, Region                    string
	// StateDir holds one folder per stage (.local).
	StateDir string
	// Root is the service's folder.
	Root string
	// BootstrapDir holds <function>/bootstrap built for this machine; <Root>/build/local if empty.
	BootstrapDir string
	// Params are Serverless parameters ("corsAllowOrigin=http://127.0.0.1:5173") for sls print,
	// so a stage's exact settings run locally.
	Params []string
}

// portFlags names what listens on each port and the local/cmd/dev flag that moves it, for the
// port-in-use message.
var portFlags = map[string]struct{ what, flag string }{
	"api":     {"the API", "--api-port"},
	"lambda":  {"the Lambda endpoint", "--lambda-port"},
	"cognito": {"the local Cognito", "--cognito-port"},
	"web":     {"the login page", "--web-port"},
}

// StartDev checks the ports, reads the configuration with `sls print`, and starts the stack,
// its logs going to logs.
func StartDev(ctx context.Context, opts DevOptions, logs io.Writer) (*Stack, error) {
	// The ports are checked before anything else (sls print takes seconds); Start checks them
	// again as it binds them.
	for _, p := range []struct {
		what string
		port int
	}{{"api", opts.APIPort}, {"lambda", opts.LambdaPort}, {"cognito", opts.CognitoPort}} {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, PortError(&PortInUseError{What: p.what, Addr: addr, Err: err})
		}
		ln.Close()
	}
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, err
	}
	opts.Root = root
	if opts.BootstrapDir == "" {
		opts.BootstrapDir = filepath.Join(root, "build", "local")
	}
	began := time.Now()
	cfg, err := slsconfig.Load(ctx, opts.Root, opts.Stage, opts.Region, opts.Params...)
	if err != nil {
		return nil, err
	}
	loaded := Timing{"sls print", time.Since(began)}
	st, err := Start(ctx, Options{
		Root:         opts.Root,
		Config:       cfg,
		StateDir:     filepath.Join(opts.StateDir, cfg.Stage),
		BootstrapDir: opts.BootstrapDir,
		APIAddr:      net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.APIPort)),
		LambdaAddr:   net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.LambdaPort)),
		CognitoPort:  opts.CognitoPort,
		Logs:         logs,
	})
	if err != nil {
		return nil, PortError(err)
	}
	st.Timings = append([]Timing{loaded}, st.Timings...)
	return st, nil
}

// PortError adds to a PortInUseError how to move that port with make dev's DEV_FLAGS (to the
// port 100 up, as in the README's example); other errors are returned as they are.
// local/cmd/dev reports the login page's port with it.
func PortError(err error) error {
	var pe *PortInUseError
	if !errors.As(err, &pe) {
		return err
	}
	other := "another port"
	if _, port, splitErr := net.SplitHostPort(pe.Addr); splitErr == nil {
		if n, convErr := strconv.Atoi(port); convErr == nil {
			other = strconv.Itoa(n + 100)
		}
	}
	pf := portFlags[pe.What]
	return fmt.Errorf("%w: stop what uses it, or move %s with DEV_FLAGS='%s %s'", err, pf.what, pf.flag, other)
}

// WriteBanner prints what a developer needs to use the stack: its URLs, the pool and client ids,
// the function names and ready-to-paste curl commands. The client secret is not printed. The
// extra lines (the login page's URL) come first, under the ready line.
func WriteBanner(w io.Writer, st *Stack, took time.Duration, extra ...string) {
	var b strings.Builder
	var steps []string
	for _, t := range st.Timings {
		steps = append(steps, fmt.Sprintf("%s %s", t.Step, t.Duration.Round(10*time.Millisecond)))
	}
	fmt.Fprintf(&b, "\n%s local stack ready in %s (%s; stage %s, region %s)\n\n", st.cfg.Service, took.Round(10*time.Millisecond),
		strings.Join(steps, ", "), st.cfg.Stage, st.cfg.Region)
	for _, line := range extra {
		fmt.Fprintf(&b, "  %s\n", line)
	}
	if len(extra) > 0 {
		b.WriteString("\n")
	}
	if st.APIURL != "" {
		fmt.Fprintf(&b, "  API         %s\n", st.APIURL)
		for _, r := range st.Routes {
			fmt.Fprintf(&b, "                %s\n", r)
		}
	}
	fmt.Fprintf(&b, "  Lambda      %s  (aws lambda invoke --endpoint-url %s --function-name <name> ...)\n", st.LambdaEndpoint, st.LambdaEndpoint)
	for _, fn := range st.cfg.Functions {
		fmt.Fprintf(&b, "                %s\n", fn.Name)
	}
	if st.CognitoURL != "" {
		fmt.Fprintf(&b, "  Cognito     %s  (aws cognito-idp --endpoint-url %s ...; tokens for local use only)\n", st.CognitoURL, st.CognitoURL)
		fmt.Fprintf(&b, "  User pool   %s\n", st.Pool.ID)
		for _, id := range slices.Sorted(maps.Keys(st.Pool.Clients)) {
			secret := ""
			if st.Pool.Clients[id].Secret != "" {
				secret = " (with a secret)"
			}
			fmt.Fprintf(&b, "  App client  %s  %s%s\n", st.Pool.Clients[id].ID, id, secret)
		}
		if st.Pool.Stale {
			fmt.Fprintf(&b, "\n  Note: the pool in the state folder was made from other serverless.yml settings;\n"+
				"  stop, delete the stage's folder under .local/ and start again to recreate it (users are lost).\n")
		}
	}
	if st.APIURL != "" {
		// The credentials of events/signin.json, so sls invoke local -p events/signin.json and
		// these commands find the same user.
		signin := st.APIURL + "/signin"
		me := st.APIURL + "/me"
		fmt.Fprintf(&b, "\n  Sign up or sign in:\n")
		fmt.Fprintf(&b, "    curl -s -X POST %s -H 'Content-Type: application/json' -d '{\"username\":\"alice\",\"password\":\"Corr3ct-Horse!\"}'\n", signin)
		fmt.Fprintf(&b, "  Then /me with the ID token:\n")
		fmt.Fprintf(&b, "    ID_TOKEN=$(curl -s -X POST %s -H 'Content-Type: application/json' -d '{\"username\":\"alice\",\"password\":\"Corr3ct-Horse!\"}' | node -pe 'JSON.parse(require(\"fs\").readFileSync(0)).id_token')\n", signin)
		fmt.Fprintf(&b, "    curl -s %s -H \"Authorization: $ID_TOKEN\"\n", me)
		for _, fn := range st.cfg.Functions {
			for _, h := range fn.HTTP {
				if h.Authorizer != nil && len(h.Authorizer.Scopes) > 0 {
					fmt.Fprintf(&b, "  %s %s/%s takes an access token with one of: %s\n", h.Method, st.APIURL, h.Path, strings.Join(h.Authorizer.Scopes, " "))
				}
			}
		}
	}
	fmt.Fprintf(&b, "\nCtrl-C stops everything.\n\n")
	_, _ = io.WriteString(w, b.String())
}
