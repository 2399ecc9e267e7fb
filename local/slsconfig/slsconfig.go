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

// Resource is a CloudFormation resource.
type Resource struct {
	Type       string          `json:"Type"`
	Properties json.RawMessage `json:"Properties"`
}

// Load runs `sls print --format json` for the service in dir with the project's pinned CLI,
// node_modules/.bin/sls, and parses its output. Without node_modules it fails saying so: `npx
// sls` there would offer to install npm's unrelated package named sls. Empty stage and region
// leave the configuration's own defaults. Each of params
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
	Service  value `json:"service"`
	Provider struct {
		Runtime     string `json:"runtime"`
		Stage       string `json:"stage"`
		Region      string `json:"region"`
		Timeout     value  `json:"timeout"`
		MemorySize  value  `json:"memorySize"`
		Environment props  `json:"environment"`
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
	// Functions is read twice: for the order of its keys, and into rawFunction.
	Functions value `json:"functions"`
	Resources struct {
		Resources map[string]Resource `json:"Resources"`
	} `json:"resources"`
}

type rawFunction struct {
	Name        string  `json:"name"`
	Runtime     string  `json:"runtime"`
	Timeout     value   `json:"timeout"`
	MemorySize  value   `json:"memorySize"`
	Environment props   `json:"environment"`
	Events      []props `json:"events"`
}

