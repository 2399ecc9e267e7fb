// Package gateway is a local stand-in for an API Gateway REST API stage with Lambda proxy
// integrations: it serves http://127.0.0.1:<port>/<stage>/<resource>, turns each request into
// the REST proxy event (payload v1) a function receives, and turns the function's proxy
// response back into HTTP, with API Gateway's own answers where API Gateway would give them:
// 403 "Missing Authentication Token" for an unknown route, 401 "Unauthorized" from a Cognito
// authorizer, 502 for a function error or a malformed proxy response, 504 after the 29 s
// integration timeout, 413 for a body over 10 MB, the mock OPTIONS method the Serverless
// Framework generates for CORS, and the stack's gateway responses (AWS::ApiGateway::GatewayResponse).
// What it would only half emulate it refuses in New with "not supported locally: ...".
//
// AWS documentation followed:
//   - Proxy event and response formats: https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
//   - Resource paths, {param} and greedy {param+}: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-settings-method-request.html
//   - Gateway response types and defaults: https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
//   - Throttling (token bucket, rate and burst): https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
//   - Limits (10 MB payload, 29 s integration timeout): https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/signin-api/signin/local/awsid"
	"github.com/signin-api/signin/local/lambdaruntime"
	"github.com/signin-api/signin/local/slsconfig"
)

// Limits API Gateway applies.
const (
	// maxBodyBytes is API Gateway's request payload limit (10 MB).
	maxBodyBytes = 10 * 1024 * 1024
	// maxEventBytes is Lambda's synchronous request payload limit, which the whole event
	// (body, base64 inflation and headers included) must fit.
	maxEventBytes = lambdaruntime.MaxSyncPayload
	// integrationTimeout is API Gateway's default (and, for REST APIs, usual maximum)
	// integration timeout.
	integrationTimeout = 29 * time.Second
)

// Invoker runs one invocation of a function; *lambdaruntime.Pool is one.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) (lambdaruntime.Response, error)
}

// Authorizer checks the identity header of a request and returns the claims to pass on;
// *authorizer.Authorizer is one.
type Authorizer interface {
	Authorize(ctx context.Context, header string) (map[string]string, error)
}

// Route is a method of a resource, integrated with a function.
type Route struct {
	// Method is upper case (GET, POST, ...) or ANY.
	Method string
	// Path is the resource path without leading slash ("signin", "users/{id}", "" for root).
	Path string
	// FunctionName names the function in the access log.
	FunctionName string
	Function     Invoker
	// Authorizer is nil for an open method.
	Authorizer Authorizer
	// AuthHeader is the authorizer's identity header; Authorization if empty.
	AuthHeader string
	// Throttle limits the method (stage MethodSettings); nil for no limit.
	Throttle *Throttle
}

// Config describes a stage of the API.
type Config struct {
	// Stage is the first path segment ("dev").
	Stage string
	// APIID is requestContext.apiId.
	APIID  string
	Routes []Route
	// Preflights are the CORS configurations of resources, by path (as Route.Path), answered
	// by the mock OPTIONS method the Serverless Framework compiles for them
	// (osls .../api-gateway/lib/cors.js); slsconfig.Config.Preflights gives them.
	Preflights map[string]slsconfig.CORS
	// BinaryMediaTypes are the API's binary media types (provider.apiGateway.binaryMediaTypes).
	BinaryMediaTypes []string
	// GatewayResponses customise API Gateway's own answers, by response type
	// (slsconfig.Config.GatewayResponses); New refuses what checkResponse cannot render.
	GatewayResponses map[string]slsconfig.GatewayResponse
	// Logs receives one access log line per request; nil discards them.
	Logs io.Writer
	// IntegrationTimeout is the integration timeout; 29 s, API Gateway's default, if zero.
	IntegrationTimeout time.Duration
	// Now is the clock; time.Now if nil.
	Now func() time.Time
}

// Gateway is the HTTP handler of one API stage.
type Gateway struct {
	cfg  Config
	root *node
	logs io.Writer
	mu   sync.Mutex // serialises access log lines
}

