// Package slsconfig reads the Serverless service configuration as `sls print --format json`
// resolves it (so the CLI resolves ${param:...} and the like, and nothing is written twice) into
// what the local stack needs: the functions, their events, and the CloudFormation resources.
// It decodes with encoding/json, whose field names match JSON keys regardless of case.
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
	"strconv"
	"strings"
	"time"

	"github.com/signin-api/signin/local/awsid"
)

// Config is the part of a resolved Serverless service configuration the local stack uses.
type Config struct {
	Service, Stage, Region string
	Functions              []Function          // in serverless.yml's order, in which Serverless merges a path's CORS
	Resources              map[string]Resource // resources.Resources, by logical id
	BinaryMediaTypes       []string            // provider.apiGateway's: such bodies reach a function base64-encoded
}

// Function is one entry under functions:, with the provider's settings and Lambda's defaults.
type Function struct {
	Key, Name, Runtime string // "signin", "signin-api-dev-signin", "provided.al2023"
	Timeout            time.Duration
	MemoryMB           int
	Environment        map[string]EnvValue // provider.environment and the function's, which wins
	HTTP               []HTTPEvent
	LogFormat          string // provider.logs.lambda.logFormat ("JSON")
	LogLevel           string // provider.logs.lambda.applicationLogLevel
	cognitoTriggers    []cognitoTrigger
}

// cognitoTrigger is a cognitoUserPool event ("UserPool", "PreSignUp", "V2_0").
type cognitoTrigger struct{ Pool, Trigger, LambdaVersion string }

// Resource is a CloudFormation resource.
type Resource struct {
	Type       string
	Properties json.RawMessage
}

// props decodes the resource's properties into p; none leaves p as it is.
func (r Resource) props(p any) error {
	if r.Properties == nil {
		return nil
	}
	return json.Unmarshal(r.Properties, p)
}

// Load parses `sls print --format json` of the service in dir, run with the project's own CLI
// (node_modules/.bin/sls: `npx sls` would offer npm's unrelated package named sls). Empty stage
// and region keep the configuration's; each of params ("name=value") is passed as --param.
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
	var stdout, stderr bytes.Buffer
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &stdout, &stderr
	if err := cmd.Run(); err != nil {
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		return nil, fmt.Errorf("sls print in %s: %w: %s", dir, err, strings.Join(lines[max(0, len(lines)-5):], "\n"))
	}
	return Parse(stdout.Bytes(), stage, region)
}

// settings are what a function and the provider may both set.
type settings struct {
	Runtime             string
	Timeout, MemorySize num
	Environment         map[string]*EnvValue // null removes the provider's value
}

