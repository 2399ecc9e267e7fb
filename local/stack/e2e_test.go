package stack

// End-to-end tests: whole stacks (the local Cognito, the functions' real bootstraps, the Invoke
// endpoint, the gateway) on free ports, each with its state in a temporary folder, used over
// HTTP as a login screen would. They need node_modules (npm ci, for sls print) and Go; the
// functions are built here, into a temporary folder. Under -short they skip (needsStack), and
// TestMain neither runs sls print nor builds anything.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/golang-jwt/jwt/v5"

	"github.com/signin-api/signin/local/buildcache"
	"github.com/signin-api/signin/local/slsconfig"
	"github.com/signin-api/signin/shared/cognito"
	"github.com/signin-api/signin/shared/cognito/cognitotest"
)

var (
	repoRoot        string            // the service's folder
	bootstrapDir    string            // the functions, built for this machine
	rejectBootstrap string            // testdata/rejecttrigger, built
	invokeRunner    string            // local/cmd/invoke, built
	projectConfig   *slsconfig.Config // sls print of serverless.yml
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		return m.Run()
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	repoRoot = root
	tmp, err := os.MkdirTemp("", "stack-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	ctx := context.Background()
	bootstrapDir = filepath.Join(tmp, "bootstraps")
	rejectBootstrap = filepath.Join(tmp, "rejecttrigger", "bootstrap")
	invokeRunner = filepath.Join(tmp, "invoke")
	if projectConfig, err = slsconfig.Load(ctx, root, "dev", ""); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// Every function of serverless.yml, as make build-local builds them.
	var keys []string
	for _, fn := range projectConfig.Functions {
		keys = append(keys, fn.Key)
	}
	if err := buildcache.Build(ctx, root, bootstrapDir, keys...); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for out, pkg := range map[string]string{rejectBootstrap: "./local/stack/testdata/rejecttrigger", invokeRunner: "./local/cmd/invoke"} {
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", out, pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, out)
			return 1
		}
	}
	return m.Run()
}

// needsStack skips t under -short: it needs what TestMain prepares (sls print of serverless.yml,
// the functions built) and starts stacks. Without -short, a missing tool fails TestMain instead.
func needsStack(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: needs node_modules (npm ci) for sls print, and builds every function; run make test")
	}
}

// testLogs keeps a stack's logs and shows them only when the test fails.
type testLogs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *testLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *testLogs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// startStack starts a stack of the project on free ports with its state in a temporary folder,
// and stops it when the test ends.
func startStack(t *testing.T, change func(*Options)) *Stack {
	t.Helper()
	logs := &testLogs{}
	opts := Options{
		Root:         repoRoot,
		Config:       projectConfig,
		StateDir:     filepath.Join(t.TempDir(), "dev"),
		BootstrapDir: bootstrapDir,
		APIAddr:      "127.0.0.1:0",
		LambdaAddr:   "127.0.0.1:0",
		Logs:         logs,
	}
	if change != nil {
		change(&opts)
	}
	st, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("Start: %v\n%s", err, logs)
	}
	t.Cleanup(func() {
		st.Close()
		checkFunctionLogs(t, st, logs.String())
		if t.Failed() {
			t.Logf("stack logs:\n%s", logs)
		}
	})
	return st
}

// sentSecrets holds, per stack, every password a test sent and every token it got back, so
// that the stack's function logs can be searched for them when the test ends.
var sentSecrets sync.Map // *Stack -> *secretList

type secretList struct {
	mu   sync.Mutex
	list []string
}

func noteSecrets(st *Stack, secrets ...string) {
	v, _ := sentSecrets.LoadOrStore(st, &secretList{})
	l := v.(*secretList)
	l.mu.Lock()
	l.list = append(l.list, secrets...)
	l.mu.Unlock()
}

