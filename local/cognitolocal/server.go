// Package cognitolocal runs cognito-local (the npm package) as a child process with its state
// in a folder, and creates, or finds again, the user pool and app clients that the service's
// CloudFormation resources describe.
//
// cognito-local reads .cognito/config.json in its working directory and keeps its database in
// .cognito/db there. Its token issuer is http://<HOST>:<PORT>/<poolId> (lib/server/config.js:
// TokenConfig.IssuerDomain defaults to http://${HOST}:${PORT}); the server here always starts it
// with HOST=127.0.0.1, so Issuer is http://127.0.0.1:<port>/<poolId>.
package cognitolocal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/signin-api/signin/local/logline"
)

// Host is the address cognito-local listens on.
const Host = "127.0.0.1"

// Options configure a cognito-local process.
type Options struct {
	// Bin is the cognito-local executable (node_modules/.bin/cognito-local).
	Bin string
	// StateDir is its working directory; it keeps .cognito/config.json and .cognito/db there.
	StateDir string
	// Port is the port to listen on (127.0.0.1 only).
	Port int
	// LambdaEndpoint is the Lambda Invoke endpoint cognito-local calls for triggers
	// ("http://127.0.0.1:3002"); empty leaves triggers unconfigured.
	LambdaEndpoint string
	// TriggerFunctions maps a trigger (PreSignUp, ...) to the function name it invokes.
	TriggerFunctions map[string]string
	// Logs receives cognito-local's output, one line at a time, without colour codes.
	Logs io.Writer
	// ReadyTimeout bounds the wait for its /health endpoint; 30s if zero.
	ReadyTimeout time.Duration
}

// Server is a running cognito-local process.
type Server struct {
	port int
	cmd  *exec.Cmd
	done chan struct{}
	tail *tailWriter

	mu      sync.Mutex
	waitErr error
	closed  bool
}

// fileConfig is the shape of .cognito/config.json (cognito-local lib/server/config.js).
type fileConfig struct {
	LambdaClient     *lambdaClient     `json:"LambdaClient,omitempty"`
	TriggerFunctions map[string]string `json:"TriggerFunctions"`
	UserPoolDefaults struct {
		// An empty list, not cognito-local's default ["email"]: plain usernames, as the
		// deployed pool has (its UsernameAttributes are unset).
		UsernameAttributes []string `json:"UsernameAttributes"`
	} `json:"UserPoolDefaults"`
}

type lambdaClient struct {
	Endpoint    string `json:"endpoint"`
	Region      string `json:"region"`
	Credentials struct {
		AccessKeyID     string `json:"accessKeyId"`
		SecretAccessKey string `json:"secretAccessKey"`
	} `json:"credentials"`
}

// WriteConfig writes .cognito/config.json under opts.StateDir. It is rewritten on every start
// because the ports may differ from the last run.
func WriteConfig(opts Options) error {
	cfg := fileConfig{TriggerFunctions: map[string]string{}}
	cfg.UserPoolDefaults.UsernameAttributes = []string{}
	if opts.LambdaEndpoint != "" {
		lc := &lambdaClient{Endpoint: opts.LambdaEndpoint, Region: "local"}
		lc.Credentials.AccessKeyID, lc.Credentials.SecretAccessKey = "local", "local"
		cfg.LambdaClient = lc
		for trigger, fn := range opts.TriggerFunctions {
			cfg.TriggerFunctions[trigger] = fn
		}
	}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Join(opts.StateDir, ".cognito")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cognito-local state: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("cognito-local config: %w", err)
	}
	return nil
}

// Start writes the configuration, starts cognito-local and waits until it answers.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Port <= 0 {
		return nil, errors.New("cognito-local: no port")
	}
	bin, err := filepath.Abs(opts.Bin) // exec resolves a relative path against cmd.Dir
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("cognito-local: %w (run npm ci)", err)
	}
	if err := WriteConfig(opts); err != nil {
		return nil, err
	}
	logs := opts.Logs
	if logs == nil {
		logs = io.Discard
	}
	tail := newTailWriter(logs, 20)
	cmd := exec.Command(bin)
	cmd.Dir = opts.StateDir
	cmd.Env = append(os.Environ(),
		"PORT="+strconv.Itoa(opts.Port),
		"HOST="+Host,
		// aws-sdk v2 prints an end-of-support notice at every start otherwise.
		"AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE=1",
	)
	cmd.Stdout, cmd.Stderr = tail, tail
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start cognito-local: %w", err)
	}
	s := &Server{port: opts.Port, cmd: cmd, done: make(chan struct{}), tail: tail}
	go func() {
		err := cmd.Wait()
		_ = tail.Flush()
		s.mu.Lock()
		s.waitErr = err
		s.mu.Unlock()
		close(s.done)
	}()
	timeout := opts.ReadyTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	if err := s.waitReady(ctx, timeout); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// waitReady polls /health until it answers 200, the process exits, or time runs out.
func (s *Server) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	client := &http.Client{Timeout: time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Endpoint()+"/health", nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("cognito-local exited before it was ready (%v); its last output:\n%s", s.exitErr(), s.tail.String())
		case <-deadline.C:
			return fmt.Errorf("cognito-local did not answer on %s within %s; its last output:\n%s", s.Endpoint(), timeout, s.tail.String())
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func (s *Server) exitErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waitErr
}

// Port is the port cognito-local listens on.
func (s *Server) Port() int { return s.port }

// Endpoint is the base URL for the Cognito API (AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER).
func (s *Server) Endpoint() string { return EndpointFor(s.port) }

// Done is closed when the process has exited.
func (s *Server) Done() <-chan struct{} { return s.done }

// Close stops cognito-local (SIGTERM, then SIGKILL after 3 s) and waits for it to exit.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.done
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	select {
	case <-s.done:
		return nil
	default:
	}
	signalGroup(s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(3 * time.Second):
		signalGroup(s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
	return nil
}

// EndpointFor is the base URL of a cognito-local listening on port.
func EndpointFor(port int) string {
	return "http://" + net.JoinHostPort(Host, strconv.Itoa(port))
}

// IssuerFor is the iss claim of the tokens cognito-local on port issues for poolID.
func IssuerFor(port int, poolID string) string { return EndpointFor(port) + "/" + poolID }

// JWKSURLFor is where cognito-local on port publishes the keys of poolID.
func JWKSURLFor(port int, poolID string) string {
	return IssuerFor(port, poolID) + "/.well-known/jwks.json"
}

// ansi matches the colour codes pino-pretty writes even when its output is not a terminal.
var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// stackLine matches the JavaScript stack trace lines of the errors cognito-local logs for
// every refused request (a wrong password, a taken username); the error's type, message and
// code stay.
var stackLine = regexp.MustCompile(`^\s+(at |Error: |"stack":)`)

// tailWriter passes whole lines on without colour codes and keeps the last few for errors.
type tailWriter struct {
	logline.Writer
	out io.Writer
	max int

	mu    sync.Mutex
	lines []string
}

func newTailWriter(out io.Writer, max int) *tailWriter {
	w := &tailWriter{out: out, max: max}
	w.Emit = w.emit
	return w
}

func (w *tailWriter) emit(b []byte) error {
	line := ansi.ReplaceAllString(string(b), "")
	if line == "" || stackLine.MatchString(line) {
		return nil
	}
	_, _ = io.WriteString(w.out, line+"\n")
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lines = append(w.lines, line)
	if len(w.lines) > w.max {
		w.lines = w.lines[len(w.lines)-w.max:]
	}
	return nil
}

func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b bytes.Buffer
	for _, l := range w.lines {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}
