// Package webhost serves the login page (web/) on an origin of its own, the way a static host
// (S3 behind CloudFront, say) serves it in production: a different origin from the API's, so
// the browser enforces the API's CORS setting. config.js, the page's one setting, is written
// here from the running stack's API URL instead of being read from the folder.
package webhost

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
)

// contentTypes are the only files served, each with its type: what the page is made of. Other
// files in the folder (a test, a README) are not part of the page and get a 404.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".png":  "image/png",
	".svg":  "image/svg+xml",
}

// Handler serves the page in dir, with config.js pointing it at apiURL (the stage's base URL,
// "http://127.0.0.1:3000/dev"). Every answer carries a Content-Security-Policy that lets the
// page's scripts talk to the API's origin only, and a Cache-Control that makes a reload pick
// up an edit: no-cache (revalidate) for the files, no-store for config.js, which changes with
// every start.
func Handler(dir, apiURL string) (http.Handler, error) {
	api, err := url.Parse(apiURL)
	if err != nil || api.Scheme == "" || api.Host == "" {
		return nil, fmt.Errorf("webhost: API URL %q is not absolute", apiURL)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("webhost: %s is not a folder", dir)
	}
	quoted, err := json.Marshal(apiURL)
	if err != nil {
		return nil, err
	}
	config := []byte("// Written by make dev: the running stack's API.\nexport const apiBaseUrl = " + string(quoted) + ";\n")
	csp := "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src " + api.Scheme + "://" + api.Host +
		"; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	files := http.FileServerFS(os.DirFS(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := path.Clean(r.URL.Path)
		if name == "/" {
			name = "/index.html"
		}
		typ, ok := contentTypes[path.Ext(name)]
		if !ok || strings.Contains(name, "/.") {
			http.NotFound(w, r)
			return
		}
		h.Set("Content-Type", typ)
		if name == "/config.js" {
			h.Set("Cache-Control", "no-store")
			if r.Method == http.MethodGet {
				_, _ = w.Write(config)
			}
			return
		}
		h.Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	}), nil
}