// checkFunctionLogs fails the test when a function's log lines, or any other line of the stack,
// hold a password, a token or the app client secret, whole or in part.
func checkFunctionLogs(t *testing.T, st *Stack, logs string) {
	t.Helper()
	secrets := []string{mainClient(st).Secret}
	if v, ok := sentSecrets.LoadAndDelete(st); ok {
		secrets = append(secrets, v.(*secretList).list...)
	}
	var functionLines strings.Builder
	for _, line := range strings.SplitAfter(logs, "\n") {
		for _, fn := range projectConfig.Functions {
			if strings.HasPrefix(line, "["+fn.Key+"] ") {
				functionLines.WriteString(line)
			}
		}
	}
	if functionLines.Len() == 0 && len(secrets) > 1 {
		t.Errorf("no function log lines captured: the leak check would see nothing")
	}
	for _, leak := range cognitotest.Leaks(functionLines.String(), secrets) {
		t.Errorf("function logs leak a secret: %s", leak)
	}
	// The stack's own lines too: the gateway's access log, the Invoke API's and the local
	// Cognito's (which logs internal errors only).
	for _, leak := range cognitotest.Leaks(logs, secrets) {
		t.Errorf("the stack's logs leak a secret: %s", leak)
	}
}

// mainClient is the app client serverless.yml defines.
func mainClient(st *Stack) Client { return st.Pool.Clients["UserPoolClient"] }

func cognitoAPI(st *Stack) *cip.Client { return st.CognitoClient() }

// otherClientSignIn signs username in through a second app client of the stack's pool, made
// here, outside the stack, as another app of the same pool would.
func otherClientSignIn(t *testing.T, st *Stack, username string) *types.AuthenticationResultType {
	t.Helper()
	ctx, api := context.Background(), cognitoAPI(st)
	other, err := api.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(st.Pool.ID), ClientName: aws.String("other"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	auth, err := api.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
		UserPoolId: aws.String(st.Pool.ID), ClientId: other.UserPoolClient.ClientId,
		AuthFlow:       types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": username, "PASSWORD": password},
	})
	if err != nil {
		t.Fatal(err)
	}
	return auth.AuthenticationResult
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func (r result) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

func do(t *testing.T, method, url string, body string, headers map[string]string) result {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{resp.StatusCode, resp.Header, data}
}

func signin(t *testing.T, st *Stack, username, password string) result {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	res := do(t, "POST", st.APIURL+"/signin", string(body), map[string]string{"Content-Type": "application/json", "Origin": "http://localhost:5173"})
	noteSecrets(st, password)
	var tokens map[string]any
	if json.Unmarshal(res.body, &tokens) == nil {
		for _, k := range []string{"id_token", "access_token", "refresh_token"} {
			if s, _ := tokens[k].(string); s != "" {
				noteSecrets(st, s)
			}
		}
	}
	return res
}

const password = "Passw0rd-e2e"

