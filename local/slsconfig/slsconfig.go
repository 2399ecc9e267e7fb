// Package slsconfig reads the Serverless Framework service configuration, as `sls print`
// resolves it, into what the local stack needs: the functions with their runtime settings,
// environment and events, and the CloudFormation resources the environment refers to.
//
// The configuration is read from the resolved output of `sls print --format json` rather than
// from serverless.yml itself, so that variables (${param:...}, ${sls:stage}, ...) are resolved by
// the Serverless CLI and nothing is written twice.
package slsconfig

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/signin-api/signin/local/awsid"
)

// Lambda's defaults, applied as the Serverless Framework does when neither the function nor
// the provider sets a value.
const (
	DefaultTimeout  = 6 * time.Second
	DefaultMemoryMB = 1024
)

// Config is the part of a resolved Serverless service configuration the local stack uses.
type Config struct {
	Service string
	Stage   string
	Region  string
	// Functions are in the order serverless.yml declares them, which is also the order in
	// which the Serverless Framework merges the CORS settings of a shared path.
	Functions []Function
	// Resources are the CloudFormation resources under resources.Resources, by logical id.
	Resources map[string]Resource
	// BinaryMediaTypes is provider.apiGateway.binaryMediaTypes: request bodies of these types
	// reach a function base64-encoded, as API Gateway does.
	BinaryMediaTypes []string
}

// Function is one entry under functions:.
type Function struct {
	// Key is the function's key in serverless.yml ("signin").
	Key string
	// Name is the deployed function name ("signin-api-dev-signin").
	Name string
	// Runtime is the function's runtime or else the provider's (provided.al2023).
	Runtime  string
	Timeout  time.Duration
	MemoryMB int
	// Environment merges provider.environment and the function's own, the function winning.
	Environment map[string]EnvValue
	HTTP        []HTTPEvent
	// LogFormat and LogLevel are provider.logs.lambda's logFormat ("JSON" or "Text") and
	// applicationLogLevel; Lambda passes them to the function as AWS_LAMBDA_LOG_FORMAT and
	// AWS_LAMBDA_LOG_LEVEL.
	LogFormat string
	LogLevel  string
	// CognitoTriggers are the cognitoUserPool events: the function is this pool's trigger.
	CognitoTriggers []CognitoTrigger
}

// EnvValue is an environment value: a plain string, or a CloudFormation intrinsic function
// that only a deployed stack can resolve.
type EnvValue struct {
	// Value is the string value when the value is a plain string (or number, or boolean).
	Value string
	// Ref is the logical id of a {Ref: ...} value.
	Ref string
	// Intrinsic holds any other non-string value as JSON ({"Fn::GetAtt": ...}).
	Intrinsic json.RawMessage
}

// IsString reports whether the value is a plain string.
func (v EnvValue) IsString() bool { return v.Ref == "" && v.Intrinsic == nil }

// CognitoTrigger is a cognitoUserPool event.
type CognitoTrigger struct {
	Pool    string // "UserPool"
	Trigger string // "PreSignUp"
	// LambdaVersion is the event's lambdaVersion (V2_0 for a Pre Token Generation V2 trigger).
	LambdaVersion string
}

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

// Authorizer is an http event's authorizer.
type Authorizer struct {
	// Type is upper case: COGNITO_USER_POOLS, AWS_IAM, TOKEN, REQUEST, or "" for a function name.
	Type string
	Name string
	// PoolLogicalID is the logical id of the user pool a COGNITO_USER_POOLS authorizer uses,
	// when it refers to a pool of this stack ({Fn::GetAtt: [Pool, Arn]}).
	PoolLogicalID string
	// PoolARN is set instead when the authorizer names a pool by a literal ARN.
	PoolARN string
	// IdentityHeader is the request header holding the token ("Authorization").
	IdentityHeader string
	// Scopes are the OAuth scopes the method asks for (access tokens); none means ID tokens.
	Scopes []string
	// IdentityValidationExpression is the authorizer's token validation regex (matched against
	// aud), a string or a {Ref: ...} such as the app client's id; nil when there is none.
	IdentityValidationExpression *EnvValue
}

