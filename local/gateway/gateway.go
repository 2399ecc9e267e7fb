// Package gateway stands in for an API Gateway REST API stage with Lambda proxy integrations:
// the proxy event (payload 1.0) in, the proxy response out, API Gateway's own 403, 401, 413, 429,
// 502 and 504, the cors preflight the Serverless Framework compiles, and gateway responses. What
// it would only half emulate, New refuses with "not supported locally: ...".
//
// AWS documentation followed (https://docs.aws.amazon.com/apigateway/latest/developerguide/...):
// set-up-lambda-proxy-integrations.html, api-gateway-method-settings-method-request.html ({param},
// {param+}), supported-gateway-response-types.html, api-gateway-request-throttling.html,
// api-gateway-execution-service-limits-table.html (10 MB, 29 s), api-gateway-payload-encodings.html.
package gateway

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"golang.org/x/time/rate"

	"github.com/signin-api/signin/local/awsid"
	"github.com/signin-api/signin/local/lambdaruntime"
	"github.com/signin-api/signin/local/slsconfig"
)

const (
	maxBodyBytes  = 10 * 1024 * 1024             // API Gateway's request payload limit
	maxEventBytes = lambdaruntime.MaxSyncPayload // Lambda's, which the whole event must fit
)

// Invoker runs one invocation of a function; *lambdaruntime.Pool is one.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) (lambdaruntime.Response, error)
}

// Authorizer checks an identity header and returns the claims, as authorizer.Method's do.
type Authorizer func(ctx context.Context, header string) (map[string]string, error)

// Gateway is the HTTP handler of the service's API stage.
type Gateway struct {
	cfg       *slsconfig.Config
	apiID     string                     // requestContext.apiId
	resources map[string]*resource       // by path
	responses map[string]gatewayResponse // by response type
	logs      io.Writer                  // an access log line per request
	timeout   time.Duration              // the integration's: 29 s
	now       func() time.Time
}

type resource struct {
	path    string // "/users/{id}", as the event names it
	id      string // its requestContext.resourceId
	segs    []string
	methods map[string]*route
	cors    *slsconfig.CORS // its http events' cors merged, which the OPTIONS mock method answers
}

// route is an http event and what runs it.
type route struct {
	slsconfig.HTTPEvent
	fn       string // the function's key, for the access log
	invoker  Invoker
	auth     Authorizer    // nil for an open method
	throttle *rate.Limiter // the stage's MethodSettings for the method; nil for none
}

