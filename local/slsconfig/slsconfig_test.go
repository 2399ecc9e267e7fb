package slsconfig

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testdata/print.json is `npx sls print --format json` of the project's serverless.yml.
func loadPrint(t *testing.T) *Config {
	t.Helper()
	data, err := os.ReadFile("testdata/print.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(data, "", "")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return cfg
}

func TestParseProjectConfig(t *testing.T) {
	cfg := loadPrint(t)
	if cfg.Service != "signin-api" || cfg.Stage != "dev" || cfg.Region != "us-east-1" {
		t.Errorf("service, stage, region = %q, %q, %q", cfg.Service, cfg.Stage, cfg.Region)
	}
	var keys []string
	for _, fn := range cfg.Functions {
		keys = append(keys, fn.Key)
	}
	if want := []string{"signin", "autoconfirm", "refresh", "signout", "deleteme", "me", "session", "pretoken"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("function order = %v, want %v (serverless.yml's)", keys, want)
	}

	signin, ok := cfg.Function("signin")
	if !ok {
		t.Fatal("no signin function")
	}
	if signin.Name != "signin-api-dev-signin" || signin.Timeout != 10*time.Second || signin.MemoryMB != 1024 {
		t.Errorf("signin = %q %v %d MB", signin.Name, signin.Timeout, signin.MemoryMB)
	}
	wantEnv := map[string]EnvValue{
		"USER_POOL_ID":      {Ref: "CognitoUserPoolUserPool"},
		"CLIENT_ID":         {Ref: "UserPoolClient"},
		"CLIENT_SECRET_ARN": {Ref: "UserPoolClientSecret"},
		"CORS_ALLOW_ORIGIN": {Value: "*"},
	}
	if !reflect.DeepEqual(signin.Environment, wantEnv) {
		t.Errorf("signin environment = %+v, want %+v", signin.Environment, wantEnv)
	}
	if signin.LogFormat != "JSON" || signin.LogLevel != "INFO" {
		t.Errorf("log settings = %q %q", signin.LogFormat, signin.LogLevel)
	}
	wantHTTP := []HTTPEvent{{Method: "POST", Path: "signin", CORS: &CORS{
		Origin: "*", Headers: []string{"Content-Type"}, Methods: []string{"OPTIONS", "POST"}, MaxAge: 600,
	}}}
	if !reflect.DeepEqual(signin.HTTP, wantHTTP) {
		t.Errorf("signin http = %+v, want %+v", signin.HTTP, wantHTTP)
	}

	autoconfirm, _ := cfg.Function("autoconfirm")
	if want := []cognitoTrigger{{Pool: "UserPool", Trigger: "PreSignUp"}}; !reflect.DeepEqual(autoconfirm.cognitoTriggers, want) {
		t.Errorf("autoconfirm triggers = %+v", autoconfirm.cognitoTriggers)
	}

	me, _ := cfg.Function("me")
	if len(me.HTTP) != 1 || me.HTTP[0].Authorizer == nil {
		t.Fatalf("me http = %+v", me.HTTP)
	}
	got := *me.HTTP[0].Authorizer
	want := Authorizer{Name: "ApiGatewayAuthorizer", PoolLogicalID: "CognitoUserPoolUserPool", IdentityHeader: "Authorization",
		IdentityValidationExpression: EnvValue{Ref: "UserPoolClient"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("me authorizer = %+v, want %+v", got, want)
	}

	// The scopes of the http event stay on the authorizer resource's settings.
	session, _ := cfg.Function("session")
	if len(session.HTTP) != 1 || session.HTTP[0].Authorizer == nil {
		t.Fatalf("session http = %+v", session.HTTP)
	}
	got = *session.HTTP[0].Authorizer
	want = Authorizer{Name: "ApiGatewayAccessTokenAuthorizer", PoolLogicalID: "CognitoUserPoolUserPool", IdentityHeader: "Authorization",
		Scopes: []string{"signin-api/session.read"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("session authorizer = %+v, want %+v", got, want)
	}
	if ids := cfg.resourcesOfType("AWS::Cognito::UserPoolClient"); !reflect.DeepEqual(ids, []string{"UserPoolClient"}) {
		t.Errorf("clients = %v", ids)
	}
}

func TestParseDefaultsAndOverrides(t *testing.T) {
	data := `{
	  "service": {"name": "svc"},
	  "provider": {"runtime": "provided.al2023", "environment": {"SHARED": "p", "DROPPED": "p", "N": 3}},
	  "functions": {
	    "a": {"handler": "bootstrap", "environment": {"SHARED": "f", "DROPPED": null, "G": {"Fn::GetAtt": ["X", "Arn"]}, "R": {"Ref": "X", "Extra": 1}}},
	    "b": {"handler": "bootstrap", "timeout": 2.5, "memorySize": "512", "runtime": "provided.al2", "name": "custom-b"}
	  }
	}`
	cfg, err := Parse([]byte(data), "prod", "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := cfg.Function("a")
	b, _ := cfg.Function("b")
	tests := []struct {
		name      string
		got, want any
	}{
		{"stage", cfg.Stage, "prod"},
		{"region", cfg.Region, "eu-west-1"},
		{"a name", a.Name, "svc-prod-a"},
		{"a timeout", a.Timeout, 6 * time.Second},
		{"a memory", a.MemoryMB, 1024},
		{"a runtime", a.Runtime, "provided.al2023"},
		{"a SHARED", a.Environment["SHARED"], EnvValue{Value: "f"}},
		{"a N", a.Environment["N"], EnvValue{Value: "3"}},
		{"a G", a.Environment["G"], EnvValue{Intrinsic: json.RawMessage(`{"Fn::GetAtt": ["X", "Arn"]}`)}},
		{"a R", a.Environment["R"], EnvValue{Intrinsic: json.RawMessage(`{"Ref": "X", "Extra": 1}`)}},
		{"a DROPPED", len(a.Environment), 4},
		{"b name", b.Name, "custom-b"},
		{"b timeout", b.Timeout, 2500 * time.Millisecond},
		{"b memory", b.MemoryMB, 512},
		{"b runtime", b.Runtime, "provided.al2"},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s = %#v, want %#v", tt.name, tt.got, tt.want)
		}
	}
	for _, bad := range []string{`"timeout": -1`, `"memorySize": -128`, `"timeout": "x"`} {
		if _, err := Parse([]byte(`{"service": "svc", "functions": {"a": {`+bad+`}}}`), "", ""); err == nil || !strings.Contains(err.Error(), "functions.a") {
			t.Errorf("%s: err = %v, want one naming functions.a", bad, err)
		}
	}
}

func TestParseHTTPEvent(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    HTTPEvent
		wantErr string // what the error says; "" for none
	}{
		{"shorthand", `"GET users/{id}"`, HTTPEvent{Method: "GET", Path: "users/{id}"}, ""},
		{"greedy path", `"ANY /api/{proxy+}"`, HTTPEvent{Method: "ANY", Path: "api/{proxy+}"}, ""},
		{"slashes trimmed", `{"path": "/a/b/", "method": "any"}`, HTTPEvent{Method: "ANY", Path: "a/b"}, ""},
		{"cors true", `{"path": "x", "method": "get", "cors": true}`, HTTPEvent{Method: "GET", Path: "x", CORS: &CORS{
			Origin: "*", Headers: defaultCORSHeaders, Methods: []string{"OPTIONS", "GET"},
		}}, ""},
		{"cors origins", `{"path": "x", "method": "put", "cors": {"origins": ["https://a.test", "https://*.b.test"], "headers": "X-One", "methods": ["PUT"], "allowCredentials": true}}`,
			HTTPEvent{Method: "PUT", Path: "x", CORS: &CORS{
				Origins: []string{"https://a.test", "https://*.b.test"}, Headers: []string{"X-One"}, Methods: []string{"PUT", "OPTIONS"}, AllowCredentials: true,
			}}, ""},
		{"cognito arn", `{"path": "x", "method": "get", "authorizer": {"type": "COGNITO_USER_POOLS", "name": "a", "arn": {"Fn::GetAtt": ["Pool", "Arn"]}, "identitySource": "method.request.header.X-Token"}}`,
			HTTPEvent{Method: "GET", Path: "x", Authorizer: &Authorizer{Name: "a", PoolLogicalID: "Pool", IdentityHeader: "X-Token"}}, ""},
		{"scopes and a validation expression", `{"path": "x", "method": "get", "authorizer": {"type": "cognito_user_pools", "arn": {"Fn::GetAtt": ["Pool", "Arn"]}, "scopes": ["a/b", "c"], "identityValidationExpression": "^abc$"}}`,
			HTTPEvent{Method: "GET", Path: "x", Authorizer: &Authorizer{PoolLogicalID: "Pool", IdentityHeader: "Authorization",
				Scopes: []string{"a/b", "c"}, IdentityValidationExpression: EnvValue{Value: "^abc$"}}}, ""},
		{"authorizer resource", `{"path": "x", "method": "get", "authorizer": {"type": "COGNITO_USER_POOLS", "authorizerId": {"Ref": "Auth"}, "scopes": ["s"]}}`,
			HTTPEvent{Method: "GET", Path: "x", Authorizer: &Authorizer{Name: "Auth", PoolLogicalID: "Pool", IdentityHeader: "X-Id", Scopes: []string{"s"},
				IdentityValidationExpression: EnvValue{Ref: "Client"}}}, ""},
		{"literal pool arn refused", `{"path": "x", "method": "get", "authorizer": "arn:aws:cognito-idp:us-east-1:1:userpool/us-east-1_x"}`, HTTPEvent{}, "not supported locally: authorizer"},
		{"pool by literal arn refused", `{"path": "x", "method": "get", "authorizer": {"type": "COGNITO_USER_POOLS", "arn": "arn:aws:cognito-idp:us-east-1:1:userpool/us-east-1_x"}}`, HTTPEvent{}, "only the service's own pool"},
		{"aws_iam refused", `{"path": "x", "method": "get", "authorizer": {"type": "aws_iam"}}`, HTTPEvent{}, "not supported locally: authorizer \"\" of type \"aws_iam\""},
		{"lambda authorizer refused", `{"path": "x", "method": "get", "authorizer": "myAuthorizerFunction"}`, HTTPEvent{}, "not supported locally: authorizer"},
		{"unknown authorizerId refused", `{"path": "x", "method": "get", "authorizer": {"authorizerId": {"Ref": "Nope"}}}`, HTTPEvent{}, "not supported locally: authorizerId"},
		{"lambda integration refused", `{"path": "x", "method": "get", "integration": "lambda"}`, HTTPEvent{}, "not supported locally: integration"},
		{"async refused", `{"path": "x", "method": "get", "async": true}`, HTTPEvent{}, "not supported locally: async"},
		{"no method", `{"path": "x"}`, HTTPEvent{}, "no method"},
		{"query identity source refused", `{"path": "x", "method": "get", "authorizer": {"type": "COGNITO_USER_POOLS", "arn": {"Fn::GetAtt": ["Pool", "Arn"]}, "identitySource": "method.request.querystring.t"}}`, HTTPEvent{}, "not supported locally: identitySource"},
	}
	resources := map[string]Resource{"Auth": {Type: "AWS::ApiGateway::Authorizer", Properties: json.RawMessage(`{"Type": "COGNITO_USER_POOLS",
		"IdentitySource": "method.request.header.X-Id", "ProviderARNs": [{"Fn::GetAtt": "Pool.Arn"}], "IdentityValidationExpression": {"Ref": "Client"}}`)}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e httpEvent
			err := json.Unmarshal([]byte(tt.raw), &e)
			var got HTTPEvent
			if err == nil {
				got, err = e.event(resources)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v (cors %+v, authorizer %+v), want %+v (cors %+v, authorizer %+v)",
					got, got.CORS, got.Authorizer, tt.want, tt.want.CORS, tt.want.Authorizer)
			}
		})
	}
}

// A --param reaches the resolution: the stage runs with that exact CORS list.
func TestLoadPassesParams(t *testing.T) {
	if _, err := Load(t.Context(), "../..", "dev", "", "corsAllowOrigin"); err == nil {
		t.Error("a param without =value: no error")
	}
	if testing.Short() {
		t.Skip("runs sls print: needs node_modules (npm ci)")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	const origin = "https://app.example.com"
	cfg, err := Load(t.Context(), root, "dev", "", "corsAllowOrigin="+origin)
	if err != nil {
		t.Fatal(err)
	}
	signin, _ := cfg.Function("signin")
	if got := signin.Environment["CORS_ALLOW_ORIGIN"].Value; got != origin {
		t.Errorf("CORS_ALLOW_ORIGIN = %q, want %q", got, origin)
	}
	if got := signin.HTTP[0].CORS.Origin; got != origin {
		t.Errorf("preflight origin = %q, want %q", got, origin)
	}
}