func TestSignUpThenSignIn(t *testing.T) {
	needsStack(t)
	st := startStack(t, nil)

	first := signin(t, st, "alice", password)
	if first.status != 200 {
		t.Fatalf("first sign-in: %d %s", first.status, first.body)
	}
	got := first.json(t)
	if got["status"] != "success" || got["is_new"] != true || got["token_type"] != "Bearer" {
		t.Errorf("first sign-in = %s", first.body)
	}
	for _, field := range []string{"user_id", "id_token", "access_token", "refresh_token"} {
		if s, _ := got[field].(string); s == "" {
			t.Errorf("first sign-in has no %s", field)
		}
	}
	// The issuer the authorizer expects is the one the local pool really writes.
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(got["id_token"].(string), claims); err != nil {
		t.Fatal(err)
	}
	if claims["iss"] != st.Issuer || claims["aud"] != mainClient(st).ID {
		t.Errorf("token iss %v aud %v, want %s %s", claims["iss"], claims["aud"], st.Issuer, mainClient(st).ID)
	}

	// CONFIRMED: the PreSignUp trigger ran, through the local Lambda endpoint.
	user, err := cognitoAPI(st).AdminGetUser(context.Background(), &cip.AdminGetUserInput{
		UserPoolId: aws.String(st.Pool.ID), Username: aws.String("alice"),
	})
	if err != nil {
		t.Fatalf("AdminGetUser: %v", err)
	}
	if user.UserStatus != types.UserStatusTypeConfirmed {
		t.Errorf("user status = %s, want CONFIRMED", user.UserStatus)
	}

	again := signin(t, st, "alice", password)
	if again.status != 200 {
		t.Fatalf("second sign-in: %d %s", again.status, again.body)
	}
	if g := again.json(t); g["is_new"] != false || g["user_id"] != got["user_id"] {
		t.Errorf("second sign-in: is_new %v user_id %v, want false %v", g["is_new"], g["user_id"], got["user_id"])
	}

	wrong := signin(t, st, "alice", "Wr0ng-password")
	if wrong.status != 401 {
		t.Fatalf("wrong password: %d %s", wrong.status, wrong.body)
	}
	if g := wrong.json(t); g["status"] != "fail" || g["error"] != "invalid_credentials" || g["msg"] == "" {
		t.Errorf("wrong password body = %s", wrong.body)
	}

	var banner bytes.Buffer
	WriteBanner(&banner, st, time.Second)
	for _, want := range []string{st.APIURL + "/signin", st.APIURL + "/me", st.Pool.ID, mainClient(st).ID, st.LambdaEndpoint, "signin-api-dev-autoconfirm",
		"GET " + st.APIURL + "/session takes an access token with one of: signin-api/session.read"} {
		if !strings.Contains(banner.String(), want) {
			t.Errorf("banner has no %s:\n%s", want, banner.String())
		}
	}
	if strings.Contains(banner.String(), mainClient(st).Secret) {
		t.Error("banner shows the client secret")
	}
}