// New serves cfg's http events, each with functions[its function's key] and, if it has one, the
// Authorizer authorize returns for its authorizer; it refuses what API Gateway would. logs gets
// an access log line per request (nil discards them).
func New[F Invoker](cfg *slsconfig.Config, functions map[string]F, authorize func(*slsconfig.Authorizer) (Authorizer, error), logs io.Writer) (*Gateway, error) {
	g := &Gateway{cfg: cfg, apiID: awsid.FromSeed(cfg.Service+"-"+cfg.Stage, 10), resources: map[string]*resource{},
		responses: map[string]gatewayResponse{}, logs: cmp.Or(logs, io.Writer(io.Discard)), timeout: 29 * time.Second, now: time.Now}
	var throttles []methodSetting
	for _, id := range slices.Sorted(maps.Keys(cfg.Resources)) { // of two responses of a type, the later id wins
		res := cfg.Resources[id]
		if res.Properties == nil || (res.Type != "AWS::ApiGateway::GatewayResponse" && res.Type != "AWS::ApiGateway::Stage") {
			continue
		}
		var p struct {
			gatewayResponse
			MethodSettings []methodSetting
		}
		if err := json.Unmarshal(res.Properties, &p); err != nil { // an intrinsic function where a value goes
			return nil, fmt.Errorf("gateway: not supported locally: %s %s: %w", res.Type, id, err)
		} else if res.Type == "AWS::ApiGateway::Stage" {
			throttles = append(throttles, p.MethodSettings...)
		} else if p.ResponseType != "" {
			g.responses[p.ResponseType] = p.gatewayResponse
		}
	}
	// A method's own setting overrides the stage-wide ones (api-gateway-request-throttling.html):
	// of the settings that match, the one with the fewest * is taken.
	slices.SortStableFunc(throttles, func(a, b methodSetting) int {
		return strings.Count(a.ResourcePath+a.HTTPMethod, "*") - strings.Count(b.ResourcePath+b.HTTPMethod, "*")
	})
	for typ, gr := range g.responses {
		if err := gr.check(); err != nil {
			return nil, fmt.Errorf("gateway: not supported locally: gateway response %s: %w", typ, err)
		}
	}
	params := map[string]string{} // parent resource -> its one {param} child
	for _, fn := range cfg.Functions {
		for _, h := range fn.HTTP {
			var segs []string
			if h.Path != "" {
				segs = strings.Split(h.Path, "/")
			}
			for i := range len(segs) + 1 { // the resource and its parents, which API Gateway has too
				if p := strings.Join(segs[:i], "/"); g.resources[p] == nil {
					g.resources[p] = &resource{path: "/" + p, id: awsid.FromSeed("/"+p, 6), segs: segs[:i:i], methods: map[string]*route{}}
				}
			}
			res := g.resources[h.Path]
			for i, s := range res.segs {
				parent := strings.Join(res.segs[:i], "/")
				switch {
				case s == "":
					return nil, fmt.Errorf("gateway: resource /%s has an empty segment", h.Path)
				case strings.HasSuffix(s, "+}") && i < len(res.segs)-1:
					return nil, fmt.Errorf("gateway: resource /%s: a greedy parameter must be last", h.Path)
				case strings.HasPrefix(s, "{") && cmp.Or(params[parent], s) != s: // as API Gateway refuses it
					return nil, fmt.Errorf("gateway: resource /%s: /%s already has the parameter %s", h.Path, parent, params[parent])
				case strings.HasPrefix(s, "{"):
					params[parent] = s
				}
			}
			r := &route{HTTPEvent: h, fn: fn.Key}
			invoker, ok := functions[fn.Key]
			switch {
			case !ok:
				return nil, fmt.Errorf("gateway: %s /%s has no function", h.Method, h.Path)
			case res.methods[h.Method] != nil:
				return nil, fmt.Errorf("gateway: %s /%s is defined twice", h.Method, h.Path)
			case h.Authorizer != nil:
				var err error
				if r.auth, err = authorize(h.Authorizer); err != nil {
					return nil, fmt.Errorf("%s /%s: %w", h.Method, h.Path, err)
				}
			}
			r.invoker, res.methods[h.Method] = invoker, r
			if i := slices.IndexFunc(throttles, func(t methodSetting) bool { return t.of(h) }); i >= 0 {
				perSecond, _ := throttles[i].ThrottlingRateLimit.Float64()
				burst, _ := throttles[i].ThrottlingBurstLimit.Float64()
				r.throttle = rate.NewLimiter(rate.Limit(perSecond), int(burst))
			}
			if c := h.CORS; c != nil { // merged as Serverless merges them for the OPTIONS method (osls validate.js)
				p := cmp.Or(res.cors, &slsconfig.CORS{})
				res.cors = &slsconfig.CORS{Origin: c.Origin, Origins: union(c.Origins, p.Origins), Headers: union(c.Headers, p.Headers),
					Methods: union(c.Methods, p.Methods), AllowCredentials: p.AllowCredentials || c.AllowCredentials,
					MaxAge: cmp.Or(c.MaxAge, p.MaxAge), CacheControl: cmp.Or(c.CacheControl, p.CacheControl)}
			}
		}
	}
	return g, nil
}

// methodSetting is one of an AWS::ApiGateway::Stage's MethodSettings.
type methodSetting struct {
	ResourcePath, HTTPMethod                  string      // "/~1signin" is /signin (~1 escapes a slash, ~0 a tilde), or "/*"; or "*"
	ThrottlingRateLimit, ThrottlingBurstLimit json.Number // a string when a --param sets it
}

