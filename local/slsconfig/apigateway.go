package slsconfig

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// CloudFormation resource types of API Gateway that the local gateway reads.
const (
	typeAuthorizer      = "AWS::ApiGateway::Authorizer"
	typeGatewayResponse = "AWS::ApiGateway::GatewayResponse"
	typeStage           = "AWS::ApiGateway::Stage"
)

// HTTPEvent is an `http` (API Gateway REST API) event.
type HTTPEvent struct {
	// Method is upper case: GET, POST, ..., or ANY.
	Method string
	// Path has no leading or trailing slash ("signin", "users/{id}"; "" for the root).
	Path string
	// CORS is nil when the event does not enable CORS.
	CORS *CORS
	// Authorizer is nil when the method is open.
	Authorizer *Authorizer
}

// CORS is an event's cors setting with the Serverless Framework's defaults applied. Preflights
// merges the settings of a path's events into the same type, which the local gateway answers
// OPTIONS with, so the setting reaches it without a conversion.
type CORS struct {
	Origin           string
	Origins          []string
	Headers          []string
	Methods          []string
	AllowCredentials bool
	MaxAge           int
	CacheControl     string
}

// Authorizer is an http event's COGNITO_USER_POOLS authorizer, the only kind that runs locally.
type Authorizer struct {
	Name string
	// PoolLogicalID is the logical id of the user pool whose tokens the authorizer accepts
	// ({Fn::GetAtt: [Pool, Arn]}).
	PoolLogicalID string
	// IdentityHeader is the request header holding the token ("Authorization").
	IdentityHeader string
	// Scopes are the OAuth scopes the method asks for (access tokens); none means ID tokens.
	Scopes []string
	// IdentityValidationExpression is the authorizer's token validation regex (matched against
	// aud), a string or a {Ref: ...} such as the app client's id; nil when there is none.
	IdentityValidationExpression *EnvValue
}

// httpEvent is an http event: "METHOD path", or its object form.
type httpEvent struct {
	Method, Path, Integration string
	Async                     flag
	CORS                      corsSetting
	Authorizer                json.RawMessage
}

func (e *httpEvent) UnmarshalJSON(b []byte) error {
	var short string
	if json.Unmarshal(b, &short) != nil {
		type object httpEvent
		return json.Unmarshal(b, (*object)(e))
	}
	var ok bool
	if e.Method, e.Path, ok = strings.Cut(strings.TrimSpace(short), " "); !ok {
		return fmt.Errorf("%q is not \"METHOD path\"", short)
	}
	return nil
}

// parseHTTPEvent reads an http event with the Lambda proxy integration, the one that runs
// locally.
func parseHTTPEvent(raw json.RawMessage, resources map[string]Resource) (HTTPEvent, error) {
	var e httpEvent
	if err := json.Unmarshal(raw, &e); err != nil {
		return HTTPEvent{}, err
	}
	if e.Method == "" {
		return HTTPEvent{}, errors.New("no method")
	}
	switch strings.ToUpper(e.Integration) {
	case "", "AWS_PROXY", "LAMBDA-PROXY", "LAMBDA_PROXY":
	default:
		return HTTPEvent{}, fmt.Errorf("not supported locally: integration %q (only the Lambda proxy integration runs)", e.Integration)
	}
	if e.Async {
		return HTTPEvent{}, errors.New("not supported locally: async http events")
	}
	h := HTTPEvent{Method: strings.ToUpper(e.Method), Path: strings.Trim(strings.TrimSpace(e.Path), "/")}
	h.CORS = e.CORS.apply(h.Method)
	var err error
	if h.Authorizer, err = parseAuthorizer(e.Authorizer, resources); err != nil {
		return HTTPEvent{}, fmt.Errorf("authorizer: %w", err)
	}
	return h, nil
}

// corsSetting is an event's cors: true, false, or an object.
type corsSetting struct {
	on                        bool
	Origin                    *string
	Origins, Headers, Methods strs
	AllowCredentials          flag
	MaxAge                    num
	CacheControl              string
}

func (c *corsSetting) UnmarshalJSON(b []byte) error {
	if json.Unmarshal(b, &c.on) == nil {
		return nil
	}
	type object corsSetting
	c.on = true
	return json.Unmarshal(b, (*object)(c))
}