// poolKey is the local pool's signing key and kid, read from the stack's state file; the tests
// use it only to change one claim of a real token at a time.
func poolKey(t *testing.T, st *Stack) (*rsa.PrivateKey, string) {
	t.Helper()
	data, err := os.ReadFile(cognitoFile(st.stateDir))
	if err != nil {
		t.Fatal(err)
	}
	var state struct {
		Pools map[string]struct {
			KeyPEM string `json:"keyPem"`
			KeyID  string `json:"keyId"`
		} `json:"pools"`
	}
	if err := json.Unmarshal(data, &state); err != nil {
		t.Fatal(err)
	}
	p := state.Pools[st.Pool.ID]
	key, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(p.KeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	return key, p.KeyID
}

// resign signs a real token's claims again, with changes, by key, under kid.
func resign(t *testing.T, token string, key *rsa.PrivateKey, kid string, changes jwt.MapClaims) string {
	t.Helper()
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		t.Fatal(err)
	}
	for k, v := range changes {
		claims[k] = v
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMeBehindTheCognitoAuthorizer(t *testing.T) {
	needsStack(t)
	st := startStack(t, nil)
	res := signin(t, st, "bob", password)
	if res.status != 200 {
		t.Fatalf("sign-in: %d %s", res.status, res.body)
	}
	tokens := res.json(t)
	idToken, accessToken := tokens["id_token"].(string), tokens["access_token"].(string)

	// A real ID token of another app client of the same pool, made outside the stack.
	otherClientToken := aws.ToString(otherClientSignIn(t, st, "bob").IdToken)

	key, kid := poolKey(t, st)
	strangerKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	past := float64(time.Now().Add(-time.Hour).Unix())

	tests := []struct {
		name   string
		header string
		status int
	}{
		{"ID token", idToken, 200},
		{"Bearer ID token", "Bearer " + idToken, 200},
		{"the same claims re-signed with the pool's key (control)", resign(t, idToken, key, kid, nil), 200},
		{"no token", "", 401},
		{"garbage", "garbage", 401},
		{"signed by another key", resign(t, idToken, strangerKey, kid, nil), 401},
		{"expired", resign(t, idToken, key, kid, jwt.MapClaims{"exp": past, "iat": past - 3600}), 401},
		{"another pool's issuer", resign(t, idToken, key, kid, jwt.MapClaims{"iss": st.CognitoURL + "/us-east-1_other"}), 401},
		{"access token", accessToken, 401},
		{"ID token of an app client outside the stack", otherClientToken, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			headers := map[string]string{}
			if tt.header != "" {
				headers["Authorization"] = tt.header
			}
			res := do(t, "GET", st.APIURL+"/me", "", headers)
			if res.status != tt.status {
				t.Fatalf("status %d %s, want %d", res.status, res.body, tt.status)
			}
			if tt.status == 401 {
				if string(res.body) != `{"message":"Unauthorized"}` {
					t.Errorf("body = %s", res.body)
				}
				return
			}
			if got := res.json(t); got["user_id"] != tokens["user_id"] || got["username"] != "bob" {
				t.Errorf("body = %s", res.body)
			}
		})
	}
}

// A trigger that cannot be reached, or that fails, stops the sign-up with the documented code
// and creates no user.
func TestPreSignUpTriggerFailures(t *testing.T) {
	needsStack(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	downEndpoint := "http://" + closed.Addr().String()
	closed.Close()

	tests := []struct {
		name       string
		change     func(*Options)
		wantStatus int
		wantError  string
	}{
		{"Lambda endpoint down", func(o *Options) { o.TriggerEndpoint = downEndpoint }, 503, "service_unavailable"},
		{"trigger returns an error", func(o *Options) { o.Bootstraps = map[string]string{"autoconfirm": rejectBootstrap} }, 403, "signup_rejected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := startStack(t, tt.change)
			res := signin(t, st, "carol", password)
			if res.status != tt.wantStatus {
				t.Fatalf("status %d %s, want %d", res.status, res.body, tt.wantStatus)
			}
			if got := res.json(t); got["status"] != "fail" || got["error"] != tt.wantError {
				t.Errorf("body = %s, want error %s", res.body, tt.wantError)
			}
			_, err := cognitoAPI(st).AdminGetUser(context.Background(), &cip.AdminGetUserInput{
				UserPoolId: aws.String(st.Pool.ID), Username: aws.String("carol"),
			})
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "UserNotFoundException" {
				t.Errorf("AdminGetUser: %v, want UserNotFoundException", err)
			}
		})
	}
}

// The gateway's own answers on the project's real configuration.
func TestGatewayOnProjectConfig(t *testing.T) {
	needsStack(t)
	st := startStack(t, nil)
	tests := []struct {
		name        string
		method, url string
		headers     map[string]string
		wantStatus  int
		wantBody    string
		wantHeaders map[string]string
	}{
		{"preflight of /signin", "OPTIONS", "/signin", map[string]string{"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"}, 200, "",
			map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Content-Type",
				"Access-Control-Allow-Methods": "OPTIONS,POST", "Access-Control-Max-Age": "600"}},
		{"preflight of /me needs no token", "OPTIONS", "/me", nil, 200, "",
			map[string]string{"Access-Control-Allow-Headers": "Authorization,Content-Type", "Access-Control-Allow-Methods": "OPTIONS,GET,DELETE"}},
		{"preflight of /refresh", "OPTIONS", "/refresh", map[string]string{"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"}, 200, "",
			map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Content-Type", "Access-Control-Allow-Methods": "OPTIONS,POST"}},
		{"preflight of /signout allows Authorization", "OPTIONS", "/signout", map[string]string{"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"}, 200, "",
			map[string]string{"Access-Control-Allow-Headers": "Authorization,Content-Type", "Access-Control-Allow-Methods": "OPTIONS,POST"}},
		{"DELETE /me without a token", "DELETE", "/me", map[string]string{"Origin": "http://localhost:5173"}, 401, `{"message":"Unauthorized"}`,
			map[string]string{"Access-Control-Allow-Origin": "http://localhost:5173"}},
		{"unknown route", "GET", "/nope", map[string]string{"Origin": "http://localhost:5173"}, 403, `{"message":"Missing Authentication Token"}`,
			map[string]string{"Access-Control-Allow-Origin": "http://localhost:5173", "Vary": "Origin"}},
		{"method not defined", "GET", "/signin", nil, 403, `{"message":"Missing Authentication Token"}`, nil},
		{"unauthorized carries the 4XX gateway response's CORS headers", "GET", "/me", map[string]string{"Origin": "http://localhost:5173"}, 401, `{"message":"Unauthorized"}`,
			map[string]string{"Access-Control-Allow-Origin": "http://localhost:5173"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := do(t, tt.method, st.APIURL+tt.url, "", tt.headers)
			if res.status != tt.wantStatus || (tt.wantBody != "" && string(res.body) != tt.wantBody) {
				t.Errorf("got %d %s, want %d %s", res.status, res.body, tt.wantStatus, tt.wantBody)
			}
			for k, v := range tt.wantHeaders {
				if got := res.header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}

	// A form body reaches signin as a REST proxy event and is decoded: the account it makes is
	// the one a JSON sign-in with the same name and password (characters that a form must
	// escape) gets back.
	t.Run("form body reaches signin as a REST proxy event", func(t *testing.T) {
		const formPassword = "Passw0rd+e2e&x=y%"
		form := url.Values{"username": {"dave"}, "password": {formPassword}}.Encode()
		res := do(t, "POST", st.APIURL+"/signin", form, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		noteSecrets(st, formPassword)
		if res.status != 200 {
			t.Fatalf("form sign-in: %d %s", res.status, res.body)
		}
		if got := res.header.Get("Access-Control-Allow-Origin"); got != "*" {
			t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
		}
		got := res.json(t)
		for _, k := range []string{"id_token", "access_token", "refresh_token"} {
			if s, _ := got[k].(string); s != "" {
				noteSecrets(st, s)
			}
		}
		if got["status"] != "success" || got["is_new"] != true || got["user_id"] == nil {
			t.Fatalf("form sign-in body = %s, want a new account", res.body)
		}
		again := signin(t, st, "dave", formPassword)
		if again.status != 200 {
			t.Fatalf("JSON sign-in with the form's password: %d %s", again.status, again.body)
		}
		if g := again.json(t); g["is_new"] != false || g["user_id"] != got["user_id"] {
			t.Errorf("JSON sign-in: is_new %v user_id %v, want false %v", g["is_new"], g["user_id"], got["user_id"])
		}
	})
}

func TestPortInUse(t *testing.T) {
	needsStack(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	tests := []struct {
		name   string
		change func(*Options)
		what   string
	}{
		{"API port", func(o *Options) { o.APIAddr = taken.Addr().String() }, "api"},
		{"Lambda port", func(o *Options) { o.LambdaAddr = taken.Addr().String() }, "lambda"},
		{"Cognito port", func(o *Options) { o.CognitoAddr = taken.Addr().String() }, "cognito"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stateDir := filepath.Join(t.TempDir(), "dev")
			opts := Options{Root: repoRoot, Config: projectConfig, StateDir: stateDir, BootstrapDir: bootstrapDir,
				APIAddr: "127.0.0.1:0", LambdaAddr: "127.0.0.1:0"}
			tt.change(&opts)
			st, err := Start(context.Background(), opts)
			if err == nil {
				st.Close()
				t.Fatal("Start on a taken port: no error")
			}
			if !strings.HasPrefix(err.Error(), tt.what+" port: ") {
				t.Fatalf("err = %v, want the %s port named", err, tt.what)
			}
			wantFlag := map[string]string{"api": "--api-port", "lambda": "--lambda-port", "cognito": "--cognito-port"}[tt.what]
			if msg := err.Error(); !strings.Contains(msg, taken.Addr().String()) || !strings.Contains(msg, wantFlag) {
				t.Errorf("message %q names neither the address nor %s", msg, wantFlag)
			}
			// Nothing was started: the pool never wrote its state, and the folder is free.
			if _, err := os.Stat(cognitoFile(stateDir)); !os.IsNotExist(err) {
				t.Errorf("the local Cognito's state exists: %v", err)
			}
			unlock, _, err := lockState(stateDir)
			if err != nil {
				t.Fatalf("state folder still held: %v", err)
			}
			unlock()
		})
	}
}

// A port that cannot be bound for another reason than being taken is not reported as in use.
func TestPortThatCannotBeBound(t *testing.T) {
	st, err := Start(context.Background(), Options{APIAddr: "127.0.0.1:99999"})
	if err == nil {
		st.Close()
		t.Fatal("Start on port 99999: no error")
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "api port: ") || strings.Contains(msg, "in use") {
		t.Errorf("err = %q, want the api port named and not called in use", msg)
	}
}

// Close stops every process and frees every port.
func TestCloseFreesEverything(t *testing.T) {
	needsStack(t)
	logs := &testLogs{}
	st, err := Start(context.Background(), Options{Root: repoRoot, Config: projectConfig, StateDir: filepath.Join(t.TempDir(), "dev"),
		BootstrapDir: bootstrapDir, APIAddr: "127.0.0.1:0", LambdaAddr: "127.0.0.1:0", Logs: logs})
	if err != nil {
		t.Fatal(err)
	}
	// Start the functions' processes too.
	if res := signin(t, st, "erin", password); res.status != 200 {
		t.Fatalf("sign-in: %d %s\n%s", res.status, res.body, logs)
	}
	addrs := []string{strings.TrimPrefix(strings.TrimSuffix(st.APIURL, "/dev"), "http://"), strings.TrimPrefix(st.LambdaEndpoint, "http://"),
		strings.TrimPrefix(st.CognitoURL, "http://")}
	st.Close()
	for _, addr := range addrs {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("%s still bound after Close: %v", addr, err)
			continue
		}
		ln.Close()
	}
	for key, pool := range st.functions {
		if s := pool.Stats(); s.Live != 0 {
			t.Errorf("function %s: %d processes after Close", key, s.Live)
		}
	}
}

// The pool is case-insensitive (serverless.yml UsernameConfiguration.CaseSensitive false):
// Alice, alice and ALICE are one account with one user_id.
func TestUsernameIsCaseInsensitive(t *testing.T) {
	needsStack(t)
	st := startStack(t, nil)
	var ids []any
	for i, name := range []string{"Alice", "alice", "ALICE"} {
		res := signin(t, st, name, password)
		if res.status != 200 {
			t.Fatalf("%s: %d %s", name, res.status, res.body)
		}
		got := res.json(t)
		if got["is_new"] != (i == 0) {
			t.Errorf("%s: is_new %v", name, got["is_new"])
		}
		ids = append(ids, got["user_id"])
	}
	if ids[0] != ids[1] || ids[1] != ids[2] {
		t.Errorf("user ids %v, want one", ids)
	}
}

// A password outside serverless.yml's policy is refused with Cognito's sentence, and no
// account is made.
func TestWeakPasswordRefused(t *testing.T) {
	needsStack(t)
	st := startStack(t, nil)
	res := signin(t, st, "weakling", "a")
	if res.status != 400 {
		t.Fatalf("status %d %s, want 400", res.status, res.body)
	}
	if got := res.json(t); got["error"] != "invalid_password" || got["msg"] != "Password did not conform with policy: Password not long enough." {
		t.Errorf("body = %s", res.body)
	}
	_, err := cognitoAPI(st).AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: aws.String(st.Pool.ID), Username: aws.String("weakling")})
	wantCognitoError(t, err, "UserNotFoundException", "")
}

// A function with a wrong client secret gets Cognito's NotAuthorizedException on every call,
// as on AWS, instead of a sign-in.
func TestWrongSecretHashRefused(t *testing.T) {
	needsStack(t)
	wrong := *projectConfig
	wrong.Functions = append([]slsconfig.Function(nil), projectConfig.Functions...)
	for i, fn := range wrong.Functions {
		if fn.Key != "signin" {
			continue
		}
		env := map[string]slsconfig.EnvValue{}
		for k, v := range fn.Environment {
			if k != "CLIENT_SECRET_ARN" {
				env[k] = v
			}
		}
		env["CLIENT_SECRET"] = slsconfig.EnvValue{Value: "not-the-client-secret"}
		wrong.Functions[i].Environment = env
	}
	st := startStack(t, func(o *Options) { o.Config = &wrong })
	res := signin(t, st, "mallory", password)
	if res.status != 500 || res.json(t)["error"] != "internal_error" {
		t.Errorf("sign-in with a wrong secret: %d %s, want 500 internal_error", res.status, res.body)
	}
	client := mainClient(st)
	_, err := cognitoAPI(st).AdminInitiateAuth(context.Background(), &cip.AdminInitiateAuthInput{
		UserPoolId: aws.String(st.Pool.ID), ClientId: aws.String(client.ID), AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "mallory", "PASSWORD": password,
			"SECRET_HASH": cognito.SecretHash("mallory", client.ID, "not-the-client-secret")},
	})
	wantCognitoError(t, err, "NotAuthorizedException", "Unable to verify secret hash for client "+client.ID)
}

// 20 concurrent first sign-ins of one username make one account: exactly one is_new, one
// user_id.
func TestConcurrentFirstSignIns(t *testing.T) {
	needsStack(t)
	st := startStack(t, nil)
	var wg sync.WaitGroup
	results := make([]result, 20)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = signin(t, st, "crowd", password)
		}()
	}
	wg.Wait()
	ids := map[any]bool{}
	isNew := 0
	for _, res := range results {
		if res.status != 200 {
			t.Fatalf("a sign-in failed: %d %s", res.status, res.body)
		}
		got := res.json(t)
		ids[got["user_id"]] = true
		if got["is_new"] == true {
			isNew++
		}
	}
	if len(ids) != 1 || isNew != 1 {
		t.Errorf("%d user ids and %d is_new:true, want 1 and 1", len(ids), isNew)
	}
}

