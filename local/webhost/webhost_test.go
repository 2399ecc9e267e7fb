package webhost

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func page(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{
		"index.html":         "<!doctype html><title>t</title>",
		"app.js":             "import {apiBaseUrl} from './config.js';",
		"style.css":          "body{}",
		"config.js":          "export const apiBaseUrl = 'http://example.invalid';",
		"browser_test.go":    "package web",
		".secret.js":         "no",
		"shots/desktop.png":  "\x89PNG",
		"shots/notes.txt":    "no",
		"shots/.hidden.html": "no",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestHandler(t *testing.T) {
	h, err := Handler(page(t), "http://127.0.0.1:3000/dev")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, path string
		status       int
		contentType  string
		cache        string
		body         string
	}{
		{"GET", "/", 200, "text/html; charset=utf-8", "no-cache", "<!doctype html>"},
		{"GET", "/app.js", 200, "text/javascript; charset=utf-8", "no-cache", "import"},
		{"GET", "/style.css", 200, "text/css; charset=utf-8", "no-cache", "body{}"},
		{"GET", "/shots/desktop.png", 200, "image/png", "no-cache", "\x89PNG"},
		// The stack's URL, not the folder's file, and never cached.
		{"GET", "/config.js", 200, "text/javascript; charset=utf-8", "no-store", `export const apiBaseUrl = "http://127.0.0.1:3000/dev";`},
		{"HEAD", "/config.js", 200, "text/javascript; charset=utf-8", "no-store", ""},
		{"GET", "/browser_test.go", 404, "", "", ""},
		{"GET", "/shots/notes.txt", 404, "", "", ""},
		{"GET", "/.secret.js", 404, "", "", ""},
		{"GET", "/shots/.hidden.html", 404, "", "", ""},
		{"GET", "/shots/", 404, "", "", ""},
		{"GET", "/missing.js", 404, "", "", ""},
		{"GET", "/../webhost.go", 404, "", "", ""},
		{"POST", "/", 405, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d (%s)", rec.Code, tt.status, rec.Body)
			}
			got := rec.Header()
			if csp := got.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src http://127.0.0.1:3000;") || !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("Content-Security-Policy = %q", csp)
			}
			if got.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("no nosniff")
			}
			if tt.status != 200 {
				return
			}
			if ct := got.Get("Content-Type"); ct != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", ct, tt.contentType)
			}
			if cc := got.Get("Cache-Control"); cc != tt.cache {
				t.Errorf("Cache-Control = %q, want %q", cc, tt.cache)
			}
			if !strings.Contains(rec.Body.String(), tt.body) || (tt.body == "" && rec.Body.Len() > 0) {
				t.Errorf("body = %q, want it to hold %q", rec.Body, tt.body)
			}
		})
	}
}

func TestHandlerRefusesBadSettings(t *testing.T) {
	dir := page(t)
	for _, tt := range []struct{ dir, api string }{
		{dir, "/dev"},
		{dir, "127.0.0.1:3000/dev"},
		{filepath.Join(dir, "missing"), "http://127.0.0.1:3000/dev"},
		{filepath.Join(dir, "index.html"), "http://127.0.0.1:3000/dev"},
	} {
		if _, err := Handler(tt.dir, tt.api); err == nil {
			t.Errorf("Handler(%q, %q): no error", tt.dir, tt.api)
		}
	}
}

// The handler serves the real page: every file index.html names exists with its type.
func TestServesTheProjectPage(t *testing.T) {
	h, err := Handler("../../web", "http://127.0.0.1:3000/dev")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/", "/app.js", "/style.css", "/config.js"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
		if rec.Code != 200 {
			t.Errorf("GET %s: %d", p, rec.Code)
		}
	}
}
