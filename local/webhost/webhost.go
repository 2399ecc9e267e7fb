// Package webhost serves the login page (web/) on an origin of its own, as a static host (S3
// behind CloudFront) does in production, so the browser enforces the API's CORS setting.
// config.js, the page's one setting, is written from the running stack's API URL.
package webhost

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
)

// contentTypes are the only files served, with their types: what the page is made of. Other
// files in the folder (a test, a README) get a 404.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".png":  "image/png",
	".svg":  "image/svg+xml",
}

// Handler serves the page in dir with config.js pointing it at apiURL (the stage's base URL).
// Every answer carries a Content-Security-Policy that lets the page's scripts talk to the API's
// origin only, and a Cache-Control that makes a reload pick up an edit: no-cache (revalidate),
// and no-store for config.js, which changes with every start.
func Handler(dir, apiURL string) (http.Handler, error) {
	api, err := url.Parse(apiURL)
	if err != nil || api.Scheme == "" || api.Host == "" {
		return nil, fmt.Errorf("webhost: API URL %q is not absolute", apiURL)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("webhost: %s is not a folder", dir)
	}
	config := fmt.Sprintf("// Written by make dev: the running stack's API.\nexport const apiBaseUrl = %q;\n", apiURL) // a JS string too
	csp := "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src " + api.Scheme + "://" + api.Host +
		"; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	files := http.FileServerFS(os.DirFS(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		name := path.Clean(r.URL.Path)
		if name == "/" {
			name = "/index.html"
		}
		typ, ok := contentTypes[path.Ext(name)]
		switch {
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		case !ok || strings.Contains(name, "/."):
			http.NotFound(w, r)
		case name == "/config.js":
			h.Set("Content-Type", typ)
			h.Set("Cache-Control", "no-store")
			if r.Method == http.MethodGet {
				_, _ = w.Write([]byte(config))
			}
		default:
			h.Set("Content-Type", typ)
			h.Set("Cache-Control", "no-cache")
			files.ServeHTTP(w, r)
		}
	}), nil
}
