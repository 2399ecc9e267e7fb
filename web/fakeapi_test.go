package web

// The page's handling of every answer the contract allows, in chromium, against a fake API that
// answers what each case needs (fault injection): the failure messages, the retry button, the
// wait of a 429, the renewal by itself and on a 401, sign-out on every device, and the deletion's
// confirmation. The real stack's journey is in browser_test.go.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/signin-api/signin/local/webhost"
)

// answer is one canned reply of the fake API; noCORS leaves out the CORS headers, so the
// browser refuses the answer as it refuses a network failure: the page cannot tell them apart.
type answer struct {
	status int
	body   string
	header map[string]string
	noCORS bool
}

// seen is one request the fake API received.
type seen struct {
	route, authorization, body string
}

// fakeAPI answers each route ("POST /signin") from its queue, repeating the last answer, with
// CORS headers for any origin.
type fakeAPI struct {
	mu      sync.Mutex
	answers map[string][]answer
	got     []seen
	changed chan struct{} // closed and replaced on every request
}

func (f *fakeAPI) set(route string, answers ...answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers[route] = answers
}

// waitRequests waits until the fake has received n requests on route, and returns them.
func (f *fakeAPI) waitRequests(t *testing.T, route string, n int) []seen {
	t.Helper()
	timeout := time.After(actionTimeout)
	for {
		f.mu.Lock()
		changed := f.changed
		f.mu.Unlock()
		if got := f.requests(route); len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("%s: %d requests, want %d", route, len(f.requests(route)), n)
		}
	}
}

// requests returns what the fake received on route.
func (f *fakeAPI) requests(route string) []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []seen
	for _, s := range f.got {
		if s.route == route {
			out = append(out, s)
		}
	}
	return out
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	cors := func() {
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Headers", "Authorization,Content-Type")
		h.Set("Access-Control-Allow-Methods", "OPTIONS,GET,POST,DELETE")
		h.Set("Access-Control-Expose-Headers", "Retry-After")
	}
	if r.Method == http.MethodOptions {
		cors()
		return
	}
	body, _ := io.ReadAll(r.Body)
	route := r.Method + " " + strings.TrimPrefix(r.URL.Path, "/dev")
	f.mu.Lock()
	f.got = append(f.got, seen{route, r.Header.Get("Authorization"), string(body)})
	close(f.changed)
	f.changed = make(chan struct{})
	queue := f.answers[route]
	a := answer{status: http.StatusForbidden, body: `{"message":"Missing Authentication Token"}`}
	if len(queue) > 0 {
		a = queue[0]
		if len(queue) > 1 {
			f.answers[route] = queue[1:]
		}
	}
	f.mu.Unlock()
	if !a.noCORS {
		cors()
	}
	for k, v := range a.header {
		h.Set(k, v)
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

// startFake serves the page on its own origin against a fake API and opens it in chromium.
func startFake(t *testing.T) (*fakeAPI, *browser, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("the browser test needs chromium (apt-get install chromium); make test runs it")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is not installed (%v): apt-get install chromium (.ci/run installs it when it is missing)", err)
	}
	api := &fakeAPI{answers: map[string][]answer{}, changed: make(chan struct{})}
	apiServer := httptest.NewServer(api)
	t.Cleanup(apiServer.Close)
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	page, err := webhost.Handler(filepath.Join(root, "web"), apiServer.URL+"/dev")
	if err != nil {
		t.Fatal(err)
	}
	ln := listen(t)
	serve(t, ln, page)
	return api, &browser{t: t, ctx: newTab(t, chromium)}, "http://" + ln.Addr().String()
}

func signedIn(n int, expiresIn int) answer {
	return answer{status: 200, body: fmt.Sprintf(`{"status":"success","user_id":"u-1","is_new":true,"id_token":"id-%d",`+
		`"access_token":"access-%d","refresh_token":"refresh-%d","expires_in":%d,"token_type":"Bearer"}`, n, n, n, expiresIn)}
}

func renewed(n int) answer {
	return answer{status: 200, body: fmt.Sprintf(`{"status":"success","user_id":"u-1","id_token":"id-%d",`+
		`"access_token":"access-%d","expires_in":3600,"token_type":"Bearer"}`, n, n)}
}