// of reports whether the setting throttles the event's method.
func (t methodSetting) of(h slsconfig.HTTPEvent) bool {
	path, method := strings.Trim(strings.NewReplacer("~1", "/", "~0", "~").Replace(t.ResourcePath), "/"), strings.ToUpper(t.HTTPMethod)
	return t.ThrottlingRateLimit != "" && t.ThrottlingBurstLimit != "" && (path == h.Path || path == "*") && (method == h.Method || method == "*")
}

// union keeps the order of left then right, without repeats, as the framework's helper does.
func union(left, right []string) []string {
	var out []string
	for _, v := range slices.Concat(left, right) {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Endpoints lists "METHOD /stage/path" for every route, for the start-up banner.
func (g *Gateway) Endpoints() []string {
	var out []string
	for _, fn := range g.cfg.Functions {
		for _, h := range fn.HTTP {
			out = append(out, h.Method+" /"+g.cfg.Stage+"/"+h.Path)
		}
	}
	return out
}

// match finds the resource of a request path's segments, and its path parameters, with API
// Gateway's precedence: level by level from the left, a literal before a {param} before a
// greedy {param+}. (net/http's ServeMux ranks patterns by specificity instead, and refuses
// overlaps such as /a/{x}/b beside /a/b/{y}, which API Gateway serves.)
func (g *Gateway) match(parts []string) (best *resource, bestParams map[string]string) {
	var bestRank []int
	for _, res := range g.resources {
		if rank, params, ok := res.match(parts); ok && (best == nil || slices.Compare(rank, bestRank) < 0) {
			best, bestRank, bestParams = res, rank, params
		}
	}
	return best, bestParams
}

func (res *resource) match(parts []string) (rank []int, params map[string]string, ok bool) {
	params = map[string]string{}
	for i, s := range res.segs {
		name, isParam := strings.CutPrefix(strings.TrimSuffix(s, "}"), "{")
		switch {
		case strings.HasSuffix(name, "+") && i < len(parts):
			params[strings.TrimSuffix(name, "+")] = strings.Join(parts[i:], "/")
			return append(rank, 2), params, true
		case i >= len(parts) || (isParam && parts[i] == "") || (!isParam && s != parts[i]):
			return nil, nil, false
		case isParam:
			params[name] = parts[i]
			rank = append(rank, 1)
		default:
			rank = append(rank, 0)
		}
	}
	return rank, params, len(parts) == len(res.segs)
}

// exchange is one request and its answer, as far as the access log needs them.
type exchange struct {
	g                    *Gateway
	w                    http.ResponseWriter
	r                    *http.Request
	id, traceID, fn, err string
	start                time.Time
	status               int
}

// ServeHTTP answers one request as the API stage would.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := &exchange{g: g, w: w, r: r, id: awsid.RequestID(), fn: "-", start: g.now()}
	x.traceID = awsid.TraceID(x.start)
	defer x.log()
	rest, ok := strings.CutPrefix(r.URL.Path, "/"+g.cfg.Stage)
	if !ok || (rest != "" && rest[0] != '/') {
		x.write(http.StatusForbidden, []byte(`{"message":"Forbidden"}`)) // no such stage; not customisable
		return
	}
	var parts []string // API Gateway ignores a trailing slash
	if p := strings.Trim(rest, "/"); p != "" {
		parts = strings.Split(p, "/")
	}
	res, params := g.match(parts)
	var route *route
	if res != nil {
		route = cmp.Or(res.methods[r.Method], res.methods["ANY"])
		if r.Method == http.MethodOptions && res.cors != nil && res.methods[r.Method] == nil {
			x.preflight(res.cors)
			return
		}
	}
	if route == nil {
		x.fail(missingToken, "")
		return
	}
	x.fn = route.fn
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		x.fail(requestTooLarge, "")
		return
	case err != nil:
		x.fail(badRequestBody, "reading the body: "+err.Error())
		return
	case route.throttle != nil && !route.throttle.AllowN(g.now(), 1):
		x.fail(throttled, "")
		return
	}
	var claims map[string]string
	if route.auth != nil {
		header := r.Header.Get(route.Authorizer.IdentityHeader)
		if header == "" {
			x.fail(unauthorized, "no "+route.Authorizer.IdentityHeader+" header")
			return
		}
		if claims, err = route.auth(r.Context(), header); err != nil {
			x.fail(unauthorized, err.Error())
			return
		}
	}
	payload, _ := json.Marshal(x.event(res, rest, params, body, claims)) // strings and numbers: cannot fail
	if len(payload) > maxEventBytes {
		x.fail(requestTooLarge, fmt.Sprintf("the event is %d bytes, over Lambda's %d", len(payload), maxEventBytes))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), g.timeout)
	defer cancel()
	resp, err := route.invoker.Invoke(ctx, payload)
	switch {
	case err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		x.fail(integrationTimedOut, "integration timeout")
	case err != nil:
		x.fail(internalError, "invoke: "+err.Error())
	case resp.FunctionError != "":
		line, _, _ := strings.Cut(string(resp.Payload[:min(len(resp.Payload), 300)]), "\n")
		x.fail(internalError, "function error: "+line)
	default:
		x.proxyResponse(resp.Payload)
	}
}

