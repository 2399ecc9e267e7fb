package stack

import (
	"cmp"
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
	"github.com/signin-api/signin/local/webhost"
)

// DevOptions are the settings of `make dev` (local/cmd/dev's flags).
type DevOptions struct {
	APIPort, LambdaPort, CognitoPort, WebPort int
	Stage, Region                             string
	// StateDir holds one folder per stage (.local).
	StateDir string
	// Root is the service's folder; BootstrapDir (<Root>/build/local if empty) holds
	// <function>/bootstrap, WebDir (<Root>/web if empty) the login page.
	Root, BootstrapDir, WebDir string
	// Params are Serverless parameters ("corsAllowOrigin=http://127.0.0.1:5173") for sls print.
	Params []string
}

// StartDev checks the ports, reads the configuration with `sls print`, starts the stack and the
// login page (web/, on an origin of its own, as S3 or CloudFront would serve it), and prints
// the banner to out, where the stack's logs then go.
func StartDev(ctx context.Context, opts DevOptions, out io.Writer) (_ *Stack, err error) {
	began := time.Now()
	addrs := map[string]string{}
	for what, port := range map[string]int{"api": opts.APIPort, "lambda": opts.LambdaPort, "cognito": opts.CognitoPort, "web": opts.WebPort} {
		addrs[what] = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		ln, err := net.Listen("tcp", addrs[what]) // before sls print, which takes seconds
		if err != nil {
			return nil, portHint(&PortInUseError{What: what, Addr: addrs[what], Err: err})
		}
		ln.Close()
	}
	cfg, err := slsconfig.Load(ctx, opts.Root, opts.Stage, opts.Region, opts.Params...)
	if err != nil {
		return nil, err
	}
	loadTook := time.Since(began)
	st, err := Start(ctx, Options{Root: opts.Root, Config: cfg, StateDir: filepath.Join(opts.StateDir, cfg.Stage), BootstrapDir: opts.BootstrapDir,
		APIAddr: addrs["api"], LambdaAddr: addrs["lambda"], CognitoAddr: addrs["cognito"], Logs: out})
	if err != nil {
		return nil, portHint(err)
	}
	defer func() {
		if err != nil {
			st.Close()
		}
	}()
	ln, err := st.listen("web", addrs["web"])
	if err != nil {
		return nil, portHint(err)
	}
	page, err := webhost.Handler(cmp.Or(opts.WebDir, filepath.Join(opts.Root, "web")), st.APIURL)
	if err != nil {
		return nil, err
	}
	st.serve(ln, page)
	st.webURL, st.loadTook = "http://"+ln.Addr().String(), loadTook
	writeBanner(out, st, time.Since(began))
	return st, nil
}

// portHint adds to a PortInUseError how to move that port with make dev's DEV_FLAGS (to the
// port 100 up, as in the README's example).
func portHint(err error) error {
	var pe *PortInUseError
	if !errors.As(err, &pe) {
		return err
	}
	_, port, _ := net.SplitHostPort(pe.Addr)
	n, _ := strconv.Atoi(port)
	what := map[string]string{"api": "the API", "lambda": "the Lambda endpoint", "cognito": "the local Cognito", "web": "the login page"}[pe.What]
	return fmt.Errorf("%w: stop what uses it, or move %s with DEV_FLAGS='--%s-port %d'", err, what, pe.What, n+100)
}

// writeBanner prints what a developer needs to use the stack: its URLs, the pool and client ids
// (not the client secret), the function names and ready-to-paste curl commands.
func writeBanner(w io.Writer, st *Stack, took time.Duration) {
	var b strings.Builder
	cfg, round := st.cfg, func(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }
	fmt.Fprintf(&b, "\n%s local stack ready in %s (sls print %s, user pool %s; stage %s, region %s)\n\n", cfg.Service, round(took),
		round(st.loadTook), round(st.poolTook), cfg.Stage, cfg.Region)
	fmt.Fprintf(&b, "  Login page  %s  (open it in a browser: its own origin, so the API's CORS setting applies)\n\n", st.webURL)
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
