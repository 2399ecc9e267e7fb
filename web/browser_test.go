package web

// The login page in a real browser: Debian's chromium, headless, driven over the DevTools
// protocol (chromedp), against the page as local/webhost serves it on an origin of its own and a
// whole local stack (the local user pool, the functions' real bootstraps, the gateway) whose CORS list
// is exactly that origin. It goes through what a person does, in one journey, with the keyboard.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/png"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/signin-api/signin/local/buildcache"
	"github.com/signin-api/signin/local/slsconfig"
	"github.com/signin-api/signin/local/stack"
	"github.com/signin-api/signin/local/webhost"
)

var screenshots = flag.String("screenshots", "", "folder to write the signed-in page's screenshots to (desktop.png, phone.png)")

const password = "Passw0rd-web"

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestLoginPageInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser test needs chromium (apt-get install chromium), node_modules (npm ci) and a local stack; make test runs it")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is not installed (%v): apt-get install chromium (.ci/run installs it when it is missing)", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}

	// The page's origin first: the API's CORS list is exactly it, as a stage deployed with
	// --param corsAllowOrigin=<the page's origin>. Another origin serves the same page.
	pageLn, otherLn := listen(t), listen(t)
	pageOrigin, otherOrigin := "http://"+pageLn.Addr().String(), "http://"+otherLn.Addr().String()
	cfg, err := slsconfig.Load(context.Background(), root, "dev", "", "corsAllowOrigin="+pageOrigin)
	if err != nil {
		t.Fatal(err)
	}
	st := startStack(t, root, cfg)
	page, err := webhost.Handler(filepath.Join(root, "web"), st.APIURL)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, pageLn, page)
	serve(t, otherLn, page)

	ctx := newTab(t, chromium)
	traffic := watchNetwork(t, ctx)
	b := &browser{t: t, ctx: ctx}
	t.Logf("routes of the stack: %v", st.Routes)

	var userID string
	var signinTokens tokens
	steps := []struct {
		name string
		run  func(t *testing.T, b *browser)
	}{
		{"a new account says new and shows a user id", func(t *testing.T, b *browser) {
			b.do(chromedp.Navigate(pageOrigin))
			since := traffic.mark()
			b.signIn("ada", password)
			b.waitVisible("#session")
			if got := b.text("#account-kind"); !strings.HasPrefix(got, "New") {
				t.Errorf("account = %q, want it to say new", got)
			}
			userID = b.text("#user-id")
			if !uuidPattern.MatchString(userID) {
				t.Errorf("user id = %q, want a Cognito sub", userID)
			}
			if got := b.focused(); got != "session-title" {
				t.Errorf("focus on #%s after signing in, want the signed-in heading", got)
			}
			signinTokens = traffic.tokens(t, ctx, "POST", "/signin", since)
			if err := b.screenshots(*screenshots); err != nil {
				t.Error(err)
			}
		}},
		{"after a reload the page asks to sign in again", func(t *testing.T, b *browser) {
			b.do(chromedp.Reload())
			b.waitVisible("#signin-form")
			if !b.hidden("#session") {
				t.Error("still signed in after a reload: the tokens were kept somewhere")
			}
			if stored := b.eval(`JSON.stringify([Object.keys(localStorage), Object.keys(sessionStorage), document.cookie])`); stored != `[[],[],""]` {
				t.Errorf("the page stored something: %s", stored)
			}
		}},
		{"a wrong password says so and keeps the focus in the field", func(t *testing.T, b *browser) {
			b.signIn("ada", "Wr0ng-password")
			b.waitVisible("#problem-text")
			if got := b.text("#problem-text"); !strings.Contains(got, "Wrong password") {
				t.Errorf("message = %q", got)
			}
			if got := b.focused(); got != "password" {
				t.Errorf("focus on #%s, want #password", got)
			}
			if !b.hidden("#session") {
				t.Error("signed in with a wrong password")
			}
		}},
		{"signing in again: the same user id, not new", func(t *testing.T, b *browser) {
			since := traffic.mark()
			b.signIn("ada", password)
			b.waitVisible("#session")
			if got := b.text("#account-kind"); !strings.HasPrefix(got, "Existing") {
				t.Errorf("account = %q, want existing", got)
			}
			if got := b.text("#user-id"); got != userID {
				t.Errorf("user id = %q, want %q", got, userID)
			}
			if got := b.text("#problem-text"); got != "" {
				t.Errorf("the failure is still shown: %q", got)
			}
			signinTokens = traffic.tokens(t, ctx, "POST", "/signin", since)
		}},
		{"GET /me with the ID token", func(t *testing.T, b *browser) {
			b.waitText("#me-username", "ada")
			since := traffic.mark()
			b.do(chromedp.Click(chromedp.CSS("#me")))
			me := traffic.wait(t, "GET", "/me", since)
			if me.status != 200 || me.authorization != signinTokens.ID {
				t.Errorf("GET /me: status %d, sent the ID token: %v", me.status, me.authorization == signinTokens.ID)
			}
		}},
		{"renewing replaces the ID token and keeps the session", func(t *testing.T, b *browser) {
			since := traffic.mark()
			b.do(chromedp.Click(chromedp.CSS("#refresh")))
			renewed := traffic.tokens(t, ctx, "POST", "/refresh", since)
			b.waitText("#status", "Session renewed.")
			if renewed.ID == "" || renewed.ID == signinTokens.ID {
				t.Fatalf("POST /refresh gave no new ID token")
			}
			since = traffic.mark()
			b.do(chromedp.Click(chromedp.CSS("#me")))
			me := traffic.wait(t, "GET", "/me", since)
			if me.status != 200 || me.authorization != renewed.ID {
				t.Errorf("GET /me after the renewal: status %d, sent the new ID token: %v", me.status, me.authorization == renewed.ID)
			}
			if b.hidden("#session") {
				t.Error("signed out by the renewal")
			}
			if renewed.Refresh != "" {
				signinTokens.Refresh = renewed.Refresh
			}
		}},
		{"signing out ends the session: a later refresh fails", func(t *testing.T, b *browser) {
			since := traffic.mark()
			b.do(chromedp.Click(chromedp.CSS("#signout")))
			out := traffic.wait(t, "POST", "/signout", since)
			b.waitVisible("#signin-form")
			if out.status != 200 {
				t.Errorf("POST /signout: %d", out.status)
			}
			if got := b.text("#status"); got != "You are signed out." {
				t.Errorf("status = %q", got)
			}
			if got := b.focused(); got != "username" {
				t.Errorf("focus on #%s after signing out, want #username", got)
			}
			status, body := post(t, st.APIURL+"/refresh", map[string]string{"refresh_token": signinTokens.Refresh})
			if status != 401 || !strings.Contains(body, `"invalid_token"`) {
				t.Errorf("refresh after sign-out: %d %s, want 401 invalid_token", status, body)
			}
		}},
		{"deleting the account, after the confirmation", func(t *testing.T, b *browser) {
			since := traffic.mark()
			b.signIn("ada", password)
			b.waitVisible("#session")
			signed := traffic.tokens(t, ctx, "POST", "/signin", since)
			b.do(chromedp.Click(chromedp.CSS("#delete")))
			b.waitVisible("#delete-dialog")
			if got := b.eval(`document.activeElement.value`); got != "keep" {
				t.Errorf("focus in the confirmation on %q, want the safe choice (keep)", got)
			}
			since = traffic.mark()
			b.do(chromedp.Click(chromedp.CSS("#delete-confirm")))
			del := traffic.wait(t, "DELETE", "/me", since)
			b.waitText("#status", "Your account was deleted.")
			if del.status != 200 || del.authorization != signed.Access {
				t.Errorf("DELETE /me: status %d, sent the access token: %v", del.status, del.authorization == signed.Access)
			}
			// The name is free again: signing in creates a new account.
			b.signIn("ada", password)
			b.waitVisible("#session")
			if got := b.text("#account-kind"); !strings.HasPrefix(got, "New") || b.text("#user-id") == userID {
				t.Errorf("after the deletion: account %q, user id %s (was %s)", got, b.text("#user-id"), userID)
			}
		}},
		{"a page on another origin is refused by the browser", func(t *testing.T, b *browser) {
			b.do(chromedp.Navigate(otherOrigin))
			since := traffic.mark()
			b.signIn("ada", password)
			b.waitVisible("#problem-text")
			if got := b.text("#problem-text"); !strings.Contains(got, "could not be reached") || !strings.Contains(got, "CORS") {
				t.Errorf("message = %q", got)
			}
			refused := traffic.wait(t, "POST", "/signin", since)
			if refused.cors == "" {
				t.Errorf("POST /signin from %s: status %d, failure %q; want the browser's CORS refusal", otherOrigin, refused.status, refused.failure)
			}
			t.Logf("the browser refused %s: %s", otherOrigin, refused.cors)
		}},
	}
	for _, step := range steps {
		ok := t.Run(step.name, func(t *testing.T) {
			b.t = t
			step.run(t, b)
		})
		if !ok {
			return // the journey's later steps build on this one
		}
	}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func serve(t *testing.T, ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
}

