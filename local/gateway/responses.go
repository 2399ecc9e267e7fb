package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/signin-api/signin/local/slsconfig"
)

// ResponseType is an API Gateway gateway response type, with the status, message and error
// type API Gateway answers with when no gateway response customises it.
type ResponseType struct {
	Name      string
	Status    int
	Message   string
	ErrorType string
}

// The gateway responses the local gateway gives.
var (
	MissingAuthenticationToken = ResponseType{"MISSING_AUTHENTICATION_TOKEN", http.StatusForbidden, "Missing Authentication Token", "MissingAuthenticationTokenException"}
	Unauthorized               = ResponseType{"UNAUTHORIZED", http.StatusUnauthorized, "Unauthorized", "UnauthorizedException"}
	RequestTooLarge            = ResponseType{"REQUEST_TOO_LARGE", http.StatusRequestEntityTooLarge, "Request Too Long", "RequestTooLargeException"}
	Throttled                  = ResponseType{"THROTTLED", http.StatusTooManyRequests, "Too Many Requests", "TooManyRequestsException"}
	BadRequestBody             = ResponseType{"BAD_REQUEST_BODY", http.StatusBadRequest, "Invalid request body", "BadRequestException"}
	IntegrationTimeoutResponse = ResponseType{"INTEGRATION_TIMEOUT", http.StatusGatewayTimeout, "Endpoint request timed out", ""}
	// InternalError is API Gateway's answer to a function error, a function timeout, or a
	// malformed proxy response: 502 under the DEFAULT_5XX gateway response.
	InternalError = ResponseType{"DEFAULT_5XX", http.StatusBadGateway, "Internal server error", "InternalServerErrorException"}
)

// GatewayResponse is an AWS::ApiGateway::GatewayResponse: headers, and optionally a status and
// a body template, for one response type.
type GatewayResponse struct {
	// StatusCode replaces the default status; 0 keeps it.
	StatusCode int
	// Headers maps a header to its source: "'literal'" or method.request.header.<Name>.
	Headers map[string]string
	// Template is the application/json body template; empty keeps
	// {"message":$context.error.messageString}.
	Template string
}

// ParseGatewayResponses reads the AWS::ApiGateway::GatewayResponse resources, by response type.
func ParseGatewayResponses(resources map[string]slsconfig.Resource) map[string]GatewayResponse {
	out := map[string]GatewayResponse{}
	ids := make([]string, 0, len(resources))
	for id := range resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		res := resources[id]
		if res.Type != "AWS::ApiGateway::GatewayResponse" {
			continue
		}
		var props struct {
			ResponseType       string            `json:"ResponseType"`
			StatusCode         json.RawMessage   `json:"StatusCode"`
			ResponseParameters map[string]string `json:"ResponseParameters"`
			ResponseTemplates  map[string]string `json:"ResponseTemplates"`
		}
		if err := json.Unmarshal(res.Properties, &props); err != nil || props.ResponseType == "" {
			continue
		}
		gr := GatewayResponse{Headers: map[string]string{}, Template: props.ResponseTemplates["application/json"]}
		if s := strings.Trim(string(bytes.TrimSpace(props.StatusCode)), `"`); s != "" {
			gr.StatusCode, _ = strconv.Atoi(s)
		}
		for k, v := range props.ResponseParameters {
			if name, ok := strings.CutPrefix(k, "gatewayresponse.header."); ok {
				gr.Headers[name] = v
			}
		}
		out[props.ResponseType] = gr
	}
	return out
}

// gatewayError answers with one of API Gateway's own responses, customised by the stack's
// gateway response for the type, or else by DEFAULT_4XX or DEFAULT_5XX.
func (g *Gateway) gatewayError(w http.ResponseWriter, r *http.Request, req *request, t ResponseType) {
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

// headerValue resolves a gateway response header source: a quoted literal or a request header.
// A request header the request lacks gives no header.
func headerValue(source string, r *http.Request) (string, bool) {
	if len(source) >= 2 && strings.HasPrefix(source, "'") && strings.HasSuffix(source, "'") {
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
	quoted := string(mustJSON(message))
	return strings.NewReplacer(
		"$context.error.messageString", quoted,
		"$context.error.message", message,
		"$context.requestId", requestID,
	).Replace(tmpl)
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

// MethodThrottle is one entry of a stage's MethodSettings.
type MethodThrottle struct {
	// Path is the resource path without leading slash; Method is upper case or "*".
	Path, Method string
	Rate         float64
	Burst        int
}

// ParseMethodThrottles reads the throttling MethodSettings of the AWS::ApiGateway::Stage
// resources (ResourcePath "/~1signin" is /signin: ~1 escapes a slash, ~0 a tilde).
func ParseMethodThrottles(resources map[string]slsconfig.Resource) []MethodThrottle {
	var out []MethodThrottle
	for _, res := range resources {
		if res.Type != "AWS::ApiGateway::Stage" {
			continue
		}
		var props struct {
			MethodSettings []struct {
				ResourcePath         string          `json:"ResourcePath"`
				HTTPMethod           string          `json:"HttpMethod"`
				ThrottlingRateLimit  json.RawMessage `json:"ThrottlingRateLimit"`
				ThrottlingBurstLimit json.RawMessage `json:"ThrottlingBurstLimit"`
			} `json:"MethodSettings"`
		}
		if err := json.Unmarshal(res.Properties, &props); err != nil {
			continue
		}
		for _, ms := range props.MethodSettings {
			// A --param on the command line makes the number a string.
			rate, err1 := strconv.ParseFloat(strings.Trim(string(ms.ThrottlingRateLimit), `"`), 64)
			burst, err2 := strconv.Atoi(strings.Trim(string(ms.ThrottlingBurstLimit), `"`))
			if err1 != nil || err2 != nil {
				continue
			}
			path := strings.NewReplacer("~1", "/", "~0", "~").Replace(ms.ResourcePath)
			out = append(out, MethodThrottle{
				Path:   strings.Trim(path, "/"),
				Method: strings.ToUpper(ms.HTTPMethod),
				Rate:   rate,
				Burst:  int(burst),
			})
		}
	}
	return out
}
