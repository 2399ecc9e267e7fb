package lambdaruntime

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runtimeAPI serves the Runtime API of an instance that has no process, in
// the given state, with inv as the invocation under way (nil for none).
func runtimeAPI(t *testing.T, state instanceState, inv *invocation) (*instance, *httptest.Server) {
	t.Helper()
	p, err := NewPool(Function{Name: "signin-api-test-fn", Bootstrap: bootstrap("echo")})
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{
		pool:       p,
		dispatch:   make(chan *invocation, 1),
		ready:      make(chan struct{}),
		initFailed: make(chan struct{}),
		exited:     make(chan struct{}),
		state:      state,
		current:    inv,
		started:    time.Now(),
	}
	srv := httptest.NewServer(in.routes())
	t.Cleanup(srv.Close)
	return in, srv
}

func newInvocation(id string) *invocation {
	return &invocation{id: id, result: make(chan outcome, 1)}
}

// post sends a Runtime API request and returns the status and errorType.
func post(t *testing.T, req *http.Request) (int, string) {
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

func TestRuntimeAPIAnswers(t *testing.T) {
	const id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd"
	tooBig := strings.Repeat("x", maxResponseSize+1)
	tests := []struct {
		name        string
		state       instanceState
		hasCurrent  bool
		path        string
		header      map[string]string
		body        string
		wantStatus  int
		wantErrType string   // in the Runtime API's answer
		wantOutcome *outcome // delivered to the invocation, nil for none
	}{
		{
			name: "response", state: stateBusy, hasCurrent: true,
			path: "/2018-06-01/runtime/invocation/" + id + "/response", body: `{"ok":true}`,
			wantStatus: http.StatusAccepted, wantOutcome: &outcome{payload: []byte(`{"ok":true}`)},
		},
		{
			name: "response for another request id", state: stateBusy, hasCurrent: true,
			path: "/2018-06-01/runtime/invocation/other/response", body: `{}`,
			wantStatus: http.StatusBadRequest, wantErrType: "InvalidRequestID",
		},
		{
			name: "response with no invocation under way", state: stateIdle,
			path: "/2018-06-01/runtime/invocation/" + id + "/response", body: `{}`,
			wantStatus: http.StatusForbidden, wantErrType: "InvalidStateTransition",
		},
		{
			name: "response too large", state: stateBusy, hasCurrent: true,
			path: "/2018-06-01/runtime/invocation/" + id + "/response", body: tooBig,
			wantStatus: http.StatusRequestEntityTooLarge, wantErrType: "RequestEntityTooLarge",
			wantOutcome: &outcome{payload: tooLargePayload(int64(len(tooBig))), functionError: true, status: "error", errorType: "Function.ResponseSizeTooLarge"},
		},
		{
			name: "function error", state: stateBusy, hasCurrent: true,
			path:        "/2018-06-01/runtime/invocation/" + id + "/error",
			header:      map[string]string{"Lambda-Runtime-Function-Error-Type": "ValidationError"},
			body:        `{"errorMessage":"bad","errorType":"ValidationError"}`,
			wantStatus:  http.StatusAccepted,
			wantOutcome: &outcome{payload: []byte(`{"errorMessage":"bad","errorType":"ValidationError"}`), functionError: true},
		},
		{
			name: "function error without a body", state: stateBusy, hasCurrent: true,
			path:        "/2018-06-01/runtime/invocation/" + id + "/error",
			header:      map[string]string{"Lambda-Runtime-Function-Error-Type": "Runtime.Custom"},
			wantStatus:  http.StatusAccepted,
			wantOutcome: &outcome{payload: []byte(`{"errorMessage":"","errorType":"Runtime.Custom"}`), functionError: true},
		},
		{
			name: "init error during init", state: stateInit,
			path:       "/2018-06-01/runtime/init/error",
			header:     map[string]string{"Lambda-Runtime-Function-Error-Type": "Runtime.ConfigError"},
			body:       `{"errorMessage":"config missing","errorType":"ConfigError"}`,
			wantStatus: http.StatusAccepted,
		},
		{
			name: "init error after init", state: stateIdle,
			path: "/2018-06-01/runtime/init/error", body: `{}`,
			wantStatus: http.StatusForbidden, wantErrType: "InvalidStateTransition",
		},
		{
			name: "extension without a name", state: stateInit,
			path: "/2020-01-01/extension/register", body: `{"events":[]}`,
			wantStatus: http.StatusForbidden, wantErrType: "Extension.InvalidExtensionName",
		},
		{
			name: "extension", state: stateInit,
			path:   "/2020-01-01/extension/register",
			header: map[string]string{"Lambda-Extension-Name": "GoLangEnableSIGTERM"},
			body:   `{"events":[]}`, wantStatus: http.StatusOK,
		},
		{
			name: "unknown path", state: stateBusy, hasCurrent: true,
			path: "/2018-06-01/runtime/invocation/" + id + "/other", wantStatus: http.StatusNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inv *invocation
			if tt.hasCurrent {
				inv = newInvocation(id)
			}
			in, srv := runtimeAPI(t, tt.state, inv)
			req, _ := http.NewRequest(http.MethodPost, srv.URL+tt.path, strings.NewReader(tt.body))
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			status, errType := post(t, req)
			if status != tt.wantStatus || errType != tt.wantErrType {
				t.Errorf("answer = %d %q, want %d %q", status, errType, tt.wantStatus, tt.wantErrType)
			}
			if inv == nil {
				return
			}
			select {
			case got := <-inv.result:
				if tt.wantOutcome == nil {
					t.Fatalf("outcome %+v delivered, want none", got)
				}
				if string(got.payload) != string(tt.wantOutcome.payload) || got.functionError != tt.wantOutcome.functionError ||
					got.status != tt.wantOutcome.status || got.errorType != tt.wantOutcome.errorType {
					t.Errorf("outcome = %+v (payload %.100s), want %+v", got, got.payload, *tt.wantOutcome)
				}
				if !in.hasState(stateDraining) {
					t.Errorf("state = %v after an answer, want draining", in.state)
				}
			default:
				if tt.wantOutcome != nil {
					t.Errorf("no outcome delivered, want %+v", *tt.wantOutcome)
				}
			}
		})
	}
}