// startStack builds every function of cfg and starts a stack of it on free ports.
func startStack(t *testing.T, root string, cfg *slsconfig.Config) *stack.Stack {
	t.Helper()
	var keys []string
	for _, fn := range cfg.Functions {
		keys = append(keys, fn.Key)
	}
	bootstraps := t.TempDir()
	if err := buildcache.Build(context.Background(), root, bootstraps, keys...); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	st, err := stack.Start(context.Background(), stack.Options{
		Root: root, Config: cfg, StateDir: filepath.Join(t.TempDir(), "dev"), BootstrapDir: bootstraps,
		APIAddr: "127.0.0.1:0", LambdaAddr: "127.0.0.1:0", Logs: logs,
	})
	if err != nil {
		t.Fatalf("stack: %v\n%s", err, logs)
	}
	t.Cleanup(func() {
		st.Close()
		if t.Failed() {
			t.Logf("stack logs:\n%s", logs)
		}
	})
	return st
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

// newTab starts chromium headless with a fresh profile and returns a tab's context.
func newTab(t *testing.T, chromium string) context.Context {
	t.Helper()
	profile := t.TempDir() // removed after the browser has stopped (cleanups run last-first)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 800),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser and opens the tab
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// browser runs actions in the tab for the step under way.
type browser struct {
	t   *testing.T
	ctx context.Context
}

// actionTimeout bounds each wait, so that a page that never gets there fails its step, not the
// whole test's deadline.
const actionTimeout = 20 * time.Second

func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatal(err)
	}
}