// event builds the REST API proxy event (payload format 1.0). Header names are in Go's
// canonical form, where API Gateway keeps the client's: compare them without case.
func (x *exchange) event(res *resource, path string, params map[string]string, body []byte, claims map[string]string) any {
	r := x.r
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	headers := map[string][]string(r.Header.Clone()) // with those API Gateway adds
	headers["Host"] = []string{r.Host}
	headers["X-Forwarded-For"] = []string{strings.Join(append(headers["X-Forwarded-For"], ip), ", ")}
	if _, port, err := net.SplitHostPort(r.Host); err == nil {
		headers["X-Forwarded-Port"] = []string{port}
	}
	headers["X-Forwarded-Proto"] = []string{"http"}
	headers["X-Amzn-Trace-Id"] = []string{x.traceID}
	query := r.URL.Query()
	if len(query) == 0 {
		query = nil // null, as API Gateway sends it, as are pathParameters and body
	}
	if len(params) == 0 {
		params = nil
	}
	e := events.APIGatewayProxyRequest{
		Resource: res.path, Path: cmp.Or(path, "/"), HTTPMethod: r.Method, PathParameters: params,
		Headers: lastValues(headers), MultiValueHeaders: headers,
		QueryStringParameters: lastValues(query), MultiValueQueryStringParameters: query,
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID: awsid.AccountID, APIID: x.g.apiID, Stage: x.g.cfg.Stage, Protocol: r.Proto,
			DomainName: r.Host, DomainPrefix: strings.Split(r.Host, ".")[0], // the API id's label on AWS
			RequestID: x.id, ExtendedRequestID: apigwID(), ResourceID: res.id,
			ResourcePath: res.path, Path: "/" + x.g.cfg.Stage + "/" + strings.Trim(path, "/"), HTTPMethod: r.Method,
			RequestTime:      x.start.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			RequestTimeEpoch: x.start.UnixMilli(),
			Identity:         events.APIGatewayRequestIdentity{SourceIP: ip, UserAgent: r.UserAgent()},
		},
	}
	if claims != nil {
		e.RequestContext.Authorizer = map[string]any{"claims": claims}
	}
	switch {
	case len(body) == 0:
		return eventJSON{e, nil}
	case x.g.binary(r.Header.Get("Content-Type")):
		e.Body, e.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	default: // text, "processed as a UTF-8 encoded JSON string": each run of other bytes is U+FFFD
		e.Body = strings.ToValidUTF8(string(body), "\uFFFD")
	}
	return eventJSON{e, &e.Body}
}

// eventJSON is the event with "body" null rather than "" when there is none, as API Gateway
// sends it: the outer Body hides the embedded one from encoding/json.
type eventJSON struct {
	events.APIGatewayProxyRequest
	Body *string `json:"body"`
}

func lastValues(m map[string][]string) map[string]string {
	if m == nil {
		return nil
	}
	out := map[string]string{}
	for k, v := range m {
		out[k] = v[len(v)-1]
	}
	return out
}