// New checks the routes and builds the resource tree.
func New(cfg Config) (*Gateway, error) {
	if cfg.Stage == "" {
		return nil, errors.New("gateway: no stage")
	}
	cfg.Routes = slices.Clone(cfg.Routes) // New sets defaults on its own copy
	if cfg.IntegrationTimeout <= 0 {
		cfg.IntegrationTimeout = integrationTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	g := &Gateway{cfg: cfg, root: &node{methods: map[string]*Route{}}, logs: cfg.Logs}
	if g.logs == nil {
		g.logs = io.Discard
	}
	for i := range cfg.Routes {
		r := &cfg.Routes[i]
		if r.Function == nil {
			return nil, fmt.Errorf("gateway: %s /%s has no function", r.Method, r.Path)
		}
		if r.AuthHeader == "" {
			r.AuthHeader = "Authorization"
		}
		n, err := g.root.insert(r.Path)
		if err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
		if _, dup := n.methods[r.Method]; dup {
			return nil, fmt.Errorf("gateway: %s /%s is defined twice", r.Method, r.Path)
		}
		n.methods[r.Method] = r
	}
	for typ, gr := range cfg.GatewayResponses {
		if err := checkResponse(gr); err != nil {
			return nil, fmt.Errorf("gateway: not supported locally: gateway response %s: %w", typ, err)
		}
	}
	for path, p := range cfg.Preflights {
		n, err := g.root.insert(path)
		if err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
		n.cors = &p
	}
	return g, nil
}

// Endpoints lists "METHOD /stage/path" for every route, for the start-up banner.
func (g *Gateway) Endpoints() []string {
	var out []string
	for _, r := range g.cfg.Routes {
		out = append(out, r.Method+" /"+g.cfg.Stage+"/"+r.Path)
	}
	return out
}

// request is what one request carries through the handler.
type request struct {
	id        string
	start     time.Time
	traceID   string // X-Amzn-Trace-Id, the same in the event and the answer
	route     *Route
	resource  *node
	status    int
	errDetail string
}

// ServeHTTP answers one request as the API stage would.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := g.cfg.Now()
	req := &request{id: awsid.RequestID(), start: start, traceID: awsid.TraceID(start)}
	defer g.accessLog(r, req)

	rest, ok := strings.CutPrefix(r.URL.Path, "/"+g.cfg.Stage)
	if !ok || (rest != "" && !strings.HasPrefix(rest, "/")) {
		// No such stage: API Gateway's answer, which no gateway response customises.
		g.writeJSON(w, r, req, http.StatusForbidden, nil, mustJSON(map[string]string{"message": "Forbidden"}))
		return
	}
	parts := splitPath(rest)
	params := map[string]string{}
	resource := g.root.match(parts, params)
	if resource == nil {
		g.gatewayError(w, r, req, missingAuthenticationToken)
		return
	}
	req.resource = resource
	route := resource.methods[r.Method]
	if route == nil {
		route = resource.methods["ANY"]
	}
	if r.Method == http.MethodOptions && resource.cors != nil && resource.methods[http.MethodOptions] == nil {
		g.preflight(w, r, req, resource.cors)
		return
	}
	if route == nil {
		g.gatewayError(w, r, req, missingAuthenticationToken)
		return
	}
	req.route = route

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			g.gatewayError(w, r, req, requestTooLarge)
			return
		}
		req.errDetail = "reading the body: " + err.Error()
		g.gatewayError(w, r, req, badRequestBody)
		return
	}
	if route.Throttle != nil && !route.Throttle.Allow() {
		g.gatewayError(w, r, req, throttled)
		return
	}
	var claims map[string]string
	if route.Authorizer != nil {
		header := r.Header.Get(route.AuthHeader)
		if header == "" {
			req.errDetail = "no " + route.AuthHeader + " header"
			g.gatewayError(w, r, req, unauthorized)
			return
		}
		claims, err = route.Authorizer.Authorize(r.Context(), header)
		if err != nil {
			req.errDetail = err.Error()
			g.gatewayError(w, r, req, unauthorized)
			return
		}
	}

	event := g.event(r, req, resource, rest, params, body, claims)
	payload, err := json.Marshal(withNullBody(event))
	if err != nil {
		req.errDetail = err.Error()
		g.gatewayError(w, r, req, internalError)
		return
	}
	if len(payload) > maxEventBytes {
		req.errDetail = fmt.Sprintf("the event is %d bytes, over Lambda's %d", len(payload), maxEventBytes)
		g.gatewayError(w, r, req, requestTooLarge)
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), g.cfg.IntegrationTimeout)
	defer cancel()
	resp, err := route.Function.Invoke(ctx, payload)
	switch {
	case err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		req.errDetail = "integration timeout"
		g.gatewayError(w, r, req, integrationTimeoutResponse)
		return
	case err != nil:
		req.errDetail = "invoke: " + err.Error()
		g.gatewayError(w, r, req, internalError)
		return
	case resp.FunctionError != "":
		req.errDetail = "function error: " + firstLine(string(resp.Payload), 300)
		g.gatewayError(w, r, req, internalError)
		return
	}
	proxy, err := parseProxyResponse(resp.Payload)
	if err != nil {
		req.errDetail = "Malformed Lambda proxy response: " + err.Error()
		g.gatewayError(w, r, req, internalError)
		return
	}
	g.writeProxyResponse(w, r, req, proxy)
}

