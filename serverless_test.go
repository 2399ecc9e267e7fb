// Package signin_test checks the CloudFormation that the Serverless Framework writes for
// serverless.yml: the Cognito authorizers (ID token on GET /me, access token and scope on
// GET /session), the PreSignUp and Pre Token Generation triggers, the resource server and the
// pool's feature plan, least-privilege roles, the absence of dependency cycles, function
// settings, the user pool and its client, the throttling of POST /signin, CORS and the stack
// outputs; operations_test.go adds the WAF web ACL, the metric filters (against the functions'
// real log lines) and the alarms.
//
// Each test runs the pinned CLI (node_modules/.bin/sls, from `make node_modules`) with
// `sls package --package <temp dir>` and placeholder zips, so it needs no cross-compile, no AWS
// credentials, and leaves nothing in the working tree. Under -short those tests skip; the ones
// that need no CLI (the filter pattern matcher, the cycle finder) still run.
package signin_test

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// functions are the service's functions by their key in serverless.yml.
var functions = []string{"signin", "autoconfirm", "me", "session", "pretoken", "refresh", "signout", "deleteme"}

// Logical ids that Serverless derives from serverless.yml, and ours under resources:.
const (
	poolID       = "CognitoUserPoolUserPool"
	clientID     = "UserPoolClient"
	secretID     = "UserPoolClientSecret"
	authorizerID = "ApiGatewayAuthorizer"
	// accessAuthorizerID is the authorizer of the methods with scopes (access tokens).
	accessAuthorizerID = "ApiGatewayAccessTokenAuthorizer"
	restAPIID          = "ApiGatewayRestApi"
)

// sessionScope is the custom scope GET /session asks for and the pretoken trigger adds.
const sessionScope = "signin-api/session.read"

// cognitoUserCreationRPS is Cognito's default UserCreation quota (SignUp requests per second);
// the API Gateway limits on POST /signin must stay below it.
const cognitoUserCreationRPS = 50

// template is the part of a CloudFormation template the tests read.
type template struct {
	Conditions map[string]any
	Resources  map[string]resource
	Outputs    map[string]struct {
		Value     any
		Condition string
	}
}

// resource is one CloudFormation resource, its properties left as decoded JSON.
type resource struct {
	Type       string
	Condition  string
	Properties map[string]any
	DependsOn  any
}

// packageOnce runs `sls package` once per set of arguments: every test reads the same output.
var packageOnce = struct {
	sync.Mutex
	results map[string]packageResult
}{results: map[string]packageResult{}}

type packageResult struct {
	tpl    template
	output string
	err    error
}

// slsPackage runs `sls package` with args and returns the update-stack template, or the CLI's
// output and error.
func slsPackage(t *testing.T, args ...string) (template, string, error) {
	t.Helper()
	if testing.Short() {
		t.Skip("sls package: needs node_modules (npm ci); run make test")
	}
	key := strings.Join(args, "\x00")
	packageOnce.Lock()
	defer packageOnce.Unlock()
	if r, ok := packageOnce.results[key]; ok {
		return r.tpl, r.output, r.err
	}
	tpl, out, err := runPackage(t, args)
	packageOnce.results[key] = packageResult{tpl, out, err}
	return tpl, out, err
}

// mustPackage is slsPackage for a configuration that must package.
func mustPackage(t *testing.T, args ...string) template {
	t.Helper()
	tpl, out, err := slsPackage(t, args...)
	if err != nil {
		t.Fatalf("sls package %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return tpl
}

// devTemplate is the template for the default stage and parameters.
func devTemplate(t *testing.T) template {
	t.Helper()
	return mustPackage(t)
}

// prodArgs package a non-dev stage with every parameter that stage has to be given.
var prodArgs = []string{
	"--stage", "prod",
	"--param", "corsAllowOrigin=https://app.example.com,https://admin.example.com",
	"--param", "signinRateLimit=7",
	"--param", "signinBurstLimit=9",
	"--param", "sessionRateLimit=3",
	"--param", "sessionBurstLimit=4",
	"--param", "accessTokenValidityMinutes=5",
	"--param", "idTokenValidityMinutes=6",
	"--param", "refreshTokenValidityDays=7",
	"--param", "refreshRetryGraceSeconds=30",
}

// stagingArgs package a non-dev stage with only what it must be given: every other parameter
// keeps its default.
var stagingArgs = []string{"--stage", "staging", "--param", "corsAllowOrigin=https://app.example.com"}

func runPackage(t *testing.T, args []string) (template, string, error) {
	// go test caches a passing result by the files the test opens itself; the CLI's reads are
	// invisible to it, so read what the template depends on here.
	for _, f := range []string{"serverless.yml", "deploy/rest-api-stage.js", ".serverless_plugins/go-invoke-local.js", "package-lock.json"} {
		if _, err := os.ReadFile(f); err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
	}
	sls, err := filepath.Abs(filepath.Join("node_modules", ".bin", "sls"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sls); err != nil {
		t.Fatalf("the Serverless CLI is missing (%v): run `make node_modules` (npm ci) first", err)
	}

	dir := t.TempDir()
	zips := filepath.Join(dir, "zips")
	for _, fn := range functions {
		writePlaceholderZip(t, filepath.Join(zips, fn+".zip"))
	}
	out := filepath.Join(dir, "out")

	cmd := exec.Command(sls, append([]string{"package", "--package", out, "--param", "artifactDir=" + zips}, args...)...)
	cmd.Env = append(withoutAWSCredentials(os.Environ()),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "no-credentials"),
		"AWS_CONFIG_FILE="+filepath.Join(dir, "no-config"),
	)
	output, err := cmd.CombinedOutput()
	if err != nil {
		return template{}, string(output), err
	}
	data, err := os.ReadFile(filepath.Join(out, "cloudformation-template-update-stack.json"))
	if err != nil {
		return template{}, string(output), err
	}
	var tpl template
	if err := json.Unmarshal(data, &tpl); err != nil {
		return template{}, string(output), fmt.Errorf("decode template: %w", err)
	}
	return tpl, string(output), nil
}

// withoutAWSCredentials drops every variable through which the CLI could find AWS credentials,
// to show that packaging needs none.
func withoutAWSCredentials(env []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
			"AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
			"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
			"AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE":
			return true
		}
		return false
	})
}

