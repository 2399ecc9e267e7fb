package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/signin-api/signin/local/buildcache"
)

// freePorts returns n ports nothing listens on at the moment.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

func buildDev(t *testing.T) (bin, root string) {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	bin = filepath.Join(t.TempDir(), "dev")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin, root
}

// make dev, then Ctrl-C: every child process stops, no port stays bound, and nothing is said on
// stderr (no error for a stop the user asked for).
func TestInterruptStopsEverything(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: needs node_modules (npm ci) for sls print, and builds every function; run make test")
	}
	if runtime.GOOS != "linux" {
		t.Skip("counts the stack's processes in Linux's /proc")
	}
	bin, root := buildDev(t)
	tmp := t.TempDir()
	bootstraps := filepath.Join(tmp, "bootstraps")
	// Every folder under functions/ is a function, as the Makefile builds them.
	mains, err := filepath.Glob(filepath.Join(root, "functions", "*", "main.go"))
	if err != nil || len(mains) == 0 {
		t.Fatalf("functions: %v %v", mains, err)
	}
	var keys []string
	for _, m := range mains {
		keys = append(keys, filepath.Base(filepath.Dir(m)))
	}
	if err := buildcache.Build(context.Background(), root, bootstraps, keys...); err != nil {
		t.Fatal(err)
	}
	ports := freePorts(t, 4)
	stateDir := filepath.Join(tmp, "state")
	pageOrigin := fmt.Sprintf("http://127.0.0.1:%d", ports[3])
	cmd := exec.Command(bin, "--root", root, "--bootstrap-dir", bootstraps, "--state-dir", stateDir,
		"--api-port", strconv.Itoa(ports[0]), "--lambda-port", strconv.Itoa(ports[1]), "--cognito-port", strconv.Itoa(ports[2]),
		"--web-port", strconv.Itoa(ports[3]), "--param", "corsAllowOrigin="+pageOrigin)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() }) // only if the test failed half-way
	ready := make(chan string, 1)                // the output up to the banner's last line
	go func() {
		var output bytes.Buffer
		sc := bufio.NewScanner(stdout)
		signalled := false
		for sc.Scan() {
			output.WriteString(sc.Text() + "\n")
			if !signalled && strings.Contains(sc.Text(), "Ctrl-C stops everything") {
				ready <- output.String()
				signalled = true
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var banner string
	select {
	case banner = <-ready:
	case <-time.After(2 * time.Minute):
		t.Fatalf("not ready\nstderr: %s", stderr.String())
	}

	// The login page is served on its own origin, pointed at this stack's API, and the API
	// answers that exact origin, the --param's list.
	apiURL := fmt.Sprintf("http://127.0.0.1:%d/dev", ports[0])
	if !strings.Contains(banner, "Login page  "+pageOrigin) {
		t.Errorf("banner does not name the login page %s:\n%s", pageOrigin, banner)
	}
	config := get(t, pageOrigin+"/config.js", nil)
	if !strings.Contains(config.body, `"`+apiURL+`"`) {
		t.Errorf("config.js = %q, want the API URL %s", config.body, apiURL)
	}
	preflight := get(t, apiURL+"/signin", map[string]string{"Origin": pageOrigin, "Access-Control-Request-Method": "POST"}, "OPTIONS")
	if got := preflight.header.Get("Access-Control-Allow-Origin"); got != pageOrigin {
		t.Errorf("preflight Access-Control-Allow-Origin = %q, want the page's origin %s (the --param)", got, pageOrigin)
	}

	// Start the functions' processes with a sign-up.
	api := apiURL + "/signin"
	resp, err := http.Post(api, "application/json", strings.NewReader(`{"username":"frank","password":"Passw0rd-dev"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("sign-up: %d", resp.StatusCode)
	}
	before := processesUsing(t, bootstraps, stateDir)
	if len(before) < 2 { // signin, autoconfirm
		t.Errorf("processes before Ctrl-C: %v, want the two functions", before)
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit: %v\nstderr: %s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("still running 30 s after SIGINT")
	}
	for _, p := range ports {
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			t.Errorf("port %d still bound after Ctrl-C: %v", p, err)
			continue
		}
		ln.Close()
	}
	if left := processesUsing(t, bootstraps, stateDir); len(left) > 0 {
		t.Errorf("processes left after Ctrl-C: %v", left)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr after Ctrl-C: %q, want nothing", stderr.String())
	}
}

type answer struct {
	header http.Header
	body   string
}

// get sends one request (GET unless a method is given) and fails the test unless it is a 200.
func get(t *testing.T, url string, headers map[string]string, method ...string) answer {
	t.Helper()
	m := http.MethodGet
	if len(method) > 0 {
		m = method[0]
	}
	req, err := http.NewRequest(m, url, nil)
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
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: %d %s", m, url, resp.StatusCode, body)
	}
	return answer{resp.Header, string(body)}
}

// processesUsing lists the processes (Linux /proc) whose executable or working directory is
// under one of dirs (the bootstraps, the state folder).
func processesUsing(t *testing.T, dirs ...string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		for _, link := range []string{"exe", "cwd"} {
			target, err := os.Readlink(filepath.Join("/proc", e.Name(), link))
			if err != nil {
				continue
			}
			for _, d := range dirs {
				if strings.HasPrefix(target, d) {
					found = append(found, e.Name()+" "+link+"="+target)
				}
			}
		}
	}
	return found
}

// A taken login page port is reported with its flag before anything starts.
func TestTakenWebPort(t *testing.T) {
	bin, root := buildDev(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	ports := freePorts(t, 3)
	port := strconv.Itoa(taken.Addr().(*net.TCPAddr).Port)
	stateDir := filepath.Join(t.TempDir(), "state")
	cmd := exec.Command(bin, "--root", root, "--state-dir", stateDir, "--api-port", strconv.Itoa(ports[0]),
		"--lambda-port", strconv.Itoa(ports[1]), "--cognito-port", strconv.Itoa(ports[2]), "--web-port", port)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("dev started on a taken port:\n%s", out)
	}
	if want := movePort("--web-port", port); !strings.Contains(string(out), "web port: 127.0.0.1:"+port) || !strings.Contains(string(out), want) {
		t.Errorf("message does not name the port and %s:\n%s", want, out)
	}
	if _, err := os.Stat(stateDir); !os.IsNotExist(err) {
		t.Errorf("state folder made before the port check: %v", err)
	}
}

// A taken port is reported, with the flag that changes it, before anything starts.
func TestTakenPort(t *testing.T) {
	bin, root := buildDev(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	ports := freePorts(t, 3)
	port := strconv.Itoa(taken.Addr().(*net.TCPAddr).Port)
	stateDir := filepath.Join(t.TempDir(), "state")
	cmd := exec.Command(bin, "--root", root, "--state-dir", stateDir,
		"--api-port", strconv.Itoa(ports[0]), "--lambda-port", port, "--cognito-port", strconv.Itoa(ports[1]), "--web-port", strconv.Itoa(ports[2]))
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("dev started on a taken port:\n%s", out)
	}
	if want := movePort("--lambda-port", port); !strings.Contains(string(out), "127.0.0.1:"+port) || !strings.Contains(string(out), want) {
		t.Errorf("message does not name the port and %s:\n%s", want, out)
	}
	if _, err := os.Stat(stateDir); !os.IsNotExist(err) {
		t.Errorf("state folder made before the port check: %v", err)
	}
}

// movePort is what the port-in-use message tells a make dev user to set: DEV_FLAGS with the
// port's flag and the port 100 up.
func movePort(flag, port string) string {
	n, _ := strconv.Atoi(port)
	return fmt.Sprintf("DEV_FLAGS='%s %d'", flag, n+100)
}
