package gateway

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
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

// GatewayResponse is an AWS::ApiGateway::GatewayResponse: headers, and optionally a status and
// a body template, for one response type
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html).
// New refuses what the local gateway would only half render: header values from anything but
// a literal or a request header, and templates with VTL beyond the $context variables
// renderTemplate fills in.
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
	for _, id := range slices.Sorted(maps.Keys(resources)) { // a stable winner if two share a type
		res := resources[id]
		if res.Type != "AWS::ApiGateway::GatewayResponse" {
			continue
		}
		var props struct {
			ResponseType       string            `json:"ResponseType"`
			StatusCode         json.Number       `json:"StatusCode"` // "429" from YAML, or 429
			ResponseParameters map[string]string `json:"ResponseParameters"`
			ResponseTemplates  map[string]string `json:"ResponseTemplates"`
		}
		if err := json.Unmarshal(res.Properties, &props); err != nil || props.ResponseType == "" {
			continue
		}
		gr := GatewayResponse{Headers: map[string]string{}, Template: props.ResponseTemplates["application/json"]}
		if props.StatusCode != "" {
			gr.StatusCode, _ = strconv.Atoi(props.StatusCode.String())
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

// check refuses what the local gateway cannot answer as API Gateway would.
func (gr GatewayResponse) check() error {
	if gr.StatusCode != 0 && (gr.StatusCode < 100 || gr.StatusCode > 599) {
		return fmt.Errorf("status %d", gr.StatusCode)
	}
	for name, source := range gr.Headers {
		if !isLiteral(source) && !strings.HasPrefix(source, "method.request.header.") {
			return fmt.Errorf("header %s from %s (only 'literal' values and method.request.header.* are)", name, source)
		}
	}
	rest := strings.NewReplacer("$context.error.messageString", "", "$context.error.message", "", "$context.requestId", "").Replace(gr.Template)
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
				ResourcePath         string      `json:"ResourcePath"`
				HTTPMethod           string      `json:"HttpMethod"`
				ThrottlingRateLimit  json.Number `json:"ThrottlingRateLimit"` // a string when a --param sets it
				ThrottlingBurstLimit json.Number `json:"ThrottlingBurstLimit"`
			} `json:"MethodSettings"`
		}
		if err := json.Unmarshal(res.Properties, &props); err != nil {
			continue
		}
		for _, ms := range props.MethodSettings {
			rate, err1 := ms.ThrottlingRateLimit.Float64()
			burst, err2 := strconv.Atoi(ms.ThrottlingBurstLimit.String())
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