func wantCognitoError(t *testing.T, err error, code, message string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != code || (message != "" && apiErr.ErrorMessage() != message) {
		t.Errorf("err = %v, want %s %q", err, code, message)
	}
}

// The state folder is one stack's at a time, and a user signed up before a restart is there
// after it, in the same pool with the same app client.
func TestStateKeptAcrossRestartsAndLocked(t *testing.T) {
	needsStack(t)
	stateDir := filepath.Join(t.TempDir(), "dev")
	opts := Options{Root: repoRoot, Config: projectConfig, StateDir: stateDir, BootstrapDir: bootstrapDir}
	first, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res := signin(t, first, "henry", password); res.status != 200 {
		t.Fatalf("sign-up: %d %s", res.status, res.body)
	}
	if second, err := Start(context.Background(), opts); !errors.Is(err, errStateInUse) {
		if second != nil {
			second.Close()
		}
		t.Fatalf("a second stack on the same state: %v, want %v", err, errStateInUse)
	}
	first.Close()
	again, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if again.Pool.ID != first.Pool.ID || mainClient(again) != mainClient(first) {
		t.Errorf("after a restart: pool %s client %+v, want %s %+v", again.Pool.ID, mainClient(again), first.Pool.ID, mainClient(first))
	}
	if res := signin(t, again, "henry", password); res.status != 200 || res.json(t)["is_new"] != false {
		t.Errorf("sign-in after a restart: %d %s", res.status, res.body)
	}
}
