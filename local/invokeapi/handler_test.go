package invokeapi

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/signin-api/signin/local/lambdaruntime"
)

// fakeInvoker records the requests it gets and answers with its function.
type fakeInvoker struct {
	mu     sync.Mutex
	got    []lambdaruntime.Request
	answer func(lambdaruntime.Request) (lambdaruntime.Response, error)
}

func (f *fakeInvoker) InvokeRequest(_ context.Context, req lambdaruntime.Request) (lambdaruntime.Response, error) {
	f.mu.Lock()
	f.got = append(f.got, req)
	f.mu.Unlock()
	if f.answer == nil {
		return lambdaruntime.Response{Payload: []byte(`"ok"`), RequestID: req.RequestID}, nil
	}
	return f.answer(req)
}

func (f *fakeInvoker) requests() []lambdaruntime.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]lambdaruntime.Request(nil), f.got...)
}

func TestHandlerAnswers(t *testing.T) {
	const fnName = "signin-api-dev-autoconfirm"
	url := func(name string) string { return "/2015-03-31/functions/" + name + "/invocations" }
	tests := []struct {
		name        string
		method      string
		path        string
		header      map[string]string
		body        string
		answer      func(lambdaruntime.Request) (lambdaruntime.Response, error)
		wantStatus  int
		wantHeader  map[string]string
		wantBody    string
		wantInvoked int
	}{
		{
			name: "by name", path: url(fnName), body: `{"a":1}`,
			wantStatus:  http.StatusOK,
			wantHeader:  map[string]string{"X-Amz-Executed-Version": "$LATEST", "Content-Type": "application/json", "X-Amz-Function-Error": ""},
			wantBody:    `"ok"`,
			wantInvoked: 1,
		},
		{
			name: "by ARN", path: url("arn:aws:lambda:us-east-1:000000000000:function:" + fnName), body: `{}`,
			wantStatus: http.StatusOK, wantBody: `"ok"`, wantInvoked: 1,
		},
		{
			name: "by partial ARN with $LATEST", path: url("000000000000:function:" + fnName + ":$LATEST"), body: `{}`,
			wantStatus: http.StatusOK, wantBody: `"ok"`, wantInvoked: 1,
		},
		{
			name: "Qualifier parameter", path: url(fnName) + "?Qualifier=%24LATEST", body: `{}`,
			wantStatus: http.StatusOK, wantBody: `"ok"`, wantInvoked: 1,
		},
		{
			name: "unknown function", path: url("nope"), body: `{}`,
			wantStatus: http.StatusNotFound,
			wantHeader: map[string]string{"X-Amzn-ErrorType": "ResourceNotFoundException"},
			wantBody:   `{"Type":"User","Message":"Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"}` + "\n",
		},
		{
			name: "unknown alias", path: url(fnName + ":prod"), body: `{}`,
			wantStatus: http.StatusNotFound,
			wantBody:   `{"Type":"User","Message":"Function not found: arn:aws:lambda:us-east-1:000000000000:function:` + fnName + `:prod"}` + "\n",
		},
		{
			name: "function error", path: url(fnName), body: `{}`,
			answer: func(req lambdaruntime.Request) (lambdaruntime.Response, error) {
				return lambdaruntime.Response{Payload: []byte(`{"errorMessage":"no","errorType":"errorString"}`), FunctionError: "Unhandled", RequestID: req.RequestID}, nil
			},
			wantStatus:  http.StatusOK,
			wantHeader:  map[string]string{"X-Amz-Function-Error": "Unhandled"},
			wantBody:    `{"errorMessage":"no","errorType":"errorString"}`,
			wantInvoked: 1,
		},
		{
			name: "log tail", path: url(fnName), body: `{}`,
			header: map[string]string{"X-Amz-Log-Type": "Tail"},
			answer: func(req lambdaruntime.Request) (lambdaruntime.Response, error) {
				return lambdaruntime.Response{Payload: []byte(`1`), Log: []byte("START\nEND\n")}, nil
			},
			wantStatus:  http.StatusOK,
			wantHeader:  map[string]string{"X-Amz-Log-Result": base64.StdEncoding.EncodeToString([]byte("START\nEND\n"))},
			wantBody:    `1`,
			wantInvoked: 1,
		},
		{
			name: "dry run", path: url(fnName), body: `{}`,
			header:     map[string]string{"X-Amz-Invocation-Type": "DryRun"},
			wantStatus: http.StatusNoContent,
		},
		{
			name: "event", path: url(fnName), body: `{}`,
			header:      map[string]string{"X-Amz-Invocation-Type": "Event"},
			wantStatus:  http.StatusAccepted,
			wantInvoked: 1,
		},
		{
			name: "unknown invocation type", path: url(fnName), body: `{}`,
			header:     map[string]string{"X-Amz-Invocation-Type": "Later"},
			wantStatus: http.StatusBadRequest,
			wantHeader: map[string]string{"X-Amzn-ErrorType": "InvalidParameterValueException"},
		},
		{
			name: "payload not JSON", path: url(fnName), body: `{`,
			wantStatus: http.StatusBadRequest,
			wantHeader: map[string]string{"X-Amzn-ErrorType": "InvalidRequestContentException"},
		},
		{
			name: "payload too large", path: url(fnName), body: `"` + strings.Repeat("x", maxSyncPayload) + `"`,
			wantStatus: http.StatusRequestEntityTooLarge,
			wantHeader: map[string]string{"X-Amzn-ErrorType": "RequestTooLargeException"},
		},
		{
			name: "event payload too large", path: url(fnName), body: `"` + strings.Repeat("x", maxEventPayload) + `"`,
			header:     map[string]string{"X-Amz-Invocation-Type": "Event"},
			wantStatus: http.StatusRequestEntityTooLarge,
		},
		{
			name: "bad client context", path: url(fnName), body: `{}`,
			header:     map[string]string{"X-Amz-Client-Context": "not base64!"},
			wantStatus: http.StatusBadRequest,
			wantHeader: map[string]string{"X-Amzn-ErrorType": "InvalidRequestContentException"},
		},
		{
			name: "runner fault", path: url(fnName), body: `{}`,
			answer: func(lambdaruntime.Request) (lambdaruntime.Response, error) {
				return lambdaruntime.Response{}, errors.New("lambdaruntime: start: exec format error")
			},
			wantStatus:  http.StatusInternalServerError,
			wantHeader:  map[string]string{"X-Amzn-ErrorType": "ServiceException"},
			wantInvoked: 1,
		},
		{
			name: "wrong method", method: http.MethodGet, path: url(fnName),
			wantStatus: http.StatusMethodNotAllowed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeInvoker{answer: tt.answer}
			h := &Handler{Functions: map[string]Invoker{fnName: fake}, Region: "us-east-1"}
			srv := httptest.NewServer(h)
			defer srv.Close()

			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			req, _ := http.NewRequest(method, srv.URL+tt.path, strings.NewReader(tt.body))
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			h.Wait()

			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", resp.StatusCode, tt.wantStatus, body)
			}
			for k, want := range tt.wantHeader {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			if tt.wantBody != "" && string(body) != tt.wantBody {
				t.Errorf("body = %s, want %s", body, tt.wantBody)
			}
			got := fake.requests()
			if len(got) != tt.wantInvoked {
				t.Fatalf("invocations = %d, want %d", len(got), tt.wantInvoked)
			}
			if len(got) == 1 && tt.wantStatus != http.StatusInternalServerError {
				if id := resp.Header.Get("X-Amzn-Requestid"); id == "" || id != got[0].RequestID {
					t.Errorf("X-Amzn-Requestid = %q, want the invocation's id %q", id, got[0].RequestID)
				}
				if string(got[0].Payload) != tt.body {
					t.Errorf("payload passed = %s, want %s", got[0].Payload, tt.body)
				}
			}
		})
	}
}