// defaultCORSHeaders are the Serverless Framework's default Access-Control-Allow-Headers.
var defaultCORSHeaders = []string{
	"Content-Type", "X-Amz-Date", "Authorization", "X-Api-Key",
	"X-Amz-Security-Token", "X-Amz-User-Agent", "X-Amzn-Trace-Id",
}

// apply applies the defaults of the Serverless Framework (osls
// lib/plugins/aws/package/compile/events/api-gateway/lib/validate.js, getCors).
func (c corsSetting) apply(method string) *CORS {
	if !c.on {
		return nil
	}
	out := &CORS{Origin: "*", Headers: slices.Clone(defaultCORSHeaders), Methods: c.Methods,
		AllowCredentials: bool(c.AllowCredentials), MaxAge: int(c.MaxAge), CacheControl: c.CacheControl}
	if c.Origins != nil {
		out.Origin, out.Origins = "", c.Origins
	}
	if c.Origin != nil {
		out.Origin = *c.Origin
	}
	if c.Headers != nil {
		out.Headers = c.Headers
	}
	for _, m := range []string{"OPTIONS", method} {
		if !slices.Contains(out.Methods, m) {
			out.Methods = append(out.Methods, m)
		}
	}
	return out
}

// rawAuthorizer is an event's authorizer or, with the same names in other case, the properties
// of an AWS::ApiGateway::Authorizer.
type rawAuthorizer struct {
	Name, Type, IdentitySource   string
	Arn                          EnvValue
	AuthorizerID                 *EnvValue
	Scopes                       strs
	IdentityValidationExpression *EnvValue
	ProviderARNs                 []EnvValue
}

// parseAuthorizer reads a Cognito user pool authorizer, the one kind the local gateway runs:
// inline ({type: COGNITO_USER_POOLS, arn: {Fn::GetAtt: [Pool, Arn]}}) or an
// AWS::ApiGateway::Authorizer of the service (authorizerId: {Ref: X}), with the event's scopes
// (osls validate.js, getAuthorizer). Any other kind is refused rather than let through unchecked.
func parseAuthorizer(raw json.RawMessage, resources map[string]Resource) (*Authorizer, error) {
	var name string
	if raw == nil || string(raw) == "null" {
		return nil, nil
	} else if json.Unmarshal(raw, &name) == nil {
		return nil, fmt.Errorf("not supported locally: authorizer %q (only a COGNITO_USER_POOLS authorizer of the service's own pool runs)", name)
	}
	var a rawAuthorizer
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, err
	}
	if id := a.AuthorizerID; id != nil {
		res, ok := resources[id.Ref]
		if !ok || res.Type != typeAuthorizer {
			return nil, fmt.Errorf("not supported locally: authorizerId %s (only {Ref: X}, X an AWS::ApiGateway::Authorizer of serverless.yml)", id)
		}
		scopes := a.Scopes
		if a = (rawAuthorizer{}); res.props(&a) != nil || len(a.ProviderARNs) != 1 {
			return nil, fmt.Errorf("not supported locally: authorizer %s with other than one provider ARN", id.Ref)
		}
		a.Name, a.Scopes, a.Arn = id.Ref, scopes, a.ProviderARNs[0]
	}
	if !strings.EqualFold(a.Type, "COGNITO_USER_POOLS") {
		return nil, fmt.Errorf("not supported locally: authorizer %q of type %q (only COGNITO_USER_POOLS)", a.Name, a.Type)
	}
	out := &Authorizer{Name: a.Name, PoolLogicalID: a.Arn.getAtt("Arn"), IdentityHeader: "Authorization",
		Scopes: a.Scopes, IdentityValidationExpression: a.IdentityValidationExpression}
	if out.PoolLogicalID == "" {
		return nil, fmt.Errorf("not supported locally: authorizer %q's pool %s (only the service's own pool, {Fn::GetAtt: [Pool, Arn]})", a.Name, a.Arn)
	}
	if s := a.IdentitySource; s != "" {
		var ok bool
		if out.IdentityHeader, ok = strings.CutPrefix(s, "method.request.header."); !ok {
			return nil, fmt.Errorf("not supported locally: identitySource %q (only a request header)", s)
		}
	}
	if e := out.IdentityValidationExpression; e != nil && e.IsString() && e.Value == "" {
		out.IdentityValidationExpression = nil
	}
	return out, nil
}