func failure(status int, code, msg string, extra ...string) answer {
	body := map[string]any{"status": "fail", "error": code, "msg": msg}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i]] = json.RawMessage(extra[i+1])
	}
	data, _ := json.Marshal(body)
	return answer{status: status, body: string(data)}
}

var me = answer{status: 200, body: `{"user_id":"u-1","username":"ada"}`}

func TestFailureMessages(t *testing.T) {
	api, b, origin := startFake(t)
	api.set("GET /me", me)
	tests := []struct {
		name    string
		answer  answer
		want    string // in the message
		focus   string // the field that has the focus after it
		retry   bool   // a "Try again" button
		waitFor int    // seconds Continue stays disabled
	}{
		{"wrong password", failure(401, "invalid_credentials", "The username or password is incorrect."),
			"Wrong password for this username.", "password", false, 0},
		{"too many attempts, wait from Retry-After", answer{status: 429, header: map[string]string{"Retry-After": "2"},
			body: `{"status":"fail","error":"too_many_attempts","msg":"Too many failed attempts.","retry_after":2}`},
			"Too many wrong passwords. You can try again in 2 seconds.", "password", false, 2},
		{"throttled, wait from retry_after", failure(429, "too_many_requests", "Too many requests.", "retry_after", "1"),
			"The service is busy right now. Please try again in 1 second.", "password", true, 1},
		{"weak password: the policy from msg", failure(400, "invalid_password", "Password must have uppercase characters."),
			"Please choose a stronger password. Password must have uppercase characters.", "password", false, 0},
		{"bad username", failure(400, "invalid_request", "The username must not contain whitespace."),
			"The username must not contain whitespace.", "username", false, 0},
		{"service unavailable", failure(503, "service_unavailable", "The sign-in service is temporarily unavailable."),
			"The sign-in service is unavailable right now.", "password", true, 0},
		{"our failure", failure(500, "internal_error", "Something went wrong."), "Something went wrong on our side.", "password", true, 0},
		{"network or CORS failure", answer{status: 200, noCORS: true}, "The sign-in service could not be reached.", "password", true, 0},
		{"a challenge", failure(403, "challenge_required", "A challenge is required.", "challenge", `"NEW_PASSWORD_REQUIRED"`),
			"This account needs another sign-in step", "password", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b.t = t
			api.set("POST /signin", tt.answer, signedIn(1, 3600))
			b.do(chromedp.Navigate(origin))
			b.signIn("ada", password)
			b.waitVisible("#problem-text")
			if got := b.text("#problem-text"); !strings.HasPrefix(got, tt.want) {
				t.Errorf("message = %q, want %q", got, tt.want)
			}
			if got := b.focused(); got != tt.focus {
				t.Errorf("focus on #%s, want #%s", got, tt.focus)
			}
			if got := !b.hidden("#retry"); got != tt.retry {
				t.Errorf("Try again shown: %v, want %v", got, tt.retry)
			}
			if tt.waitFor > 0 {
				if b.eval(`String(document.getElementById("continue").disabled)`) != "true" {
					t.Error("Continue is enabled during the wait")
				}
				b.waitText("#status", "You can try again now.")
				if b.eval(`String(document.getElementById("continue").disabled)`) != "false" {
					t.Error("Continue is still disabled after the wait")
				}
			}
			if tt.retry {
				b.do(chromedp.Click(chromedp.CSS("#retry")))
				b.waitVisible("#session")
				if got := b.text("#problem-text"); got != "" {
					t.Errorf("the failure is still shown after the retry: %q", got)
				}
			}
		})
	}
}

// A failure that says the account was created is sent once more, which signs in.
func TestAccountCreatedIsRetried(t *testing.T) {
	api, b, origin := startFake(t)
	api.set("GET /me", me)
	api.set("POST /signin", failure(503, "service_unavailable", "unavailable", "account_created", "true"), signedIn(1, 3600))
	b.do(chromedp.Navigate(origin))
	b.signIn("ada", password)
	b.waitVisible("#session")
	if n := len(api.requests("POST /signin")); n != 2 {
		t.Errorf("%d sign-in requests, want 2", n)
	}
}