func TestRuntimeAPISecondAnswerIsRefused(t *testing.T) {
	inv := newInvocation("req-1")
	_, srv := runtimeAPI(t, stateBusy, inv)
	url := srv.URL + "/2018-06-01/runtime/invocation/req-1/response"
	first, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`1`))
	second, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`2`))
	if status, _ := post(t, first); status != http.StatusAccepted {
		t.Fatalf("first answer = %d, want 202", status)
	}
	if status, errType := post(t, second); status != http.StatusForbidden || errType != "InvalidStateTransition" {
		t.Errorf("second answer = %d %q, want 403 InvalidStateTransition", status, errType)
	}
	if got := <-inv.result; string(got.payload) != "1" {
		t.Errorf("payload = %s, want the first answer", got.payload)
	}
}

func TestRuntimeAPIErrorInTrailers(t *testing.T) {
	inv := newInvocation("req-1")
	_, srv := runtimeAPI(t, stateBusy, inv)
	errBody := `{"errorMessage":"read failed","errorType":"errorString"}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/2018-06-01/runtime/invocation/req-1/response", io.NopCloser(strings.NewReader("partial")))
	req.ContentLength = -1
	req.Trailer = http.Header{
		"Lambda-Runtime-Function-Error-Type": {"errorString"},
		"Lambda-Runtime-Function-Error-Body": {base64.StdEncoding.EncodeToString([]byte(errBody))},
	}
	if status, _ := post(t, req); status != http.StatusAccepted {
		t.Fatalf("answer = %d, want 202", status)
	}
	got := <-inv.result
	if !got.functionError || string(got.payload) != errBody {
		t.Errorf("outcome = %+v (payload %s), want the trailer's error", got, got.payload)
	}
}

func TestRuntimeAPINextDeliversTheEvent(t *testing.T) {
	in, srv := runtimeAPI(t, stateInit, nil)
	deadline := time.Now().Add(3 * time.Second)
	inv := &invocation{
		id:       "req-1",
		traceID:  "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=0",
		req:      Request{Payload: []byte(`{"a":1}`), ClientContext: `{"custom":{"k":"v"}}`},
		deadline: deadline,
	}
	in.dispatch <- inv
	resp, err := http.Get(srv.URL + "/2018-06-01/runtime/invocation/next")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	select {
	case <-in.ready:
	default:
		t.Error("first /next did not end init")
	}
	want := map[string]string{
		"Lambda-Runtime-Aws-Request-Id":       "req-1",
		"Lambda-Runtime-Deadline-Ms":          strconv.FormatInt(deadline.UnixMilli(), 10),
		"Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:000000000000:function:signin-api-test-fn",
		"Lambda-Runtime-Trace-Id":             inv.traceID,
		"Lambda-Runtime-Client-Context":       `{"custom":{"k":"v"}}`,
	}
	if resp.StatusCode != http.StatusOK || string(body) != `{"a":1}` {
		t.Errorf("next = %d %s, want 200 with the event", resp.StatusCode, body)
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestRuntimeAPINextDuringAnInvocationIsRefused(t *testing.T) {
	_, srv := runtimeAPI(t, stateBusy, newInvocation("req-1"))
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/2018-06-01/runtime/invocation/next", nil)
	if status, errType := post(t, req); status != http.StatusForbidden || errType != "InvalidStateTransition" {
		t.Errorf("next = %d %q, want 403 InvalidStateTransition", status, errType)
	}
}