// proxyResponse writes a function's proxy response. API Gateway answers 502 to anything but a
// JSON object of statusCode (an HTTP status), headers, multiValueHeaders (which win), body (a
// string) and isBase64Encoded; a body is base64-decoded only when the request's Accept or the
// response's Content-Type (application/json if none) is a binary media type.
func (x *exchange) proxyResponse(payload []byte) {
	var fields map[string]json.RawMessage // names as API Gateway reads them: with their case
	err := json.Unmarshal(payload, &fields)
	for name := range fields {
		if !slices.Contains([]string{"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}, name) {
			err = fmt.Errorf("unexpected field %q", name)
		}
	}
	var p events.APIGatewayProxyResponse
	if err == nil {
		err = json.Unmarshal(payload, &p)
	}
	if err == nil && (p.StatusCode < 100 || p.StatusCode > 599) {
		err = fmt.Errorf("statusCode %d is not an HTTP status", p.StatusCode)
	}
	if err != nil {
		x.fail(internalError, "Malformed Lambda proxy response: "+err.Error())
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
	if p.IsBase64Encoded && (x.g.binary(x.r.Header.Get("Accept")) || x.g.binary(cmp.Or(h.Get("Content-Type"), "application/json"))) {
		if body, err = base64.StdEncoding.DecodeString(p.Body); err != nil {
			x.fail(internalError, "isBase64Encoded body is not base64")
			return
		}
	}
	maps.Copy(x.w.Header(), h)
	x.write(p.StatusCode, body)
}

// binary reports whether a Content-Type or Accept value names a binary media type.
func (g *Gateway) binary(value string) bool {
	for part := range strings.SplitSeq(value, ",") {
		mt, _, err := mime.ParseMediaType(part)
		if err == nil && slices.ContainsFunc(g.cfg.BinaryMediaTypes, func(t string) bool {
			ok, _ := path.Match(strings.ToLower(t), mt) // exact, type/* or */*
			return ok
		}) {
			return true
		}
	}
	return false
}

// preflight answers OPTIONS as the MOCK integration the Serverless Framework compiles for cors
// (osls .../api-gateway/lib/cors.js): 200, no body, the resource's merged cors settings, and of
// several origins the request's Origin if one matches (a * stands for one or more characters),
// else the first.
func (x *exchange) preflight(c *slsconfig.CORS) {
	origin, origins, sent := c.Origin, c.Origins, x.r.Header.Get("Origin")
	if strings.Contains(origin, ",") {
		origins = strings.Split(origin, ",")
	}
	for i, o := range origins {
		o = strings.TrimSpace(o)
		before, after, star := strings.Cut(o, "*")
		if i == 0 {
			origin = o
		}
		if o == sent || (star && len(sent) > len(o)-1 && strings.HasPrefix(sent, before) && strings.HasSuffix(sent, after)) {
			origin = sent
			break
		}
	}
	h := x.w.Header()
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
	x.write(http.StatusOK, nil)
}

// responseType is a gateway response type with API Gateway's default answer.
type responseType struct {
	name             string
	status           int
	message, errType string
}

var (
	missingToken        = responseType{"MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token", "MissingAuthenticationTokenException"}
	unauthorized        = responseType{"UNAUTHORIZED", 401, "Unauthorized", "UnauthorizedException"}
	requestTooLarge     = responseType{"REQUEST_TOO_LARGE", 413, "Request Too Long", "RequestTooLargeException"}
	throttled           = responseType{"THROTTLED", 429, "Too Many Requests", "TooManyRequestsException"}
	badRequestBody      = responseType{"BAD_REQUEST_BODY", 400, "Invalid request body", "BadRequestException"}
	integrationTimedOut = responseType{"INTEGRATION_TIMEOUT", 504, "Endpoint request timed out", ""}
	internalError       = responseType{"DEFAULT_5XX", 502, "Internal server error", "InternalServerErrorException"} // function error or timeout, malformed response
)

// fail answers with API Gateway's own response of type t, customised by the stack's gateway
// response for t, else for DEFAULT_4XX or DEFAULT_5XX; detail is for the access log only.
func (x *exchange) fail(t responseType, detail string) {
	x.err = detail
	gr, ok := x.g.responses[t.name]
	if !ok {
		gr = x.g.responses[fmt.Sprintf("DEFAULT_%dXX", t.status/100)]
	}
	h := x.w.Header()
	if t.errType != "" {
		h.Set("X-Amzn-Errortype", t.errType)
	}
	for name, source := range gr.headers() {
		if v, ok := strings.CutPrefix(source, "method.request.header."); ok {
			source = x.r.Header.Get(v)
		} else {
			source = source[1 : len(source)-1] // a 'literal', as check made sure
		}
		if source != "" {
			h.Set(name, source)
		}
	}
	quoted, _ := json.Marshal(t.message)
	body := contextVars(string(quoted), t.message, x.id).Replace(cmp.Or(gr.ResponseTemplates["application/json"], `{"message":$context.error.messageString}`))
	status, _ := strconv.Atoi(gr.StatusCode.String())
	x.write(cmp.Or(status, t.status), []byte(body))
}

// contextVars replaces the $context variables a gateway response template may use.
func contextVars(messageString, message, requestID string) *strings.Replacer {
	return strings.NewReplacer("$context.error.messageString", messageString, "$context.error.message", message, "$context.requestId", requestID)
}

// templateVTL finds what a template asks of Velocity beyond contextVars.
var templateVTL = regexp.MustCompile(`\$!?\{?[A-Za-z]|#(set|if|elseif|else|end|foreach|define|macro|parse|include|evaluate|break|stop)\b`)

// gatewayResponse is an AWS::ApiGateway::GatewayResponse's properties
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html).
type gatewayResponse struct {
	ResponseType                          string
	StatusCode                            json.Number       // "429" from YAML, or 429; none keeps the default
	ResponseParameters, ResponseTemplates map[string]string // of the headers and of the application/json body
}

// headers are the response's headers: "'literal'" or method.request.header.<Name>.
func (gr gatewayResponse) headers() map[string]string {
	out := map[string]string{}
	for k, v := range gr.ResponseParameters {
		if name, ok := strings.CutPrefix(k, "gatewayresponse.header."); ok {
			out[name] = v
		}
	}
	return out
}

// check refuses what fail cannot answer as API Gateway would.
func (gr gatewayResponse) check() error {
	if n, err := strconv.Atoi(gr.StatusCode.String()); gr.StatusCode != "" && (err != nil || n < 100 || n > 599) {
		return fmt.Errorf("status %s", gr.StatusCode)
	}
	for name, source := range gr.headers() {
		literal := len(source) >= 2 && source[0] == '\'' && source[len(source)-1] == '\''
		if !literal && !strings.HasPrefix(source, "method.request.header.") {
			return fmt.Errorf("header %s from %s (only 'literal' values and method.request.header.* are)", name, source)
		}
	}
	tmpl := gr.ResponseTemplates["application/json"]
	if vtl := templateVTL.FindString(contextVars("", "", "").Replace(tmpl)); vtl != "" {
		return fmt.Errorf("template %q uses %s... (only $context.error.messageString, $context.error.message and $context.requestId are)", tmpl, vtl)
	}
	return nil
}

// write sends an answer with the headers API Gateway puts on every one, and no body for HEAD.
func (x *exchange) write(status int, body []byte) {
	h := x.w.Header()
	h.Set("Content-Type", cmp.Or(h.Get("Content-Type"), "application/json"))
	h.Set("X-Amzn-Requestid", x.id)
	h.Set("X-Amz-Apigw-Id", apigwID())
	h.Set("X-Amzn-Trace-Id", x.traceID)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Del("Transfer-Encoding")
	x.status = status
	x.w.WriteHeader(status)
	if x.r.Method != http.MethodHead {
		_, _ = x.w.Write(body)
	}
}

// log writes the access log line; a failure says why, without the request's content.
func (x *exchange) log() {
	line := fmt.Sprintf("%s %s %d %s %s %s", x.r.Method, x.r.URL.Path, x.status, x.g.now().Sub(x.start).Round(time.Millisecond), x.fn, x.id)
	if x.err != "" {
		line += " (" + x.err + ")"
	}
	fmt.Fprintln(x.g.logs, line)
}

// apigwID looks like API Gateway's extended request ids (16 characters).
func apigwID() string { return rand.Text()[:16] }