// Which token goes where, renewals (by itself before the expiry, and on a 401), sign-out on
// every device, and the deletion's confirmation.
func TestSessionCalls(t *testing.T) {
	api, b, origin := startFake(t)
	api.set("GET /me", me)
	api.set("POST /refresh", renewed(2))

	// Tokens that expire in 8 s are renewed half-way, with no click.
	api.set("POST /signin", signedIn(1, 8))
	b.do(chromedp.Navigate(origin))
	b.signIn("ada", password)
	b.waitVisible("#session")
	b.waitText("#status", "Session renewed.")
	if got := api.requests("POST /refresh"); len(got) != 1 || got[0].body != `{"refresh_token":"refresh-1"}` {
		t.Fatalf("renewal requests = %+v, want one with refresh-1", got)
	}
	if got := api.requests("GET /me"); len(got) == 0 || got[0].authorization != "id-1" {
		t.Errorf("GET /me = %+v, want the ID token id-1", got)
	}

	// A 401 from /me: renew once and call again with the new ID token.
	api.set("GET /me", answer{status: 401, body: `{"message":"Unauthorized"}`}, me)
	api.set("POST /refresh", renewed(3))
	before := len(api.requests("GET /me"))
	b.do(chromedp.Click(chromedp.CSS("#me")))
	calls := api.waitRequests(t, "GET /me", before+2)
	if last := calls[len(calls)-1]; last.authorization != "id-3" {
		t.Errorf("GET /me after the 401 sent %q, want the renewed id-3", last.authorization)
	}
	// The renewal kept the refresh token, which it did not rotate.
	if got := api.requests("POST /refresh"); got[len(got)-1].body != `{"refresh_token":"refresh-1"}` {
		t.Errorf("second renewal = %+v", got[len(got)-1])
	}

	// Sign out on every device: the refresh token, and the access token in Authorization.
	api.set("POST /signout", answer{status: 200, body: `{"status":"success"}`})
	b.do(chromedp.Click(chromedp.CSS("#everywhere")), chromedp.Click(chromedp.CSS("#signout")))
	b.waitText("#status", "You are signed out on every device.")
	if got := api.requests("POST /signout"); len(got) != 1 || got[0].authorization != "access-3" ||
		got[0].body != `{"refresh_token":"refresh-1","everywhere":true}` {
		t.Errorf("sign-out = %+v", got)
	}
	if got := b.focused(); got != "username" {
		t.Errorf("focus on #%s after signing out", got)
	}

	// Deleting asks first; Escape keeps the account and gives the focus back.
	api.set("POST /signin", signedIn(4, 3600))
	api.set("DELETE /me", answer{status: 200, body: `{"status":"success"}`})
	b.signIn("ada", password)
	b.waitVisible("#session")
	b.do(chromedp.Click(chromedp.CSS("#delete")))
	b.waitVisible("#delete-dialog")
	if got := b.text("#delete-username"); got != "ada" {
		t.Errorf("the confirmation names %q", got)
	}
	b.do(chromedp.KeyEvent(kb.Escape))
	b.do(chromedp.WaitNotVisible(chromedp.CSS("#delete-dialog")))
	if got := b.focused(); got != "delete" {
		t.Errorf("focus on #%s after keeping the account, want #delete", got)
	}
	if n := len(api.requests("DELETE /me")); n != 0 {
		t.Fatalf("%d deletions without a confirmation", n)
	}
	b.do(chromedp.Click(chromedp.CSS("#delete")), chromedp.Click(chromedp.CSS("#delete-confirm")))
	b.waitText("#status", "Your account was deleted.")
	if got := api.requests("DELETE /me"); len(got) != 1 || got[0].authorization != "access-4" {
		t.Errorf("deletion = %+v, want one with the access token access-4", got)
	}

	// A refused renewal ends the session.
	api.set("POST /signin", signedIn(5, 3600))
	api.set("POST /refresh", failure(401, "invalid_token", "The refresh token is invalid."))
	b.signIn("ada", password)
	b.waitVisible("#session")
	b.do(chromedp.Click(chromedp.CSS("#refresh")))
	b.waitVisible("#signin-form")
	if got := b.text("#problem-text"); got != "Your session has ended. Please sign in again." {
		t.Errorf("message = %q", got)
	}
}