// writePlaceholderZip writes a zip with an executable bootstrap at its root: the CLI only
// checks that each artifact exists.
func writePlaceholderZip(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("#!/bin/sh\n")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// Intrinsic functions as they appear in the decoded template.
func ref(id string) any { return map[string]any{"Ref": id} }

func getAtt(id, attr string) any { return map[string]any{"Fn::GetAtt": []any{id, attr}} }

// functionID is the logical id Serverless gives a function: "me" -> "MeLambdaFunction".
func functionID(fn string) string { return capitalize(fn) + "LambdaFunction" }

// logGroupID is the logical id of a function's log group: "me" -> "MeLogGroup".
func logGroupID(fn string) string { return capitalize(fn) + "LogGroup" }

func capitalize(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// ofType returns the logical ids of the resources of type typ, sorted.
func (tpl template) ofType(typ string) []string {
	var ids []string
	for id, r := range tpl.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// only returns the one resource of type typ, failing the test if there are none or several.
func (tpl template) only(t *testing.T, typ string) (string, resource) {
	t.Helper()
	ids := tpl.ofType(typ)
	if len(ids) != 1 {
		t.Fatalf("resources of type %s: got %v, want exactly one", typ, ids)
	}
	return ids[0], tpl.Resources[ids[0]]
}

// resource returns the resource id of type typ, failing the test if it is missing.
func (tpl template) resource(t *testing.T, id, typ string) resource {
	t.Helper()
	r, ok := tpl.Resources[id]
	if !ok {
		t.Fatalf("resource %s is missing", id)
	}
	if r.Type != typ {
		t.Fatalf("resource %s: got type %s, want %s", id, r.Type, typ)
	}
	return r
}

// resourcePath returns the URL path of an AWS::ApiGateway::Resource (or of the root).
func (tpl template) resourcePath(t *testing.T, resourceID any) string {
	t.Helper()
	if reflect.DeepEqual(resourceID, getAtt(restAPIID, "RootResourceId")) {
		return ""
	}
	m, _ := resourceID.(map[string]any)
	id, _ := m["Ref"].(string)
	r := tpl.resource(t, id, "AWS::ApiGateway::Resource")
	return tpl.resourcePath(t, r.Properties["ParentId"]) + "/" + fmt.Sprint(r.Properties["PathPart"])
}

// method returns the AWS::ApiGateway::Method for verb on path ("/me").
func (tpl template) method(t *testing.T, verb, path string) (string, resource) {
	t.Helper()
	var found []string
	for _, id := range tpl.ofType("AWS::ApiGateway::Method") {
		r := tpl.Resources[id]
		if r.Properties["HttpMethod"] == verb && tpl.resourcePath(t, r.Properties["ResourceId"]) == path {
			found = append(found, id)
		}
	}
	if len(found) != 1 {
		t.Fatalf("methods %s %s: got %v, want exactly one", verb, path, found)
	}
	return found[0], tpl.Resources[found[0]]
}

// number reads a numeric property, which --param may have made a string.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

// stringList returns v as a list of strings: a single string or a list of them.
func stringList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}

// userPoolTier=LITE: no V2_0 trigger (Lite runs none), and GET /session asks for the scope every
// Cognito access token carries instead of the custom one. Other plans do not package.
func TestLitePlan(t *testing.T) {
	tpl := mustPackage(t, "--param", "userPoolTier=LITE")
	pool := tpl.resource(t, poolID, "AWS::Cognito::UserPool").Properties
	if got := pool["UserPoolTier"]; got != "LITE" {
		t.Errorf("UserPoolTier: got %v, want LITE", got)
	}
	if got, want := pool["LambdaConfig"], map[string]any{"PreSignUp": getAtt(functionID("autoconfirm"), "Arn")}; !reflect.DeepEqual(got, want) {
		t.Errorf("LambdaConfig: got %v, want only the PreSignUp trigger %v", got, want)
	}
	_, m := tpl.method(t, "GET", "/session")
	if got, want := m.Properties["AuthorizationScopes"], []any{"aws.cognito.signin.user.admin"}; !reflect.DeepEqual(got, want) {
		t.Errorf("GET /session AuthorizationScopes: got %v, want %v", got, want)
	}
	if c := findCycle(dependencyGraph(tpl.Resources)); c != nil {
		t.Errorf("dependency cycle %s", strings.Join(c, " -> "))
	}
	if _, out, err := slsPackage(t, "--param", "userPoolTier=PLUS"); err == nil || !strings.Contains(out, "custom.sessionScope") {
		t.Errorf("userPoolTier=PLUS packaged (err %v): want a refusal naming custom.sessionScope\n%s", err, out)
	}
}

// Two COGNITO_USER_POOLS authorizers of the pool: one for ID tokens that checks aud against
// the app client (IdentityValidationExpression), one for access tokens without it (an access
// token has no aud, so the expression would refuse them all).
func TestCognitoAuthorizers(t *testing.T) {
	tpl := devTemplate(t)
	var cognito []string
	for _, id := range tpl.ofType("AWS::ApiGateway::Authorizer") {
		if tpl.Resources[id].Properties["Type"] == "COGNITO_USER_POOLS" {
			cognito = append(cognito, id)
		}
	}
	if want := []string{accessAuthorizerID, authorizerID}; !reflect.DeepEqual(cognito, want) {
		t.Fatalf("COGNITO_USER_POOLS authorizers: got %v, want %v", cognito, want)
	}
	for _, id := range cognito {
		props := tpl.Resources[id].Properties
		var wantExpression any // nil: none
		if id == authorizerID {
			wantExpression = ref(clientID)
		}
		tests := []struct {
			property string
			want     any
		}{
			{"IdentitySource", "method.request.header.Authorization"},
			{"ProviderARNs", []any{getAtt(poolID, "Arn")}},
			{"RestApiId", ref(restAPIID)},
			{"IdentityValidationExpression", wantExpression},
		}
		for _, tt := range tests {
			if got := props[tt.property]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("authorizer %s %s: got %v, want %v", id, tt.property, got, tt.want)
			}
		}
	}
}

// Every method of the API, with its authorization: the test fails on a method it does not list.
func TestMethodsAuthorization(t *testing.T) {
	tpl := devTemplate(t)
	tests := []struct {
		verb, path     string
		wantType       string
		wantAuthorizer any   // nil: no AuthorizerId
		wantScopes     []any // nil: no AuthorizationScopes (ID token)
		wantFunction   string
	}{
		{"GET", "/me", "COGNITO_USER_POOLS", ref(authorizerID), nil, "me"},
		{"GET", "/session", "COGNITO_USER_POOLS", ref(accessAuthorizerID), []any{sessionScope}, "session"},
		{"POST", "/signin", "NONE", nil, nil, "signin"},
		// DeleteUser needs an access token with this scope; the ID-token authorizer's
		// IdentityValidationExpression would refuse every access token (they have no aud).
		{"DELETE", "/me", "COGNITO_USER_POOLS", ref(accessAuthorizerID), []any{"aws.cognito.signin.user.admin"}, "deleteme"},
		{"POST", "/refresh", "NONE", nil, nil, "refresh"},
		{"POST", "/signout", "NONE", nil, nil, "signout"},
	}
	listed := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.verb+" "+tt.path, func(t *testing.T) {
			id, m := tpl.method(t, tt.verb, tt.path)
			listed[id] = true
			if got := m.Properties["AuthorizationType"]; got != tt.wantType {
				t.Errorf("AuthorizationType: got %v, want %v", got, tt.wantType)
			}
			if got := m.Properties["AuthorizerId"]; !reflect.DeepEqual(got, tt.wantAuthorizer) {
				t.Errorf("AuthorizerId: got %v, want %v", got, tt.wantAuthorizer)
			}
			if got, _ := m.Properties["AuthorizationScopes"].([]any); !reflect.DeepEqual(got, tt.wantScopes) {
				t.Errorf("AuthorizationScopes: got %v, want %v", got, tt.wantScopes)
			}
			integration, _ := m.Properties["Integration"].(map[string]any)
			if got := integration["Type"]; got != "AWS_PROXY" {
				t.Errorf("integration type: got %v, want AWS_PROXY (Lambda proxy)", got)
			}
			uri, _ := json.Marshal(integration["Uri"])
			if want, _ := json.Marshal(getAtt(functionID(tt.wantFunction), "Arn")); !strings.Contains(string(uri), string(want)) {
				t.Errorf("integration URI %s does not invoke %s", uri, functionID(tt.wantFunction))
			}
		})
	}
	// The only other methods are the CORS preflights: open mock methods.
	for _, id := range tpl.ofType("AWS::ApiGateway::Method") {
		p := tpl.Resources[id].Properties
		if listed[id] {
			continue
		}
		integration, _ := p["Integration"].(map[string]any)
		if p["HttpMethod"] != "OPTIONS" || p["AuthorizationType"] != "NONE" || integration["Type"] != "MOCK" {
			t.Errorf("method %s (%v %s) is not listed here", id, p["HttpMethod"], tpl.resourcePath(t, p["ResourceId"]))
		}
	}
}

