package cognitolocal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/signin-api/signin/local/slsconfig"
)

// CloudFormation resource types the local pool stands in for.
const (
	TypeUserPool       = "AWS::Cognito::UserPool"
	TypeUserPoolClient = "AWS::Cognito::UserPoolClient"
	TypeSecret         = "AWS::SecretsManager::Secret"
)

// API is the part of the Cognito client the pool set-up calls.
type API interface {
	DescribeUserPool(ctx context.Context, in *cip.DescribeUserPoolInput, optFns ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error)
	DescribeUserPoolClient(ctx context.Context, in *cip.DescribeUserPoolClientInput, optFns ...func(*cip.Options)) (*cip.DescribeUserPoolClientOutput, error)
	CreateUserPool(ctx context.Context, in *cip.CreateUserPoolInput, optFns ...func(*cip.Options)) (*cip.CreateUserPoolOutput, error)
	CreateUserPoolClient(ctx context.Context, in *cip.CreateUserPoolClientInput, optFns ...func(*cip.Options)) (*cip.CreateUserPoolClientOutput, error)
}

var _ API = (*cip.Client)(nil)

// NewClient returns a Cognito client for the cognito-local at endpoint. cognito-local ignores
// SigV4, so the credentials are static placeholders.
func NewClient(endpoint, region string) *cip.Client {
	return cip.New(cip.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

// Spec is the user pool and app clients of a service, as CreateUserPool and
// CreateUserPoolClient inputs built from its CloudFormation resources.
type Spec struct {
	// PoolLogicalID is the pool's logical id ("CognitoUserPoolUserPool").
	PoolLogicalID string
	Pool          cip.CreateUserPoolInput
	// Clients are the app clients of the pool by logical id; UserPoolId is filled in at creation.
	Clients map[string]cip.CreateUserPoolClientInput
	// Secrets maps a Secrets Manager secret's logical id to the client whose secret it holds.
	Secrets map[string]string
}

// SpecFromConfig reads the service's user pool (a resource of type AWS::Cognito::UserPool, or
// the pool a cognitoUserPool event creates), its app clients and the secrets holding a client
// secret. A service without a pool gives ok == false. More than one pool is refused: the local
// stack runs one.
func SpecFromConfig(cfg *slsconfig.Config) (spec Spec, ok bool, err error) {
	pools := map[string]json.RawMessage{}
	for _, id := range cfg.ResourcesOfType(TypeUserPool) {
		pools[id] = cfg.Resources[id].Properties
	}
	for _, fn := range cfg.Functions {
		for _, t := range fn.CognitoTriggers {
			id := "CognitoUserPool" + alphanumeric(t.Pool)
			if _, ok := pools[id]; !ok {
				pools[id] = nil
			}
		}
	}
	if len(pools) == 0 {
		return Spec{}, false, nil
	}
	if len(pools) > 1 {
		ids := make([]string, 0, len(pools))
		for id := range pools {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		return Spec{}, false, fmt.Errorf("the local stack runs one user pool; the service has %s", strings.Join(ids, ", "))
	}
	for id, raw := range pools {
		spec.PoolLogicalID = id
		p, err := parseProps(raw)
		if err != nil {
			return Spec{}, false, fmt.Errorf("resource %s: %w", id, err)
		}
		spec.Pool = poolInput(p, cfg.Service+"-"+cfg.Stage)
	}
	spec.Clients = map[string]cip.CreateUserPoolClientInput{}
	for _, id := range cfg.ResourcesOfType(TypeUserPoolClient) {
		p, err := parseProps(cfg.Resources[id].Properties)
		if err != nil {
			return Spec{}, false, fmt.Errorf("resource %s: %w", id, err)
		}
		if ref := p.ref("UserPoolId"); ref != spec.PoolLogicalID {
			return Spec{}, false, fmt.Errorf("resource %s: UserPoolId is not {Ref: %s}", id, spec.PoolLogicalID)
		}
		spec.Clients[id] = clientInput(p, id)
	}
	spec.Secrets = map[string]string{}
	for _, id := range cfg.ResourcesOfType(TypeSecret) {
		if client := secretClient(cfg.Resources[id].Properties, spec.Clients); client != "" {
			spec.Secrets[id] = client
		}
	}
	return spec, true, nil
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

// secretClient finds the app client whose secret a Secrets Manager secret holds: the client its
// properties name ({Fn::GetAtt: [Client, ClientSecret]}, or in a Fn::Sub or Fn::Join), or the
// only client with a generated secret.
func secretClient(raw json.RawMessage, clients map[string]cip.CreateUserPoolClientInput) string {
	var found []string
	for id := range clients {
		if bytes.Contains(raw, []byte(`"`+id+`"`)) || bytes.Contains(raw, []byte(id+".ClientSecret")) {
			found = append(found, id)
		}
	}
	if len(found) == 1 {
		return found[0]
	}
	var withSecret []string
	for id, c := range clients {
		if c.GenerateSecret {
			withSecret = append(withSecret, id)
		}
	}
	if len(found) == 0 && len(withSecret) == 1 {
		return withSecret[0]
	}
	return ""
}

// Hash identifies a spec, to notice serverless.yml changes since the local pool was created.
func (s Spec) Hash() string {
	data, _ := json.Marshal(struct {
		Pool    cip.CreateUserPoolInput
		Clients map[string]cip.CreateUserPoolClientInput
	}{s.Pool, s.Clients})
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

// Pool is a local user pool with its app clients.
type Pool struct {
	ID string
	// Clients are by logical id.
	Clients map[string]Client
	// Stale reports that the pool was made from other settings than the current spec; the
	// caller can tell the user to delete the state folder to recreate it.
	Stale bool
}

// Client is an app client of the local pool.
type Client struct {
	ID string
	// Secret is the generated client secret, or "".
	Secret string
}

// state is the state file: ids only, the secret is read back from cognito-local.
type state struct {
	UserPoolID string            `json:"userPoolId"`
	Clients    map[string]string `json:"clients"`
	SpecHash   string            `json:"specHash"`
}

// StateFile is where EnsurePool keeps the ids, in a stack's state folder.
func StateFile(stateDir string) string { return filepath.Join(stateDir, "pool.json") }

// EnsurePool finds the pool and clients recorded in stateFile, or creates them as spec says
// and records them. A recorded pool that cognito-local no longer has (its database was
// deleted) is created again.
func EnsurePool(ctx context.Context, api API, stateFile string, spec Spec) (Pool, error) {
	var st state
	data, err := os.ReadFile(stateFile)
	switch {
	case err == nil:
		if err := json.Unmarshal(data, &st); err != nil {
			return Pool{}, fmt.Errorf("%s: %w (delete it to start over)", stateFile, err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return Pool{}, err
	}
	pool := Pool{Clients: map[string]Client{}}
	if st.UserPoolID != "" {
		_, err := api.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(st.UserPoolID)})
		switch {
		case err == nil:
			pool.ID = st.UserPoolID
			pool.Stale = st.SpecHash != spec.Hash()
		case isNotFound(err):
			st = state{}
		default:
			return Pool{}, fmt.Errorf("describe user pool %s: %w", st.UserPoolID, err)
		}
	}
	if pool.ID == "" {
		in := spec.Pool
		out, err := api.CreateUserPool(ctx, &in)
		if err != nil {
			return Pool{}, fmt.Errorf("create user pool: %w", err)
		}
		pool.ID = aws.ToString(out.UserPool.Id)
		st = state{UserPoolID: pool.ID, SpecHash: spec.Hash()}
	}
	if st.Clients == nil {
		st.Clients = map[string]string{}
	}
	ids := make([]string, 0, len(spec.Clients))
	for id := range spec.Clients {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if clientID := st.Clients[id]; clientID != "" {
			out, err := api.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{
				UserPoolId: aws.String(pool.ID), ClientId: aws.String(clientID),
			})
			if err == nil {
				pool.Clients[id] = Client{ID: clientID, Secret: aws.ToString(out.UserPoolClient.ClientSecret)}
				continue
			}
			if !isNotFound(err) {
				return Pool{}, fmt.Errorf("describe app client %s: %w", id, err)
			}
		}
		in := spec.Clients[id]
		in.UserPoolId = aws.String(pool.ID)
		out, err := api.CreateUserPoolClient(ctx, &in)
		if err != nil {
			return Pool{}, fmt.Errorf("create app client %s: %w", id, err)
		}
		c := Client{ID: aws.ToString(out.UserPoolClient.ClientId), Secret: aws.ToString(out.UserPoolClient.ClientSecret)}
		pool.Clients[id] = c
		st.Clients[id] = c.ID
	}
	data, err = json.MarshalIndent(st, "", "  ")
	if err != nil {
		return Pool{}, err
	}
	if err := os.MkdirAll(filepath.Dir(stateFile), 0o755); err != nil {
		return Pool{}, err
	}
	if err := os.WriteFile(stateFile, append(data, '\n'), 0o644); err != nil {
		return Pool{}, err
	}
	return pool, nil
}

// isNotFound reports cognito-local's (and Cognito's) ResourceNotFoundException.
func isNotFound(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "ResourceNotFoundException"
}

// props reads CloudFormation properties leniently: YAML may give "8" for 8 or "true" for
// true, and values that are intrinsic functions ({Ref: ...}, {Fn::...}) are skipped, since
// they only resolve in a deployed stack.
type props map[string]json.RawMessage

func parseProps(raw json.RawMessage) (props, error) {
	p := props{}
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return p, nil
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, err
	}
	return p, nil
}

func (p props) str(key string) (string, bool) {
	var s string
	if err := json.Unmarshal(p[key], &s); err != nil {
		return "", false
	}
	return s, true
}

func (p props) boolean(key string) (bool, bool) {
	var b bool
	if err := json.Unmarshal(p[key], &b); err == nil {
		return b, true
	}
	if s, ok := p.str(key); ok {
		b, err := strconv.ParseBool(s)
		return b, err == nil
	}
	return false, false
}

func (p props) int32(key string) (int32, bool) {
	var n int32
	if err := json.Unmarshal(p[key], &n); err == nil {
		return n, true
	}
	if s, ok := p.str(key); ok {
		n, err := strconv.ParseInt(s, 10, 32)
		return int32(n), err == nil
	}
	return 0, false
}

func (p props) strings(key string) []string {
	var list []string
	if err := json.Unmarshal(p[key], &list); err != nil {
		return nil
	}
	return list
}

func (p props) obj(key string) props {
	var o props
	if err := json.Unmarshal(p[key], &o); err != nil {
		return props{}
	}
	return o
}

// ref returns X of a {Ref: X} value.
func (p props) ref(key string) string {
	var r struct {
		Ref string `json:"Ref"`
	}
	_ = json.Unmarshal(p[key], &r)
	return r.Ref
}

// poolInput maps the AWS::Cognito::UserPool properties cognito-local stores.
func poolInput(p props, defaultName string) cip.CreateUserPoolInput {
	in := cip.CreateUserPoolInput{PoolName: aws.String(defaultName)}
	if name, ok := p.str("UserPoolName"); ok {
		in.PoolName = aws.String(name)
	}
	if pp := p.obj("Policies").obj("PasswordPolicy"); len(pp) > 0 {
		policy := &types.PasswordPolicyType{}
		if n, ok := pp.int32("MinimumLength"); ok {
			policy.MinimumLength = aws.Int32(n)
		}
		policy.RequireLowercase, _ = pp.boolean("RequireLowercase")
		policy.RequireUppercase, _ = pp.boolean("RequireUppercase")
		policy.RequireNumbers, _ = pp.boolean("RequireNumbers")
		policy.RequireSymbols, _ = pp.boolean("RequireSymbols")
		policy.TemporaryPasswordValidityDays, _ = pp.int32("TemporaryPasswordValidityDays")
		in.Policies = &types.UserPoolPolicyType{PasswordPolicy: policy}
	}
	for _, a := range p.strings("UsernameAttributes") {
		in.UsernameAttributes = append(in.UsernameAttributes, types.UsernameAttributeType(a))
	}
	for _, a := range p.strings("AliasAttributes") {
		in.AliasAttributes = append(in.AliasAttributes, types.AliasAttributeType(a))
	}
	for _, a := range p.strings("AutoVerifiedAttributes") {
		in.AutoVerifiedAttributes = append(in.AutoVerifiedAttributes, types.VerifiedAttributeType(a))
	}
	if uc := p.obj("UsernameConfiguration"); len(uc) > 0 {
		if cs, ok := uc.boolean("CaseSensitive"); ok {
			in.UsernameConfiguration = &types.UsernameConfigurationType{CaseSensitive: aws.Bool(cs)}
		}
	}
	if mfa, ok := p.str("MfaConfiguration"); ok {
		in.MfaConfiguration = types.UserPoolMfaType(mfa)
	}
	if ac := p.obj("AdminCreateUserConfig"); len(ac) > 0 {
		only, _ := ac.boolean("AllowAdminCreateUserOnly")
		in.AdminCreateUserConfig = &types.AdminCreateUserConfigType{AllowAdminCreateUserOnly: only}
	}
	return in
}

// clientInput maps the AWS::Cognito::UserPoolClient properties cognito-local stores.
func clientInput(p props, logicalID string) cip.CreateUserPoolClientInput {
	in := cip.CreateUserPoolClientInput{ClientName: aws.String(logicalID)}
	if name, ok := p.str("ClientName"); ok {
		in.ClientName = aws.String(name)
	}
	in.GenerateSecret, _ = p.boolean("GenerateSecret")
	for _, f := range p.strings("ExplicitAuthFlows") {
		in.ExplicitAuthFlows = append(in.ExplicitAuthFlows, types.ExplicitAuthFlowsType(f))
	}
	if v, ok := p.str("PreventUserExistenceErrors"); ok {
		in.PreventUserExistenceErrors = types.PreventUserExistenceErrorTypes(v)
	}
	if v, ok := p.boolean("EnableTokenRevocation"); ok {
		in.EnableTokenRevocation = aws.Bool(v)
	}
	if v, ok := p.int32("AuthSessionValidity"); ok {
		in.AuthSessionValidity = aws.Int32(v)
	}
	if v, ok := p.int32("AccessTokenValidity"); ok {
		in.AccessTokenValidity = aws.Int32(v)
	}
	if v, ok := p.int32("IdTokenValidity"); ok {
		in.IdTokenValidity = aws.Int32(v)
	}
	in.RefreshTokenValidity, _ = p.int32("RefreshTokenValidity")
	// Cognito's units default to hours (access, id) and days (refresh); cognito-local's default
	// for the ID token is minutes, so the units are always sent.
	units := &types.TokenValidityUnitsType{
		AccessToken: types.TimeUnitsTypeHours, IdToken: types.TimeUnitsTypeHours, RefreshToken: types.TimeUnitsTypeDays,
	}
	tu := p.obj("TokenValidityUnits")
	if v, ok := tu.str("AccessToken"); ok {
		units.AccessToken = types.TimeUnitsType(v)
	}
	if v, ok := tu.str("IdToken"); ok {
		units.IdToken = types.TimeUnitsType(v)
	}
	if v, ok := tu.str("RefreshToken"); ok {
		units.RefreshToken = types.TimeUnitsType(v)
	}
	in.TokenValidityUnits = units
	in.ReadAttributes = p.strings("ReadAttributes")
	in.WriteAttributes = p.strings("WriteAttributes")
	return in
}
