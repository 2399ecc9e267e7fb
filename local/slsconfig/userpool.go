package slsconfig

import (
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
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
	LogicalID string // "CognitoUserPoolUserPool"
	// Input creates the pool; its LambdaConfig is the caller's, who knows the functions' ARNs.
	Input           cip.CreateUserPoolInput
	Clients         map[string]cip.CreateUserPoolClientInput // by logical id; without UserPoolId
	ResourceServers map[string]cip.CreateResourceServerInput // by logical id; without UserPoolId
	Secrets         map[string]string                        // a secret's logical id: the client whose secret it holds
	Triggers        []Trigger                                // from cognitoUserPool events and the pool's LambdaConfig
}

// Trigger is one Lambda trigger of the pool: the LambdaConfig member (PreSignUp), the function's
// key, and the LambdaVersion of PreTokenGeneration (V1_0 or V2_0; "" is V1_0).
type Trigger struct{ Name, Function, LambdaVersion string }

// poolProps are the AWS::Cognito::UserPool properties the local pool honours, named (but for
// UserPoolName, PoolName) as in cip.CreateUserPoolInput, which they are copied into as JSON. An
// empty list of enum values is left out, as before the redesign, so that Hash is unchanged.
type poolProps struct {
	UserPoolName string
	Policies     *struct {
		PasswordPolicy *struct {
			MinimumLength                                                      *num
			RequireLowercase, RequireUppercase, RequireNumbers, RequireSymbols flag
			TemporaryPasswordValidityDays                                      num
		}
	}
	UsernameAttributes, AliasAttributes, AutoVerifiedAttributes strs `json:",omitempty"`
	UsernameConfiguration                                       *struct{ CaseSensitive *flag }
	MfaConfiguration, UserPoolTier                              string
	AdminCreateUserConfig                                       *struct{ AllowAdminCreateUserOnly flag }
}

// clientProps are the AWS::Cognito::UserPoolClient properties the local pool honours, named as
// in cip.CreateUserPoolClientInput.
type clientProps struct {
	ClientName                                                *string
	GenerateSecret                                            flag
	ExplicitAuthFlows                                         strs `json:",omitempty"`
	ReadAttributes, WriteAttributes, AllowedOAuthScopes       strs
	PreventUserExistenceErrors                                string
	EnableTokenRevocation                                     *flag
	AuthSessionValidity, AccessTokenValidity, IdTokenValidity *num
	RefreshTokenValidity                                      num
	TokenValidityUnits                                        *struct{ AccessToken, IdToken, RefreshToken string }
	RefreshTokenRotation                                      *struct {
		Feature                 string
		RetryGracePeriodSeconds *num
	}
}

// copyJSON copies props into the SDK input of the same shape.
func copyJSON(props, input any) error {
	data, _ := json.Marshal(props) // of this package's types, which always marshal
	return json.Unmarshal(data, input)
}

