package lambdaruntime

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testInstance is an instance whose process never calls its Runtime API: the test plays the
// runtime, and writes the "function's output" into the instance's pipe.
type testInstance struct {
	*instance
	url    string
	output *os.File // the function's end of the output pipe
	inv    *invocation
	logs   *syncBuffer
}

// runtimeAPI starts such an instance, for an invocation of id (idle, with none, if id is
// empty). With taken, the runtime has already taken it.
func runtimeAPI(t *testing.T, id string, taken bool) *testInstance {
	t.Helper()
	silent := filepath.Join(t.TempDir(), "bootstrap")
	if err := os.WriteFile(silent, []byte("#!/bin/sh\nexec sleep 600\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	p, err := NewPool(Function{Name: "signin-api-test-fn", Bootstrap: silent, Logs: logs, LogPrefix: "fn"})
	if err != nil {
		t.Fatal(err)
	}
	<-p.free // the place under the cap the instance takes
	var inv *invocation
	if id != "" {
		inv = &invocation{req: Request{RequestID: id, Payload: []byte(`{"a":1}`), ClientContext: `{"custom":{"k":"v"}}`},
			result: make(chan result, 1)}
	}
	in, err := p.start(inv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	if inv != nil {
		go in.invoke(inv, true)
	} else {
		p.idle <- in
	}
	ti := &testInstance{instance: in, url: "http://" + in.ln.Addr().String(), output: in.out, inv: inv, logs: logs}
	if taken {
		resp, err := http.Get(ti.url + "/2018-06-01/runtime/invocation/next")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("next = %d, want 200", resp.StatusCode)
		}
	}
	return ti
}

// result waits for the invocation's answer to the invoker.
func (ti *testInstance) result(t *testing.T) Response {
	t.Helper()
	select {
	case r := <-ti.inv.result:
		if r.err != nil {
			t.Fatalf("invocation error: %v", r.err)
		}
		return r.resp
	case <-time.After(time.Minute):
		t.Fatal("no answer to the invoker")
		return Response{}
	}
}

// do sends a Runtime API request and returns the status and errorType.
func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body errorPayload
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body.ErrorType
}

func post(t *testing.T, url, body string, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

func TestRuntimeAPIAnswers(t *testing.T) {
	const id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd"
	tooBig := strings.Repeat("x", maxResponseSize+1)
	tests := []struct {
		name        string
		noEvent     bool // no invocation, and no /next yet
		path        string
		header      map[string]string
		body        string
		wantStatus  int
		wantErrType string // in the Runtime API's answer
		wantPayload string // the invoker's payload; empty for no answer to the invoker
		wantFnError bool
		wantReport  string // in the REPORT line
	}{
		{
			name: "response", path: "/2018-06-01/runtime/invocation/" + id + "/response", body: `{"ok":true}`,
			wantStatus: http.StatusAccepted, wantPayload: `{"ok":true}`,
		},
		{
			name: "response for another request id", path: "/2018-06-01/runtime/invocation/other/response", body: `{}`,
			wantStatus: http.StatusBadRequest, wantErrType: "InvalidRequestID",
		},
		{
			name: "response with no invocation under way", noEvent: true,
			path: "/2018-06-01/runtime/invocation/" + id + "/response", body: `{}`,
			wantStatus: http.StatusForbidden, wantErrType: "InvalidStateTransition",
		},
		{
			name: "response too large", path: "/2018-06-01/runtime/invocation/" + id + "/response", body: tooBig,
			wantStatus: http.StatusRequestEntityTooLarge, wantErrType: "RequestEntityTooLarge",
			wantPayload: `{"errorMessage":"Response payload size (6291557 bytes) exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}`,
			wantFnError: true,
			wantReport:  "Status: error\tError Type: Function.ResponseSizeTooLarge\t",
		},
		{
			name: "function error", path: "/2018-06-01/runtime/invocation/" + id + "/error",
			header:     map[string]string{"Lambda-Runtime-Function-Error-Type": "ValidationError"},
			body:       `{"errorMessage":"bad","errorType":"ValidationError"}`,
			wantStatus: http.StatusAccepted, wantPayload: `{"errorMessage":"bad","errorType":"ValidationError"}`, wantFnError: true,
		},
		{
			name: "function error without a body", path: "/2018-06-01/runtime/invocation/" + id + "/error",
			header:     map[string]string{"Lambda-Runtime-Function-Error-Type": "Runtime.Custom"},
			wantStatus: http.StatusAccepted, wantPayload: `{"errorMessage":"","errorType":"Runtime.Custom"}`, wantFnError: true,
		},
		{
			name: "init error after init", path: "/2018-06-01/runtime/init/error", body: `{}`,
			wantStatus: http.StatusForbidden, wantErrType: "InvalidStateTransition",
		},
		{
			name: "extension without a name", noEvent: true, path: "/2020-01-01/extension/register", body: `{"events":[]}`,
			wantStatus: http.StatusForbidden, wantErrType: "Extension.InvalidExtensionName",
		},
		{
			name: "extension", noEvent: true, path: "/2020-01-01/extension/register",
			header: map[string]string{"Lambda-Extension-Name": "GoLangEnableSIGTERM"},
			body:   `{"events":[]}`, wantStatus: http.StatusOK,
		},
		{
			name: "unknown path", path: "/2018-06-01/runtime/invocation/" + id + "/other", wantStatus: http.StatusNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reqID := id
			if tt.noEvent {
				reqID = ""
			}
			ti := runtimeAPI(t, reqID, !tt.noEvent)
			status, errType := post(t, ti.url+tt.path, tt.body, tt.header)
			if status != tt.wantStatus || errType != tt.wantErrType {
				t.Errorf("answer = %d %q, want %d %q", status, errType, tt.wantStatus, tt.wantErrType)
			}
			if tt.wantPayload == "" {
				select {
				case r := <-resultOf(ti):
					t.Errorf("the invoker got %s, want no answer yet", r.resp.Payload)
				default:
				}
				return
			}
			got := ti.result(t)
			if string(got.Payload) != tt.wantPayload || (got.FunctionError == "Unhandled") != tt.wantFnError {
				t.Errorf("invoker got %q %.100s, want function error %v, %.100s", got.FunctionError, got.Payload, tt.wantFnError, tt.wantPayload)
			}
			if !strings.Contains(string(got.Log), "\nREPORT RequestId: "+id+"\t") || !strings.Contains(string(got.Log), tt.wantReport) {
				t.Errorf("log tail = %q, want a REPORT line with %q", got.Log, tt.wantReport)
			}
		})
	}
}

// resultOf is the channel of ti's invocation, or a nil channel without one.
func resultOf(ti *testInstance) chan result {
	if ti.inv == nil {
		return nil
	}
	return ti.inv.result
}

func TestRuntimeAPIInitError(t *testing.T) {
	ti := runtimeAPI(t, "req-1", false)
	status, _ := post(t, ti.url+"/2018-06-01/runtime/init/error", `{"errorMessage":"config missing","errorType":"ConfigError"}`,
		map[string]string{"Lambda-Runtime-Function-Error-Type": "Runtime.ConfigError"})
	if status != http.StatusAccepted {
		t.Fatalf("init error = %d, want 202", status)
	}
	// The runner kills the process; its exit ends the invocation.
	got := ti.result(t)
	if string(got.Payload) != `{"errorMessage":"config missing","errorType":"ConfigError"}` || got.FunctionError != "Unhandled" {
		t.Errorf("invoker got %q %s, want the posted error", got.FunctionError, got.Payload)
	}
	if want := "Phase: init\tStatus: error\tError Type: Runtime.ConfigError\t"; !strings.Contains(ti.logs.String(), want) {
		t.Errorf("logs lack an INIT_REPORT with %q:\n%s", want, ti.logs)
	}
}

func TestRuntimeAPISecondAnswerIsRefused(t *testing.T) {
	ti := runtimeAPI(t, "req-1", true)
	url := ti.url + "/2018-06-01/runtime/invocation/req-1/response"
	if status, _ := post(t, url, "1", nil); status != http.StatusAccepted {
		t.Fatalf("first answer = %d, want 202", status)
	}
	if status, errType := post(t, url, "2", nil); status != http.StatusForbidden || errType != "InvalidStateTransition" {
		t.Errorf("second answer = %d %q, want 403 InvalidStateTransition", status, errType)
	}
	if got := ti.result(t); string(got.Payload) != "1" {
		t.Errorf("payload = %s, want the first answer", got.Payload)
	}
}

func TestRuntimeAPIErrorInTrailers(t *testing.T) {
	ti := runtimeAPI(t, "req-1", true)
	errBody := `{"errorMessage":"read failed","errorType":"errorString"}`
	req, _ := http.NewRequest(http.MethodPost, ti.url+"/2018-06-01/runtime/invocation/req-1/response", io.NopCloser(strings.NewReader("partial")))
	req.ContentLength = -1
	req.Trailer = http.Header{
		"Lambda-Runtime-Function-Error-Type": {"errorString"},
		"Lambda-Runtime-Function-Error-Body": {base64.StdEncoding.EncodeToString([]byte(errBody))},
	}
	if status, _ := do(t, req); status != http.StatusAccepted {
		t.Fatalf("answer = %d, want 202", status)
	}
	if got := ti.result(t); got.FunctionError != "Unhandled" || string(got.Payload) != errBody {
		t.Errorf("invoker got %q %s, want the trailer's error", got.FunctionError, got.Payload)
	}
}

func TestRuntimeAPINextDeliversTheEvent(t *testing.T) {
	ti := runtimeAPI(t, "req-1", false)
	before := time.Now()
	resp, err := http.Get(ti.url + "/2018-06-01/runtime/invocation/next")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != `{"a":1}` {
		t.Errorf("next = %d %s, want 200 with the event", resp.StatusCode, body)
	}
	want := map[string]string{
		"Lambda-Runtime-Aws-Request-Id":       "req-1",
		"Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:000000000000:function:signin-api-test-fn",
		"Lambda-Runtime-Client-Context":       `{"custom":{"k":"v"}}`,
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if trace := resp.Header.Get("Lambda-Runtime-Trace-Id"); !regexp.MustCompile(`^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$`).MatchString(trace) {
		t.Errorf("Lambda-Runtime-Trace-Id = %q, want an X-Ray trace header", trace)
	}
	ms, _ := strconv.ParseInt(resp.Header.Get("Lambda-Runtime-Deadline-Ms"), 10, 64)
	if d := time.UnixMilli(ms); d.Before(before.Add(3*time.Second-time.Millisecond)) || d.After(time.Now().Add(3*time.Second)) {
		t.Errorf("deadline = %v, want now + the 3 s default timeout", d)
	}
}

func TestRuntimeAPINextDuringAnInvocationIsRefused(t *testing.T) {
	ti := runtimeAPI(t, "req-1", true)
	req, _ := http.NewRequest(http.MethodGet, ti.url+"/2018-06-01/runtime/invocation/next", nil)
	if status, errType := do(t, req); status != http.StatusForbidden || errType != "InvalidStateTransition" {
		t.Errorf("next = %d %q, want 403 InvalidStateTransition", status, errType)
	}
}

// What the function wrote before its answer is the invocation's log, between START and END,
// whatever state its last line was in; a blank line is kept.
func TestOutputBeforeTheAnswerComesBeforeEND(t *testing.T) {
	tests := []struct {
		name, written string
		want          []string
	}{
		{"whole lines", "a\nb\n", []string{"a", "b"}},
		{"blank lines", "a\n\n\n", []string{"a", "", ""}},
		{"an unterminated last line", "a\n\nb", []string{"a", "", "b"}},
		{"carriage returns", "a\r\n", []string{"a"}},
		{"nothing", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ti := runtimeAPI(t, "req-1", true)
			if _, err := io.WriteString(ti.output, tt.written); err != nil {
				t.Fatal(err)
			}
			if status, _ := post(t, ti.url+"/2018-06-01/runtime/invocation/req-1/response", `"ok"`, nil); status != http.StatusAccepted {
				t.Fatalf("answer = %d, want 202", status)
			}
			lines := strings.Split(strings.TrimSuffix(string(ti.result(t).Log), "\n"), "\n")
			if len(lines) < 3 || lines[0] != "START RequestId: req-1 Version: $LATEST" ||
				lines[len(lines)-2] != "END RequestId: req-1" || !strings.HasPrefix(lines[len(lines)-1], "REPORT ") {
				t.Fatalf("log tail = %q, want START, the output, END, REPORT", lines)
			}
			if got := lines[1 : len(lines)-2]; strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("output between START and END = %q, want %q", got, tt.want)
			}
		})
	}
}