// Resource is a CloudFormation resource.
type Resource struct {
	Type       string          `json:"Type"`
	Properties json.RawMessage `json:"Properties"`
}

// Load runs `sls print --format json` for the service in dir with the project's pinned CLI,
// node_modules/.bin/sls, and parses its output. Without node_modules it fails saying so: `npx
// sls` there would offer to install npm's unrelated package named sls. Empty stage and region leave the configuration's own defaults. Each of params
// ("corsAllowOrigin=https://app.example.com") is passed as --param, as `sls deploy` takes it,
// so a stage's exact settings can be run locally.
func Load(ctx context.Context, dir, stage, region string, params ...string) (*Config, error) {
	args := []string{"print", "--format", "json"}
	if stage != "" {
		args = append(args, "--stage", stage)
	}
	if region != "" {
		args = append(args, "--region", region)
	}
	for _, p := range params {
		if name, _, ok := strings.Cut(p, "="); !ok || name == "" {
			return nil, fmt.Errorf("sls param %q: want name=value", p)
		}
		args = append(args, "--param", p)
	}
	name := filepath.Join(dir, "node_modules", ".bin", "sls")
	if _, err := os.Stat(name); err != nil {
		return nil, fmt.Errorf("sls print: the Serverless CLI is missing (%s): run npm ci in %s", filepath.Join("node_modules", ".bin", "sls"), dir)
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("sls print in %s: %w: %s", dir, err, lastLines(stderr.String(), 5))
	}
	return Parse(stdout.Bytes(), stage, region)
}

// lastLines keeps the end of a command's error output for an error message.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// rawConfig is the JSON shape of `sls print --format json`, reduced to what is read here.
type rawConfig struct {
	Service  json.RawMessage `json:"service"`
	Provider struct {
		Runtime     string                     `json:"runtime"`
		Stage       string                     `json:"stage"`
		Region      string                     `json:"region"`
		Timeout     json.Number                `json:"timeout"`
		MemorySize  json.Number                `json:"memorySize"`
		Environment map[string]json.RawMessage `json:"environment"`
		APIGateway  struct {
			BinaryMediaTypes []string `json:"binaryMediaTypes"`
		} `json:"apiGateway"`
		Logs struct {
			Lambda struct {
				LogFormat           string `json:"logFormat"`
				ApplicationLogLevel string `json:"applicationLogLevel"`
			} `json:"lambda"`
		} `json:"logs"`
	} `json:"provider"`
	Functions map[string]struct {
		Name        string                       `json:"name"`
		Runtime     string                       `json:"runtime"`
		Timeout     json.Number                  `json:"timeout"`
		MemorySize  json.Number                  `json:"memorySize"`
		Environment map[string]json.RawMessage   `json:"environment"`
		Events      []map[string]json.RawMessage `json:"events"`
	} `json:"functions"`
	// FunctionsOrder is the functions object again, read for the order of its keys.
	FunctionsOrder json.RawMessage `json:"-"`
	Resources      struct {
		Resources map[string]Resource `json:"Resources"`
	} `json:"resources"`
}

