package session_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/signin-api/signin/shared/apigw"
	"github.com/signin-api/signin/shared/cognito"
	"github.com/signin-api/signin/shared/cognito/cognitotest"
	"github.com/signin-api/signin/shared/logging"
	"github.com/signin-api/signin/shared/session"
)

const (
	testPoolID   = "us-east-1_TESTPOOL"
	testClientID = "1example23456789" // the client_id of the sample access token
	testSecret   = "test-client-secret-0123456789abcdef"
	// The tokens of the sample events in events/.
	sampleRefresh = "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.ZXhhbXBsZS1lbmNyeXB0ZWQta2V5.ZXhhbXBsZS1pdg.ZXhhbXBsZS1jaXBoZXJ0ZXh0.ZXhhbXBsZS10YWc"
	sampleAccess  = "eyJraWQiOiJleGFtcGxlIiwiYWxnIjoiUlMyNTYifQ.eyJzdWIiOiI4ZjRlMmIxYS0zYzVkLTRlNmYtOWEwYi0xYzJkM2U0ZjVhNmIiLCJpc3MiOiJodHRwczovL2NvZ25pdG8taWRwLnVzLWVhc3QtMS5hbWF6b25hd3MuY29tL3VzLWVhc3QtMV9FWEFNUExFMSIsImNsaWVudF9pZCI6IjFleGFtcGxlMjM0NTY3ODkiLCJvcmlnaW5fanRpIjoiMWEyYjNjNGQtNWU2Zi00YTdiLThjOWQtMGUxZjJhM2I0YzVkIiwiZXZlbnRfaWQiOiI2YjlkNGUwYS0yZjFjLTRjM2ItOWE4ZS03ZDZmNWU0YzNiMmEiLCJ0b2tlbl91c2UiOiJhY2Nlc3MiLCJzY29wZSI6ImF3cy5jb2duaXRvLnNpZ25pbi51c2VyLmFkbWluIiwiYXV0aF90aW1lIjoxNzk1Mjk0NjgwLCJleHAiOjE3OTUyOTgyODAsImlhdCI6MTc5NTI5NDY4MCwianRpIjoiMmIzYzRkNWUtNmY3YS00YjhjLTlkMGUtMWYyYTNiNGM1ZDZlIiwidXNlcm5hbWUiOiJhbGljZSJ9.c2lnbmF0dXJl"
	sampleOrigin  = "http://localhost:5173"
)

// faulty answers with err, when set, instead of the pool, counting the call like the pool.
type faulty struct {
	*cognitotest.Pool
	err   error
	calls int
}

var _ cognito.SessionAPI = (*faulty)(nil)

func (f *faulty) GetTokensFromRefreshToken(ctx context.Context, in *cip.GetTokensFromRefreshTokenInput, o ...func(*cip.Options)) (*cip.GetTokensFromRefreshTokenOutput, error) {
	if f.err != nil {
		f.calls++
		return nil, f.err
	}
	return f.Pool.GetTokensFromRefreshToken(ctx, in, o...)
}

func (f *faulty) RevokeToken(ctx context.Context, in *cip.RevokeTokenInput, o ...func(*cip.Options)) (*cip.RevokeTokenOutput, error) {
	if f.err != nil {
		f.calls++
		return nil, f.err
	}
	return f.Pool.RevokeToken(ctx, in, o...)
}

func (f *faulty) GlobalSignOut(ctx context.Context, in *cip.GlobalSignOutInput, o ...func(*cip.Options)) (*cip.GlobalSignOutOutput, error) {
	if f.err != nil {
		f.calls++
		return nil, f.err
	}
	return f.Pool.GlobalSignOut(ctx, in, o...)
}

func (f *faulty) DeleteUser(ctx context.Context, in *cip.DeleteUserInput, o ...func(*cip.Options)) (*cip.DeleteUserOutput, error) {
	if f.err != nil {
		f.calls++
		return nil, f.err
	}
	return f.Pool.DeleteUser(ctx, in, o...)
}