// signIn types as a person does and presses Enter in the password field.
func (b *browser) signIn(username, password string) {
	b.t.Helper()
	b.eval(`document.getElementById("username").value = document.getElementById("password").value = ""`)
	b.do(
		chromedp.SendKeys(chromedp.CSS("#username"), username),
		chromedp.SendKeys(chromedp.CSS("#password"), password+"\r"),
	)
}

func (b *browser) waitVisible(sel string) {
	b.t.Helper()
	b.do(chromedp.WaitVisible(chromedp.CSS(sel)))
}

// waitText waits until the element's text is want.
func (b *browser) waitText(sel, want string) {
	b.t.Helper()
	expr := fmt.Sprintf(`document.querySelector(%q).textContent === %q`, sel, want)
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		b.t.Fatalf("%s: %v; text is %q, want %q", sel, err, b.text(sel), want)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	return b.eval(fmt.Sprintf(`document.querySelector(%q).textContent`, sel))
}

func (b *browser) hidden(sel string) bool {
	b.t.Helper()
	return b.eval(fmt.Sprintf(`String(document.querySelector(%q).hidden)`, sel)) == "true"
}

func (b *browser) focused() string {
	b.t.Helper()
	return b.eval(`document.activeElement.id`)
}

func (b *browser) eval(expr string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// screenshots writes the page as it is now at a desktop's and a phone's width into dir, when
// dir is set (go test ./web/ -run Chromium -args -screenshots $PWD/web/screenshots).
func (b *browser) screenshots(dir string) error {
	if dir == "" {
		return nil
	}
	for _, shot := range []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"desktop.png", 1280, 720, false}, {"phone.png", 390, 844, true}} {
		emulate := chromedp.EmulateViewport(shot.width, shot.height)
		if shot.mobile {
			emulate = chromedp.EmulateViewport(shot.width, shot.height, chromedp.EmulateMobile, chromedp.EmulateScale(2))
		}
		if err := chromedp.Do(b.ctx, emulate); err != nil {
			return err
		}
		buf, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
		if err != nil {
			return err
		}
		if buf, err = recompress(buf); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, shot.name), buf, 0o644); err != nil {
			return err
		}
	}
	return chromedp.Do(b.ctx, chromedp.EmulateViewport(1280, 800))
}