// The resource server declares the scope that GET /session asks for.
func TestResourceServer(t *testing.T) {
	tpl := devTemplate(t)
	_, rs := tpl.only(t, "AWS::Cognito::UserPoolResourceServer")
	if got := rs.Properties["UserPoolId"]; !reflect.DeepEqual(got, ref(poolID)) {
		t.Errorf("UserPoolId: got %v", got)
	}
	var declared []string
	scopes, _ := rs.Properties["Scopes"].([]any)
	for _, sc := range scopes {
		m, _ := sc.(map[string]any)
		declared = append(declared, fmt.Sprint(rs.Properties["Identifier"])+"/"+fmt.Sprint(m["ScopeName"]))
		if d, _ := m["ScopeDescription"].(string); d == "" {
			t.Errorf("scope %v has no description", m["ScopeName"])
		}
	}
	if want := []string{sessionScope}; !reflect.DeepEqual(declared, want) {
		t.Errorf("declared scopes: got %v, want %v", declared, want)
	}
}

// The Pre Token Generation trigger: event version V2_0 on a pool whose plan runs it, the ARN of
// the pretoken function (built, not a GetAtt: see TestNoDependencyCycle), a permission for this
// pool only, and the client and scope it needs in its environment.
func TestPreTokenGenerationTrigger(t *testing.T) {
	for _, args := range [][]string{nil, prodArgs} {
		tpl := mustPackage(t, args...)
		stage := "dev"
		if args != nil {
			stage = "prod"
		}
		pool := tpl.resource(t, poolID, "AWS::Cognito::UserPool").Properties
		if got := pool["UserPoolTier"]; got != "ESSENTIALS" {
			t.Errorf("%s: UserPoolTier: got %v, want ESSENTIALS (V2_0 triggers need Essentials or Plus)", stage, got)
		}
		lc, _ := pool["LambdaConfig"].(map[string]any)
		cfg, _ := lc["PreTokenGenerationConfig"].(map[string]any)
		if got := cfg["LambdaVersion"]; got != "V2_0" {
			t.Errorf("%s: PreTokenGenerationConfig.LambdaVersion: got %v, want V2_0", stage, got)
		}
		if _, v1 := lc["PreTokenGeneration"]; v1 {
			t.Errorf("%s: LambdaConfig.PreTokenGeneration is set too (a V1_0 trigger)", stage)
		}
		fnName := tpl.Resources[functionID("pretoken")].Properties["FunctionName"]
		wantArn := map[string]any{"Fn::Sub": fmt.Sprintf("arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:%v", fnName)}
		if got := cfg["LambdaArn"]; !reflect.DeepEqual(got, wantArn) {
			t.Errorf("%s: PreTokenGenerationConfig.LambdaArn: got %v, want %v", stage, got, wantArn)
		}

		var permissions []string
		for _, id := range tpl.ofType("AWS::Lambda::Permission") {
			p := tpl.Resources[id].Properties
			if reflect.DeepEqual(p["FunctionName"], getAtt(functionID("pretoken"), "Arn")) {
				permissions = append(permissions, id)
				if p["Action"] != "lambda:InvokeFunction" || p["Principal"] != "cognito-idp.amazonaws.com" || !reflect.DeepEqual(p["SourceArn"], getAtt(poolID, "Arn")) {
					t.Errorf("%s: permission %s: %v, want only the pool to invoke pretoken", stage, id, p)
				}
			}
		}
		if len(permissions) != 1 {
			t.Errorf("%s: permissions on pretoken: got %v, want exactly one", stage, permissions)
		}
	}
}