// Parse reads the output of `sls print --format json`. Empty stage and region are the
// provider's, else "dev" and awsid.Region, as in Serverless.
func Parse(data []byte, stage, region string) (*Config, error) {
	var raw struct {
		Service  EnvValue // a name, or {name: ...} in older configurations
		Provider struct {
			settings
			Stage, Region string
			APIGateway    struct{ BinaryMediaTypes []string }
			Logs          struct {
				Lambda struct{ LogFormat, ApplicationLogLevel string }
			}
		}
		Functions json.RawMessage // decoded below, in order
		Resources struct{ Resources map[string]Resource }
	}
	var old struct{ Name string }
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("parse serverless config: %w", err)
	} else if json.Unmarshal(raw.Service.Intrinsic, &old) == nil {
		raw.Service.Value = old.Name
	}
	if raw.Service.Value == "" {
		return nil, errors.New("serverless config has no service name")
	}
	p := raw.Provider
	cfg := &Config{Service: raw.Service.Value, Stage: cmp.Or(stage, p.Stage, "dev"), Region: cmp.Or(region, p.Region, awsid.Region),
		Resources: raw.Resources.Resources, BinaryMediaTypes: p.APIGateway.BinaryMediaTypes}
	dec := json.NewDecoder(strings.NewReader(cmp.Or(string(raw.Functions), "{}")))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("parse serverless config: functions is not an object")
	}
	for dec.More() {
		tok, _ := dec.Token() // a key, the JSON being valid
		key := tok.(string)
		var f struct {
			settings
			Name   string
			Events []struct {
				HTTP            *httpEvent
				CognitoUserPool *cognitoTrigger
			}
		}
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("functions.%s: %w", key, err)
		}
		fn := Function{Key: key, Name: cmp.Or(f.Name, cfg.Service+"-"+cfg.Stage+"-"+key), Runtime: cmp.Or(f.Runtime, p.Runtime),
			Timeout:     time.Duration(cmp.Or(f.Timeout, p.Timeout, 6) * num(time.Second)), // Lambda's defaults
			MemoryMB:    int(cmp.Or(f.MemorySize, p.MemorySize, 1024)),
			Environment: map[string]EnvValue{}, LogFormat: p.Logs.Lambda.LogFormat, LogLevel: p.Logs.Lambda.ApplicationLogLevel}
		if fn.Timeout <= 0 || fn.MemoryMB <= 0 {
			return nil, fmt.Errorf("functions.%s: timeout %v and memorySize %d must be positive", key, fn.Timeout, fn.MemoryMB)
		}
		env := map[string]*EnvValue{}
		maps.Copy(env, p.Environment)
		maps.Copy(env, f.Environment)
		for name, v := range env {
			if v != nil {
				fn.Environment[name] = *v
			}
		}
		for i, e := range f.Events {
			if e.CognitoUserPool != nil {
				fn.cognitoTriggers = append(fn.cognitoTriggers, *e.CognitoUserPool)
			}
			if e.HTTP != nil {
				h, err := e.HTTP.event(cfg.Resources)
				if err != nil {
					return nil, fmt.Errorf("functions.%s.events[%d].http: %w", key, i, err)
				}
				fn.HTTP = append(fn.HTTP, h)
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
	ids := slices.Sorted(maps.Keys(c.Resources))
	return slices.DeleteFunc(ids, func(id string) bool { return c.Resources[id].Type != typ })
}

// EnvValue is a CloudFormation value: a plain string (or number, or boolean), {Ref: X}, or
// another intrinsic function, which only a deployed stack resolves.
type EnvValue struct {
	Value     string          // a plain value's text
	Ref       string          // X of {Ref: X}
	Intrinsic json.RawMessage // any other object ({"Fn::GetAtt": ...})
}

// IsString reports whether the value is a plain string.
func (v EnvValue) IsString() bool { return v.Ref == "" && v.Intrinsic == nil }

// String is the value for an error message.
func (v EnvValue) String() string {
	if v.Intrinsic != nil {
		return string(v.Intrinsic)
	} else if v.Ref != "" {
		return "{Ref: " + v.Ref + "}"
	}
	return strconv.Quote(v.Value)
}

// UnmarshalJSON reads a plain value (a number or boolean as its text, as Lambda receives it)
// or {Ref: X}, and keeps another object as Intrinsic; a list is refused.
func (v *EnvValue) UnmarshalJSON(b []byte) error {
	var ref map[string]string
	switch *v = (EnvValue{}); b[0] {
	case 'n': // null
	case '[':
		return fmt.Errorf("a list is not a value: %s", b)
	case '"':
		return json.Unmarshal(b, &v.Value)
	case '{':
		if json.Unmarshal(b, &ref) == nil && len(ref) == 1 && ref["Ref"] != "" {
			v.Ref = ref["Ref"]
		} else {
			v.Intrinsic = slices.Clone(b)
		}
	default:
		v.Value = string(b)
	}
	return nil
}

// call reads {Fn::GetAtt: [X, attribute]} or {Fn::GetAtt: "X.attribute"} as getAtt X, and
// {Fn::Sub: s} as sub s; "" for anything else.
func (v EnvValue) call(attribute string) (getAtt, sub string) {
	var fn struct {
		GetAtt strs   `json:"Fn::GetAtt"`
		Sub    string `json:"Fn::Sub"`
	}
	if _ = json.Unmarshal(v.Intrinsic, &fn); len(fn.GetAtt) == 1 {
		fn.GetAtt = strings.SplitN(fn.GetAtt[0], ".", 2)
	}
	if len(fn.GetAtt) == 2 && fn.GetAtt[1] == attribute {
		getAtt = fn.GetAtt[0]
	}
	return getAtt, fn.Sub
}

// num and flag are a CloudFormation number and boolean, which YAML and --param may write as a
// string ("8" for 8); they marshal as JSON's own.
type (
	num  float64
	flag bool
)

func (n *num) UnmarshalJSON(b []byte) error  { return unquote(b, (*float64)(n)) }
func (f *flag) UnmarshalJSON(b []byte) error { return unquote(b, (*bool)(f)) }

func unquote(b []byte, into any) error {
	if json.Unmarshal(bytes.Trim(b, `"`), into) != nil {
		return fmt.Errorf("not a number or boolean: %s", b)
	}
	return nil
}

// strs is a list of strings, or one string as a list of one.
type strs []string

func (s *strs) UnmarshalJSON(b []byte) error {
	if b[0] == '"' {
		*s = strs{""}
		return json.Unmarshal(b, &(*s)[0])
	}
	return json.Unmarshal(b, (*[]string)(s))
}
