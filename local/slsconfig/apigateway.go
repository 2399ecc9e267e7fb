package slsconfig

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// HTTPEvent is an `http` (API Gateway REST API) event.
type HTTPEvent struct {
	Method     string      // upper case: GET, POST, ..., or ANY
	Path       string      // without leading or trailing slash: "signin", "users/{id}", "" for the root
	CORS       *CORS       // nil when the event does not enable CORS
	Authorizer *Authorizer // nil when the method is open
}

// CORS is an event's cors, with the Serverless Framework's defaults.
type CORS struct {
	Origin                    string
	Origins, Headers, Methods []string
	AllowCredentials          bool
	MaxAge                    int
	CacheControl              string
}

// Authorizer is an http event's COGNITO_USER_POOLS authorizer, the only kind that runs locally.
type Authorizer struct {
	Name           string
	PoolLogicalID  string   // the pool whose tokens it takes ({Fn::GetAtt: [Pool, Arn]})
	IdentityHeader string   // the request header holding the token ("Authorization")
	Scopes         []string // the OAuth scopes the method asks for (access tokens); none: ID tokens
	// IdentityValidationExpression is the regex aud must match, a string or a {Ref: ...} such as
	// the app client's id; "" when there is none.
	IdentityValidationExpression EnvValue
}

// httpEvent is an http event, "METHOD path" or its object form.
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

// event is the http event, of the Lambda proxy integration, the one that runs locally.
func (e *httpEvent) event(resources map[string]Resource) (HTTPEvent, error) {
	switch strings.ToUpper(e.Integration) {
	case "", "AWS_PROXY", "LAMBDA-PROXY", "LAMBDA_PROXY":
	default:
		return HTTPEvent{}, fmt.Errorf("not supported locally: integration %q (only the Lambda proxy integration runs)", e.Integration)
	}
	if e.Method == "" {
		return HTTPEvent{}, errors.New("no method")
	} else if e.Async {
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
var defaultCORSHeaders = []string{"Content-Type", "X-Amz-Date", "Authorization", "X-Api-Key",
	"X-Amz-Security-Token", "X-Amz-User-Agent", "X-Amzn-Trace-Id"}

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

// parseAuthorizer reads a COGNITO_USER_POOLS authorizer, inline (arn: {Fn::GetAtt: [Pool, Arn]})
// or an AWS::ApiGateway::Authorizer (authorizerId: {Ref: X}, its properties named alike), with the
// event's scopes (osls validate.js, getAuthorizer); it refuses any other kind.
func parseAuthorizer(raw json.RawMessage, resources map[string]Resource) (*Authorizer, error) {
	var a struct {
		Name, Type, IdentitySource   string
		Arn                          EnvValue
		AuthorizerID                 *EnvValue
		Scopes                       strs
		IdentityValidationExpression EnvValue
		ProviderARNs                 []EnvValue
	}
	if raw == nil || string(raw) == "null" {
		return nil, nil
	} else if json.Unmarshal(raw, &a.Name) == nil {
		return nil, fmt.Errorf("not supported locally: authorizer %q (only a COGNITO_USER_POOLS authorizer of the service's own pool runs)", a.Name)
	} else if err := json.Unmarshal(raw, &a); err != nil {
		return nil, err
	}
	if id := a.AuthorizerID; id != nil {
		res, ok := resources[id.Ref]
		if !ok || res.Type != "AWS::ApiGateway::Authorizer" {
			return nil, fmt.Errorf("not supported locally: authorizerId %s (only {Ref: X}, X an AWS::ApiGateway::Authorizer of serverless.yml)", id)
		}
		a.Type, a.IdentitySource, a.IdentityValidationExpression = "", "", EnvValue{}
		if err := res.props(&a); err != nil {
			return nil, fmt.Errorf("resource %s: %w", id.Ref, err)
		} else if len(a.ProviderARNs) != 1 {
			return nil, fmt.Errorf("not supported locally: authorizer %s with %d provider ARNs (only one)", id.Ref, len(a.ProviderARNs))
		}
		a.Name, a.Arn = id.Ref, a.ProviderARNs[0]
	}
	if !strings.EqualFold(a.Type, "COGNITO_USER_POOLS") {
		return nil, fmt.Errorf("not supported locally: authorizer %q of type %q (only COGNITO_USER_POOLS)", a.Name, a.Type)
	}
	pool, _ := a.Arn.call("Arn")
	if pool == "" {
		return nil, fmt.Errorf("not supported locally: authorizer %q's pool %s (only the service's own pool, {Fn::GetAtt: [Pool, Arn]})", a.Name, a.Arn)
	}
	header, ok := strings.CutPrefix(cmp.Or(a.IdentitySource, "method.request.header.Authorization"), "method.request.header.")
	if !ok {
		return nil, fmt.Errorf("not supported locally: identitySource %q (only a request header)", a.IdentitySource)
	}
	return &Authorizer{Name: a.Name, PoolLogicalID: pool, IdentityHeader: header, Scopes: a.Scopes,
		IdentityValidationExpression: a.IdentityValidationExpression}, nil
}