func TestPreSignUpTrigger(t *testing.T) {
	tpl := devTemplate(t)
	pool := tpl.resource(t, poolID, "AWS::Cognito::UserPool")
	lc, _ := pool.Properties["LambdaConfig"].(map[string]any)
	if got, want := lc["PreSignUp"], getAtt(functionID("autoconfirm"), "Arn"); !reflect.DeepEqual(got, want) {
		t.Errorf("pool LambdaConfig.PreSignUp: got %v, want %v", got, want)
	}
	if got, want := slices.Sorted(maps.Keys(lc)), []string{"PreSignUp", "PreTokenGenerationConfig"}; !reflect.DeepEqual(got, want) {
		t.Errorf("pool triggers: got %v, want %v", got, want)
	}

	var permissions []string
	for _, id := range tpl.ofType("AWS::Lambda::Permission") {
		p := tpl.Resources[id].Properties
		if reflect.DeepEqual(p["FunctionName"], getAtt(functionID("autoconfirm"), "Arn")) &&
			p["Action"] == "lambda:InvokeFunction" &&
			p["Principal"] == "cognito-idp.amazonaws.com" &&
			reflect.DeepEqual(p["SourceArn"], getAtt(poolID, "Arn")) {
			permissions = append(permissions, id)
		}
	}
	if len(permissions) != 1 {
		t.Errorf("permissions letting the pool (only) invoke autoconfirm: got %v, want exactly one", permissions)
	}
}

// statement is one IAM policy statement, its actions and resources as lists.
type statement struct {
	actions   []string
	resources []any
}

// roleStatements returns the Allow statements of a function's role, failing the test on
// anything that escapes a plain reading (Deny, NotAction, NotResource, managed policies).
func roleStatements(t *testing.T, tpl template, fn string) []statement {
	t.Helper()
	f := tpl.resource(t, functionID(fn), "AWS::Lambda::Function")
	roleRef, _ := f.Properties["Role"].(map[string]any)
	att, _ := roleRef["Fn::GetAtt"].([]any)
	if len(att) != 2 || att[1] != "Arn" {
		t.Fatalf("%s: role %v is not a role of this stack", fn, f.Properties["Role"])
	}
	roleID := att[0].(string)
	role := tpl.resource(t, roleID, "AWS::IAM::Role")

	trust, _ := json.Marshal(role.Properties["AssumeRolePolicyDocument"])
	if !strings.Contains(string(trust), `"Service":"lambda.amazonaws.com"`) {
		t.Errorf("%s: role %s does not trust lambda.amazonaws.com: %s", fn, roleID, trust)
	}
	if v, ok := role.Properties["ManagedPolicyArns"]; ok {
		t.Errorf("%s: role %s has managed policies %v", fn, roleID, v)
	}

	var docs []any
	policies, _ := role.Properties["Policies"].([]any)
	for _, p := range policies {
		docs = append(docs, p.(map[string]any)["PolicyDocument"])
	}
	// Policies attached from outside the role count too.
	for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"} {
		for _, id := range tpl.ofType(typ) {
			p := tpl.Resources[id].Properties
			attached, _ := json.Marshal([]any{p["Roles"], p["RoleName"]})
			if strings.Contains(string(attached), `{"Ref":"`+roleID+`"}`) {
				docs = append(docs, p["PolicyDocument"])
			}
		}
	}

	var out []statement
	for _, d := range docs {
		doc, _ := d.(map[string]any)
		var stmts []any
		switch s := doc["Statement"].(type) {
		case []any:
			stmts = s
		case map[string]any:
			stmts = []any{s}
		}
		for _, s := range stmts {
			st := s.(map[string]any)
			for _, k := range []string{"NotAction", "NotResource", "Condition"} {
				if _, ok := st[k]; ok {
					t.Errorf("%s: statement %v uses %s", fn, st, k)
				}
			}
			if st["Effect"] != "Allow" {
				t.Errorf("%s: statement %v is not a plain Allow", fn, st)
				continue
			}
			res, ok := st["Resource"].([]any)
			if !ok {
				res = []any{st["Resource"]}
			}
			out = append(out, statement{actions: stringList(st["Action"]), resources: res})
		}
	}
	return out
}

