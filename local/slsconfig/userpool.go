package slsconfig

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// CloudFormation resource types of a user pool and what refers to it.
const (
	TypeUserPool               = "AWS::Cognito::UserPool"
	TypeUserPoolClient         = "AWS::Cognito::UserPoolClient"
	TypeUserPoolResourceServer = "AWS::Cognito::UserPoolResourceServer"
	TypeSecret                 = "AWS::SecretsManager::Secret"
)

// UserPool is the service's user pool, its app clients, resource servers and triggers, as the
// Cognito API inputs that create them.
type UserPool struct {
	// LogicalID is the pool's logical id ("CognitoUserPoolUserPool").
	LogicalID string
	// Input creates the pool; its LambdaConfig is left for the caller, which knows the
	// functions' ARNs (see Triggers).
	Input cip.CreateUserPoolInput
	// Clients are the app clients by logical id; UserPoolId is filled in at creation.
	Clients map[string]cip.CreateUserPoolClientInput
	// ResourceServers are by logical id; UserPoolId is filled in at creation.
	ResourceServers map[string]cip.CreateResourceServerInput
	// Secrets maps a Secrets Manager secret's logical id to the client whose secret it holds.
	Secrets map[string]string
	// Triggers are the pool's Lambda triggers, from cognitoUserPool events and from the pool
	// resource's LambdaConfig.
	Triggers []Trigger
}

// Trigger is one Lambda trigger of the pool.
type Trigger struct {
	// Name is the LambdaConfig member: PreSignUp, PreTokenGeneration, ...
	Name string
	// Function is the function's key in serverless.yml.
	Function string
	// LambdaVersion is V1_0 or V2_0 for PreTokenGeneration ("" means V1_0).
	LambdaVersion string
}

// UserPool reads the service's user pool: a resource of type AWS::Cognito::UserPool, or the
// pool a cognitoUserPool event creates ("CognitoUserPool" + pool name), with the resource's
// properties merged in. A service without a pool gives ok == false; more than one is refused,
// since the local stack runs one.
func (c *Config) UserPool() (pool UserPool, ok bool, err error) {
	ids := map[string]bool{}
	for _, id := range c.resourcesOfType(TypeUserPool) {
		ids[id] = true
	}
	for _, fn := range c.Functions {
		for _, t := range fn.CognitoTriggers {
			ids["CognitoUserPool"+alphanumeric(t.Pool)] = true
			pool.Triggers = append(pool.Triggers, Trigger{Name: t.Trigger, Function: fn.Key, LambdaVersion: t.LambdaVersion})
		}
	}
	switch len(ids) {
	case 0:
		return UserPool{}, false, nil
	case 1:
	default:
		return UserPool{}, false, fmt.Errorf("the local stack runs one user pool; the service has %s", strings.Join(slices.Sorted(maps.Keys(ids)), ", "))
	}
	for id := range ids {
		pool.LogicalID = id
	}
	p := value(c.Resources[pool.LogicalID].Properties).obj()
	pool.Input = poolInput(p, c.Service+"-"+c.Stage)
	triggers, err := c.lambdaConfigTriggers(p["LambdaConfig"].obj())
	if err != nil {
		return UserPool{}, false, fmt.Errorf("resource %s: %w", pool.LogicalID, err)
	}
	pool.Triggers = mergeTriggers(pool.Triggers, triggers)

	pool.Clients = map[string]cip.CreateUserPoolClientInput{}
	for _, id := range c.resourcesOfType(TypeUserPoolClient) {
		p := value(c.Resources[id].Properties).obj()
		if ref := p["UserPoolId"].ref(); ref != pool.LogicalID {
			return UserPool{}, false, fmt.Errorf("resource %s: UserPoolId is not {Ref: %s}", id, pool.LogicalID)
		}
		pool.Clients[id] = clientInput(p, id)
	}
	pool.ResourceServers = map[string]cip.CreateResourceServerInput{}
	for _, id := range c.resourcesOfType(TypeUserPoolResourceServer) {
		p := value(c.Resources[id].Properties).obj()
		if ref := p["UserPoolId"].ref(); ref != pool.LogicalID {
			return UserPool{}, false, fmt.Errorf("resource %s: UserPoolId is not {Ref: %s}", id, pool.LogicalID)
		}
		delete(p, "UserPoolId")
		var in cip.CreateResourceServerInput // its members are CloudFormation's property names
		if err := json.Unmarshal(mustJSON(p), &in); err != nil {
			return UserPool{}, false, fmt.Errorf("resource %s: %w", id, err)
		}
		pool.ResourceServers[id] = in
	}
	pool.Secrets = map[string]string{}
	for _, id := range c.resourcesOfType(TypeSecret) {
		if client := secretClient(c.Resources[id].Properties, pool.Clients); client != "" {
			pool.Secrets[id] = client
		}
	}
	return pool, true, nil
}

func mustJSON(p props) []byte {
	data, _ := json.Marshal(p)
	return data
}

