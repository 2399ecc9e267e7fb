package apigw

import "strings"

// CORS is the set of browser origins allowed to read the answers: an exact list for
// production, or "*" (any origin) for development.
type CORS struct {
	anyOrigin bool
	origins   map[string]bool
}

// ParseCORS reads a comma-separated list of exact origins (https://app.example.com), or "*".
// An empty value allows no cross-origin reader.
func ParseCORS(value string) CORS {
	c := CORS{origins: map[string]bool{}}
	for _, o := range strings.Split(value, ",") {
		switch o = strings.TrimSpace(o); o {
		case "":
		case "*":
			c.anyOrigin = true
		default:
			c.origins[strings.TrimRight(o, "/")] = true
		}
	}
	return c
}

// AddHeaders adds the CORS headers for a request from origin to h. With a list, the origin is
// echoed only when it is on the list, and Vary: Origin keeps caches from mixing answers. An
// allowed origin may read Retry-After, which a browser hides from scripts otherwise.
func (c CORS) AddHeaders(h map[string]string, origin string) {
	switch {
	case c.anyOrigin:
		h["Access-Control-Allow-Origin"] = "*"
	case len(c.origins) == 0:
		return
	default:
		h["Vary"] = "Origin"
		if origin == "" || !c.origins[origin] {
			return
		}
		h["Access-Control-Allow-Origin"] = origin
	}
	h["Access-Control-Expose-Headers"] = "Retry-After"
}
