package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// runtimeAPI is the Lambda Runtime API for one process, as small as Lambda's protocol allows
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html): it hands out its events in
// order on GET /next and notes when each /next and each answer arrived. It is make bench's own
// rather than local/lambdaruntime's, which would add its log and pool machinery to every
// timing; nothing else is needed to start an aws-lambda-go bootstrap.
type runtimeAPI struct {
	events [][]byte
	srv    *http.Server
	addr   string
	marks  chan mark
	mu     sync.Mutex
	next   int
}

// mark is one thing the runtime did, when the server saw it.
type mark struct {
	kind string // "next", "response", "error" or "init/error"
	at   time.Time
	body []byte
}

func newRuntimeAPI(events [][]byte) (*runtimeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	// Every request sends at most one mark, and the runtime makes one /next per event plus one
	// that waits for the end: the channel never fills.
	api := &runtimeAPI{events: events, addr: ln.Addr().String(), marks: make(chan mark, 2*len(events)+4)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", api.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", api.handleAnswer("response"))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", api.handleAnswer("error"))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", api.handleAnswer("init/error"))
	api.srv = &http.Server{Handler: mux}
	go func() { _ = api.srv.Serve(ln) }()
	return api, nil
}

func (api *runtimeAPI) handleNext(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	api.mu.Lock()
	i := api.next
	api.next++
	api.mu.Unlock()
	api.marks <- mark{kind: "next", at: at}
	if i >= len(api.events) {
		<-r.Context().Done() // no more events: the process waits here until it is stopped
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Lambda-Runtime-Aws-Request-Id", "bench-"+strconv.Itoa(i))
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(10*time.Second).UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:bench")
	_, _ = w.Write(api.events[i])
}

func (api *runtimeAPI) handleAnswer(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		api.marks <- mark{kind: kind, at: time.Now(), body: body}
		w.WriteHeader(http.StatusAccepted)
	}
}

func (api *runtimeAPI) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = api.srv.Shutdown(ctx)
}

// startRun is one cold start: when the process was started, when it first asked for an event
// (init done), and each event's answer with the time it was handed out and answered.
type startRun struct {
	Init    time.Duration // process start → first /next
	Answers []timedAnswer
}

type timedAnswer struct {
	FromStart time.Duration // process start → this answer
	Duration  time.Duration // event handed out → answer, what Lambda bills as Duration
	Body      []byte
}

// runStart starts bootstrap with env under g (nil: a full core), sends it events one after
// the other, and stops it after the last answer. Its errors hold the end of the process's
// output with the strings in redact blanked.
func runStart(ctx context.Context, g *cpuGroup, bootstrap string, env []string, events [][]byte, redact []string) (startRun, error) {
	api, err := newRuntimeAPI(events)
	if err != nil {
		return startRun{}, err
	}
	defer api.close()
	var out tailBuffer
	out.max = 16 << 10
	cmd := exec.Command(bootstrap)
	cmd.Env = append(env, "AWS_LAMBDA_RUNTIME_API="+api.addr)
	cmd.Stdout, cmd.Stderr = &out, &out
	start, err := g.start(cmd)
	if err != nil {
		return startRun{}, fmt.Errorf("start %s: %w", bootstrap, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()
	fail := func(err error) (startRun, error) {
		tail := out.tail(20)
		for _, s := range redact {
			if s != "" {
				tail = strings.ReplaceAll(tail, s, "[redacted]")
			}
		}
		return startRun{}, fmt.Errorf("%s: %w\n%s", bootstrap, err, tail)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var run startRun
	var handed time.Time
	for len(run.Answers) < len(events) {
		select {
		case m := <-api.marks:
			switch m.kind {
			case "next":
				if handed.IsZero() {
					run.Init = m.at.Sub(start)
				}
				handed = m.at
			case "response":
				run.Answers = append(run.Answers, timedAnswer{FromStart: m.at.Sub(start), Duration: m.at.Sub(handed), Body: m.body})
			default:
				return fail(fmt.Errorf("%s: %s", m.kind, bytes.TrimSpace(m.body)))
			}
		case err := <-exited:
			exited <- err
			return fail(fmt.Errorf("exited before its last answer: %v", err))
		case <-ctx.Done():
			return fail(ctx.Err())
		}
	}
	return run, nil
}

// lambdaEnv is the environment Lambda gives every function of memoryMB
// (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
// with the execution role's credentials as the three variables Lambda sets, then extra.
func lambdaEnv(name string, memoryMB int, extra map[string]string) []string {
	env := []string{
		"PATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"LANG=en_US.UTF-8",
		"TZ=:UTC",
		"_HANDLER=bootstrap",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_LAMBDA_FUNCTION_NAME=" + name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(memoryMB),
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + name,
		"AWS_LAMBDA_LOG_STREAM_NAME=2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef",
		"LAMBDA_TASK_ROOT=/var/task",
		"LAMBDA_RUNTIME_DIR=/var/runtime",
		"AWS_ACCESS_KEY_ID=ASIAQBENCHEXAMPLE0001",
		"AWS_SECRET_ACCESS_KEY=bench/secret/access/key/not/a/real/one/000",
		"AWS_SESSION_TOKEN=bench-session-token",
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}