func TestLeastPrivilege(t *testing.T) {
	tpl := devTemplate(t)
	tests := []struct {
		fn string
		// want maps each non-logs action to its one resource.
		want map[string]any
	}{
		{"signin", map[string]any{
			"cognito-idp:AdminInitiateAuth": getAtt(poolID, "Arn"),
			"secretsmanager:GetSecretValue": ref(secretID),
		}},
		{"autoconfirm", map[string]any{}},
		{"me", map[string]any{}},
		{"session", map[string]any{}},
		{"pretoken", map[string]any{}},
		// GetTokensFromRefreshToken, RevokeToken and GlobalSignOut are authorized by the client
		// secret and the user's tokens: the secret, and no cognito-idp action at all.
		{"refresh", map[string]any{"secretsmanager:GetSecretValue": ref(secretID)}},
		{"signout", map[string]any{"secretsmanager:GetSecretValue": ref(secretID)}},
		// DeleteUser is authorized by the user's access token: nothing but logs.
		{"deleteme", map[string]any{}},
	}
	roles := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.fn, func(t *testing.T) {
			role := tpl.Resources[functionID(tt.fn)].Properties["Role"]
			if other, ok := roles[fmt.Sprint(role)]; ok {
				t.Errorf("%s shares its role with %s", tt.fn, other)
			}
			roles[fmt.Sprint(role)] = tt.fn

			got := map[string]any{}
			logs := map[string]bool{}
			for _, st := range roleStatements(t, tpl, tt.fn) {
				for _, action := range st.actions {
					if strings.HasPrefix(action, "logs:") {
						// Logs: writing to the function's own log group, nothing more.
						if action != "logs:CreateLogStream" && action != "logs:PutLogEvents" {
							t.Errorf("logs action %s: want only logs:CreateLogStream and logs:PutLogEvents", action)
						}
						if want := []any{getAtt(logGroupID(tt.fn), "Arn")}; !reflect.DeepEqual(st.resources, want) {
							t.Errorf("%s on %v: want only the function's log group %v", action, st.resources, want)
						}
						logs[action] = true
						continue
					}
					if _, dup := got[action]; dup || len(st.resources) != 1 {
						t.Errorf("%s: want one statement with one resource, got another on %v", action, st.resources)
					}
					got[action] = st.resources[0]
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("non-logs permissions: got %v, want %v", got, tt.want)
			}
			if !logs["logs:CreateLogStream"] || !logs["logs:PutLogEvents"] {
				t.Errorf("logs permissions: got %v, want CreateLogStream and PutLogEvents", slices.Sorted(maps.Keys(logs)))
			}
		})
	}

	// The secret signin may read is the app client's secret.
	secret := tpl.resource(t, secretID, "AWS::SecretsManager::Secret")
	if got, want := secret.Properties["SecretString"], getAtt(clientID, "ClientSecret"); !reflect.DeepEqual(got, want) {
		t.Errorf("secret SecretString: got %v, want %v", got, want)
	}
}

// subVariable matches a ${Name} or ${Name.Attr} in an Fn::Sub string (not ${!Literal}).
var subVariable = regexp.MustCompile(`\$\{([^!}][^}]*)\}`)

// references adds to deps the names that v refers to through Ref, Fn::GetAtt and Fn::Sub.
func references(v any, deps map[string]bool) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			references(e, deps)
		}
	case map[string]any:
		for k, e := range x {
			switch k {
			case "Ref":
				if s, ok := e.(string); ok {
					deps[s] = true
				}
			case "Fn::GetAtt":
				switch a := e.(type) {
				case []any:
					if len(a) > 0 {
						deps[fmt.Sprint(a[0])] = true
					}
				case string:
					name, _, _ := strings.Cut(a, ".")
					deps[name] = true
				}
			case "Fn::Sub":
				str, vars := e, map[string]any{}
				if a, ok := e.([]any); ok && len(a) == 2 {
					str = a[0]
					vars, _ = a[1].(map[string]any)
					references(a[1], deps)
				}
				s, _ := str.(string)
				for _, m := range subVariable.FindAllStringSubmatch(s, -1) {
					name, _, _ := strings.Cut(m[1], ".")
					if _, local := vars[m[1]]; !local {
						deps[name] = true
					}
				}
			default:
				references(e, deps)
			}
		}
	}
}

// dependencyGraph returns, for each resource, the resources it depends on.
func dependencyGraph(resources map[string]resource) map[string][]string {
	graph := map[string][]string{}
	for id, r := range resources {
		deps := map[string]bool{}
		references(r.Properties, deps)
		for _, d := range stringList(r.DependsOn) {
			deps[d] = true
		}
		for d := range deps {
			if _, ok := resources[d]; ok {
				graph[id] = append(graph[id], d)
			}
		}
		sort.Strings(graph[id])
	}
	return graph
}