// Preflights returns, per path (as in HTTPEvent.Path), the CORS configuration of the paths that
// have one, merged over all their http events as the Serverless Framework does when it compiles
// the OPTIONS mock method (validate.js). Functions are visited in the order of Config.Functions.
func (c *Config) Preflights() map[string]CORS {
	out := map[string]CORS{}
	for _, fn := range c.Functions {
		for _, h := range fn.HTTP {
			if h.CORS == nil {
				continue
			}
			p := out[h.Path]
			p.Headers = union(h.CORS.Headers, p.Headers)
			p.Methods = union(h.CORS.Methods, p.Methods)
			p.Origins = union(h.CORS.Origins, p.Origins)
			p.Origin = h.CORS.Origin
			p.AllowCredentials = p.AllowCredentials || h.CORS.AllowCredentials
			p.MaxAge = cmp.Or(h.CORS.MaxAge, p.MaxAge)
			p.CacheControl = cmp.Or(h.CORS.CacheControl, p.CacheControl)
			out[h.Path] = p
		}
	}
	return out
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

// GatewayResponse is an AWS::ApiGateway::GatewayResponse: headers, and optionally a status and
// a body template, for one response type
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html).
type GatewayResponse struct {
	// StatusCode replaces the default status; 0 keeps it.
	StatusCode int
	// Headers maps a header to its source: "'literal'" or method.request.header.<Name>.
	Headers map[string]string
	// Template is the application/json body template; empty keeps
	// {"message":$context.error.messageString}.
	Template string
}

type gatewayResponseProps struct {
	ResponseType                          string
	StatusCode                            num // "429" from YAML, or 429
	ResponseParameters, ResponseTemplates map[string]string
}

// GatewayResponses reads the AWS::ApiGateway::GatewayResponse resources, by response type; of
// two with one type, the later logical id wins.
func (c *Config) GatewayResponses() map[string]GatewayResponse {
	out := map[string]GatewayResponse{}
	for _, id := range c.resourcesOfType(typeGatewayResponse) {
		var p gatewayResponseProps
		_ = c.Resources[id].props(&p) // Parse has refused what does not decode
		if p.ResponseType == "" {
			continue
		}
		gr := GatewayResponse{StatusCode: int(p.StatusCode), Headers: map[string]string{}, Template: p.ResponseTemplates["application/json"]}
		for k, v := range p.ResponseParameters {
			if name, ok := strings.CutPrefix(k, "gatewayresponse.header."); ok {
				gr.Headers[name] = v
			}
		}
		out[p.ResponseType] = gr
	}
	return out
}

// MethodThrottle is one entry of a stage's MethodSettings.
type MethodThrottle struct {
	// Path is the resource path without leading slash, or "*"; Method is upper case or "*".
	Path, Method string
	Rate         float64
	Burst        int
}

type stageProps struct {
	MethodSettings []struct {
		ResourcePath, HTTPMethod                  string
		ThrottlingRateLimit, ThrottlingBurstLimit *num // a string when a --param sets it
	}
}

// MethodThrottles reads the throttling MethodSettings of the AWS::ApiGateway::Stage resources
// (ResourcePath "/~1signin" is /signin: ~1 escapes a slash, ~0 a tilde).
func (c *Config) MethodThrottles() []MethodThrottle {
	var out []MethodThrottle
	for _, id := range c.resourcesOfType(typeStage) {
		var p stageProps
		_ = c.Resources[id].props(&p) // Parse has refused what does not decode
		for _, ms := range p.MethodSettings {
			if ms.ThrottlingRateLimit != nil && ms.ThrottlingBurstLimit != nil {
				out = append(out, MethodThrottle{
					Path:   strings.Trim(strings.NewReplacer("~1", "/", "~0", "~").Replace(ms.ResourcePath), "/"),
					Method: strings.ToUpper(ms.HTTPMethod),
					Rate:   float64(*ms.ThrottlingRateLimit),
					Burst:  int(*ms.ThrottlingBurstLimit),
				})
			}
		}
	}
	return out
}