// splitPath splits "/a/b/" into [a b]: API Gateway ignores a trailing slash.
func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// event builds the REST API proxy event (payload format 1.0).
func (g *Gateway) event(r *http.Request, req *request, resource *node, path string, params map[string]string,
	body []byte, claims map[string]string) events.APIGatewayProxyRequest {
	if path == "" {
		path = "/"
	}
	headers, multiHeaders := g.eventHeaders(r, req)
	var query map[string]string
	var multiQuery map[string][]string
	if q := r.URL.Query(); len(q) > 0 {
		query, multiQuery = map[string]string{}, map[string][]string{}
		for k, v := range q {
			query[k] = v[len(v)-1]
			multiQuery[k] = v
		}
	}
	var pathParams map[string]string
	if len(params) > 0 {
		pathParams = map[string]string{}
		for k, v := range params {
			if dec, err := url.PathUnescape(v); err == nil {
				v = dec
			}
			pathParams[k] = v
		}
	}
	resourcePath := "/" + resource.path
	e := events.APIGatewayProxyRequest{
		Resource:                        resourcePath,
		Path:                            path,
		HTTPMethod:                      r.Method,
		Headers:                         headers,
		MultiValueHeaders:               multiHeaders,
		QueryStringParameters:           query,
		MultiValueQueryStringParameters: multiQuery,
		PathParameters:                  pathParams,
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID:         awsid.AccountID,
			ResourceID:        awsid.FromSeed(resourcePath, 6),
			Stage:             g.cfg.Stage,
			DomainName:        r.Host,
			DomainPrefix:      strings.Split(r.Host, ".")[0],
			RequestID:         req.id,
			ExtendedRequestID: apigwID(),
			Protocol:          r.Proto,
			Identity: events.APIGatewayRequestIdentity{
				SourceIP:  clientIP(r),
				UserAgent: r.UserAgent(),
			},
			ResourcePath:     resourcePath,
			Path:             "/" + g.cfg.Stage + strings.TrimSuffix(path, "/"),
			HTTPMethod:       r.Method,
			RequestTime:      req.start.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			RequestTimeEpoch: req.start.UnixMilli(),
			APIID:            g.cfg.APIID,
		},
	}
	if e.RequestContext.Path == "/"+g.cfg.Stage {
		e.RequestContext.Path += "/"
	}
	if claims != nil {
		e.RequestContext.Authorizer = map[string]any{"claims": claims}
	}
	if len(body) > 0 {
		if matchesMediaType(r.Header.Get("Content-Type"), g.cfg.BinaryMediaTypes) {
			e.Body = base64.StdEncoding.EncodeToString(body)
			e.IsBase64Encoded = true
		} else {
			// Any other type is text to API Gateway: "the payload is processed as a UTF-8
			// encoded JSON string" (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-payload-encodings.html),
			// so bytes that are not UTF-8 cannot reach the function as they were sent. Here each
			// becomes U+FFFD, as a UTF-8 decoder makes it; only a binary media type passes the
			// exact bytes (base64, isBase64Encoded).
			e.Body = strings.ToValidUTF8(string(body), "\uFFFD")
		}
	}
	return e
}

// eventHeaders returns the request headers as API Gateway passes them: the last value of each
// in headers, all of them in multiValueHeaders, plus Host and the X-Forwarded-* and
// X-Amzn-Trace-Id headers API Gateway adds. Go gives header names in canonical form
// (Content-Type), where API Gateway keeps the client's spelling; compare names without case.
func (g *Gateway) eventHeaders(r *http.Request, req *request) (map[string]string, map[string][]string) {
	multi := map[string][]string{}
	for k, v := range r.Header {
		multi[k] = append([]string(nil), v...)
	}
	multi["Host"] = []string{r.Host}
	ip := clientIP(r)
	if prior := multi["X-Forwarded-For"]; len(prior) > 0 {
		multi["X-Forwarded-For"] = []string{strings.Join(prior, ", ") + ", " + ip}
	} else {
		multi["X-Forwarded-For"] = []string{ip}
	}
	if _, port, err := net.SplitHostPort(r.Host); err == nil {
		multi["X-Forwarded-Port"] = []string{port}
	}
	multi["X-Forwarded-Proto"] = []string{"http"}
	multi["X-Amzn-Trace-Id"] = []string{req.traceID}
	headers := make(map[string]string, len(multi))
	for k, v := range multi {
		headers[k] = v[len(v)-1]
	}
	return headers, multi
}

