package gateway

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"golang.org/x/time/rate"

	"github.com/signin-api/signin/local/slsconfig"
)

// writeProxyResponse writes a function's proxy response. API Gateway answers 502 to anything
// but a JSON object of statusCode (an HTTP status), headers, multiValueHeaders (which win over
// headers), body (a string) and isBase64Encoded; a body is base64-decoded only when the
// request's Accept or the response's Content-Type (application/json if none) is binary.
func (g *Gateway) writeProxyResponse(w http.ResponseWriter, r *http.Request, req *request, payload []byte) {
	var p events.APIGatewayProxyResponse
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	err := dec.Decode(&p)
	if err == nil && (p.StatusCode < 100 || p.StatusCode > 599) {
		err = fmt.Errorf("statusCode %d is not an HTTP status", p.StatusCode)
	}
	if err != nil {
		g.fail(w, r, req, internalError, "Malformed Lambda proxy response: "+err.Error())
		return
	}
	h := http.Header{}
	for k, v := range p.Headers {
		h.Set(k, v)
	}
	for k, vs := range p.MultiValueHeaders {
		h[http.CanonicalHeaderKey(k)] = vs
	}
	body := []byte(p.Body)
	if p.IsBase64Encoded && (g.binary(r.Header.Get("Accept")) || g.binary(cmp.Or(h.Get("Content-Type"), "application/json"))) {
		if body, err = base64.StdEncoding.DecodeString(p.Body); err != nil {
			g.fail(w, r, req, internalError, "isBase64Encoded body is not base64")
			return
		}
	}
	maps.Copy(w.Header(), h)
	g.write(w, r, req, p.StatusCode, body)
}

// binary reports whether a Content-Type or Accept value names a binary media type (exact,
// type/* or */*).
func (g *Gateway) binary(value string) bool {
	for part := range strings.SplitSeq(value, ",") {
		mt, _, err := mime.ParseMediaType(part)
		if err != nil {
			continue
		}
		for _, t := range g.cfg.BinaryMediaTypes {
			if ok, _ := path.Match(strings.ToLower(t), mt); ok {
				return true
			}
		}
	}
	return false
}

// preflight answers OPTIONS as the MOCK integration the Serverless Framework compiles for cors
// (osls .../api-gateway/lib/cors.js): 200, no body, the resource's merged cors settings, and the
// request's Origin echoed when it matches one of several origins (else the first).
func (g *Gateway) preflight(w http.ResponseWriter, r *http.Request, req *request, c *slsconfig.CORS) {
	origin, origins := c.Origin, c.Origins
	if strings.Contains(origin, ",") {
		origins = strings.Split(origin, ",")
	}
	for i, o := range origins {
		if o = strings.TrimSpace(o); i == 0 {
			origin = o
		}
		if globMatch(o, r.Header.Get("Origin")) {
			origin = r.Header.Get("Origin")
			break
		}
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Headers", strings.Join(c.Headers, ","))
	h.Set("Access-Control-Allow-Methods", strings.Replace(strings.Join(c.Methods, ","), "ANY", "DELETE,GET,HEAD,PATCH,POST,PUT", 1))
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if c.MaxAge > 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(c.MaxAge))
	}
	if c.CacheControl != "" {
		h.Set("Cache-Control", c.CacheControl)
	}
	g.write(w, r, req, http.StatusOK, nil)
}

// globMatch matches an origin as the framework's template does: the first * stands for one or
// more characters, all else is literal.
func globMatch(pattern, s string) bool {
	before, after, star := strings.Cut(pattern, "*")
	if !star {
		return pattern == s
	}
	return len(s) > len(before)+len(after) && strings.HasPrefix(s, before) && strings.HasSuffix(s, after)
}

// responseType is a gateway response type with API Gateway's default answer.
type responseType struct {
	name      string
	status    int
	message   string
	errorType string
}

var (
	missingToken        = responseType{"MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token", "MissingAuthenticationTokenException"}
	unauthorized        = responseType{"UNAUTHORIZED", 401, "Unauthorized", "UnauthorizedException"}
	requestTooLarge     = responseType{"REQUEST_TOO_LARGE", 413, "Request Too Long", "RequestTooLargeException"}
	throttled           = responseType{"THROTTLED", 429, "Too Many Requests", "TooManyRequestsException"}
	badRequestBody      = responseType{"BAD_REQUEST_BODY", 400, "Invalid request body", "BadRequestException"}
	integrationTimedOut = responseType{"INTEGRATION_TIMEOUT", 504, "Endpoint request timed out", ""}
	// internalError answers a function error or timeout and a malformed proxy response.
	internalError = responseType{"DEFAULT_5XX", 502, "Internal server error", "InternalServerErrorException"}
)