func TestHandlerPassesClientContext(t *testing.T) {
	fake := &fakeInvoker{}
	srv := httptest.NewServer(&Handler{Functions: map[string]Invoker{"fn": fake}})
	defer srv.Close()
	const clientContext = `{"custom":{"app":"web"}}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/2015-03-31/functions/fn/invocations", strings.NewReader(`{}`))
	req.Header.Set("X-Amz-Client-Context", base64.StdEncoding.EncodeToString([]byte(clientContext)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := fake.requests(); len(got) != 1 || got[0].ClientContext != clientContext {
		t.Errorf("requests = %+v, want one with client context %s", got, clientContext)
	}
}

func TestSplitFunctionName(t *testing.T) {
	tests := []struct{ in, wantName, wantQualifier string }{
		{"my-function", "my-function", ""},
		{"my-function:v1", "my-function", "v1"},
		{"arn:aws:lambda:us-west-2:123456789012:function:my-function", "my-function", ""},
		{"arn:aws:lambda:us-west-2:123456789012:function:my-function:$LATEST", "my-function", "$LATEST"},
		{"123456789012:function:my-function", "my-function", ""},
	}
	for _, tt := range tests {
		name, qualifier := splitFunctionName(tt.in)
		if name != tt.wantName || qualifier != tt.wantQualifier {
			t.Errorf("splitFunctionName(%q) = %q, %q, want %q, %q", tt.in, name, qualifier, tt.wantName, tt.wantQualifier)
		}
	}
}