// UserPool reads the service's user pool: an AWS::Cognito::UserPool resource, or the one a
// cognitoUserPool event creates ("CognitoUserPool" + pool name) with that resource's properties.
// Without a pool ok is false; more than one is refused, since the local stack runs one.
func (c *Config) UserPool() (pool UserPool, ok bool, err error) {
	ids := c.resourcesOfType(TypeUserPool)
	var events []Trigger
	for _, fn := range c.Functions {
		for _, t := range fn.cognitoTriggers {
			ids = append(ids, "CognitoUserPool"+alphanumeric(t.Pool))
			events = append(events, Trigger{t.Trigger, fn.Key, t.LambdaVersion})
		}
	}
	slices.Sort(ids)
	switch ids = slices.Compact(ids); len(ids) {
	case 0:
		return UserPool{}, false, nil
	case 1:
	default:
		return UserPool{}, false, fmt.Errorf("the local stack runs one user pool; the service has %s", strings.Join(ids, ", "))
	}
	fail := func(id string, err error) (UserPool, bool, error) {
		return UserPool{}, false, fmt.Errorf("resource %s: %w", id, err)
	}
	var p struct {
		poolProps
		LambdaConfig map[string]EnvValue
	}
	pool.LogicalID = ids[0]
	if err := c.Resources[pool.LogicalID].props(&p); err != nil {
		return fail(pool.LogicalID, err)
	} else if err := copyJSON(p.poolProps, &pool.Input); err != nil {
		return fail(pool.LogicalID, err)
	}
	pool.Input.PoolName = aws.String(cmp.Or(p.UserPoolName, c.Service+"-"+c.Stage))
	if pool.Input.Policies != nil && pool.Input.Policies.PasswordPolicy == nil {
		pool.Input.Policies = nil // Policies of only what the local pool ignores (SignInPolicy)
	}
	for _, name := range slices.Sorted(maps.Keys(p.LambdaConfig)) {
		arn, version := p.LambdaConfig[name], ""
		if name == "KMSKeyID" {
			continue
		} else if name == "PreTokenGenerationConfig" {
			var ptg struct {
				LambdaArn     EnvValue
				LambdaVersion string
			}
			_ = json.Unmarshal(arn.Intrinsic, &ptg)
			arn, version, name = ptg.LambdaArn, ptg.LambdaVersion, "PreTokenGeneration"
		}
		if fn, ok, err := c.triggerFunction(arn); err != nil {
			return fail(pool.LogicalID, fmt.Errorf("LambdaConfig.%s: %w", name, err))
		} else if ok { // else a literal ARN of a function outside this service: nothing to run locally
			pool.Triggers = append(pool.Triggers, Trigger{name, fn.Key, version})
		}
	}
	// For one trigger name the LambdaConfig's wins, as resource properties override what the
	// framework generates.
	for _, t := range events {
		if !slices.ContainsFunc(pool.Triggers, func(l Trigger) bool { return l.Name == t.Name }) {
			pool.Triggers = append(pool.Triggers, t)
		}
	}
	slices.SortFunc(pool.Triggers, func(a, b Trigger) int { return strings.Compare(a.Name, b.Name) })

	pool.Clients = map[string]cip.CreateUserPoolClientInput{}
	pool.ResourceServers = map[string]cip.CreateResourceServerInput{}
	for _, typ := range []string{TypeUserPoolClient, TypeUserPoolResourceServer} {
		for _, id := range c.resourcesOfType(typ) {
			var p struct { // the properties of either type, which share no name but UserPoolId
				clientProps
				cip.CreateResourceServerInput // its members are CloudFormation's property names
				UserPoolId                    EnvValue
			}
			if err := c.Resources[id].props(&p); err != nil {
				return fail(id, err)
			} else if p.UserPoolId.Ref != pool.LogicalID {
				return fail(id, fmt.Errorf("UserPoolId is not {Ref: %s}", pool.LogicalID))
			} else if typ == TypeUserPoolResourceServer {
				pool.ResourceServers[id] = p.CreateResourceServerInput
				continue
			}
			var in cip.CreateUserPoolClientInput
			if err := copyJSON(p.clientProps, &in); err != nil {
				return fail(id, err)
			}
			in.ClientName = cmp.Or(in.ClientName, aws.String(id))
			pool.Clients[id] = in
		}
	}
	// A secret the local stack knows is SecretString {Fn::GetAtt: [Client, ClientSecret]}; a
	// function whose environment refers to another stops the stack at start.
	pool.Secrets = map[string]string{}
	for _, id := range c.resourcesOfType(TypeSecret) {
		var p struct{ SecretString EnvValue }
		_ = c.Resources[id].props(&p)
		client, _ := p.SecretString.call("ClientSecret")
		if _, ok := pool.Clients[client]; ok {
			pool.Secrets[id] = client
		}
	}
	return pool, true, nil
}

// triggerFunction finds the function a LambdaConfig trigger names: {Fn::GetAtt: [<Fn>LambdaFunction,
// Arn]}, or an ARN ending in ":function:<deployed name>", literal or Fn::Sub (serverless.yml's, to
// avoid a dependency cycle). A literal ARN of another function gives ok == false.
func (c *Config) triggerFunction(v EnvValue) (fn Function, ok bool, err error) {
	id, sub := v.call("Arn")
	if id != "" {
		for _, fn := range c.Functions { // the framework's logical id: "-" spelled Dash, "_" Underscore
			key := strings.NewReplacer("-", "Dash", "_", "Underscore").Replace(fn.Key)
			if key != "" && strings.ToUpper(key[:1])+key[1:]+"LambdaFunction" == id {
				return fn, true, nil
			}
		}
		return Function{}, false, fmt.Errorf("%s is not a function of this service", id)
	}
	arn := cmp.Or(v.Value, sub)
	if arn == "" {
		return Function{}, false, fmt.Errorf("%s is neither an ARN, {Fn::Sub: ARN} nor {Fn::GetAtt: [X, Arn]}", v)
	}
	if _, name, found := strings.Cut(arn, ":function:"); found {
		name, _, _ = strings.Cut(name, ":") // a version or alias qualifier
		if i := slices.IndexFunc(c.Functions, func(f Function) bool { return f.Name == name }); i >= 0 {
			return c.Functions[i], true, nil
		}
	}
	if v.IsString() {
		return Function{}, false, nil
	}
	return Function{}, false, fmt.Errorf("%s names no function of this service", arn)
}

// Hash identifies the pool's settings, to notice serverless.yml changes since a local pool was made.
func (p UserPool) Hash() string {
	data, _ := json.Marshal(struct {
		Pool     cip.CreateUserPoolInput
		Clients  map[string]cip.CreateUserPoolClientInput
		Servers  map[string]cip.CreateResourceServerInput
		Triggers []Trigger
	}{p.Input, p.Clients, p.ResourceServers, p.Triggers})
	return fmt.Sprintf("%x", sha256.Sum256(data))[:16]
}

// alphanumeric mirrors the Serverless Framework's normalizeNameToAlphaNumericOnly, which names
// the pool a cognitoUserPool event creates ("CognitoUserPool" + pool).
func alphanumeric(s string) string {
	s = regexp.MustCompile(`[^A-Za-z0-9]`).ReplaceAllString(s, "")
	return strings.ToUpper(s[:min(1, len(s))]) + s[min(1, len(s)):]
}