// Parse reads the output of `sls print --format json`. Empty stage and region are taken from
// the provider section, then default to "dev" and awsid.Region as the Serverless Framework does.
func Parse(data []byte, stage, region string) (*Config, error) {
	var raw rawConfig
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("parse serverless config: %w", err)
	}
	var top struct {
		Functions json.RawMessage `json:"functions"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("parse serverless config: %w", err)
	}
	raw.FunctionsOrder = top.Functions
	service, err := serviceName(raw.Service)
	if err != nil {
		return nil, err
	}
	cfg := &Config{
		Service:          service,
		Stage:            cmp.Or(stage, raw.Provider.Stage, "dev"),
		Region:           cmp.Or(region, raw.Provider.Region, awsid.Region),
		Resources:        raw.Resources.Resources,
		BinaryMediaTypes: raw.Provider.APIGateway.BinaryMediaTypes,
	}
	providerTimeout, err := seconds(raw.Provider.Timeout, DefaultTimeout)
	if err != nil {
		return nil, fmt.Errorf("provider.timeout: %w", err)
	}
	providerMemory, err := integer(raw.Provider.MemorySize, DefaultMemoryMB)
	if err != nil {
		return nil, fmt.Errorf("provider.memorySize: %w", err)
	}
	order, err := objectKeys(raw.FunctionsOrder)
	if err != nil {
		return nil, fmt.Errorf("functions: %w", err)
	}
	for _, key := range order {
		rf := raw.Functions[key]
		fn := Function{
			Key:     key,
			Name:    cmp.Or(rf.Name, cfg.Service+"-"+cfg.Stage+"-"+key),
			Runtime: cmp.Or(rf.Runtime, raw.Provider.Runtime),

			LogFormat: raw.Provider.Logs.Lambda.LogFormat,
			LogLevel:  raw.Provider.Logs.Lambda.ApplicationLogLevel,
		}
		if fn.Timeout, err = seconds(rf.Timeout, providerTimeout); err != nil {
			return nil, fmt.Errorf("functions.%s.timeout: %w", key, err)
		}
		if fn.MemoryMB, err = integer(rf.MemorySize, providerMemory); err != nil {
			return nil, fmt.Errorf("functions.%s.memorySize: %w", key, err)
		}
		fn.Environment = map[string]EnvValue{}
		for _, env := range []map[string]json.RawMessage{raw.Provider.Environment, rf.Environment} {
			for name, v := range env {
				ev, err := parseEnvValue(v)
				if err != nil {
					return nil, fmt.Errorf("functions.%s environment %s: %w", key, name, err)
				}
				if ev == nil { // null removes a provider-level value, as in Serverless
					delete(fn.Environment, name)
					continue
				}
				fn.Environment[name] = *ev
			}
		}
		for i, event := range rf.Events {
			if err := fn.addEvent(event); err != nil {
				return nil, fmt.Errorf("functions.%s.events[%d]: %w", key, i, err)
			}
		}
		cfg.Functions = append(cfg.Functions, fn)
	}
	return cfg, nil
}

// objectKeys returns the keys of a JSON object in the order they appear.
func objectKeys(raw json.RawMessage) ([]string, error) {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not an object")
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// serviceName reads `service`, a string or (older configurations) {name: ...}.
func serviceName(raw json.RawMessage) (string, error) {
	var name string
	if err := json.Unmarshal(raw, &name); err == nil && name != "" {
		return name, nil
	}
	var obj struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(raw, &obj); err == nil && obj.Name != "" {
		return obj.Name, nil
	}
	return "", errors.New("serverless config has no service name")
}

func seconds(n json.Number, fallback time.Duration) (time.Duration, error) {
	if n == "" {
		return fallback, nil
	}
	f, err := n.Float64()
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("not a positive number of seconds: %q", n)
	}
	return time.Duration(f * float64(time.Second)), nil
}

func integer(n json.Number, fallback int) (int, error) {
	if n == "" {
		return fallback, nil
	}
	i, err := n.Int64()
	if err != nil || i <= 0 {
		return 0, fmt.Errorf("not a positive integer: %q", n)
	}
	return int(i), nil
}

// parseEnvValue reads one environment value; nil means null.
func parseEnvValue(raw json.RawMessage) (*EnvValue, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return nil, nil
	}
	switch trimmed[0] {
	case '"':
		var s string
		if err := json.Unmarshal(trimmed, &s); err != nil {
			return nil, err
		}
		return &EnvValue{Value: s}, nil
	case '{':
		var ref struct {
			Ref string `json:"Ref"`
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &fields); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(trimmed, &ref); err == nil && ref.Ref != "" && len(fields) == 1 {
			return &EnvValue{Ref: ref.Ref}, nil
		}
		return &EnvValue{Intrinsic: append(json.RawMessage(nil), trimmed...)}, nil
	case '[':
		return nil, errors.New("a list is not an environment value")
	default: // number or boolean: Lambda receives its text
		return &EnvValue{Value: string(trimmed)}, nil
	}
}

// addEvent records the events the local stack serves; others (schedule, sqs, ...) are ignored.
func (fn *Function) addEvent(event map[string]json.RawMessage) error {
	if raw, ok := event["http"]; ok {
		h, err := parseHTTPEvent(raw)
		if err != nil {
			return fmt.Errorf("http: %w", err)
		}
		fn.HTTP = append(fn.HTTP, h)
	}
	if raw, ok := event["cognitoUserPool"]; ok {
		var t CognitoTrigger
		if err := json.Unmarshal(raw, &struct {
			Pool          *string `json:"pool"`
			Trigger       *string `json:"trigger"`
			LambdaVersion *string `json:"lambdaVersion"`
		}{&t.Pool, &t.Trigger, &t.LambdaVersion}); err != nil {
			return fmt.Errorf("cognitoUserPool: %w", err)
		}
		fn.CognitoTriggers = append(fn.CognitoTriggers, t)
	}
	return nil
}

// rawHTTPEvent is the object form of an http event.
type rawHTTPEvent struct {
	Path        string          `json:"path"`
	Method      string          `json:"method"`
	CORS        json.RawMessage `json:"cors"`
	Authorizer  json.RawMessage `json:"authorizer"`
	Integration string          `json:"integration"`
	Async       bool            `json:"async"`
}

func parseHTTPEvent(raw json.RawMessage) (HTTPEvent, error) {
	var r rawHTTPEvent
	var short string
	if err := json.Unmarshal(raw, &short); err == nil {
		// "POST signin" shorthand
		method, path, ok := strings.Cut(strings.TrimSpace(short), " ")
		if !ok {
			return HTTPEvent{}, fmt.Errorf("%q is not \"METHOD path\"", short)
		}
		r.Method, r.Path = method, strings.TrimSpace(path)
	} else if err := json.Unmarshal(raw, &r); err != nil {
		return HTTPEvent{}, err
	}
	if r.Method == "" {
		return HTTPEvent{}, errors.New("no method")
	}
	switch strings.ToUpper(r.Integration) {
	case "", "AWS_PROXY", "LAMBDA-PROXY", "LAMBDA_PROXY":
	default:
		return HTTPEvent{}, fmt.Errorf("integration %q: only the Lambda proxy integration runs locally", r.Integration)
	}
	if r.Async {
		return HTTPEvent{}, errors.New("async http events do not run locally")
	}
	h := HTTPEvent{
		Method: strings.ToUpper(r.Method),
		Path:   strings.Trim(r.Path, "/"),
	}
	var err error
	if h.CORS, err = parseCORS(r.CORS, h.Method); err != nil {
		return HTTPEvent{}, fmt.Errorf("cors: %w", err)
	}
	if h.Authorizer, err = parseAuthorizer(r.Authorizer); err != nil {
		return HTTPEvent{}, fmt.Errorf("authorizer: %w", err)
	}
	return h, nil
}

// defaultCORSHeaders are the Serverless Framework's default Access-Control-Allow-Headers.
var defaultCORSHeaders = []string{
	"Content-Type", "X-Amz-Date", "Authorization", "X-Api-Key",
	"X-Amz-Security-Token", "X-Amz-User-Agent", "X-Amzn-Trace-Id",
}

// parseCORS applies the defaults of the Serverless Framework (osls
// lib/plugins/aws/package/compile/events/api-gateway/lib/validate.js, getCors).
func parseCORS(raw json.RawMessage, method string) (*CORS, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) || bytes.Equal(trimmed, []byte("false")) {
		return nil, nil
	}
	c := &CORS{Origin: "*", Headers: append([]string(nil), defaultCORSHeaders...), Methods: []string{"OPTIONS"}}
	if bytes.Equal(trimmed, []byte("true")) {
		c.Methods = append(c.Methods, method)
		return c, nil
	}
	var r struct {
		Origin           *string         `json:"origin"`
		Origins          []string        `json:"origins"`
		Headers          json.RawMessage `json:"headers"`
		Methods          []string        `json:"methods"`
		AllowCredentials bool            `json:"allowCredentials"`
		MaxAge           int             `json:"maxAge"`
		CacheControl     string          `json:"cacheControl"`
	}
	if err := json.Unmarshal(trimmed, &r); err != nil {
		return nil, err
	}
	if r.Origins != nil {
		c.Origin = ""
		c.Origins = r.Origins
	}
	if r.Origin != nil {
		c.Origin = *r.Origin
	}
	if len(r.Headers) > 0 && !bytes.Equal(r.Headers, []byte("null")) {
		var one string
		var list []string
		if err := json.Unmarshal(r.Headers, &one); err == nil {
			c.Headers = []string{one}
		} else if err := json.Unmarshal(r.Headers, &list); err == nil {
			c.Headers = list
		} else {
			return nil, fmt.Errorf("headers: %w", err)
		}
	}
	c.Methods = append([]string(nil), r.Methods...)
	if !slices.Contains(c.Methods, "OPTIONS") {
		c.Methods = append(c.Methods, "OPTIONS")
	}
	if !slices.Contains(c.Methods, method) {
		c.Methods = append(c.Methods, method)
	}
	c.AllowCredentials = r.AllowCredentials
	c.MaxAge = r.MaxAge
	c.CacheControl = r.CacheControl
	return c, nil
}

// parseAuthorizer reads the forms of `authorizer` the Serverless Framework accepts
// (validate.js, getAuthorizer).
func parseAuthorizer(raw json.RawMessage) (*Authorizer, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return nil, nil
	}
	a := &Authorizer{IdentityHeader: "Authorization"}
	var s string
	if err := json.Unmarshal(trimmed, &s); err == nil {
		switch {
		case strings.EqualFold(s, "aws_iam"):
			a.Type = "AWS_IAM"
		case strings.HasPrefix(s, "arn:aws:cognito-idp:"):
			a.Type, a.PoolARN = "COGNITO_USER_POOLS", s
		default:
			a.Name = s // a Lambda authorizer function (or its ARN)
		}
		return a, nil
	}
	var r struct {
		Type           string          `json:"type"`
		Name           string          `json:"name"`
		ARN            json.RawMessage `json:"arn"`
		AuthorizerID   json.RawMessage `json:"authorizerId"`
		IdentitySource string          `json:"identitySource"`
		Scopes         []string        `json:"scopes"`
		Expression     json.RawMessage `json:"identityValidationExpression"`
	}
	if err := json.Unmarshal(trimmed, &r); err != nil {
		return nil, err
	}
	a.Type = strings.ToUpper(r.Type)
	a.Name = r.Name
	a.Scopes = r.Scopes
	var err error
	if a.IdentityValidationExpression, err = parseExpression(r.Expression); err != nil {
		return nil, fmt.Errorf("identityValidationExpression: %w", err)
	}
	if r.IdentitySource != "" {
		header, ok := strings.CutPrefix(r.IdentitySource, "method.request.header.")
		if !ok {
			return nil, fmt.Errorf("identitySource %q: only a request header is supported locally", r.IdentitySource)
		}
		a.IdentityHeader = header
	}
	if len(r.AuthorizerID) > 0 {
		ref, err := refOf(r.AuthorizerID)
		if err != nil {
			return nil, fmt.Errorf("authorizerId: %w", err)
		}
		a.Name = ref // resolved against resources by Config.ResolveAuthorizer
		return a, nil
	}
	if len(r.ARN) > 0 {
		if err := json.Unmarshal(r.ARN, &a.PoolARN); err == nil {
			if strings.HasPrefix(a.PoolARN, "arn:aws:cognito-idp:") && a.Type == "" {
				a.Type = "COGNITO_USER_POOLS"
			}
			return a, nil
		}
		id, err := getAttArn(r.ARN)
		if err != nil {
			return nil, fmt.Errorf("arn: %w", err)
		}
		a.PoolLogicalID = id
	}
	return a, nil
}

// parseExpression reads an identityValidationExpression: nil when absent or empty.
func parseExpression(raw json.RawMessage) (*EnvValue, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	v, err := parseEnvValue(raw)
	if err != nil || v == nil || (v.IsString() && v.Value == "") {
		return nil, err
	}
	return v, nil
}

// refOf reads {Ref: X}.
func refOf(raw json.RawMessage) (string, error) {
	var r struct {
		Ref string `json:"Ref"`
	}
	if err := json.Unmarshal(raw, &r); err != nil || r.Ref == "" {
		return "", fmt.Errorf("%s is not a {Ref: ...}", raw)
	}
	return r.Ref, nil
}

// getAttArn reads {Fn::GetAtt: [X, Arn]} or {Fn::GetAtt: "X.Arn"}.
func getAttArn(raw json.RawMessage) (string, error) {
	var r struct {
		GetAtt json.RawMessage `json:"Fn::GetAtt"`
	}
	if err := json.Unmarshal(raw, &r); err != nil || r.GetAtt == nil {
		return "", fmt.Errorf("%s is neither a string nor {Fn::GetAtt: [X, Arn]}", raw)
	}
	var parts []string
	if err := json.Unmarshal(r.GetAtt, &parts); err != nil {
		var dotted string
		if err := json.Unmarshal(r.GetAtt, &dotted); err != nil {
			return "", fmt.Errorf("Fn::GetAtt %s", r.GetAtt)
		}
		parts = strings.SplitN(dotted, ".", 2)
	}
	if len(parts) != 2 || parts[1] != "Arn" {
		return "", fmt.Errorf("Fn::GetAtt %s does not name an Arn", r.GetAtt)
	}
	return parts[0], nil
}

// Function returns the function with the given key.
func (c *Config) Function(key string) (Function, bool) {
	for _, fn := range c.Functions {
		if fn.Key == key {
			return fn, true
		}
	}
	return Function{}, false
}

// ResourcesOfType returns the logical ids of the resources of a CloudFormation type, sorted.
func (c *Config) ResourcesOfType(typ string) []string {
	var ids []string
	for id, r := range c.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// ResolveAuthorizer completes an authorizer given by authorizerId: {Ref: X}, reading the
// AWS::ApiGateway::Authorizer resource X, so that every COGNITO_USER_POOLS authorizer ends up
// with its pool.
func (c *Config) ResolveAuthorizer(a Authorizer) (Authorizer, error) {
	r, ok := c.Resources[a.Name]
	if a.PoolLogicalID != "" || a.PoolARN != "" || !ok || r.Type != "AWS::ApiGateway::Authorizer" {
		return a, nil
	}
	var props struct {
		Type           string            `json:"Type"`
		IdentitySource string            `json:"IdentitySource"`
		ProviderARNs   []json.RawMessage `json:"ProviderARNs"`
		Expression     json.RawMessage   `json:"IdentityValidationExpression"`
	}
	if err := json.Unmarshal(r.Properties, &props); err != nil {
		return a, fmt.Errorf("resource %s: %w", a.Name, err)
	}
	a.Type = strings.ToUpper(props.Type)
	expr, err := parseExpression(props.Expression)
	if err != nil {
		return a, fmt.Errorf("resource %s: IdentityValidationExpression: %w", a.Name, err)
	}
	a.IdentityValidationExpression = expr
	if header, ok := strings.CutPrefix(props.IdentitySource, "method.request.header."); ok {
		a.IdentityHeader = header
	}
	if len(props.ProviderARNs) != 1 {
		return a, fmt.Errorf("resource %s: the local authorizer needs exactly one provider ARN", a.Name)
	}
	if err := json.Unmarshal(props.ProviderARNs[0], &a.PoolARN); err == nil {
		return a, nil
	}
	id, err := getAttArn(props.ProviderARNs[0])
	if err != nil {
		return a, fmt.Errorf("resource %s: %w", a.Name, err)
	}
	a.PoolLogicalID = id
	return a, nil
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
			if h.CORS.MaxAge != 0 {
				p.MaxAge = h.CORS.MaxAge
			}
			if h.CORS.CacheControl != "" {
				p.CacheControl = h.CORS.CacheControl
			}
			out[h.Path] = p
		}
	}
	return out
}

// union keeps the order of left then right, without repeats, as the framework's helper does.
func union(left, right []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, list := range [][]string{left, right} {
		for _, v := range list {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	return out
}