// findCycle returns one dependency cycle (its first id repeated at the end), or nil.
func findCycle(graph map[string][]string) []string {
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(string) []string
	visit = func(id string) []string {
		state[id] = onPath
		path = append(path, id)
		for _, d := range graph[id] {
			switch state[d] {
			case onPath:
				start := slices.Index(path, d)
				return append(slices.Clone(path[start:]), d)
			case unseen:
				if c := visit(d); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		state[id] = done
		return nil
	}
	for _, id := range slices.Sorted(maps.Keys(graph)) {
		if state[id] == unseen {
			if c := visit(id); c != nil {
				return c
			}
		}
	}
	return nil
}

func TestFindCycle(t *testing.T) {
	res := func(props map[string]any, dependsOn any) resource {
		return resource{Type: "AWS::Test::Thing", Properties: props, DependsOn: dependsOn}
	}
	tests := []struct {
		name      string
		resources map[string]resource
		wantCycle bool
	}{
		{"chain", map[string]resource{
			"A": res(map[string]any{"X": ref("B")}, nil),
			"B": res(map[string]any{"X": getAtt("C", "Arn")}, nil),
			"C": res(nil, nil),
		}, false},
		{"Ref and GetAtt", map[string]resource{
			"A": res(map[string]any{"X": ref("B")}, nil),
			"B": res(map[string]any{"Y": map[string]any{"Z": getAtt("A", "Arn")}}, nil),
		}, true},
		{"GetAtt string form", map[string]resource{
			"A": res(map[string]any{"X": map[string]any{"Fn::GetAtt": "B.Arn"}}, nil),
			"B": res(map[string]any{"X": ref("A")}, nil),
		}, true},
		{"DependsOn", map[string]resource{
			"A": res(nil, "B"),
			"B": res(nil, []any{"C"}),
			"C": res(nil, []any{"A"}),
		}, true},
		{"Fn::Sub", map[string]resource{
			"A": res(map[string]any{"X": map[string]any{"Fn::Sub": "arn:${B.Arn}/x"}}, nil),
			"B": res(map[string]any{"X": map[string]any{"Fn::Sub": []any{"${Local}", map[string]any{"Local": ref("A")}}}}, nil),
		}, true},
		{"Fn::Sub literals, pseudo parameters and its own variables", map[string]resource{
			"A": res(map[string]any{"X": map[string]any{"Fn::Sub": []any{"${!B}${AWS::Region}${B}", map[string]any{"B": "x"}}}}, nil),
			"B": res(map[string]any{"X": ref("A")}, nil),
		}, false},
		{"environment of a pool's trigger refers to the pool", map[string]resource{
			"Pool":    res(map[string]any{"LambdaConfig": map[string]any{"PreSignUp": getAtt("Trigger", "Arn")}}, []any{"Trigger"}),
			"Trigger": res(map[string]any{"Environment": map[string]any{"Variables": map[string]any{"USER_POOL_ID": ref("Pool")}}}, nil),
		}, true},
		{"trigger by GetAtt whose environment refers to the pool's client", map[string]resource{
			"Pool":    res(map[string]any{"LambdaConfig": map[string]any{"PreTokenGenerationConfig": map[string]any{"LambdaArn": getAtt("Trigger", "Arn")}}}, nil),
			"Client":  res(map[string]any{"UserPoolId": ref("Pool")}, nil),
			"Trigger": res(map[string]any{"Environment": map[string]any{"Variables": map[string]any{"CLIENT_ID": ref("Client")}}}, nil),
		}, true},
		{"trigger by a built ARN whose environment refers to the pool's client", map[string]resource{
			"Pool":    res(map[string]any{"LambdaConfig": map[string]any{"PreTokenGenerationConfig": map[string]any{"LambdaArn": map[string]any{"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:svc-dev-trigger"}}}}, nil),
			"Client":  res(map[string]any{"UserPoolId": ref("Pool")}, nil),
			"Trigger": res(map[string]any{"Environment": map[string]any{"Variables": map[string]any{"CLIENT_ID": ref("Client")}}}, nil),
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := findCycle(dependencyGraph(tt.resources))
			if (got != nil) != tt.wantCycle {
				t.Errorf("findCycle: got %v, want a cycle: %v", got, tt.wantCycle)
			}
		})
	}
}

func TestNoDependencyCycle(t *testing.T) {
	for _, args := range [][]string{nil, prodArgs} {
		tpl := mustPackage(t, args...)
		if c := findCycle(dependencyGraph(tpl.Resources)); c != nil {
			t.Errorf("sls package %v: dependency cycle %s", args, strings.Join(c, " -> "))
		}
	}
}

func TestFunctions(t *testing.T) {
	tpl := devTemplate(t)
	if got, want := tpl.ofType("AWS::Lambda::Function"), []string{"AutoconfirmLambdaFunction", "DeletemeLambdaFunction", "MeLambdaFunction", "PretokenLambdaFunction", "RefreshLambdaFunction", "SessionLambdaFunction", "SigninLambdaFunction", "SignoutLambdaFunction"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("functions: got %v, want %v", got, want)
	}
	environments := map[string]map[string]any{
		"signin": {
			"USER_POOL_ID":      ref(poolID),
			"CLIENT_ID":         ref(clientID),
			"CLIENT_SECRET_ARN": ref(secretID),
			"CORS_ALLOW_ORIGIN": "*",
		},
		"autoconfirm": nil,
		"me":          {"CORS_ALLOW_ORIGIN": "*"},
		"session":     {"CORS_ALLOW_ORIGIN": "*"},
		"pretoken":    {"CLIENT_ID": ref(clientID), "SESSION_SCOPE": sessionScope},
		// No pool id: the session routes' calls need none.
		"refresh":  {"CLIENT_ID": ref(clientID), "CLIENT_SECRET_ARN": ref(secretID), "CORS_ALLOW_ORIGIN": "*"},
		"signout":  {"CLIENT_ID": ref(clientID), "CLIENT_SECRET_ARN": ref(secretID), "CORS_ALLOW_ORIGIN": "*"},
		"deleteme": {"CLIENT_ID": ref(clientID), "CORS_ALLOW_ORIGIN": "*"},
	}
	for _, fn := range functions {
		t.Run(fn, func(t *testing.T) {
			p := tpl.Resources[functionID(fn)].Properties
			tests := []struct {
				property string
				want     any
			}{
				{"FunctionName", "signin-api-dev-" + fn},
				{"Runtime", "provided.al2023"},
				{"Architectures", []any{"arm64"}},
				{"MemorySize", 1024.0},
				{"Timeout", 10.0},
				{"Handler", "bootstrap"},
				{"LoggingConfig", map[string]any{"LogFormat": "JSON", "ApplicationLogLevel": "INFO", "SystemLogLevel": "WARN"}},
			}
			for _, tt := range tests {
				if got := p[tt.property]; !reflect.DeepEqual(got, tt.want) {
					t.Errorf("%s: got %v, want %v", tt.property, got, tt.want)
				}
			}
			env, _ := p["Environment"].(map[string]any)
			var gotEnv map[string]any
			if env != nil {
				gotEnv, _ = env["Variables"].(map[string]any)
			}
			if want := environments[fn]; !reflect.DeepEqual(gotEnv, want) {
				t.Errorf("environment: got %v, want %v", gotEnv, want)
			}
			// Each function deploys its own zip.
			code, _ := p["Code"].(map[string]any)
			if key := fmt.Sprint(code["S3Key"]); !strings.HasSuffix(key, "/"+fn+".zip") {
				t.Errorf("code S3Key %s: want the artifact %s.zip", key, fn)
			}

			lg := tpl.resource(t, logGroupID(fn), "AWS::Logs::LogGroup").Properties
			if got, want := lg["LogGroupName"], "/aws/lambda/signin-api-dev-"+fn; got != want {
				t.Errorf("log group name: got %v, want %v", got, want)
			}
			if got, want := lg["RetentionInDays"], 14.0; got != want {
				t.Errorf("log retention: got %v days, want %v", got, want)
			}
		})
	}
}

func TestUserPoolAndClient(t *testing.T) {
	tpl := devTemplate(t)
	if got := tpl.ofType("AWS::Cognito::UserPool"); !reflect.DeepEqual(got, []string{poolID}) {
		t.Fatalf("user pools: got %v, want [%s]", got, poolID)
	}
	pool := tpl.Resources[poolID].Properties
	for _, p := range []string{"UsernameAttributes", "AliasAttributes"} {
		if v, ok := pool[p]; ok {
			t.Errorf("pool %s: got %v, want none (sign-in by username)", p, v)
		}
	}
	policies, _ := pool["Policies"].(map[string]any)
	password, _ := policies["PasswordPolicy"].(map[string]any)
	if n, ok := number(password["MinimumLength"]); !ok || n < 8 {
		t.Errorf("password MinimumLength: got %v, want at least 8", password["MinimumLength"])
	}
	if got := pool["DeletionProtection"]; got != "INACTIVE" {
		t.Errorf("dev pool DeletionProtection: got %v, want INACTIVE", got)
	}
	prod := mustPackage(t, prodArgs...)
	if got := prod.Resources[poolID].Properties["DeletionProtection"]; got != "ACTIVE" {
		t.Errorf("prod pool DeletionProtection: got %v, want ACTIVE", got)
	}

	client := tpl.resource(t, clientID, "AWS::Cognito::UserPoolClient").Properties
	tests := []struct {
		property string
		want     any
	}{
		{"UserPoolId", ref(poolID)},
		{"ExplicitAuthFlows", []any{"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}},
		{"GenerateSecret", true},
		// LEGACY tells an unknown user from a wrong password, so a wrong password is one call.
		{"PreventUserExistenceErrors", "LEGACY"},
		// RevokeToken (POST /signout) needs it.
		{"EnableTokenRevocation", true},
		{"TokenValidityUnits", map[string]any{"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"}},
	}
	for _, tt := range tests {
		if got := client[tt.property]; !reflect.DeepEqual(got, tt.want) {
			t.Errorf("client %s: got %v, want %v", tt.property, got, tt.want)
		}
	}

	// Token lifetimes and rotation are stage parameters: the defaults, then prodArgs' values.
	for _, c := range []struct {
		name                string
		client              map[string]any
		access, id, refresh float64
		grace               float64
	}{
		{"dev", client, 15, 15, 30, 0},
		{"defaults of other stages", mustPackage(t, stagingArgs...).Resources[clientID].Properties, 15, 15, 30, 10},
		{"parameters", prod.Resources[clientID].Properties, 5, 6, 7, 30},
	} {
		for property, want := range map[string]float64{"AccessTokenValidity": c.access, "IdTokenValidity": c.id, "RefreshTokenValidity": c.refresh} {
			if got, ok := number(c.client[property]); !ok || got != want {
				t.Errorf("%s: client %s: got %v, want %v", c.name, property, c.client[property], want)
			}
		}
		rotation, _ := c.client["RefreshTokenRotation"].(map[string]any)
		if grace, ok := number(rotation["RetryGracePeriodSeconds"]); rotation["Feature"] != "ENABLED" || !ok || grace != c.grace || grace > 60 {
			t.Errorf("%s: RefreshTokenRotation %v, want ENABLED with a %v s grace period (Cognito allows 0-60)", c.name, rotation, c.grace)
		}
	}
}

// TestThrottling: every public route has its stage throttling, from its parameters.
func TestThrottling(t *testing.T) {
	tests := []struct {
		name                      string
		args                      []string
		stage                     string
		rate, burst               float64 // POST /signin
		sessionRate, sessionBurst float64 // POST /refresh, POST /signout, DELETE /me
		corsAllowOrigin           string
	}{
		{"defaults", nil, "dev", 20, 40, 10, 20, "*"},
		{"parameters", prodArgs, "prod", 7, 9, 3, 4, "https://app.example.com,https://admin.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl := mustPackage(t, tt.args...)
			deploymentID, deployment := tpl.only(t, "AWS::ApiGateway::Deployment")
			stageID, stage := tpl.only(t, "AWS::ApiGateway::Stage")
			// The stage is the resource's alone: a Deployment with a StageName makes a second
			// owner of the same stage, and CloudFormation fails on the conflict.
			if v, ok := deployment.Properties["StageName"]; ok {
				t.Errorf("deployment %s: has StageName %v, want none (%s owns the stage)", deploymentID, v, stageID)
			}
			for property, want := range map[string]any{
				"RestApiId":    ref(restAPIID),
				"DeploymentId": ref(deploymentID),
				"StageName":    tt.stage,
			} {
				if got := stage.Properties[property]; !reflect.DeepEqual(got, want) {
					t.Errorf("stage %s: got %v, want %v", property, got, want)
				}
			}
			// Gateway responses are part of the deployment's snapshot only if made before it.
			for _, id := range tpl.ofType("AWS::ApiGateway::GatewayResponse") {
				if !slices.Contains(stringList(deployment.DependsOn), id) {
					t.Errorf("deployment does not depend on gateway response %s", id)
				}
			}

			settings, _ := stage.Properties["MethodSettings"].([]any)
			for _, route := range []struct {
				path, verb  string
				rate, burst float64
			}{
				{"/~1signin", "POST", tt.rate, tt.burst},
				{"/~1refresh", "POST", tt.sessionRate, tt.sessionBurst},
				{"/~1signout", "POST", tt.sessionRate, tt.sessionBurst},
				{"/~1me", "DELETE", tt.sessionRate, tt.sessionBurst},
			} {
				var limits []map[string]any
				for _, s := range settings {
					m := s.(map[string]any)
					if m["ResourcePath"] == route.path && m["HttpMethod"] == route.verb {
						limits = append(limits, m)
					}
				}
				if len(limits) != 1 {
					t.Errorf("method settings for %s %s: got %v, want one", route.verb, route.path, limits)
					continue
				}
				rate, rateOK := number(limits[0]["ThrottlingRateLimit"])
				burst, burstOK := number(limits[0]["ThrottlingBurstLimit"])
				if !rateOK || !burstOK || rate != route.rate || burst != route.burst {
					t.Errorf("%s %s throttling: got rate %v burst %v, want rate %v burst %v", route.verb, route.path,
						limits[0]["ThrottlingRateLimit"], limits[0]["ThrottlingBurstLimit"], route.rate, route.burst)
				}
				if rate <= 0 || rate >= cognitoUserCreationRPS || burst <= 0 || burst >= cognitoUserCreationRPS {
					t.Errorf("%s %s throttling rate %v burst %v: want both in (0, %d), Cognito's UserCreation quota",
						route.verb, route.path, rate, burst, cognitoUserCreationRPS)
				}
			}

			env := tpl.Resources[functionID("signin")].Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
			if got := env["CORS_ALLOW_ORIGIN"]; got != tt.corsAllowOrigin {
				t.Errorf("signin CORS_ALLOW_ORIGIN: got %v, want %v", got, tt.corsAllowOrigin)
			}
		})
	}
}

func TestCORS(t *testing.T) {
	origins := []string{"https://app.example.com", "https://admin.example.com"}
	tests := []struct {
		name        string
		args        []string
		wantOrigins []string // in the preflight's answer
	}{
		{"dev allows any origin", nil, []string{"*"}},
		{"prod allows the listed origins", prodArgs, origins},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl := mustPackage(t, tt.args...)
			for _, path := range []string{"/signin", "/me", "/refresh", "/signout"} {
				_, m := tpl.method(t, "OPTIONS", path)
				preflight, _ := json.Marshal(m.Properties["Integration"])
				for _, o := range tt.wantOrigins {
					// The first origin is the header's default; every origin is in the template
					// that echoes a matching Origin (dots as [.]).
					pattern := strings.ReplaceAll(o, ".", "[.]")
					if !strings.Contains(string(preflight), "'"+o+"'") && !strings.Contains(string(preflight), pattern) {
						t.Errorf("OPTIONS %s does not allow origin %s: %s", path, o, preflight)
					}
				}
				if tt.wantOrigins[0] != "*" && strings.Contains(string(preflight), "'*'") {
					t.Errorf("OPTIONS %s allows any origin: %s", path, preflight)
				}
			}
		})
	}

	t.Run("a stage other than dev must name its origins", func(t *testing.T) {
		_, out, err := slsPackage(t, "--stage", "prod")
		if err == nil {
			t.Fatal("sls package --stage prod without corsAllowOrigin: succeeded, want an error")
		}
		if !strings.Contains(out, "CORS_ALLOW_ORIGIN") {
			t.Errorf("error does not name the missing origins:\n%s", out)
		}
	})

	t.Run("gateway responses", func(t *testing.T) {
		tpl := devTemplate(t)
		byType := map[string]map[string]any{}
		for _, id := range tpl.ofType("AWS::ApiGateway::GatewayResponse") {
			p := tpl.Resources[id].Properties
			if !reflect.DeepEqual(p["RestApiId"], ref(restAPIID)) {
				t.Errorf("gateway response %s is not on the service's API", id)
			}
			byType[fmt.Sprint(p["ResponseType"])] = p
		}
		for _, typ := range []string{"DEFAULT_4XX", "DEFAULT_5XX", "THROTTLED"} {
			p, ok := byType[typ]
			if !ok {
				t.Errorf("no %s gateway response", typ)
				continue
			}
			params, _ := p["ResponseParameters"].(map[string]any)
			if got := params["gatewayresponse.header.Access-Control-Allow-Origin"]; got == nil || got == "" {
				t.Errorf("%s: no Access-Control-Allow-Origin header", typ)
			}
		}
		if p := byType["THROTTLED"]; p != nil {
			if got := p["StatusCode"]; got != "429" {
				t.Errorf("THROTTLED status: got %v, want 429", got)
			}
			body, _ := json.Marshal(p["ResponseTemplates"])
			if !strings.Contains(string(body), `too_many_requests`) {
				t.Errorf("THROTTLED body %s: want the signin contract's too_many_requests", body)
			}
		}
	})
}

// TestBinaryMediaTypes: API Gateway passes JSON and form bodies as their exact bytes (base64),
// not as UTF-8 text, so a function sees, and refuses, bytes that are not UTF-8.
func TestBinaryMediaTypes(t *testing.T) {
	api := devTemplate(t).resource(t, restAPIID, "AWS::ApiGateway::RestApi")
	if got, want := api.Properties["BinaryMediaTypes"], []any{"application/json", "application/x-www-form-urlencoded"}; !reflect.DeepEqual(got, want) {
		t.Errorf("BinaryMediaTypes: got %v, want %v", got, want)
	}
}

// TestPreflightMethods: OPTIONS /me lets a browser send both GET and DELETE.
func TestPreflightMethods(t *testing.T) {
	_, m := devTemplate(t).method(t, "OPTIONS", "/me")
	preflight, _ := json.Marshal(m.Properties["Integration"])
	for _, verb := range []string{"GET", "DELETE"} {
		if !strings.Contains(string(preflight), verb) {
			t.Errorf("OPTIONS /me does not allow %s: %s", verb, preflight)
		}
	}
}

func TestOutputs(t *testing.T) {
	tpl := devTemplate(t)
	tests := []struct {
		name string
		want any // nil: present, value not checked
	}{
		{"ServiceEndpoint", nil},
		{"ApiUrl", nil},
		{"UserPoolId", ref(poolID)},
		{"UserPoolClientId", ref(clientID)},
	}
	for _, tt := range tests {
		o, ok := tpl.Outputs[tt.name]
		switch {
		case !ok:
			t.Errorf("output %s is missing", tt.name)
		case tt.want != nil && !reflect.DeepEqual(o.Value, tt.want):
			t.Errorf("output %s: got %v, want %v", tt.name, o.Value, tt.want)
		}
	}
	// The URL is the stage's, so it exists only once the stage does.
	url, _ := json.Marshal(tpl.Outputs["ApiUrl"].Value)
	for _, want := range []string{`{"Ref":"ApiGatewayRestApi"}`, `{"Ref":"ApiGatewayStage"}`} {
		if !strings.Contains(string(url), want) {
			t.Errorf("ApiUrl %s does not use %s", url, want)
		}
	}
}