// lambdaConfigTriggers reads a pool resource's LambdaConfig: each member a function's
// {Fn::GetAtt: [<Fn>LambdaFunction, Arn]}, and PreTokenGenerationConfig {LambdaArn,
// LambdaVersion}.
func (c *Config) lambdaConfigTriggers(lc props) ([]Trigger, error) {
	var out []Trigger
	for _, name := range slices.Sorted(maps.Keys(lc)) {
		raw, version := lc[name], ""
		if name == "PreTokenGenerationConfig" {
			cfg := lc[name].obj()
			raw, name = cfg["LambdaArn"], "PreTokenGeneration"
			version, _ = cfg["LambdaVersion"].str()
		}
		if name == "KMSKeyID" {
			continue
		}
		fn, ok, err := c.triggerFunction(raw)
		if err != nil {
			return nil, fmt.Errorf("LambdaConfig.%s: %w", name, err)
		}
		if !ok {
			continue // a literal ARN of a function outside this service: nothing to run locally
		}
		out = append(out, Trigger{Name: name, Function: fn.Key, LambdaVersion: version})
	}
	return out, nil
}

// triggerFunction finds the function of this service a LambdaConfig trigger names: by
// {Fn::GetAtt: [<Fn>LambdaFunction, Arn]}, or by an ARN ending in ":function:<deployed name>",
// written out or built with Fn::Sub (which serverless.yml uses to avoid a dependency cycle).
// A literal ARN of another function gives ok == false; an intrinsic that names none is an error.
func (c *Config) triggerFunction(raw value) (fn Function, ok bool, err error) {
	if logicalID := raw.getAtt("Arn"); logicalID != "" {
		fn, ok := c.functionByLogicalID(logicalID)
		if !ok {
			return Function{}, false, fmt.Errorf("%s is not a function of this service", logicalID)
		}
		return fn, true, nil
	}
	arn, literal := raw.str()
	if !literal {
		if arn, _ = raw.obj()["Fn::Sub"].str(); arn == "" {
			return Function{}, false, fmt.Errorf("%s is neither an ARN, {Fn::Sub: ARN} nor {Fn::GetAtt: [X, Arn]}", raw)
		}
	}
	if _, name, found := strings.Cut(arn, ":function:"); found {
		name, _, _ = strings.Cut(name, ":") // a version or alias qualifier
		for _, f := range c.Functions {
			if f.Name == name {
				return f, true, nil
			}
		}
	}
	if literal {
		return Function{}, false, nil
	}
	return Function{}, false, fmt.Errorf("%s names no function of this service", arn)
}

// functionByLogicalID finds a function by its CloudFormation logical id, which the Serverless
// Framework names <NormalizedKey>LambdaFunction ("-" spelled Dash, "_" Underscore).
func (c *Config) functionByLogicalID(id string) (Function, bool) {
	for _, fn := range c.Functions {
		key := strings.NewReplacer("-", "Dash", "_", "Underscore").Replace(fn.Key)
		if key != "" && strings.ToUpper(key[:1])+key[1:]+"LambdaFunction" == id {
			return fn, true
		}
	}
	return Function{}, false
}