// recompress re-encodes a PNG at the best compression, to keep the committed files small.
func recompress(buf []byte) ([]byte, error) {
	img, _, err := image.Decode(bytes.NewReader(buf))
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	err = enc.Encode(&out, img)
	return out.Bytes(), err
}

// post sends a JSON body from outside the browser, as anyone holding a token could.
func post(t *testing.T, url string, body any) (int, string) {
	t.Helper()
	data, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.String()
}

// exchange is one request the page made, as the browser saw it.
type exchange struct {
	seq           int
	method, url   string
	authorization string
	status        int64
	done          bool   // finished or failed
	failure       string // the network error, when it failed
	cors          string // the CORS error, when the browser refused the answer
	id            network.RequestID
}

// tokens are the tokens of a sign-in's or a renewal's answer.
type tokens struct {
	ID      string `json:"id_token"`
	Access  string `json:"access_token"`
	Refresh string `json:"refresh_token"`
}

// netlog records the page's requests from the browser's Network events; one lock owns it, and
// every change is broadcast by closing changed.
type netlog struct {
	mu      sync.Mutex
	byID    map[network.RequestID]*exchange
	seq     int
	changed chan struct{}
}

func watchNetwork(t *testing.T, ctx context.Context) *netlog {
	t.Helper()
	n := &netlog{byID: map[network.RequestID]*exchange{}, changed: make(chan struct{})}
	// One listener, in the browser's order: a request's answer is recorded before its end.
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			auth, _ := ev.Request.Headers["Authorization"].(string)
			n.update(ev.RequestID, func(x *exchange) { x.method, x.url, x.authorization = ev.Request.Method, ev.Request.URL, auth })
		case *network.EventResponseReceived:
			n.update(ev.RequestID, func(x *exchange) { x.status = ev.Response.Status })
		case *network.EventLoadingFinished:
			n.update(ev.RequestID, func(x *exchange) { x.done = true })
		case *network.EventLoadingFailed:
			n.update(ev.RequestID, func(x *exchange) {
				x.done, x.failure = true, ev.ErrorText
				if ev.CorsErrorStatus != nil {
					x.cors = string(ev.CorsErrorStatus.CorsError)
				}
			})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (n *netlog) update(id network.RequestID, change func(*exchange)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	x := n.byID[id]
	if x == nil {
		n.seq++
		x = &exchange{seq: n.seq, id: id}
		n.byID[id] = x
	}
	change(x)
	close(n.changed)
	n.changed = make(chan struct{})
}

// mark is the point after which wait looks for a request.
func (n *netlog) mark() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.seq
}

// wait returns the first request to the API path made after since, once it is done.
func (n *netlog) wait(t *testing.T, method, path string, since int) exchange {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		n.mu.Lock()
		var found *exchange
		for _, x := range n.byID {
			if x.seq > since && x.method == method && strings.HasSuffix(x.url, path) && (found == nil || x.seq < found.seq) {
				found = x
			}
		}
		changed := n.changed
		if found != nil && found.done {
			x := *found
			n.mu.Unlock()
			return x
		}
		n.mu.Unlock()
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("the page made no %s %s (or it never ended)", method, path)
		}
	}
}

// tokens waits for the request and reads the tokens of its answer.
func (n *netlog) tokens(t *testing.T, ctx context.Context, method, path string, since int) tokens {
	t.Helper()
	x := n.wait(t, method, path, since)
	if x.status != 200 {
		t.Fatalf("%s %s: status %d %s %s", method, path, x.status, x.failure, x.cors)
	}
	res, err := chromedp.Call(ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: x.id})
	if err != nil {
		t.Fatalf("%s %s: body: %v", method, path, err)
	}
	var got tokens
	if err := json.Unmarshal(res.Body, &got); err != nil || got.ID == "" || got.Access == "" {
		t.Fatalf("%s %s: no tokens in the answer (%v)", method, path, err)
	}
	return got
}
