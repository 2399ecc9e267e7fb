package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"golang.org/x/time/rate"

	"github.com/signin-api/signin/local/awsid"
	"github.com/signin-api/signin/local/lambdaruntime"
	"github.com/signin-api/signin/local/slsconfig"
)

// fakeFunction is a function the test scripts; it records the events it gets.
type fakeFunction struct {
	invoke func(ctx context.Context, payload []byte) (lambdaruntime.Response, error)
	events [][]byte
}

func (f *fakeFunction) Invoke(ctx context.Context, payload []byte) (lambdaruntime.Response, error) {
	f.events = append(f.events, payload)
	return f.invoke(ctx, payload)
}

// answering returns a function that answers every event with payload.
func answering(payload string) *fakeFunction {
	return &fakeFunction{invoke: func(context.Context, []byte) (lambdaruntime.Response, error) {
		return lambdaruntime.Response{Payload: []byte(payload)}, nil
	}}
}

var okResponse = `{"statusCode":200,"headers":{"Content-Type":"application/json"},"body":"{\"ok\":true}"}`

// testRoute is an http event and the function it invokes (nil for none).
type testRoute struct {
	slsconfig.HTTPEvent
	fn Invoker
}

func to(method, path string, fn Invoker) testRoute {
	return testRoute{slsconfig.HTTPEvent{Method: method, Path: path}, fn}
}

// stage is service svc's stage dev with a function, keyed "METHOD path", for each route.
func stage(routes ...testRoute) (*slsconfig.Config, map[string]Invoker) {
	cfg := &slsconfig.Config{Service: "svc", Stage: "dev", Resources: map[string]slsconfig.Resource{}}
	fns := map[string]Invoker{}
	for _, r := range routes {
		key := r.Method + " " + r.Path
		cfg.Functions = append(cfg.Functions, slsconfig.Function{Key: key, HTTP: []slsconfig.HTTPEvent{r.HTTPEvent}})
		if r.fn != nil {
			fns[key] = r.fn
		}
	}
	return cfg, fns
}

// withResource adds a CloudFormation resource to cfg.
func withResource(cfg *slsconfig.Config, typ, properties string) *slsconfig.Config {
	cfg.Resources[fmt.Sprint("R", len(cfg.Resources))] = slsconfig.Resource{Type: typ, Properties: json.RawMessage(properties)}
	return cfg
}

