// Package gateway is a local stand-in for an API Gateway REST API stage with Lambda proxy
// integrations: http://127.0.0.1:<port>/<stage>/<resource> in, the REST proxy event (payload
// 1.0) to the function, its proxy response back out, and API Gateway's own answers where it
// gives them: 403 for an unknown route, 401 from the Cognito authorizer, 413, 429, 502 for a
// function error or a malformed proxy response, 504, the mock OPTIONS method the Serverless
// Framework compiles for CORS, and the stack's gateway responses. What it would only half
// emulate, New refuses with "not supported locally: ...".
//
// AWS documentation followed:
//   - Proxy event and response: https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
//   - Resource paths, {param} and greedy {param+}: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-settings-method-request.html
//   - Gateway responses: https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
//   - Throttling (token bucket): https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
//   - Limits (10 MB, 29 s): https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html
//   - Body encodings: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-payload-encodings.html
package gateway

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/signin-api/signin/local/awsid"
	"github.com/signin-api/signin/local/lambdaruntime"
	"github.com/signin-api/signin/local/slsconfig"
)

const (
	maxBodyBytes       = 10 * 1024 * 1024             // API Gateway's request payload limit
	maxEventBytes      = lambdaruntime.MaxSyncPayload // Lambda's, which the whole event must fit
	integrationTimeout = 29 * time.Second             // API Gateway's default integration timeout
)

// Invoker runs one invocation of a function; *lambdaruntime.Pool is one.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) (lambdaruntime.Response, error)
}

// Authorizer checks a request's identity header and returns the claims to pass on;
// *authorizer.Method is one.
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
	Stage  string // the first path segment ("dev")
	APIID  string // requestContext.apiId
	Routes []Route
	// Preflights are the merged cors settings of resources, by Route.Path, answered by the mock
	// OPTIONS method the Serverless Framework compiles (slsconfig.Config.Preflights).
	Preflights       map[string]slsconfig.CORS
	BinaryMediaTypes []string
	// GatewayResponses customise API Gateway's own answers, by response type.
	GatewayResponses   map[string]slsconfig.GatewayResponse
	Logs               io.Writer        // one access log line per request; nil discards them
	IntegrationTimeout time.Duration    // 29 s if zero
	Now                func() time.Time // time.Now if nil
}

// Gateway is the HTTP handler of one API stage.
type Gateway struct {
	cfg       Config
	resources map[string]*resource // by path
	mu        sync.Mutex           // serialises access log lines
}

// resource is a resource of the API with its methods and its preflight.
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
	cfg.IntegrationTimeout = cmp.Or(cfg.IntegrationTimeout, integrationTimeout)
	cfg.Logs = cmp.Or(cfg.Logs, io.Writer(io.Discard))
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	g := &Gateway{cfg: cfg, resources: map[string]*resource{}}
	params := map[string]string{} // parent resource -> its one {param} child
	add := func(path string) (*resource, error) {
		if res := g.resources[path]; res != nil {
			return res, nil
		}
		res := &resource{path: path, methods: map[string]*Route{}}
		if path != "" {
			res.segs = strings.Split(path, "/")
		}
		for i, s := range res.segs {
			parent := strings.Join(res.segs[:i], "/")
			switch {
			case s == "":
				return nil, fmt.Errorf("gateway: resource /%s has an empty segment", path)
			case strings.HasSuffix(s, "+}") && i < len(res.segs)-1:
				return nil, fmt.Errorf("gateway: resource /%s: a greedy parameter must be last", path)
			case s[0] == '{' && cmp.Or(params[parent], s) != s: // as API Gateway refuses it
				return nil, fmt.Errorf("gateway: resource /%s: /%s already has the parameter %s", path, parent, params[parent])
			case s[0] == '{':
				params[parent] = s
			}
		}
		g.resources[path] = res
		return res, nil
	}
	for _, r := range cfg.Routes {
		res, err := add(r.Path)
		switch {
		case err != nil:
			return nil, err
		case r.Function == nil:
			return nil, fmt.Errorf("gateway: %s /%s has no function", r.Method, r.Path)
		case res.methods[r.Method] != nil:
			return nil, fmt.Errorf("gateway: %s /%s is defined twice", r.Method, r.Path)
		}
		r.AuthHeader = cmp.Or(r.AuthHeader, "Authorization")
		res.methods[r.Method] = &r
	}
	for path, c := range cfg.Preflights {
		res, err := add(path)
		if err != nil {
			return nil, err
		}
		res.cors = &c
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

// match finds the resource of a request path's segments and its path parameters with API
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

// request is what one request carries through the handler to the access log.
type request struct {
	id, traceID string
	start       time.Time
	function    string
	status      int
	errDetail   string
}

// ServeHTTP answers one request as the API stage would.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := &request{id: awsid.RequestID(), start: g.cfg.Now(), function: "-"}
	req.traceID = awsid.TraceID(req.start)
	defer g.accessLog(r, req)
	rest, ok := strings.CutPrefix(r.URL.Path, "/"+g.cfg.Stage)
	if !ok || (rest != "" && rest[0] != '/') {
		// No such stage: API Gateway's answer, which no gateway response customises.
		g.write(w, r, req, http.StatusForbidden, []byte(`{"message":"Forbidden"}`))
		return
	}
	var parts []string // API Gateway ignores a trailing slash
	if p := strings.Trim(rest, "/"); p != "" {
		parts = strings.Split(p, "/")
	}
	res, params := g.match(parts)
	if res != nil && r.Method == http.MethodOptions && res.cors != nil && res.methods[r.Method] == nil {
		g.preflight(w, r, req, res.cors)
		return
	}
	var route *Route
	if res != nil {
		route = cmp.Or(res.methods[r.Method], res.methods["ANY"])
	}
	if route == nil {
		g.fail(w, r, req, missingToken, "")
		return
	}
	req.function = route.FunctionName

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		g.fail(w, r, req, requestTooLarge, "")
		return
	case err != nil:
		g.fail(w, r, req, badRequestBody, "reading the body: "+err.Error())
		return
	case route.Throttle != nil && !route.Throttle.Allow():
		g.fail(w, r, req, throttled, "")
		return
	}
	var claims map[string]string
	if route.Authorizer != nil {
		header := r.Header.Get(route.AuthHeader)
		if header == "" {
			g.fail(w, r, req, unauthorized, "no "+route.AuthHeader+" header")
			return
		}
		if claims, err = route.Authorizer.Authorize(r.Context(), header); err != nil {
			g.fail(w, r, req, unauthorized, err.Error())
			return
		}
	}
	// Marshal cannot fail: the event is strings, maps of strings and numbers.
	payload, _ := json.Marshal(g.event(r, req, res, rest, params, body, claims))
	if len(payload) > maxEventBytes {
		g.fail(w, r, req, requestTooLarge, fmt.Sprintf("the event is %d bytes, over Lambda's %d", len(payload), maxEventBytes))
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), g.cfg.IntegrationTimeout)
	defer cancel()
	resp, err := route.Function.Invoke(ctx, payload)
	switch {
	case err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		g.fail(w, r, req, integrationTimedOut, "integration timeout")
	case err != nil:
		g.fail(w, r, req, internalError, "invoke: "+err.Error())
	case resp.FunctionError != "":
		line, _, _ := strings.Cut(string(resp.Payload[:min(len(resp.Payload), 300)]), "\n")
		g.fail(w, r, req, internalError, "function error: "+line)
	default:
		g.writeProxyResponse(w, r, req, resp.Payload)
	}
}