// fail answers with API Gateway's own response of type t, customised by the stack's gateway
// response for t, or else for DEFAULT_4XX or DEFAULT_5XX; detail goes to the access log only.
func (g *Gateway) fail(w http.ResponseWriter, r *http.Request, req *request, t responseType, detail string) {
	req.errDetail = detail
	gr, ok := g.cfg.GatewayResponses[t.name]
	if !ok && t.status < 500 {
		gr = g.cfg.GatewayResponses["DEFAULT_4XX"]
	} else if !ok {
		gr = g.cfg.GatewayResponses["DEFAULT_5XX"]
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if t.errorType != "" {
		h.Set("X-Amzn-Errortype", t.errorType)
	}
	for name, source := range gr.Headers {
		if v, ok := strings.CutPrefix(source, "method.request.header."); ok {
			source = r.Header.Get(v)
		} else {
			source = source[1 : len(source)-1] // a 'literal', as checkResponse made sure
		}
		if source != "" {
			h.Set(name, source)
		}
	}
	message, _ := json.Marshal(t.message)
	body := contextVars(string(message), t.message, req.id).Replace(cmp.Or(gr.Template, `{"message":$context.error.messageString}`))
	g.write(w, r, req, cmp.Or(gr.StatusCode, t.status), []byte(body))
}

// contextVars replaces the $context variables a gateway response template may use.
func contextVars(messageString, message, requestID string) *strings.Replacer {
	return strings.NewReplacer("$context.error.messageString", messageString, "$context.error.message", message, "$context.requestId", requestID)
}

// templateVTL finds what a template asks of Velocity beyond the variables of contextVars.
var templateVTL = regexp.MustCompile(`\$!?\{?[A-Za-z]|#(set|if|elseif|else|end|foreach|define|macro|parse|include|evaluate|break|stop)\b`)

// checkResponse refuses what fail cannot answer as API Gateway would.
func checkResponse(gr slsconfig.GatewayResponse) error {
	if gr.StatusCode != 0 && (gr.StatusCode < 100 || gr.StatusCode > 599) {
		return fmt.Errorf("status %d", gr.StatusCode)
	}
	for name, source := range gr.Headers {
		literal := len(source) >= 2 && source[0] == '\'' && source[len(source)-1] == '\''
		if !literal && !strings.HasPrefix(source, "method.request.header.") {
			return fmt.Errorf("header %s from %s (only 'literal' values and method.request.header.* are)", name, source)
		}
	}
	if vtl := templateVTL.FindString(contextVars("", "", "").Replace(gr.Template)); vtl != "" {
		return fmt.Errorf("template %q uses %s... (only $context.error.messageString, $context.error.message and $context.requestId are)", gr.Template, vtl)
	}
	return nil
}

// write sends an answer with the headers API Gateway puts on every one, and no body for HEAD.
func (g *Gateway) write(w http.ResponseWriter, r *http.Request, req *request, status int, body []byte) {
	h := w.Header()
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	h.Set("X-Amzn-Requestid", req.id)
	h.Set("X-Amz-Apigw-Id", apigwID())
	h.Set("X-Amzn-Trace-Id", req.traceID)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Del("Transfer-Encoding")
	req.status = status
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// accessLog writes one line per request; a failure says why, without the request's content.
func (g *Gateway) accessLog(r *http.Request, req *request) {
	line := fmt.Sprintf("%s %s %d %s %s %s", r.Method, r.URL.Path, req.status,
		g.cfg.Now().Sub(req.start).Round(time.Millisecond), req.function, req.id)
	if req.errDetail != "" {
		line += " (" + req.errDetail + ")"
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	fmt.Fprintln(g.cfg.Logs, line)
}

// apigwID looks like API Gateway's extended request ids (16 characters).
func apigwID() string {
	return rand.Text()[:16]
}

// Throttle is a method's rate and burst limit: API Gateway's token bucket.
type Throttle struct {
	limiter *rate.Limiter
	now     func() time.Time
}

// NewThrottle allows rate requests per second with bursts of burst; now is time.Now if nil.
func NewThrottle(perSecond float64, burst int, now func() time.Time) *Throttle {
	if now == nil {
		now = time.Now
	}
	return &Throttle{rate.NewLimiter(rate.Limit(perSecond), burst), now}
}

// Allow takes a token if there is one.
func (t *Throttle) Allow() bool {
	return t.limiter.AllowN(t.now(), 1)
}
