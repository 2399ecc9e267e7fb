package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/signin-api/signin/local/slsconfig"
)

// responseType is an API Gateway gateway response type, with the status, message and error
// type API Gateway answers with when no gateway response customises it.
type responseType struct {
	Name      string
	Status    int
	Message   string
	ErrorType string
}

// The gateway responses the local gateway gives.
var (
	missingAuthenticationToken = responseType{"MISSING_AUTHENTICATION_TOKEN", http.StatusForbidden, "Missing Authentication Token", "MissingAuthenticationTokenException"}
	unauthorized               = responseType{"UNAUTHORIZED", http.StatusUnauthorized, "Unauthorized", "UnauthorizedException"}
	requestTooLarge            = responseType{"REQUEST_TOO_LARGE", http.StatusRequestEntityTooLarge, "Request Too Long", "RequestTooLargeException"}
	throttled                  = responseType{"THROTTLED", http.StatusTooManyRequests, "Too Many Requests", "TooManyRequestsException"}
	badRequestBody             = responseType{"BAD_REQUEST_BODY", http.StatusBadRequest, "Invalid request body", "BadRequestException"}
	integrationTimeoutResponse = responseType{"INTEGRATION_TIMEOUT", http.StatusGatewayTimeout, "Endpoint request timed out", ""}
	// internalError is API Gateway's answer to a function error, a function timeout, or a
	// malformed proxy response: 502 under the DEFAULT_5XX gateway response.
	internalError = responseType{"DEFAULT_5XX", http.StatusBadGateway, "Internal server error", "InternalServerErrorException"}
)

// gatewayError answers with one of API Gateway's own responses, customised by the stack's
// gateway response for the type, or else by DEFAULT_4XX or DEFAULT_5XX.
func (g *Gateway) gatewayError(w http.ResponseWriter, r *http.Request, req *request, t responseType) {
	status := t.Status
	gr, ok := g.cfg.GatewayResponses[t.Name]
	if !ok {
		if status < 500 {
			gr, ok = g.cfg.GatewayResponses["DEFAULT_4XX"]
		} else {
			gr, ok = g.cfg.GatewayResponses["DEFAULT_5XX"]
		}
	}
	headers := map[string]string{}
	if t.ErrorType != "" {
		headers["X-Amzn-Errortype"] = t.ErrorType
	}
	body := mustJSON(map[string]string{"message": t.Message})
	if ok {
		if gr.StatusCode != 0 {
			status = gr.StatusCode
		}
		for name, source := range gr.Headers {
			if v, found := headerValue(source, r); found {
				headers[name] = v
			}
		}
		if gr.Template != "" {
			body = []byte(renderTemplate(gr.Template, t.Message, req.id))
		}
	}
	g.writeJSON(w, r, req, status, headers, body)
}

// templateVTL finds what a template asks of Velocity beyond the variables renderTemplate fills in.
var templateVTL = regexp.MustCompile(`\$!?\{?[A-Za-z]|#(set|if|elseif|else|end|foreach|define|macro|parse|include|evaluate|break|stop)\b`)

// checkResponse refuses what the local gateway cannot answer as API Gateway would: header
// values from anything but a literal or a request header, and templates with VTL beyond the
// $context variables renderTemplate fills in.
func checkResponse(gr slsconfig.GatewayResponse) error {
	if gr.StatusCode != 0 && (gr.StatusCode < 100 || gr.StatusCode > 599) {
		return fmt.Errorf("status %d", gr.StatusCode)
	}
	for name, source := range gr.Headers {
		if !isLiteral(source) && !strings.HasPrefix(source, "method.request.header.") {
			return fmt.Errorf("header %s from %s (only 'literal' values and method.request.header.* are)", name, source)
		}
	}
	rest := contextReplacer("", "", "").Replace(gr.Template)
	if vtl := templateVTL.FindString(rest); vtl != "" {
		return fmt.Errorf("template %q uses %s... (only $context.error.messageString, $context.error.message and $context.requestId are)", gr.Template, vtl)
	}
	return nil
}

func isLiteral(source string) bool {
	return len(source) >= 2 && strings.HasPrefix(source, "'") && strings.HasSuffix(source, "'")
}

// headerValue resolves a gateway response header source: a quoted literal or a request header.
// A request header the request lacks gives no header.
func headerValue(source string, r *http.Request) (string, bool) {
	if isLiteral(source) {
		return source[1 : len(source)-1], true
	}
	if name, ok := strings.CutPrefix(source, "method.request.header."); ok {
		v := r.Header.Get(name)
		return v, v != ""
	}
	return "", false
}

// renderTemplate fills in the $context variables a gateway response template commonly uses.
func renderTemplate(tmpl, message, requestID string) string {
	return contextReplacer(string(mustJSON(message)), message, requestID).Replace(tmpl)
}

// contextReplacer replaces the $context variables renderTemplate fills in with the values given.
func contextReplacer(messageString, message, requestID string) *strings.Replacer {
	return strings.NewReplacer(
		"$context.error.messageString", messageString,
		"$context.error.message", message,
		"$context.requestId", requestID,
	)
}

func mustJSON(v any) []byte {
	data, _ := json.Marshal(v)
	return data
}

// Throttle is a token bucket: API Gateway's per-method rate and burst limits.
type Throttle struct {
	rate  float64
	burst float64

	mu     sync.Mutex
	tokens float64
	last   time.Time
	now    func() time.Time
}

// NewThrottle allows rate requests per second with bursts of burst.
func NewThrottle(rate float64, burst int, now func() time.Time) *Throttle {
	if now == nil {
		now = time.Now
	}
	return &Throttle{rate: rate, burst: float64(burst), tokens: float64(burst), last: now(), now: now}
}

// Allow takes a token if there is one.
func (t *Throttle) Allow() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.tokens += now.Sub(t.last).Seconds() * t.rate
	if t.tokens > t.burst {
		t.tokens = t.burst
	}
	t.last = now
	if t.tokens < 1 {
		return false
	}
	t.tokens--
	return true
}