// mergeTriggers adds the LambdaConfig triggers to the events' ones; for one trigger name the
// LambdaConfig's wins, as the resource's properties override what the framework generates.
func mergeTriggers(events, config []Trigger) []Trigger {
	out := append([]Trigger(nil), config...)
	for _, t := range events {
		dup := false
		for _, c := range config {
			dup = dup || c.Name == t.Name
		}
		if !dup {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Hash identifies the pool's settings, to notice serverless.yml changes since a local pool was
// created from them.
func (p UserPool) Hash() string {
	data, _ := json.Marshal(struct {
		Pool     cip.CreateUserPoolInput
		Clients  map[string]cip.CreateUserPoolClientInput
		Servers  map[string]cip.CreateResourceServerInput
		Triggers []Trigger
	}{p.Input, p.Clients, p.ResourceServers, p.Triggers})
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

var nonAlphanumeric = regexp.MustCompile(`[^A-Za-z0-9]`)

// alphanumeric mirrors the Serverless Framework's normalizeNameToAlphaNumericOnly, which names
// the pool a cognitoUserPool event creates ("CognitoUserPool" + pool).
func alphanumeric(s string) string {
	s = nonAlphanumeric.ReplaceAllString(s, "")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// secretClient finds the app client whose secret a Secrets Manager secret holds: SecretString
// {Fn::GetAtt: [Client, ClientSecret]}. Any other secret is one the local stack does not know,
// and a function whose environment refers to it stops the stack at start (FunctionEnv).
func secretClient(properties json.RawMessage, clients map[string]cip.CreateUserPoolClientInput) string {
	id := value(properties).obj()["SecretString"].getAtt("ClientSecret")
	if _, ok := clients[id]; !ok {
		return ""
	}
	return id
}

// poolInput maps the AWS::Cognito::UserPool properties the local pool honours.
func poolInput(p props, defaultName string) cip.CreateUserPoolInput {
	in := cip.CreateUserPoolInput{PoolName: aws.String(defaultName)}
	if name, ok := p["UserPoolName"].str(); ok {
		in.PoolName = aws.String(name)
	}
	if pp := p["Policies"].obj()["PasswordPolicy"].obj(); len(pp) > 0 {
		policy := &types.PasswordPolicyType{}
		if n, ok := pp["MinimumLength"].int32(); ok {
			policy.MinimumLength = aws.Int32(n)
		}
		policy.RequireLowercase, _ = pp["RequireLowercase"].boolean()
		policy.RequireUppercase, _ = pp["RequireUppercase"].boolean()
		policy.RequireNumbers, _ = pp["RequireNumbers"].boolean()
		policy.RequireSymbols, _ = pp["RequireSymbols"].boolean()
		policy.TemporaryPasswordValidityDays, _ = pp["TemporaryPasswordValidityDays"].int32()
		in.Policies = &types.UserPoolPolicyType{PasswordPolicy: policy}
	}
	for _, a := range p["UsernameAttributes"].strings() {
		in.UsernameAttributes = append(in.UsernameAttributes, types.UsernameAttributeType(a))
	}
	for _, a := range p["AliasAttributes"].strings() {
		in.AliasAttributes = append(in.AliasAttributes, types.AliasAttributeType(a))
	}
	for _, a := range p["AutoVerifiedAttributes"].strings() {
		in.AutoVerifiedAttributes = append(in.AutoVerifiedAttributes, types.VerifiedAttributeType(a))
	}
	if uc := p["UsernameConfiguration"].obj(); len(uc) > 0 {
		if cs, ok := uc["CaseSensitive"].boolean(); ok {
			in.UsernameConfiguration = &types.UsernameConfigurationType{CaseSensitive: aws.Bool(cs)}
		}
	}
	if mfa, ok := p["MfaConfiguration"].str(); ok {
		in.MfaConfiguration = types.UserPoolMfaType(mfa)
	}
	if ac := p["AdminCreateUserConfig"].obj(); len(ac) > 0 {
		only, _ := ac["AllowAdminCreateUserOnly"].boolean()
		in.AdminCreateUserConfig = &types.AdminCreateUserConfigType{AllowAdminCreateUserOnly: only}
	}
	if tier, ok := p["UserPoolTier"].str(); ok {
		in.UserPoolTier = types.UserPoolTierType(tier)
	}
	return in
}

// clientInput maps the AWS::Cognito::UserPoolClient properties the local pool honours.
func clientInput(p props, logicalID string) cip.CreateUserPoolClientInput {
	in := cip.CreateUserPoolClientInput{ClientName: aws.String(logicalID)}
	if name, ok := p["ClientName"].str(); ok {
		in.ClientName = aws.String(name)
	}
	in.GenerateSecret, _ = p["GenerateSecret"].boolean()
	for _, f := range p["ExplicitAuthFlows"].strings() {
		in.ExplicitAuthFlows = append(in.ExplicitAuthFlows, types.ExplicitAuthFlowsType(f))
	}
	if v, ok := p["PreventUserExistenceErrors"].str(); ok {
		in.PreventUserExistenceErrors = types.PreventUserExistenceErrorTypes(v)
	}
	if v, ok := p["EnableTokenRevocation"].boolean(); ok {
		in.EnableTokenRevocation = aws.Bool(v)
	}
	if v, ok := p["AuthSessionValidity"].int32(); ok {
		in.AuthSessionValidity = aws.Int32(v)
	}
	if v, ok := p["AccessTokenValidity"].int32(); ok {
		in.AccessTokenValidity = aws.Int32(v)
	}
	if v, ok := p["IdTokenValidity"].int32(); ok {
		in.IdTokenValidity = aws.Int32(v)
	}
	in.RefreshTokenValidity, _ = p["RefreshTokenValidity"].int32()
	if tu := p["TokenValidityUnits"].obj(); len(tu) > 0 {
		units := &types.TokenValidityUnitsType{}
		if v, ok := tu["AccessToken"].str(); ok {
			units.AccessToken = types.TimeUnitsType(v)
		}
		if v, ok := tu["IdToken"].str(); ok {
			units.IdToken = types.TimeUnitsType(v)
		}
		if v, ok := tu["RefreshToken"].str(); ok {
			units.RefreshToken = types.TimeUnitsType(v)
		}
		in.TokenValidityUnits = units
	}
	if rt := p["RefreshTokenRotation"].obj(); len(rt) > 0 {
		feature, _ := rt["Feature"].str()
		in.RefreshTokenRotation = &types.RefreshTokenRotationType{Feature: types.FeatureType(feature)}
		if n, ok := rt["RetryGracePeriodSeconds"].int32(); ok {
			in.RefreshTokenRotation.RetryGracePeriodSeconds = aws.Int32(n)
		}
	}
	in.ReadAttributes = p["ReadAttributes"].strings()
	in.WriteAttributes = p["WriteAttributes"].strings()
	in.AllowedOAuthScopes = p["AllowedOAuthScopes"].strings()
	return in
}
