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

// Authorizer checks an identity header and returns the claims; *authorizer.Method is one.
type Authorizer interface {
	Authorize(ctx context.Context, header string) (map[string]string, error)
}

// Route is a method of a resource, integrated with a function.
type Route struct {
	Method       string // upper case, or ANY
	Path         string // without leading slash: "signin", "users/{id}", "files/{proxy+}", "" for the root
	FunctionName string // for the access log
	Function     Invoker
	Authorizer   Authorizer // nil for an open method
	AuthHeader   string     // the authorizer's identity header; Authorization if empty
	Throttle     *Throttle  // the stage's MethodSettings for the method; nil for none
}

// Config describes a stage of the API.
type Config struct {
	Stage              string                               // the first path segment ("dev")
	APIID              string                               // requestContext.apiId
	Routes             []Route                              // the stage's methods
	Preflights         map[string]slsconfig.CORS            // merged cors settings by Route.Path (slsconfig.Config.Preflights)
	BinaryMediaTypes   []string                             // provider.apiGateway.binaryMediaTypes
	GatewayResponses   map[string]slsconfig.GatewayResponse // by response type
	Logs               io.Writer                            // an access log line per request, safe for concurrent use; nil discards them
	IntegrationTimeout time.Duration                        // 29 s, API Gateway's default, if zero
	Now                func() time.Time                     // time.Now if nil
}

// Gateway is the HTTP handler of one API stage.
type Gateway struct {
	cfg       Config
	resources map[string]*resource // by path
}

type resource struct {
	path    string
	segs    []string
	methods map[string]*Route
	cors    *slsconfig.CORS
}