// harness is a fake pool with the three handlers over it, their logs kept for inspection.
type harness struct {
	pool *cognitotest.Pool
	api  *faulty
	logs *syncBuffer
	svc  *session.Service
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newHarness starts a pool with alice signed in with the sample events' tokens; when the test
// ends, the logs must hold none of the tokens and secrets the pool has seen.
func newHarness(t *testing.T) *harness {
	t.Helper()
	pool := cognitotest.New(testPoolID, testClientID, testSecret)
	pool.AddUser("alice", "Corr3ct-Horse!")
	pool.AddSession("alice", sampleRefresh, sampleAccess)
	h := &harness{pool: pool, api: &faulty{Pool: pool}, logs: &syncBuffer{}}
	h.svc = &session.Service{Cognito: h.api, ClientID: testClientID, ClientSecret: testSecret}
	t.Cleanup(func() {
		if leaks := cognitotest.Leaks(h.logs.String(), append(pool.Secrets(), sampleRefresh, sampleAccess)); len(leaks) > 0 {
			t.Errorf("the logs hold secrets: %v", leaks)
		}
	})
	return h
}

func (h *harness) handler(route string) lambda.Handler {
	cors, log := apigw.ParseCORS(sampleOrigin), logging.New(h.logs)
	switch route {
	case "refresh":
		return &session.RefreshHandler{Service: h.svc, CORS: cors, Log: log}
	case "signout":
		return &session.SignOutHandler{Service: h.svc, CORS: cors, Log: log}
	}
	return &session.DeleteMeHandler{Service: h.svc, CORS: cors, Log: log}
}

// calls is the number of Cognito calls made, by the pool and the fault alike.
func (h *harness) calls() int { return h.pool.TokenCalls() + h.api.calls }

// answer is a handler's answer, whatever its shape.
type answer struct {
	status  int // 0 for a bare answer
	headers map[string]string
	body    map[string]any
	raw     string
}

func (h *harness) invoke(t *testing.T, route string, payload []byte) answer {
	t.Helper()
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "test-request-id"})
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := h.handler(route).Invoke(ctx, payload)
	if err != nil {
		t.Fatalf("Invoke returned an error (an HTTP route answers instead): %v", err)
	}
	var a answer
	var proxy events.APIGatewayProxyResponse
	if json.Unmarshal(out, &proxy) == nil && proxy.StatusCode != 0 {
		a.status, a.headers, a.raw = proxy.StatusCode, proxy.Headers, proxy.Body
	} else {
		a.raw = string(out)
	}
	if err := json.Unmarshal([]byte(a.raw), &a.body); err != nil {
		t.Fatalf("answer body is not JSON: %s", a.raw)
	}
	return a
}

func eventFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// request is an HTTP request to put in an event of some shape.
type request struct {
	method, path  string
	contentType   string
	body          string
	base64        bool
	authorization string
}

// event puts r in shape: a REST proxy event (as deployed), an HTTP API v2.0 event, the
// `integration: lambda` template (body already parsed, no headers) or the bare body.
func event(t *testing.T, shape apigw.Shape, r request) []byte {
	t.Helper()
	if r.contentType == "" {
		r.contentType = "application/json"
	}
	headers := map[string]string{"Content-Type": r.contentType, "Origin": sampleOrigin}
	if r.authorization != "" {
		headers["Authorization"] = r.authorization
	}
	body := r.body
	if r.base64 {
		body = base64.StdEncoding.EncodeToString([]byte(r.body))
	}
	var v any
	switch shape {
	case apigw.RESTProxy:
		v = events.APIGatewayProxyRequest{Resource: r.path, Path: r.path, HTTPMethod: r.method, Headers: headers, Body: body, IsBase64Encoded: r.base64}
	case apigw.HTTPv2:
		v = events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: r.method + " " + r.path, RawPath: r.path, Headers: headers, Body: body, IsBase64Encoded: r.base64}
	case apigw.LambdaIntegration:
		return []byte(`{"method":"` + r.method + `","body":` + r.body + `}`)
	default:
		return []byte(r.body)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var allShapes = []apigw.Shape{apigw.Bare, apigw.RESTProxy, apigw.HTTPv2, apigw.LambdaIntegration}

// check asserts the status (for proxy answers), the body's status and code, and the headers
// every proxy answer carries.
func (a answer) check(t *testing.T, shape apigw.Shape, wantStatus int, wantCode string) {
	t.Helper()
	if shape.Proxied() {
		if a.status != wantStatus {
			t.Errorf("status %d, want %d (%s)", a.status, wantStatus, a.raw)
		}
		if a.headers["Access-Control-Allow-Origin"] != sampleOrigin || a.headers["Cache-Control"] != "no-store" || a.headers["Content-Type"] != "application/json" {
			t.Errorf("headers %v", a.headers)
		}
	}
	want := "success"
	if wantCode != "" {
		want = "fail"
	}
	if a.body["status"] != want || (wantCode != "" && a.body["error"] != wantCode) {
		t.Errorf("body %s, want %s %s", a.raw, want, wantCode)
	}
	if msg, _ := a.body["msg"].(string); wantCode != "" && (msg == "" || strings.Contains(msg, "Exception")) {
		t.Errorf("msg %q is not one human sentence", msg)
	}
}

// noRotation is an app client without refresh token rotation: a refresh returns no new
// refresh token.
type noRotation struct{ *faulty }

func (n noRotation) GetTokensFromRefreshToken(ctx context.Context, in *cip.GetTokensFromRefreshTokenInput, o ...func(*cip.Options)) (*cip.GetTokensFromRefreshTokenOutput, error) {
	out, err := n.faulty.GetTokensFromRefreshToken(ctx, in, o...)
	if out != nil && out.AuthenticationResult != nil {
		out.AuthenticationResult.RefreshToken = nil
	}
	return out, err
}

// accessToken is a JWT-shaped token with the given client_id and token_use and a unique jti,
// which no pool has issued until a test registers it.
func accessToken(clientID, use string) string {
	enc := base64.RawURLEncoding
	claims, _ := json.Marshal(map[string]any{"client_id": clientID, "token_use": use, "jti": time.Now().UnixNano()})
	return enc.EncodeToString([]byte(`{"alg":"RS256"}`)) + "." + enc.EncodeToString(claims) + ".c2ln"
}