// Parse reads the output of `sls print --format json`. Empty stage and region are taken from
// the provider section, then default to "dev" and awsid.Region as the Serverless Framework does.
func Parse(data []byte, stage, region string) (*Config, error) {
	var raw rawConfig
	var functions map[string]rawFunction
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("parse serverless config: %w", err)
	}
	if err := raw.Functions.decode(&functions); err != nil {
		return nil, fmt.Errorf("parse serverless config: functions: %w", err)
	}
	service, ok := raw.Service.str()
	if !ok { // older configurations: {name: ...}
		service, _ = raw.Service.obj()["name"].str()
	}
	if service == "" {
		return nil, errors.New("serverless config has no service name")
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
	providerMemory, err := megabytes(raw.Provider.MemorySize, DefaultMemoryMB)
	if err != nil {
		return nil, fmt.Errorf("provider.memorySize: %w", err)
	}
	order, err := objectKeys(raw.Functions)
	if err != nil {
		return nil, fmt.Errorf("functions: %w", err)
	}
	for _, key := range order {
		rf := functions[key]
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
		if fn.MemoryMB, err = megabytes(rf.MemorySize, providerMemory); err != nil {
			return nil, fmt.Errorf("functions.%s.memorySize: %w", key, err)
		}
		fn.Environment = map[string]EnvValue{}
		for _, env := range []props{raw.Provider.Environment, rf.Environment} {
			for name, v := range env {
				ev, err := envValue(v)
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
			if err := fn.addEvent(event, cfg.Resources); err != nil {
				return nil, fmt.Errorf("functions.%s.events[%d]: %w", key, i, err)
			}
		}
		cfg.Functions = append(cfg.Functions, fn)
	}
	return cfg, nil
}

// objectKeys returns the keys of a JSON object in the order they appear.
func objectKeys(raw value) ([]string, error) {
	if raw.null() {
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

func seconds(v value, fallback time.Duration) (time.Duration, error) {
	if v.null() {
		return fallback, nil
	}
	f, ok := v.float64()
	if !ok || f <= 0 {
		return 0, fmt.Errorf("not a positive number of seconds: %s", v)
	}
	return time.Duration(f * float64(time.Second)), nil
}

func megabytes(v value, fallback int) (int, error) {
	if v.null() {
		return fallback, nil
	}
	if n, ok := v.int32(); ok && n > 0 {
		return int(n), nil
	}
	return 0, fmt.Errorf("not a positive integer: %s", v)
}

// envValue reads one environment value; nil means null.
func envValue(v value) (*EnvValue, error) {
	switch {
	case v.null():
		return nil, nil
	case v[0] == '[':
		return nil, errors.New("a list is not an environment value")
	}
	if s, ok := v.text(); ok { // a number or boolean: Lambda receives its text
		return &EnvValue{Value: s}, nil
	}
	if ref := v.ref(); ref != "" {
		return &EnvValue{Ref: ref}, nil
	}
	return &EnvValue{Intrinsic: json.RawMessage(v)}, nil
}

// addEvent records the events the local stack serves; others (schedule, sqs, ...) are ignored.
func (fn *Function) addEvent(event props, resources map[string]Resource) error {
	if raw, ok := event["http"]; ok {
		h, err := parseHTTPEvent(raw, resources)
		if err != nil {
			return fmt.Errorf("http: %w", err)
		}
		fn.HTTP = append(fn.HTTP, h)
	}
	if raw, ok := event["cognitoUserPool"]; ok {
		p := raw.obj()
		t := CognitoTrigger{}
		t.Pool, _ = p["pool"].str()
		t.Trigger, _ = p["trigger"].str()
		t.LambdaVersion, _ = p["lambdaVersion"].str()
		fn.CognitoTriggers = append(fn.CognitoTriggers, t)
	}
	return nil
}

// parseHTTPEvent reads an http event: "METHOD path" or its object form, with the Lambda proxy
// integration, the one that runs locally.
func parseHTTPEvent(raw value, resources map[string]Resource) (HTTPEvent, error) {
	p := raw.obj()
	method, _ := p["method"].str()
	path, _ := p["path"].str()
	if short, ok := raw.str(); ok {
		var found bool
		if method, path, found = strings.Cut(strings.TrimSpace(short), " "); !found {
			return HTTPEvent{}, fmt.Errorf("%q is not \"METHOD path\"", short)
		}
	}
	if method == "" {
		return HTTPEvent{}, errors.New("no method")
	}
	switch integration, _ := p["integration"].str(); strings.ToUpper(integration) {
	case "", "AWS_PROXY", "LAMBDA-PROXY", "LAMBDA_PROXY":
	default:
		return HTTPEvent{}, fmt.Errorf("not supported locally: integration %q (only the Lambda proxy integration runs)", integration)
	}
	if async, _ := p["async"].boolean(); async {
		return HTTPEvent{}, errors.New("not supported locally: async http events")
	}
	h := HTTPEvent{Method: strings.ToUpper(method), Path: strings.Trim(strings.TrimSpace(path), "/")}
	h.CORS = parseCORS(p["cors"], h.Method)
	var err error
	if h.Authorizer, err = parseAuthorizer(p["authorizer"], resources); err != nil {
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
func parseCORS(v value, method string) *CORS {
	if on, ok := v.boolean(); v.null() || (ok && !on) {
		return nil
	}
	c := &CORS{Origin: "*", Headers: slices.Clone(defaultCORSHeaders), Methods: []string{"OPTIONS", method}}
	if _, ok := v.boolean(); ok {
		return c
	}
	p := v.obj()
	if !p["origins"].null() {
		c.Origin, c.Origins = "", p["origins"].strings()
	}
	if origin, ok := p["origin"].str(); ok {
		c.Origin = origin
	}
	if !p["headers"].null() {
		c.Headers = p["headers"].strings()
	}
	c.Methods = p["methods"].strings()
	for _, m := range []string{"OPTIONS", method} {
		if !slices.Contains(c.Methods, m) {
			c.Methods = append(c.Methods, m)
		}
	}
	c.AllowCredentials, _ = p["allowCredentials"].boolean()
	maxAge, _ := p["maxAge"].int32()
	c.MaxAge = int(maxAge)
	c.CacheControl, _ = p["cacheControl"].str()
	return c
}

// parseAuthorizer reads a Cognito user pool authorizer, the one kind the local gateway runs:
// inline ({type: COGNITO_USER_POOLS, arn: {Fn::GetAtt: [Pool, Arn]}}) or an
// AWS::ApiGateway::Authorizer of the service (authorizerId: {Ref: X}), with the event's scopes
// (osls validate.js, getAuthorizer). Any other kind is refused rather than let through unchecked.
func parseAuthorizer(v value, resources map[string]Resource) (*Authorizer, error) {
	if v.null() {
		return nil, nil
	}
	if s, ok := v.str(); ok {
		return nil, fmt.Errorf("not supported locally: authorizer %q (only a COGNITO_USER_POOLS authorizer of the service's own pool runs)", s)
	}
	p := v.obj()
	a := &Authorizer{IdentityHeader: "Authorization", Scopes: p["scopes"].strings()}
	a.Name, _ = p["name"].str()
	typ, _ := p["type"].str()
	arn, source, expr := p["arn"], p["identitySource"], p["identityValidationExpression"]
	if id := p["authorizerId"]; !id.null() {
		res, ok := resources[id.ref()]
		if !ok || res.Type != "AWS::ApiGateway::Authorizer" {
			return nil, fmt.Errorf("not supported locally: authorizerId %s (only {Ref: X}, X an AWS::ApiGateway::Authorizer of serverless.yml)", id)
		}
		rp := value(res.Properties).obj()
		a.Name = id.ref()
		typ, _ = rp["Type"].str()
		source, expr = rp["IdentitySource"], rp["IdentityValidationExpression"]
		if arns := rp["ProviderARNs"].list(); len(arns) == 1 {
			arn = arns[0]
		} else {
			return nil, fmt.Errorf("not supported locally: authorizer %s with %d provider ARNs (only one)", a.Name, len(arns))
		}
	}
	if !strings.EqualFold(typ, "COGNITO_USER_POOLS") {
		return nil, fmt.Errorf("not supported locally: authorizer %q of type %q (only COGNITO_USER_POOLS)", a.Name, typ)
	}
	if a.PoolLogicalID = arn.getAtt("Arn"); a.PoolLogicalID == "" {
		return nil, fmt.Errorf("not supported locally: authorizer %q's pool %s (only the service's own pool, {Fn::GetAtt: [Pool, Arn]})", a.Name, arn)
	}
	if s, _ := source.str(); s != "" {
		header, ok := strings.CutPrefix(s, "method.request.header.")
		if !ok {
			return nil, fmt.Errorf("not supported locally: identitySource %q (only a request header)", s)
		}
		a.IdentityHeader = header
	}
	var err error
	if a.IdentityValidationExpression, err = envValue(expr); err != nil {
		return nil, fmt.Errorf("identityValidationExpression: %w", err)
	}
	if e := a.IdentityValidationExpression; e != nil && e.IsString() && e.Value == "" {
		a.IdentityValidationExpression = nil
	}
	return a, nil
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

// resourcesOfType returns the logical ids of the resources of a CloudFormation type, sorted.
func (c *Config) resourcesOfType(typ string) []string {
	var ids []string
	for id, r := range c.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
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