// newGateway serves cfg with fns, every authorizer of which is auth.
func newGateway(t *testing.T, cfg *slsconfig.Config, fns map[string]Invoker, auth Authorizer) *Gateway {
	t.Helper()
	g, err := New(cfg, fns, func(*slsconfig.Authorizer) (Authorizer, error) { return auth, nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// serveRoutes serves the stage of routes.
func serveRoutes(t *testing.T, routes ...testRoute) *Gateway {
	t.Helper()
	cfg, fns := stage(routes...)
	return newGateway(t, cfg, fns, nil)
}

func serve(g http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	return w
}

func TestRouting(t *testing.T) {
	fns := map[string]*fakeFunction{}
	route := func(method, path string) testRoute {
		f := answering(okResponse)
		fns[method+" "+path] = f
		return to(method, path, f)
	}
	g := serveRoutes(t,
		route("POST", "signin"),
		route("GET", "users/{id}"),
		route("GET", "users/me"),
		route("ANY", "files/{path+}"),
		route("GET", ""),
	)
	if got, want := g.Endpoints(), []string{"POST /dev/signin", "GET /dev/users/{id}", "GET /dev/users/me", "ANY /dev/files/{path+}", "GET /dev/"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Endpoints() = %q, want %q", got, want)
	}
	tests := []struct {
		method, url string
		status      int
		function    string
		body        string
	}{
		{"POST", "/dev/signin", 200, "POST signin", `{"ok":true}`},
		{"POST", "/dev/signin/", 200, "POST signin", `{"ok":true}`},
		{"GET", "/dev/users/me", 200, "GET users/me", `{"ok":true}`},
		{"GET", "/dev/users/42", 200, "GET users/{id}", `{"ok":true}`},
		{"DELETE", "/dev/files/a/b.txt", 200, "ANY files/{path+}", `{"ok":true}`},
		{"GET", "/dev", 200, "GET ", `{"ok":true}`},
		{"GET", "/dev/signin", 403, "", `{"message":"Missing Authentication Token"}`},
		{"GET", "/dev/nothing", 403, "", `{"message":"Missing Authentication Token"}`},
		{"GET", "/dev/users", 403, "", `{"message":"Missing Authentication Token"}`},
		{"OPTIONS", "/dev/signin", 403, "", `{"message":"Missing Authentication Token"}`},
		{"HEAD", "/dev/users/me", 403, "", ``},
		{"GET", "/prod/users/me", 403, "", `{"message":"Forbidden"}`},
		{"GET", "/devx/users/me", 403, "", `{"message":"Forbidden"}`},
		{"GET", "/", 403, "", `{"message":"Forbidden"}`},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.url, func(t *testing.T) {
			for _, f := range fns {
				f.events = nil
			}
			w := serve(g, httptest.NewRequest(tt.method, tt.url, nil))
			if w.Code != tt.status || w.Body.String() != tt.body {
				t.Errorf("got %d %s, want %d %s", w.Code, w.Body, tt.status, tt.body)
			}
			for name, f := range fns {
				if called := len(f.events) > 0; called != (name == tt.function) {
					t.Errorf("function %q called: %v", name, called)
				}
			}
			if tt.status == 403 && tt.body != `{"message":"Forbidden"}` && w.Header().Get("X-Amzn-Errortype") != "MissingAuthenticationTokenException" {
				t.Errorf("x-amzn-ErrorType = %q", w.Header().Get("X-Amzn-Errortype"))
			}
		})
	}
}

func TestProxyEvent(t *testing.T) {
	f := answering(okResponse)
	g := serveRoutes(t, to("POST", "users/{id}/notes", f))
	g.now = func() time.Time { return time.Unix(1_700_000_000, 123_000_000) }
	r := httptest.NewRequest("POST", "http://127.0.0.1:3000/dev/users/a%20b/notes?x=1&x=2&y=3", strings.NewReader(`{"a":1}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Add("X-Multi", "one")
	r.Header.Add("X-Multi", "two")
	r.Header.Set("User-Agent", "test-agent")
	r.RemoteAddr = "127.0.0.1:50000"
	if w := serve(g, r); w.Code != 200 {
		t.Fatalf("status %d %s", w.Code, w.Body)
	}
	if len(f.events) != 1 {
		t.Fatalf("%d events", len(f.events))
	}
	var e events.APIGatewayProxyRequest
	if err := json.Unmarshal(f.events[0], &e); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"resource", e.Resource, "/users/{id}/notes"},
		{"path", e.Path, "/users/a b/notes"},
		{"httpMethod", e.HTTPMethod, "POST"},
		{"body", e.Body, `{"a":1}`},
		{"isBase64Encoded", e.IsBase64Encoded, false},
		{"pathParameters", e.PathParameters, map[string]string{"id": "a b"}},
		{"queryStringParameters", e.QueryStringParameters, map[string]string{"x": "2", "y": "3"}},
		{"multiValueQueryStringParameters", e.MultiValueQueryStringParameters, map[string][]string{"x": {"1", "2"}, "y": {"3"}}},
		{"headers Content-Type", e.Headers["Content-Type"], "application/json"},
		{"headers X-Multi (last)", e.Headers["X-Multi"], "two"},
		{"multiValueHeaders X-Multi", e.MultiValueHeaders["X-Multi"], []string{"one", "two"}},
		{"headers Host", e.Headers["Host"], "127.0.0.1:3000"},
		{"headers X-Forwarded-For", e.Headers["X-Forwarded-For"], "127.0.0.1"},
		{"headers X-Forwarded-Port", e.Headers["X-Forwarded-Port"], "3000"},
		{"headers X-Forwarded-Proto", e.Headers["X-Forwarded-Proto"], "http"},
		{"stage", e.RequestContext.Stage, "dev"},
		{"domainName", e.RequestContext.DomainName, "127.0.0.1:3000"},
		{"domainPrefix", e.RequestContext.DomainPrefix, "127"},
		{"resourcePath", e.RequestContext.ResourcePath, "/users/{id}/notes"},
		{"requestContext.path", e.RequestContext.Path, "/dev/users/a b/notes"},
		{"requestContext.httpMethod", e.RequestContext.HTTPMethod, "POST"},
		{"requestTimeEpoch", e.RequestContext.RequestTimeEpoch, int64(1_700_000_000_123)},
		{"requestTime", e.RequestContext.RequestTime, "14/Nov/2023:22:13:20 +0000"},
		{"apiId", e.RequestContext.APIID, awsid.FromSeed("svc-dev", 10)},
		{"protocol", e.RequestContext.Protocol, "HTTP/1.1"},
		{"sourceIp", e.RequestContext.Identity.SourceIP, "127.0.0.1"},
		{"userAgent", e.RequestContext.Identity.UserAgent, "test-agent"},
		{"accountId", e.RequestContext.AccountID, "000000000000"},
		{"authorizer", e.RequestContext.Authorizer, map[string]any(nil)},
		{"requestId set", e.RequestContext.RequestID != "", true},
		{"trace id header set", strings.HasPrefix(e.Headers["X-Amzn-Trace-Id"], "Root=1-"), true},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s = %#v, want %#v", tt.name, tt.got, tt.want)
		}
	}
}

// API Gateway sends null, not "", for a missing body, and null query and path maps.
func TestProxyEventNulls(t *testing.T) {
	f := answering(okResponse)
	g := serveRoutes(t, to("GET", "me", f))
	serve(g, httptest.NewRequest("GET", "/dev/me", nil))
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(f.events[0], &raw); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"body", "queryStringParameters", "multiValueQueryStringParameters", "pathParameters"} {
		if string(raw[field]) != "null" {
			t.Errorf("%s = %s, want null", field, raw[field])
		}
	}
}

func TestBinaryBodies(t *testing.T) {
	binary := []byte{0xff, 0x00, 0x10}
	tests := []struct {
		name        string
		types       []string
		contentType string
		wantBase64  bool
	}{
		{"no binary media types", nil, "application/octet-stream", false},
		{"exact type", []string{"application/octet-stream"}, "application/octet-stream", true},
		{"wildcard subtype", []string{"image/*"}, "image/png", true},
		{"any", []string{"*/*"}, "application/json", true},
		{"other type", []string{"image/*"}, "application/json", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := answering(okResponse)
			cfg, fns := stage(to("POST", "up", f))
			cfg.BinaryMediaTypes = tt.types
			g := newGateway(t, cfg, fns, nil)
			r := httptest.NewRequest("POST", "/dev/up", strings.NewReader(string(binary)))
			r.Header.Set("Content-Type", tt.contentType)
			serve(g, r)
			var e events.APIGatewayProxyRequest
			_ = json.Unmarshal(f.events[0], &e)
			if e.IsBase64Encoded != tt.wantBase64 {
				t.Fatalf("isBase64Encoded = %v", e.IsBase64Encoded)
			}
			if tt.wantBase64 && e.Body != base64.StdEncoding.EncodeToString(binary) {
				t.Errorf("body = %q", e.Body)
			}
			// A text body reaches the function as UTF-8 text: the byte that is not UTF-8 is U+FFFD.
			if !tt.wantBase64 && e.Body != "\uFFFD\x00\x10" {
				t.Errorf("text body = %q, want the invalid byte as U+FFFD", e.Body)
			}
		})
	}
}

func TestProxyResponses(t *testing.T) {
	tests := []struct {
		name        string
		payload     string
		accept      string
		wantStatus  int
		wantBody    string
		wantHeaders map[string][]string
	}{
		{"plain", `{"statusCode":201,"headers":{"X-One":"1"},"body":"hi"}`, "", 201, "hi",
			map[string][]string{"X-One": {"1"}, "Content-Type": {"application/json"}}},
		{"multi-value headers win", `{"statusCode":200,"headers":{"Set-Cookie":"a=1","X-Two":"2"},"multiValueHeaders":{"Set-Cookie":["b=2","c=3"]},"body":""}`, "", 200, "",
			map[string][]string{"Set-Cookie": {"b=2", "c=3"}, "X-Two": {"2"}}},
		{"own content type kept", `{"statusCode":200,"headers":{"Content-Type":"text/plain"},"body":"x"}`, "", 200, "x",
			map[string][]string{"Content-Type": {"text/plain"}}},
		{"null fields", `{"statusCode":204,"headers":null,"multiValueHeaders":null,"body":null,"isBase64Encoded":false}`, "", 204, "", nil},
		{"base64 without binary media type stays text", `{"statusCode":200,"body":"aGk=","isBase64Encoded":true}`, "", 200, "aGk=", nil},
		{"base64 decoded for a binary Accept", `{"statusCode":200,"body":"aGk=","isBase64Encoded":true}`, "image/png", 200, "hi", nil},
		{"malformed: not an object", `"hello"`, "", 502, `{"message":"Internal server error"}`, nil},
		{"malformed: array", `[1]`, "", 502, `{"message":"Internal server error"}`, nil},
		{"malformed: no statusCode", `{"body":"x"}`, "", 502, `{"message":"Internal server error"}`, nil},
		{"malformed: statusCode string", `{"statusCode":"200","body":"x"}`, "", 502, `{"message":"Internal server error"}`, nil},
		{"malformed: body object", `{"statusCode":200,"body":{"a":1}}`, "", 502, `{"message":"Internal server error"}`, nil},
		{"malformed: unknown field", `{"statusCode":200,"body":"x","cookies":[]}`, "", 502, `{"message":"Internal server error"}`, nil},
		{"malformed: a field name in another case", `{"StatusCode":200,"body":"x"}`, "", 502, `{"message":"Internal server error"}`, nil},
		{"malformed: header not a string", `{"statusCode":200,"headers":{"X":1}}`, "", 502, `{"message":"Internal server error"}`, nil},
		{"malformed: status out of range", `{"statusCode":42}`, "", 502, `{"message":"Internal server error"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, fns := stage(to("GET", "x", answering(tt.payload)))
			cfg.BinaryMediaTypes = []string{"image/*"}
			g := newGateway(t, cfg, fns, nil)
			r := httptest.NewRequest("GET", "/dev/x", nil)
			if tt.accept != "" {
				r.Header.Set("Accept", tt.accept)
			}
			w := serve(g, r)
			if w.Code != tt.wantStatus || w.Body.String() != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", w.Code, w.Body, tt.wantStatus, tt.wantBody)
			}
			for k, v := range tt.wantHeaders {
				if got := w.Header().Values(k); !reflect.DeepEqual(got, v) {
					t.Errorf("header %s = %v, want %v", k, got, v)
				}
			}
		})
	}
}

func TestFunctionFailures(t *testing.T) {
	tests := []struct {
		name       string
		invoke     func(ctx context.Context, payload []byte) (lambdaruntime.Response, error)
		wantStatus int
		wantBody   string
	}{
		{"function error", func(context.Context, []byte) (lambdaruntime.Response, error) {
			return lambdaruntime.Response{FunctionError: "Unhandled", Payload: []byte(`{"errorMessage":"boom","errorType":"errorString"}`)}, nil
		}, 502, `{"message":"Internal server error"}`},
		{"function timeout (reported by the runtime)", func(context.Context, []byte) (lambdaruntime.Response, error) {
			return lambdaruntime.Response{FunctionError: "Unhandled", Payload: []byte(`{"errorMessage":"Task timed out after 10.00 seconds"}`)}, nil
		}, 502, `{"message":"Internal server error"}`},
		{"runner fault", func(context.Context, []byte) (lambdaruntime.Response, error) {
			return lambdaruntime.Response{}, errors.New("pool closed")
		}, 502, `{"message":"Internal server error"}`},
		{"integration timeout", func(ctx context.Context, _ []byte) (lambdaruntime.Response, error) {
			<-ctx.Done()
			return lambdaruntime.Response{}, ctx.Err()
		}, 504, `{"message":"Endpoint request timed out"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := serveRoutes(t, to("GET", "x", &fakeFunction{invoke: tt.invoke}))
			g.timeout = 10 * time.Millisecond
			w := serve(g, httptest.NewRequest("GET", "/dev/x", nil))
			if w.Code != tt.wantStatus || w.Body.String() != tt.wantBody {
				t.Errorf("got %d %s, want %d %s", w.Code, w.Body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

func TestPayloadLimit(t *testing.T) {
	f := answering(okResponse)
	g := serveRoutes(t, to("POST", "x", f))
	tests := []struct {
		name       string
		size       int
		wantStatus int
	}{
		{"under Lambda's limit", 1024, 200},
		{"over Lambda's 6 MB event limit", maxEventBytes, 413},
		{"over API Gateway's 10 MB", maxBodyBytes + 1, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.events = nil
			w := serve(g, httptest.NewRequest("POST", "/dev/x", strings.NewReader(strings.Repeat("a", tt.size))))
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d %s", w.Code, w.Body)
			}
			if tt.wantStatus == 413 {
				if w.Body.String() != `{"message":"Request Too Long"}` || len(f.events) != 0 {
					t.Errorf("body %s, %d invocations", w.Body, len(f.events))
				}
			}
		})
	}
}

func TestAuthorizer(t *testing.T) {
	claims := map[string]string{"sub": "u1", "cognito:username": "alice"}
	auth := Authorizer(func(_ context.Context, header string) (map[string]string, error) {
		if header == "good" {
			return claims, nil
		}
		return nil, errors.New("bad token")
	})
	f := answering(okResponse)
	me := to("GET", "me", f)
	me.Authorizer = &slsconfig.Authorizer{IdentityHeader: "Authorization"}
	cfg, fns := stage(me)
	g := newGateway(t, cfg, fns, auth)
	tests := []struct {
		name       string
		header     string
		wantStatus int
	}{
		{"no header", "", 401},
		{"refused token", "bad", 401},
		{"accepted token", "good", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.events = nil
			r := httptest.NewRequest("GET", "/dev/me", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			w := serve(g, r)
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d %s", w.Code, w.Body)
			}
			if tt.wantStatus == 401 {
				if w.Body.String() != `{"message":"Unauthorized"}` || len(f.events) != 0 {
					t.Errorf("body %s, %d invocations", w.Body, len(f.events))
				}
				return
			}
			var e events.APIGatewayProxyRequest
			_ = json.Unmarshal(f.events[0], &e)
			got, _ := e.RequestContext.Authorizer["claims"].(map[string]any)
			if got["sub"] != "u1" || got["cognito:username"] != "alice" {
				t.Errorf("requestContext.authorizer = %v", e.RequestContext.Authorizer)
			}
		})
	}
}

// The mock OPTIONS method answers with the merged cors settings of the path, as the
// Serverless-compiled MOCK integration does, and reaches no function or authorizer.
func TestPreflight(t *testing.T) {
	f := answering(okResponse)
	auth := Authorizer(func(context.Context, string) (map[string]string, error) { return nil, errors.New("no") })
	tests := []struct {
		name        string
		preflight   slsconfig.CORS
		origin      string
		wantHeaders map[string]string
	}{
		{"star", slsconfig.CORS{Origin: "*", Headers: []string{"Authorization", "Content-Type"}, Methods: []string{"OPTIONS", "GET"}, MaxAge: 600}, "https://app.test",
			map[string]string{
				"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Authorization,Content-Type",
				"Access-Control-Allow-Methods": "OPTIONS,GET", "Access-Control-Max-Age": "600", "Access-Control-Allow-Credentials": "",
			}},
		{"origins echo a match", slsconfig.CORS{Origins: []string{"https://a.test", "https://*.b.test"}, Headers: []string{"X"}, Methods: []string{"OPTIONS", "ANY"}, AllowCredentials: true}, "https://x.b.test",
			map[string]string{
				"Access-Control-Allow-Origin": "https://x.b.test", "Access-Control-Allow-Methods": "OPTIONS,DELETE,GET,HEAD,PATCH,POST,PUT",
				"Access-Control-Allow-Credentials": "true",
			}},
		{"origins without a match give the first", slsconfig.CORS{Origins: []string{"https://a.test", "https://*.b.test"}, Headers: []string{"X"}, Methods: []string{"OPTIONS"}}, "https://evil.test",
			map[string]string{"Access-Control-Allow-Origin": "https://a.test"}},
		{"comma-separated origin", slsconfig.CORS{Origin: "https://a.test,https://c.test", Headers: []string{"X"}, Methods: []string{"OPTIONS"}}, "https://c.test",
			map[string]string{"Access-Control-Allow-Origin": "https://c.test"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.events = nil
			me := to("GET", "me", f)
			me.Authorizer, me.CORS = &slsconfig.Authorizer{IdentityHeader: "Authorization"}, &tt.preflight
			cfg, fns := stage(me)
			g := newGateway(t, cfg, fns, auth)
			r := httptest.NewRequest("OPTIONS", "/dev/me", nil)
			r.Header.Set("Origin", tt.origin)
			w := serve(g, r)
			if w.Code != 200 || w.Body.Len() != 0 || len(f.events) != 0 {
				t.Fatalf("got %d %q, %d invocations", w.Code, w.Body, len(f.events))
			}
			for k, v := range tt.wantHeaders {
				if got := w.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// The preflight of a path merges the cors settings of its events as Serverless does: methods
// and headers of the later event first, the later origin winning.
func TestPreflightsMergeSharedPath(t *testing.T) {
	cfg, err := slsconfig.Parse([]byte(`{
	  "service": "svc",
	  "functions": {
	    "a": {"events": [{"http": {"path": "x", "method": "get", "cors": {"origin": "https://a.test", "headers": ["A"], "maxAge": 60}}}]},
	    "b": {"events": [{"http": {"path": "x", "method": "post", "cors": {"origin": "https://b.test", "headers": ["B"]}}},
	                     {"http": {"path": "y", "method": "get"}}]}
	  }
	}`), "", "")
	if err != nil {
		t.Fatal(err)
	}
	g := newGateway(t, cfg, map[string]Invoker{"a": answering(okResponse), "b": answering(okResponse)}, nil)
	w := serve(g, httptest.NewRequest("OPTIONS", "/dev/x", nil))
	for k, v := range map[string]string{"Access-Control-Allow-Origin": "https://b.test", "Access-Control-Allow-Headers": "B,A",
		"Access-Control-Allow-Methods": "OPTIONS,POST,GET", "Access-Control-Max-Age": "60"} {
		if got := w.Header().Get(k); w.Code != 200 || got != v {
			t.Errorf("OPTIONS /x: %d, %s = %q, want %q", w.Code, k, got, v)
		}
	}
	if w := serve(g, httptest.NewRequest("OPTIONS", "/dev/y", nil)); w.Code != 403 {
		t.Errorf("OPTIONS /y without cors = %d, want 403", w.Code)
	}
}

func TestGatewayResponses(t *testing.T) {
	cfg, fns := stage(to("GET", "boom", answering(`not json`)), to("POST", "limited", answering(okResponse)))
	withResource(cfg, "AWS::ApiGateway::Stage", `{"MethodSettings": [
		{"ResourcePath": "/~1limited", "HttpMethod": "POST", "ThrottlingRateLimit": 0, "ThrottlingBurstLimit": 1}]}`)
	withResource(cfg, "AWS::ApiGateway::GatewayResponse", `{"ResponseType": "DEFAULT_4XX", "ResponseParameters": {
		"gatewayresponse.header.Access-Control-Allow-Origin": "method.request.header.Origin", "gatewayresponse.header.Vary": "'Origin'"}}`)
	withResource(cfg, "AWS::ApiGateway::GatewayResponse", `{"ResponseType": "DEFAULT_5XX", "ResponseParameters": {"gatewayresponse.header.X-Five": "'5'"}}`)
	withResource(cfg, "AWS::ApiGateway::GatewayResponse", `{"ResponseType": "THROTTLED", "StatusCode": "429",
		"ResponseParameters": {"gatewayresponse.header.Retry-After": "'1'"},
		"ResponseTemplates": {"application/json": "{\"status\":\"fail\",\"error\":\"too_many_requests\",\"msg\":$context.error.messageString}"}}`)
	g := newGateway(t, cfg, fns, nil)
	tests := []struct {
		name        string
		method, url string
		origin      string
		wantStatus  int
		wantBody    string
		wantHeaders map[string]string
	}{
		{"4xx echoes Origin", "GET", "/dev/none", "https://app.test", 403, `{"message":"Missing Authentication Token"}`,
			map[string]string{"Access-Control-Allow-Origin": "https://app.test", "Vary": "Origin"}},
		{"4xx without Origin", "GET", "/dev/none", "", 403, `{"message":"Missing Authentication Token"}`,
			map[string]string{"Access-Control-Allow-Origin": "", "Vary": "Origin"}},
		{"5xx", "GET", "/dev/boom", "", 502, `{"message":"Internal server error"}`, map[string]string{"X-Five": "5"}},
		{"throttled", "POST", "/dev/limited", "", 429, `{"status":"fail","error":"too_many_requests","msg":"Too Many Requests"}`,
			map[string]string{"Retry-After": "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.url == "/dev/limited" {
				// The bucket holds one request and never refills: use it up, so that this case
				// holds whether it runs alone or after the others.
				if w := serve(g, httptest.NewRequest(tt.method, tt.url, nil)); w.Code != 200 && w.Code != 429 {
					t.Fatalf("request within the burst = %d", w.Code)
				}
			}
			r := httptest.NewRequest(tt.method, tt.url, nil)
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			w := serve(g, r)
			if w.Code != tt.wantStatus || w.Body.String() != tt.wantBody {
				t.Errorf("got %d %s, want %d %s", w.Code, w.Body, tt.wantStatus, tt.wantBody)
			}
			for k, v := range tt.wantHeaders {
				if got := w.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestNewRefusesConflicts(t *testing.T) {
	f := answering(okResponse)
	tests := []struct {
		name   string
		routes []testRoute
	}{
		{"duplicate", []testRoute{to("GET", "a", f), to("GET", "a", f)}},
		{"two parameters at one level", []testRoute{to("GET", "a/{id}", f), to("GET", "a/{name}", f)}},
		{"greedy not last", []testRoute{to("GET", "a/{p+}/b", f)}},
		{"empty segment", []testRoute{to("GET", "a//b", f)}},
		{"no function", []testRoute{to("GET", "a", nil)}},
	}
	for _, tt := range tests {
		cfg, fns := stage(tt.routes...)
		if _, err := New(cfg, fns, nil, nil); err == nil {
			t.Errorf("%s: New accepted it", tt.name)
		}
	}
}

func TestThrottleAllowsTheBurstThenTheRate(t *testing.T) {
	cfg, fns := stage(to("GET", "x", answering(okResponse)))
	withResource(cfg, "AWS::ApiGateway::Stage", `{"MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": 2, "ThrottlingBurstLimit": 3}]}`)
	g := newGateway(t, cfg, fns, nil)
	now := time.Unix(0, 0)
	g.now = func() time.Time { return now }
	allow := func() bool { return serve(g, httptest.NewRequest("GET", "/dev/x", nil)).Code != 429 }
	var got []bool
	for range 4 {
		got = append(got, allow())
	}
	now = now.Add(time.Second) // two tokens back at 2 per second
	for range 3 {
		got = append(got, allow())
	}
	want := []bool{true, true, true, false, true, true, false}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Allow = %v, want %v", got, want)
	}
}

func TestNewRefusesGatewayResponsesItCannotRender(t *testing.T) {
	tests := []struct {
		name  string
		props string // of the DEFAULT_4XX response
		want  string
	}{
		{"header from a query string", `"ResponseParameters": {"gatewayresponse.header.X-Q": "method.request.querystring.q"}`, "header X-Q from method.request.querystring.q"},
		{"context variable in a template", `"ResponseTemplates": {"application/json": "{\"path\":\"$context.path\"}"}`, "uses $c"},
		{"VTL directive", `"ResponseTemplates": {"application/json": "#if($context.error.message)x#end"}`, "uses #if"},
		{"status out of range", `"StatusCode": 700`, "status 700"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := stage()
			_, err := New(withResource(cfg, "AWS::ApiGateway::GatewayResponse", `{"ResponseType": "DEFAULT_4XX", `+tt.props+`}`), map[string]Invoker{}, nil, nil)
			if err == nil || !strings.Contains(err.Error(), "not supported locally: gateway response DEFAULT_4XX: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want a refusal naming %q", err, tt.want)
			}
		})
	}
	cfg, _ := stage()
	withResource(cfg, "AWS::ApiGateway::GatewayResponse", `{"ResponseType": "THROTTLED", "StatusCode": 429,
		"ResponseParameters": {"gatewayresponse.header.Vary": "'Origin'", "gatewayresponse.header.Access-Control-Allow-Origin": "method.request.header.Origin"},
		"ResponseTemplates": {"application/json": "{\"msg\":$context.error.messageString,\"id\":\"$context.requestId\",\"price\":\"$5\"}"}}`)
	if _, err := New(cfg, map[string]Invoker{}, nil, nil); err != nil {
		t.Errorf("New refused what it renders: %v", err)
	}
}

// API Gateway picks, level by level from the left, a literal before a {param} before a greedy
// {param+}, and tries the next kind when a branch leads nowhere. The parent of a resource
// (/a of /a/b) is a resource too, without methods, so /a is not {x}'s.
func TestRoutingPrecedence(t *testing.T) {
	var routes []testRoute
	for _, p := range []string{"a/b", "{x}/c", "a/{p+}", "a/b/c", "{x}/{y}/c", "{x}"} {
		routes = append(routes, to("GET", p, answering(`{"statusCode":200,"body":"`+p+`"}`)))
	}
	g := serveRoutes(t, routes...)
	for url, want := range map[string]string{
		"/dev/a/b": "a/b", "/dev/a/c": "a/{p+}", "/dev/z/c": "{x}/c", "/dev/a/b/c": "a/b/c",
		"/dev/a/b/d": "a/{p+}", "/dev/z/y/c": "{x}/{y}/c", "/dev/z": "{x}", "/dev/a": `{"message":"Missing Authentication Token"}`,
	} {
		if w := serve(g, httptest.NewRequest("GET", url, nil)); w.Body.String() != want {
			t.Errorf("GET %s went to %q, want %q", url, w.Body, want)
		}
	}
}

// Gateway responses and the stage's throttles are read from the resources, numbers written as
// strings (YAML, --param) too; of two responses of one type the later logical id wins. A
// method's own setting overrides the stage-wide /* one, wherever it is in the list.
func TestGatewayResponsesAndThrottlesFromResources(t *testing.T) {
	cfg, fns := stage(to("POST", "signin", answering(okResponse)), to("GET", "other", answering(okResponse)))
	cfg.Resources = map[string]slsconfig.Resource{
		"R4": {Type: "AWS::ApiGateway::GatewayResponse", Properties: json.RawMessage(`{"ResponseType": "DEFAULT_4XX",
		  "ResponseParameters": {"gatewayresponse.header.Vary": "'Origin'"}}`)},
		"RT": {Type: "AWS::ApiGateway::GatewayResponse", Properties: json.RawMessage(`{"ResponseType": "THROTTLED", "StatusCode": "418",
		  "ResponseTemplates": {"application/json": "{}"}}`)},
		"RU": {Type: "AWS::ApiGateway::GatewayResponse", Properties: json.RawMessage(`{"ResponseType": "THROTTLED", "StatusCode": 429}`)},
		"Stage": {Type: "AWS::ApiGateway::Stage", Properties: json.RawMessage(`{"MethodSettings": [
		  {"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": "2.5", "ThrottlingBurstLimit": 5},
		  {"ResourcePath": "/~1signin", "HttpMethod": "*", "ThrottlingRateLimit": 1, "ThrottlingBurstLimit": 1},
		  {"ResourcePath": "/~1signin", "HttpMethod": "POST", "ThrottlingRateLimit": 20, "ThrottlingBurstLimit": "40"}]}`)},
	}
	g := newGateway(t, cfg, fns, nil)
	if gr := g.responses["DEFAULT_4XX"]; !reflect.DeepEqual(gr.headers(), map[string]string{"Vary": "'Origin'"}) {
		t.Errorf("DEFAULT_4XX headers = %v", gr.headers())
	}
	if gr := g.responses["THROTTLED"]; gr.StatusCode != "429" || gr.ResponseTemplates != nil {
		t.Errorf("THROTTLED = %+v, want RU's", gr)
	}
	for _, tt := range []struct {
		method, path string
		rate         rate.Limit
		burst        int
	}{{"POST", "signin", 20, 40}, {"GET", "other", 2.5, 5}} {
		if th := g.resources[tt.path].methods[tt.method].throttle; th == nil || th.Limit() != tt.rate || th.Burst() != tt.burst {
			t.Errorf("%s /%s throttle = %v, want %v/s, burst %d", tt.method, tt.path, th, tt.rate, tt.burst)
		}
	}
}

// A gateway response or stage whose properties the gateway cannot read (an intrinsic function
// where a string or number goes) is refused, not served as if it were not there.
func TestNewRefusesResourcesItCannotRead(t *testing.T) {
	for typ, props := range map[string]string{
		"AWS::ApiGateway::GatewayResponse": `{"ResponseType": "DEFAULT_4XX", "ResponseParameters": {"gatewayresponse.header.X": {"Fn::Sub": "'x'"}}}`,
		"AWS::ApiGateway::Stage":           `{"MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": {"Ref": "Rate"}, "ThrottlingBurstLimit": 5}]}`,
	} {
		cfg, _ := stage()
		if _, err := New(withResource(cfg, typ, props), map[string]Invoker{}, nil, nil); err == nil || !strings.Contains(err.Error(), "not supported locally: "+typ+" R0: ") {
			t.Errorf("%s: New = %v, want a refusal", typ, err)
		}
	}
}