// New checks the routes, preflights and gateway responses as API Gateway would.
func New(cfg Config) (*Gateway, error) {
	if cfg.Stage == "" {
		return nil, errors.New("gateway: no stage")
	}
	cfg.IntegrationTimeout = cmp.Or(cfg.IntegrationTimeout, 29*time.Second)
	cfg.Logs = cmp.Or(cfg.Logs, io.Writer(io.Discard))
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	g := &Gateway{cfg: cfg, resources: map[string]*resource{}}
	params := map[string]string{} // parent resource -> its one {param} child
	for _, r := range cfg.Routes {
		res := g.resources[r.Path]
		if res == nil {
			res = &resource{path: r.Path, methods: map[string]*Route{}}
			if r.Path != "" {
				res.segs = strings.Split(r.Path, "/")
			}
			g.resources[r.Path] = res
		}
		for i, s := range res.segs {
			parent := strings.Join(res.segs[:i], "/")
			switch {
			case strings.HasSuffix(s, "+}") && i < len(res.segs)-1:
				return nil, fmt.Errorf("gateway: resource /%s: a greedy parameter must be last", r.Path)
			case strings.HasPrefix(s, "{") && cmp.Or(params[parent], s) != s: // as API Gateway refuses it
				return nil, fmt.Errorf("gateway: resource /%s: /%s already has the parameter %s", r.Path, parent, params[parent])
			case strings.HasPrefix(s, "{"):
				params[parent] = s
			}
		}
		switch {
		case r.Function == nil:
			return nil, fmt.Errorf("gateway: %s /%s has no function", r.Method, r.Path)
		case res.methods[r.Method] != nil:
			return nil, fmt.Errorf("gateway: %s /%s is defined twice", r.Method, r.Path)
		}
		r.AuthHeader = cmp.Or(r.AuthHeader, "Authorization")
		res.methods[r.Method] = &r
	}
	for path, c := range cfg.Preflights {
		if res := g.resources[path]; res != nil { // slsconfig has them for routes' paths only
			res.cors = &c
		}
	}
	for typ, gr := range cfg.GatewayResponses {
		if err := checkResponse(gr); err != nil {
			return nil, fmt.Errorf("gateway: not supported locally: gateway response %s: %w", typ, err)
		}
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
	x := &exchange{g: g, w: w, r: r, id: awsid.RequestID(), fn: "-", start: g.cfg.Now()}
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
	var route *Route
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
	x.fn = route.FunctionName
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		x.fail(requestTooLarge, "")
		return
	case err != nil:
		x.fail(badRequestBody, "reading the body: "+err.Error())
		return
	case route.Throttle != nil && !route.Throttle.Allow():
		x.fail(throttled, "")
		return
	}
	var claims map[string]string
	if route.Authorizer != nil {
		header := r.Header.Get(route.AuthHeader)
		if header == "" {
			x.fail(unauthorized, "no "+route.AuthHeader+" header")
			return
		}
		if claims, err = route.Authorizer.Authorize(r.Context(), header); err != nil {
			x.fail(unauthorized, err.Error())
			return
		}
	}
	payload, _ := json.Marshal(x.event(res, rest, params, body, claims)) // strings and numbers: cannot fail
	if len(payload) > maxEventBytes {
		x.fail(requestTooLarge, fmt.Sprintf("the event is %d bytes, over Lambda's %d", len(payload), maxEventBytes))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), g.cfg.IntegrationTimeout)
	defer cancel()
	resp, err := route.Function.Invoke(ctx, payload)
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
		Resource: "/" + res.path, Path: cmp.Or(path, "/"), HTTPMethod: r.Method, PathParameters: params,
		Headers: lastValues(headers), MultiValueHeaders: headers,
		QueryStringParameters: lastValues(query), MultiValueQueryStringParameters: query,
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID: awsid.AccountID, APIID: x.g.cfg.APIID, Stage: x.g.cfg.Stage, DomainName: r.Host, Protocol: r.Proto,
			RequestID: x.id, ExtendedRequestID: apigwID(), ResourceID: awsid.FromSeed("/"+res.path, 6),
			ResourcePath: "/" + res.path, Path: "/" + x.g.cfg.Stage + "/" + strings.Trim(path, "/"), HTTPMethod: r.Method,
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
	gr, ok := x.g.cfg.GatewayResponses[t.name]
	if !ok {
		gr = x.g.cfg.GatewayResponses[fmt.Sprintf("DEFAULT_%dXX", t.status/100)]
	}
	h := x.w.Header()
	if t.errType != "" {
		h.Set("X-Amzn-Errortype", t.errType)
	}
	for name, source := range gr.Headers {
		if v, ok := strings.CutPrefix(source, "method.request.header."); ok {
			source = x.r.Header.Get(v)
		} else {
			source = source[1 : len(source)-1] // a 'literal', as checkResponse made sure
		}
		if source != "" {
			h.Set(name, source)
		}
	}
	quoted, _ := json.Marshal(t.message)
	body := contextVars(string(quoted), t.message, x.id).Replace(cmp.Or(gr.Template, `{"message":$context.error.messageString}`))
	x.write(cmp.Or(gr.StatusCode, t.status), []byte(body))
}

// contextVars replaces the $context variables a gateway response template may use.
func contextVars(messageString, message, requestID string) *strings.Replacer {
	return strings.NewReplacer("$context.error.messageString", messageString, "$context.error.message", message, "$context.requestId", requestID)
}

// templateVTL finds what a template asks of Velocity beyond contextVars.
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
	line := fmt.Sprintf("%s %s %d %s %s %s", x.r.Method, x.r.URL.Path, x.status, x.g.cfg.Now().Sub(x.start).Round(time.Millisecond), x.fn, x.id)
	if x.err != "" {
		line += " (" + x.err + ")"
	}
	fmt.Fprintln(x.g.cfg.Logs, line)
}

// apigwID looks like API Gateway's extended request ids (16 characters).
func apigwID() string { return rand.Text()[:16] }

// Throttle is a method's rate and burst limit: API Gateway's token bucket.
type Throttle struct {
	limiter *rate.Limiter
	now     func() time.Time
}

// NewThrottle allows perSecond requests a second with bursts of burst; now is time.Now if nil.
func NewThrottle(perSecond float64, burst int, now func() time.Time) *Throttle {
	if now == nil {
		now = time.Now
	}
	return &Throttle{rate.NewLimiter(rate.Limit(perSecond), burst), now}
}

// Allow takes a token if there is one.
func (t *Throttle) Allow() bool { return t.limiter.AllowN(t.now(), 1) }
