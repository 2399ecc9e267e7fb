// Package slsconfig reads the Serverless Framework service configuration, as `sls print`
// resolves it, into what the local stack needs: the functions with their runtime settings,
// environment and events, and the CloudFormation resources the environment refers to.
//
// The configuration is read from the resolved output of `sls print --format json` rather than
// from serverless.yml itself, so that variables (${param:...}, ${sls:stage}, ...) are resolved by
// the Serverless CLI and nothing is written twice. It is decoded with encoding/json, whose
// field names match JSON keys regardless of case.
package slsconfig

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/signin-api/signin/local/awsid"
)

// Lambda's defaults, applied as the Serverless Framework does when neither the function nor
// the provider sets a value.
const (
	defaultTimeout  = 6 * time.Second
	defaultMemoryMB = 1024
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

// CognitoTrigger is a cognitoUserPool event.
type CognitoTrigger struct {
	Pool    string // "UserPool"
	Trigger string // "PreSignUp"
	// LambdaVersion is the event's lambdaVersion (V2_0 for a Pre Token Generation V2 trigger).
	LambdaVersion string
}

// Resource is a CloudFormation resource.
type Resource struct {
	Type       string
	Properties json.RawMessage
}

// props decodes the resource's properties into p; a resource without any leaves p as it is.
func (r Resource) props(p any) error {
	if len(r.Properties) == 0 {
		return nil
	}
	return json.Unmarshal(r.Properties, p)
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
	sls := filepath.Join("node_modules", ".bin", "sls")
	if _, err := os.Stat(filepath.Join(dir, sls)); err != nil {
		return nil, fmt.Errorf("sls print: the Serverless CLI is missing (%s): run npm ci in %s", sls, dir)
	}
	cmd := exec.CommandContext(ctx, filepath.Join(dir, sls), args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		return nil, fmt.Errorf("sls print in %s: %w: %s", dir, err, strings.Join(lines[max(0, len(lines)-5):], "\n"))
	}
	return Parse(stdout.Bytes(), stage, region)
}

// serviceName is `service: name`, or `service: {name: ...}` of older configurations.
type serviceName string

func (s *serviceName) UnmarshalJSON(b []byte) error {
	if json.Unmarshal(b, (*string)(s)) == nil {
		return nil
	}
	var v struct{ Name string }
	err := json.Unmarshal(b, &v)
	*s = serviceName(v.Name)
	return err
}

// settings are what a function and the provider may both set.
type settings struct {
	Runtime             string
	Timeout, MemorySize num
	// Environment's null removes a provider-level value, as in Serverless.
	Environment map[string]*EnvValue
}

// Parse reads the output of `sls print --format json`. Empty stage and region are taken from
// the provider section, then default to "dev" and awsid.Region as the Serverless Framework does.
func Parse(data []byte, stage, region string) (*Config, error) {
	var raw struct {
		Service  serviceName
		Provider struct {
			settings
			Stage, Region string
			APIGateway    struct{ BinaryMediaTypes []string }
			Logs          struct {
				Lambda struct{ LogFormat, ApplicationLogLevel string }
			}
		}
		Functions json.RawMessage // decoded in order below
		Resources struct{ Resources map[string]Resource }
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("parse serverless config: %w", err)
	}
	if raw.Service == "" {
		return nil, errors.New("serverless config has no service name")
	}
	p := raw.Provider
	cfg := &Config{
		Service:          string(raw.Service),
		Stage:            cmp.Or(stage, p.Stage, "dev"),
		Region:           cmp.Or(region, p.Region, awsid.Region),
		Resources:        raw.Resources.Resources,
		BinaryMediaTypes: p.APIGateway.BinaryMediaTypes,
	}
	for id, r := range cfg.Resources { // refused here, so that their readers need not fail
		var err error
		switch r.Type {
		case typeGatewayResponse:
			err = r.props(new(gatewayResponseProps))
		case typeStage:
			err = r.props(new(stageProps))
		}
		if err != nil {
			return nil, fmt.Errorf("resource %s: %w", id, err)
		}
	}
	dec := json.NewDecoder(strings.NewReader(cmp.Or(string(raw.Functions), "{}")))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("parse serverless config: functions is not an object")
	}
	for dec.More() {
		tok, _ := dec.Token() // a key: the JSON is valid
		key := tok.(string)
		var f struct {
			settings
			Name   string
			Events []struct {
				HTTP            json.RawMessage
				CognitoUserPool *CognitoTrigger
			}
		}
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("functions.%s: %w", key, err)
		}
		fn := Function{
			Key:         key,
			Name:        cmp.Or(f.Name, cfg.Service+"-"+cfg.Stage+"-"+key),
			Runtime:     cmp.Or(f.Runtime, p.Runtime),
			Timeout:     cmp.Or(time.Duration(float64(cmp.Or(f.Timeout, p.Timeout))*float64(time.Second)), defaultTimeout),
			MemoryMB:    cmp.Or(int(cmp.Or(f.MemorySize, p.MemorySize)), defaultMemoryMB),
			Environment: map[string]EnvValue{},
			LogFormat:   p.Logs.Lambda.LogFormat,
			LogLevel:    p.Logs.Lambda.ApplicationLogLevel,
		}
		if fn.Timeout < 0 || fn.MemoryMB < 0 {
			return nil, fmt.Errorf("functions.%s: a negative timeout or memorySize", key)
		}
		for _, env := range []map[string]*EnvValue{p.Environment, f.Environment} {
			for name, v := range env {
				if v == nil {
					delete(fn.Environment, name)
				} else {
					fn.Environment[name] = *v
				}
			}
		}
		for i, e := range f.Events {
			if e.HTTP != nil {
				h, err := parseHTTPEvent(e.HTTP, cfg.Resources)
				if err != nil {
					return nil, fmt.Errorf("functions.%s.events[%d].http: %w", key, i, err)
				}
				fn.HTTP = append(fn.HTTP, h)
			}
			if e.CognitoUserPool != nil {
				fn.CognitoTriggers = append(fn.CognitoTriggers, *e.CognitoUserPool)
			}
		}
		cfg.Functions = append(cfg.Functions, fn)
	}
	return cfg, nil
}

// Function returns the function with the given key.
func (c *Config) Function(key string) (Function, bool) {
	i := slices.IndexFunc(c.Functions, func(fn Function) bool { return fn.Key == key })
	if i < 0 {
		return Function{}, false
	}
	return c.Functions[i], true
}

// resourcesOfType returns the logical ids of the resources of a CloudFormation type, sorted.
func (c *Config) resourcesOfType(typ string) []string {
	var ids []string
	for _, id := range slices.Sorted(maps.Keys(c.Resources)) {
		if c.Resources[id].Type == typ {
			ids = append(ids, id)
		}
	}
	return ids
}
