package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// slsInvokeLocal runs `npx sls invoke local` in the service's folder, as a developer would,
// with the Go runner built by TestMain and the state in stateDir.
func slsInvokeLocal(t *testing.T, stateDir string, args ...string) (stdout []byte, stderr string, exitCode int) {
	t.Helper()
	config := os.Getenv("SLS_CONFIG") // to try the plugin before serverless.yml lists it
	if config != "" {
		args = append(args, "--config", config)
	}
	cmd := exec.Command("npx", append([]string{"sls", "invoke", "local"}, args...)...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "GO_INVOKE_LOCAL_BIN="+invokeRunner, "GO_INVOKE_LOCAL_STATE_DIR="+stateDir)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		exitCode = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("npx sls invoke local: %v", err)
	}
	return out.Bytes(), errOut.String(), exitCode
}

// Every file in events/ runs through `sls invoke local` with its function. The first sign-in
// runs with no stack (the runner starts the user pool on the state folder itself), the others
// with a stack running on that folder, as with make dev: both see the same pool and user.
func TestSlsInvokeLocalEvents(t *testing.T) {
	needsStack(t)
	config := os.Getenv("SLS_CONFIG")
	if config == "" {
		config = "serverless.yml"
	}
	yml, err := os.ReadFile(filepath.Join(repoRoot, config))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(yml, []byte("./.serverless_plugins/go-invoke-local.js")) {
		t.Fatalf("%s does not list the plugin; add under plugins:\n  - ./.serverless_plugins/go-invoke-local.js", config)
	}
	files, err := filepath.Glob(filepath.Join(repoRoot, "events", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no events: %v", err)
	}
	sort.Slice(files, func(i, j int) bool { // signin.json first: it runs without a stack
		return filepath.Base(files[i]) == "signin.json" || (filepath.Base(files[j]) != "signin.json" && files[i] < files[j])
	})
	stateRoot := t.TempDir()
	var userID string
	for i, file := range files {
		name := filepath.Base(file)
		if i == 1 {
			startStack(t, func(o *Options) { o.StateDir = filepath.Join(stateRoot, "dev") })
		}
		t.Run(name, func(t *testing.T) {
			fn := functionForEvent(name)
			stdout, stderr, code := slsInvokeLocal(t, stateRoot, "-f", fn, "-p", filepath.Join("events", name))
			if code != 0 {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			if !bytes.HasPrefix(stdout, []byte("{\n    \"")) {
				t.Errorf("stdout is not JSON indented like sls invoke local's: %.80q", stdout)
			}
			var got map[string]any
			if err := json.Unmarshal(stdout, &got); err != nil {
				t.Fatalf("stdout %s: %v", stdout, err)
			}
			switch fn {
			case "autoconfirm":
				if resp, _ := got["response"].(map[string]any); resp["autoConfirmUser"] != true {
					t.Errorf("result = %s", stdout)
				}
			case "session":
				body := proxyBody(t, got)
				if got["statusCode"] != 200.0 || body["username"] != "alice" || body["client_id"] == "" {
					t.Errorf("result = %s", stdout)
				}
			case "pretoken":
				// The samples are of an AWS app client, not the local one: the trigger leaves
				// them as they are (TestPreTokenTriggerThroughInvoke covers the local client).
				if resp, _ := got["response"].(map[string]any); resp == nil || resp["claimsAndScopeOverrideDetails"] != nil {
					t.Errorf("result = %s", stdout)
				}
			case "me":
				body := proxyBody(t, got)
				if got["statusCode"] != 200.0 || body["username"] != "alice" || body["user_id"] == "" {
					t.Errorf("result = %s", stdout)
				}
			case "refresh", "signout", "deleteme":
				// The sample tokens were never issued by this pool: Cognito refuses them, except
				// RevokeToken, which takes an unknown token as revoked already (RFC 7009).
				wantCode, wantStatus := "invalid_token", 401.0
				if name == "signout.json" {
					wantCode, wantStatus = "", 200
				}
				result := got
				if status, proxy := got["statusCode"]; proxy {
					result = proxyBody(t, got)
					if status != wantStatus {
						t.Errorf("statusCode %v, want %v: %s", status, wantStatus, stdout)
					}
				}
				if wantCode == "" && result["status"] != "success" || wantCode != "" && result["error"] != wantCode {
					t.Errorf("result = %s, want %s", stdout, map[bool]string{true: "success", false: wantCode}[wantCode == ""])
				}
			case "signin":
				result := got
				if _, proxy := got["statusCode"]; proxy {
					if got["statusCode"] != 200.0 {
						t.Fatalf("result = %s", stdout)
					}
					result = proxyBody(t, got)
				}
				if result["status"] != "success" {
					t.Fatalf("result = %s", stdout)
				}
				if wantNew := userID == ""; result["is_new"] != wantNew {
					t.Errorf("is_new = %v, want %v", result["is_new"], wantNew)
				}
				if userID == "" {
					userID, _ = result["user_id"].(string)
				} else if result["user_id"] != userID {
					t.Errorf("user_id = %v, want %s (the same pool and user)", result["user_id"], userID)
				}
			}
		})
	}
}

func functionForEvent(file string) string {
	switch {
	case strings.HasPrefix(file, "autoconfirm"):
		return "autoconfirm"
	case strings.HasPrefix(file, "me-delete"):
		return "deleteme"
	case strings.HasPrefix(file, "me"):
		return "me"
	case strings.HasPrefix(file, "refresh"):
		return "refresh"
	case strings.HasPrefix(file, "signout"):
		return "signout"
	case strings.HasPrefix(file, "session"):
		return "session"
	case strings.HasPrefix(file, "pretoken"):
		return "pretoken"
	default:
		return "signin"
	}
}

func proxyBody(t *testing.T, result map[string]any) map[string]any {
	t.Helper()
	s, _ := result["body"].(string)
	var body map[string]any
	if err := json.Unmarshal([]byte(s), &body); err != nil {
		t.Fatalf("body %q: %v", s, err)
	}
	return body
}

// A function's error is printed as Lambda returns it, and the command fails.
func TestSlsInvokeLocalFunctionError(t *testing.T) {
	needsStack(t)
	stdout, stderr, code := slsInvokeLocal(t, t.TempDir(), "-f", "autoconfirm", "-d", `"not an event"`)
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	var got map[string]any
	if err := json.Unmarshal(stdout, &got); err != nil || got["errorMessage"] == nil {
		t.Errorf("stdout = %s (%v)", stdout, err)
	}
}

// Run by hand, the runner reads the configuration itself and needs no stack for a function
// without pool references.
func TestInvokeLocalWithoutStack(t *testing.T) {
	needsStack(t)
	resp, err := InvokeLocal(context.Background(), Options{Root: repoRoot, Config: projectConfig, StateDir: t.TempDir()},
		"me", mustRead(t, filepath.Join(repoRoot, "events", "me.json")), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		StatusCode int `json:"statusCode"`
	}
	if err := json.Unmarshal(resp.Payload, &got); err != nil || resp.FunctionError != "" {
		t.Fatalf("payload %s, function error %q: %v", resp.Payload, resp.FunctionError, err)
	}
	if got.StatusCode != 200 {
		t.Errorf("statusCode = %d", got.StatusCode)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