// eventJSON is the event with "body" null rather than "" when there is none, as in API
// Gateway's events: the outer Body hides the embedded one from encoding/json.
type eventJSON struct {
	events.APIGatewayProxyRequest
	Body *string `json:"body"`
}

func withNullBody(e events.APIGatewayProxyRequest) eventJSON {
	if e.Body == "" {
		return eventJSON{APIGatewayProxyRequest: e}
	}
	return eventJSON{e, &e.Body}
}

// matchesMediaType reports whether a Content-Type or Accept value matches one of the binary
// media types (exact, type/*, or */*).
func matchesMediaType(value string, types []string) bool {
	if value == "" || len(types) == 0 {
		return false
	}
	for _, part := range strings.Split(value, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		for _, t := range types {
			t = strings.ToLower(strings.TrimSpace(t))
			if t == "*/*" || t == mt || (strings.HasSuffix(t, "/*") && strings.HasPrefix(mt, strings.TrimSuffix(t, "*"))) {
				return true
			}
		}
	}
	return false
}

// preflight answers OPTIONS like the MOCK integration the Serverless Framework compiles: 200,
// an empty body, and the Access-Control-* headers of the resource's merged cors settings.
func (g *Gateway) preflight(w http.ResponseWriter, r *http.Request, req *request, p *slsconfig.CORS) {
	origins := p.Origins
	origin := p.Origin
	if strings.Contains(origin, ",") {
		origins = nil
		for _, o := range strings.Split(origin, ",") {
			origins = append(origins, strings.TrimSpace(o))
		}
	}
	if len(origins) > 0 {
		origin = origins[0]
		// The response template echoes the request's Origin when it matches one of the
		// origins (globs: * matches one or more characters).
		if reqOrigin := r.Header.Get("Origin"); reqOrigin != "" {
			for _, o := range origins {
				if globMatch(o, reqOrigin) {
					origin = reqOrigin
					break
				}
			}
		}
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Headers", strings.Join(p.Headers, ","))
	methods := strings.Join(p.Methods, ",")
	methods = strings.Replace(methods, "ANY", "DELETE,GET,HEAD,PATCH,POST,PUT", 1)
	h.Set("Access-Control-Allow-Methods", methods)
	if p.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if p.MaxAge > 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(p.MaxAge))
	}
	if p.CacheControl != "" {
		h.Set("Cache-Control", p.CacheControl)
	}
	h.Set("Content-Type", "application/json")
	g.stampHeaders(h, req)
	req.status = http.StatusOK
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// globMatch matches origin patterns as the Serverless Framework's Velocity template does: dots
// literal, the first * standing for one or more characters.
func globMatch(pattern, s string) bool {
	before, after, hasStar := strings.Cut(pattern, "*")
	if !hasStar {
		return pattern == s
	}
	return len(s) > len(before)+len(after) && strings.HasPrefix(s, before) && strings.HasSuffix(s, after)
}

// stampHeaders adds the headers API Gateway puts on every answer.
func (g *Gateway) stampHeaders(h http.Header, req *request) {
	h.Set("X-Amzn-Requestid", req.id)
	h.Set("X-Amz-Apigw-Id", apigwID())
	h.Set("X-Amzn-Trace-Id", req.traceID)
}

// writeJSON writes an answer of the gateway itself (not of an integration): a JSON body already
// encoded, the extra headers, the headers every answer carries, and no body for HEAD.
func (g *Gateway) writeJSON(w http.ResponseWriter, r *http.Request, req *request, status int, headers map[string]string, data []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	for k, v := range headers {
		h.Set(k, v)
	}
	g.stampHeaders(h, req)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	req.status = status
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
}

// accessLog writes one line per request; failures say why, without the request's content.
func (g *Gateway) accessLog(r *http.Request, req *request) {
	fn := "-"
	if req.route != nil {
		fn = req.route.FunctionName
	}
	line := fmt.Sprintf("%s %s %d %s %s %s", r.Method, r.URL.Path, req.status,
		g.cfg.Now().Sub(req.start).Round(time.Millisecond), fn, req.id)
	if req.errDetail != "" {
		line += " (" + req.errDetail + ")"
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	fmt.Fprintln(g.logs, line)
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func firstLine(s string, max int) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}

// apigwID looks like API Gateway's extended request ids (base64-ish, 16 characters).
func apigwID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:16]
}