// event builds the REST API proxy event (payload format 1.0).
func (g *Gateway) event(r *http.Request, req *request, res *resource, path string, params map[string]string,
	body []byte, claims map[string]string) eventJSON {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	// Headers as API Gateway passes them, with Host and the X-Forwarded-* and X-Amzn-Trace-Id
	// it adds; the last value of each in headers. (Go gives names in canonical form, where API
	// Gateway keeps the client's spelling: compare them without case.)
	multi := map[string][]string(r.Header.Clone())
	multi["Host"] = []string{r.Host}
	multi["X-Forwarded-For"] = []string{strings.Join(append(multi["X-Forwarded-For"], ip), ", ")}
	if _, port, err := net.SplitHostPort(r.Host); err == nil {
		multi["X-Forwarded-Port"] = []string{port}
	}
	multi["X-Forwarded-Proto"] = []string{"http"}
	multi["X-Amzn-Trace-Id"] = []string{req.traceID}
	headers := map[string]string{}
	for k, v := range multi {
		headers[k] = v[len(v)-1]
	}
	var query map[string]string // null when there is none, as are the others
	var multiQuery map[string][]string
	if q := r.URL.Query(); len(q) > 0 {
		query, multiQuery = map[string]string{}, q
		for k, v := range q {
			query[k] = v[len(v)-1]
		}
	}
	if len(params) == 0 {
		params = nil
	}
	e := events.APIGatewayProxyRequest{
		Resource:                        "/" + res.path,
		Path:                            cmp.Or(path, "/"),
		HTTPMethod:                      r.Method,
		Headers:                         headers,
		MultiValueHeaders:               multi,
		QueryStringParameters:           query,
		MultiValueQueryStringParameters: multiQuery,
		PathParameters:                  params,
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID:         awsid.AccountID,
			ResourceID:        awsid.FromSeed("/"+res.path, 6),
			Stage:             g.cfg.Stage,
			DomainName:        r.Host,
			RequestID:         req.id,
			ExtendedRequestID: apigwID(),
			Protocol:          r.Proto,
			Identity:          events.APIGatewayRequestIdentity{SourceIP: ip, UserAgent: r.UserAgent()},
			ResourcePath:      "/" + res.path,
			Path:              "/" + g.cfg.Stage + "/" + strings.Trim(path, "/"),
			HTTPMethod:        r.Method,
			RequestTime:       req.start.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			RequestTimeEpoch:  req.start.UnixMilli(),
			APIID:             g.cfg.APIID,
		},
	}
	if claims != nil {
		e.RequestContext.Authorizer = map[string]any{"claims": claims}
	}
	switch {
	case len(body) == 0:
		return eventJSON{e, nil}
	case g.binary(r.Header.Get("Content-Type")):
		e.Body, e.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	default:
		// Any other type is text, "processed as a UTF-8 encoded JSON string" (body encodings),
		// so bytes that are not UTF-8 cannot arrive as sent: each run becomes U+FFFD, as a UTF-8
		// decoder makes it.
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
