package slsconfig

import (
	"fmt"
	"os"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// The pool and client are made with serverless.yml's settings, read from its resources.
func TestUserPoolOfProjectConfig(t *testing.T) {
	data, err := os.ReadFile("testdata/print.json")
	if err != nil {
		t.Fatal(err)
	}
	pool := mustUserPool(t, data, "")
	if pool.LogicalID != "CognitoUserPoolUserPool" {
		t.Errorf("pool = %s", pool.LogicalID)
	}
	wantPool := cip.CreateUserPoolInput{
		PoolName: aws.String("signin-api-dev"),
		Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{
			MinimumLength: aws.Int32(8), RequireLowercase: true, RequireUppercase: true, RequireNumbers: true,
			RequireSymbols: false, TemporaryPasswordValidityDays: 7,
		}},
		UsernameConfiguration: &types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)},
		MfaConfiguration:      types.UserPoolMfaTypeOff,
		AdminCreateUserConfig: &types.AdminCreateUserConfigType{AllowAdminCreateUserOnly: false},
		UserPoolTier:          types.UserPoolTierTypeEssentials,
	}
	if !reflect.DeepEqual(pool.Input, wantPool) {
		t.Errorf("pool input = %+v\nwant %+v", pool.Input, wantPool)
	}
	wantClient := cip.CreateUserPoolClientInput{
		ClientName:                 aws.String("signin-api-dev"),
		GenerateSecret:             true,
		ExplicitAuthFlows:          []types.ExplicitAuthFlowsType{"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
		PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesLegacy,
		EnableTokenRevocation:      aws.Bool(true),
		// dev's refreshRetryGraceSeconds is 0: read as 0, not left unset (the pool would then
		// apply no rotation setting at all).
		RefreshTokenRotation: &types.RefreshTokenRotationType{Feature: types.FeatureTypeEnabled, RetryGracePeriodSeconds: aws.Int32(0)},
		AuthSessionValidity:  aws.Int32(3),
		AccessTokenValidity:  aws.Int32(15),
		IdTokenValidity:      aws.Int32(15),
		RefreshTokenValidity: 30,
		TokenValidityUnits: &types.TokenValidityUnitsType{
			AccessToken: types.TimeUnitsTypeMinutes, IdToken: types.TimeUnitsTypeMinutes, RefreshToken: types.TimeUnitsTypeDays,
		},
	}
	if got := pool.Clients["UserPoolClient"]; !reflect.DeepEqual(got, wantClient) {
		t.Errorf("client input = %+v\nwant %+v", got, wantClient)
	}
	if want := map[string]string{"UserPoolClientSecret": "UserPoolClient"}; !reflect.DeepEqual(pool.Secrets, want) {
		t.Errorf("secrets = %v, want %v", pool.Secrets, want)
	}
	want := []Trigger{{Name: "PreSignUp", Function: "autoconfirm"}, {Name: "PreTokenGeneration", Function: "pretoken", LambdaVersion: "V2_0"}}
	if !reflect.DeepEqual(pool.Triggers, want) {
		t.Errorf("triggers = %+v, want %+v", pool.Triggers, want)
	}
}

// A Pre Token Generation V2_0 trigger declared either way ("Pre token generation Lambda
// trigger"; CloudFormation AWS::Cognito::UserPool LambdaConfig.PreTokenGenerationConfig), and a
// resource server (AWS::Cognito::UserPoolResourceServer).
func TestUserPoolTriggersAndResourceServers(t *testing.T) {
	tests := []struct {
		name   string
		config string
		want   []Trigger
	}{
		{"cognitoUserPool event with lambdaVersion", `{"service": "s", "functions": {
			"auto": {"events": [{"cognitoUserPool": {"pool": "UserPool", "trigger": "PreSignUp"}}]},
			"scopes": {"events": [{"cognitoUserPool": {"pool": "UserPool", "trigger": "PreTokenGeneration", "lambdaVersion": "V2_0"}}]}}}`,
			[]Trigger{{"PreSignUp", "auto", ""}, {"PreTokenGeneration", "scopes", "V2_0"}}},
		{"LambdaConfig of the pool resource", `{"service": "s", "functions": {
			"auto": {"events": [{"cognitoUserPool": {"pool": "UserPool", "trigger": "PreSignUp"}}]},
			"add-scopes": {}},
			"resources": {"Resources": {"CognitoUserPoolUserPool": {"Type": "AWS::Cognito::UserPool", "Properties": {
				"LambdaConfig": {"PreTokenGenerationConfig": {"LambdaArn": {"Fn::GetAtt": ["AddDashscopesLambdaFunction", "Arn"]}, "LambdaVersion": "V2_0"}}}},
			"Api": {"Type": "AWS::Cognito::UserPoolResourceServer", "Properties": {"UserPoolId": {"Ref": "CognitoUserPoolUserPool"},
				"Identifier": "signin-api", "Name": "signin-api", "Scopes": [{"ScopeName": "session.read", "ScopeDescription": "Read"}]}}}}}`,
			[]Trigger{{"PreSignUp", "auto", ""}, {"PreTokenGeneration", "add-scopes", "V2_0"}}},
		// serverless.yml's own form: an ARN built from the deployed name, which avoids the cycle
		// pool -> trigger -> its CLIENT_ID -> client -> pool that a GetAtt would close.
		{"LambdaConfig with an ARN built by Fn::Sub", `{"service": "s", "functions": {"pretoken": {}},
			"resources": {"Resources": {"CognitoUserPoolUserPool": {"Type": "AWS::Cognito::UserPool", "Properties": {
				"LambdaConfig": {"PreTokenGenerationConfig": {"LambdaArn": {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:s-dev-pretoken"}, "LambdaVersion": "V2_0"}}}}}}}`,
			[]Trigger{{"PreTokenGeneration", "pretoken", "V2_0"}}},
		{"LambdaConfig with a literal ARN of a function outside the service", `{"service": "s", "functions": {"pretoken": {}},
			"resources": {"Resources": {"CognitoUserPoolUserPool": {"Type": "AWS::Cognito::UserPool", "Properties": {
				"LambdaConfig": {"PreSignUp": "arn:aws:lambda:us-east-1:123456789012:function:elsewhere"}}}}}}`,
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool := mustUserPool(t, []byte(tt.config), "dev")
			if !reflect.DeepEqual(pool.Triggers, tt.want) {
				t.Errorf("triggers = %+v, want %+v", pool.Triggers, tt.want)
			}
			if rs, ok := pool.ResourceServers["Api"]; ok {
				if aws.ToString(rs.Identifier) != "signin-api" || len(rs.Scopes) != 1 || aws.ToString(rs.Scopes[0].ScopeName) != "session.read" {
					t.Errorf("resource server = %+v", rs)
				}
			}
		})
	}
}

func TestUserPoolEdgeCases(t *testing.T) {
	tests := []struct {
		name     string
		config   string
		wantOK   bool
		wantErr  bool
		wantPool string
	}{
		{"no pool", `{"service": "s", "functions": {"a": {}}}`, false, false, ""},
		{"pool made by a cognitoUserPool event only", `{"service": "s", "functions": {"a": {"events": [{"cognitoUserPool": {"pool": "my-pool", "trigger": "PreSignUp"}}]}}}`,
			true, false, "CognitoUserPoolMypool"},
		{"two pools", `{"service": "s", "resources": {"Resources": {
			"A": {"Type": "AWS::Cognito::UserPool"}, "B": {"Type": "AWS::Cognito::UserPool"}}}}`, false, true, ""},
		{"client of another pool", `{"service": "s", "resources": {"Resources": {
			"A": {"Type": "AWS::Cognito::UserPool"},
			"C": {"Type": "AWS::Cognito::UserPoolClient", "Properties": {"UserPoolId": "us-east-1_x"}}}}}`, false, true, ""},
		{"trigger of an unknown function", `{"service": "s", "resources": {"Resources": {
			"A": {"Type": "AWS::Cognito::UserPool", "Properties": {"LambdaConfig": {"PreSignUp": {"Fn::GetAtt": ["NopeLambdaFunction", "Arn"]}}}}}}}`, false, true, ""},
		{"trigger ARN built for an unknown function", `{"service": "s", "resources": {"Resources": {
			"A": {"Type": "AWS::Cognito::UserPool", "Properties": {"LambdaConfig": {"PreSignUp": {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:s-dev-nope"}}}}}}}`, false, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.config), "dev", "")
			if err != nil {
				t.Fatal(err)
			}
			pool, ok, err := cfg.UserPool()
			if (err != nil) != tt.wantErr || ok != tt.wantOK {
				t.Fatalf("ok %v, err %v", ok, err)
			}
			if pool.LogicalID != tt.wantPool {
				t.Errorf("pool = %q, want %q", pool.LogicalID, tt.wantPool)
			}
			if ok && aws.ToString(pool.Input.PoolName) != "s-dev" {
				t.Errorf("pool name = %q", aws.ToString(pool.Input.PoolName))
			}
		})
	}
}

// A secret is known locally only when its SecretString is the client's secret itself; one that
// wraps it (a JSON document built with Fn::Join or Fn::Sub) is not taken for the bare secret.
func TestUserPoolSecrets(t *testing.T) {
	pool := mustUserPool(t, []byte(`{"service": "svc", "resources": {"Resources": {
	  "Pool": {"Type": "AWS::Cognito::UserPool"},
	  "Client": {"Type": "AWS::Cognito::UserPoolClient", "Properties": {"UserPoolId": {"Ref": "Pool"}, "GenerateSecret": true}},
	  "Plain": {"Type": "AWS::SecretsManager::Secret", "Properties": {"SecretString": {"Fn::GetAtt": "Client.ClientSecret"}}},
	  "Wrapped": {"Type": "AWS::SecretsManager::Secret", "Properties": {"SecretString": {"Fn::Join": ["", ["{\"s\":\"", {"Fn::GetAtt": ["Client", "ClientSecret"]}, "\"}"]]}}},
	  "Other": {"Type": "AWS::SecretsManager::Secret", "Properties": {"SecretString": "x"}}
	}}}`), "")
	if want := map[string]string{"Plain": "Client"}; !reflect.DeepEqual(pool.Secrets, want) {
		t.Errorf("secrets = %v, want %v", pool.Secrets, want)
	}
}

// A --param reaches CloudFormation as a string, which it reads as the number or boolean the
// property takes ("30" for 30); the local pool does as well.
func TestUserPoolLooseScalars(t *testing.T) {
	pool := mustUserPool(t, []byte(`{"service": "svc", "resources": {"Resources": {
	  "Pool": {"Type": "AWS::Cognito::UserPool", "Properties": {"Policies": {"PasswordPolicy": {"MinimumLength": "12", "RequireSymbols": "true"}}}},
	  "Client": {"Type": "AWS::Cognito::UserPoolClient", "Properties": {"UserPoolId": {"Ref": "Pool"}, "GenerateSecret": "true",
	    "AccessTokenValidity": "30", "RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": "5"}}}
	}}}`), "")
	if pp := pool.Input.Policies.PasswordPolicy; aws.ToInt32(pp.MinimumLength) != 12 || !pp.RequireSymbols {
		t.Errorf("password policy = %+v", pp)
	}
	c := pool.Clients["Client"]
	if !c.GenerateSecret || aws.ToInt32(c.AccessTokenValidity) != 30 || aws.ToInt32(c.RefreshTokenRotation.RetryGracePeriodSeconds) != 5 {
		t.Errorf("client = %+v", c)
	}
	if _, _, err := mustParse(t, `{"service": "svc", "resources": {"Resources": {"Pool": {"Type": "AWS::Cognito::UserPool",
	  "Properties": {"Policies": {"PasswordPolicy": {"MinimumLength": "twelve"}}}}}}}`).UserPool(); err == nil {
		t.Error("MinimumLength \"twelve\": no error")
	}
}

func mustParse(t *testing.T, config string) *Config {
	t.Helper()
	cfg, err := Parse([]byte(config), "", "")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// mustUserPool parses a resolved configuration and returns its user pool, failing the test
// when it has none.
func mustUserPool(t *testing.T, data []byte, stage string) UserPool {
	t.Helper()
	cfg, err := Parse(data, stage, "")
	if err != nil {
		t.Fatal(err)
	}
	pool, ok, err := cfg.UserPool()
	if err != nil || !ok {
		t.Fatalf("UserPool: ok %v, err %v", ok, err)
	}
	return pool
}

// pool.json keeps the Hash the pool was made from, so a configuration read before the redesign
// (3511efc) hashes as it did then: an empty list of enum values is none, a single string a list
// of one, Policies without a PasswordPolicy none; else make dev tells the developer to delete
// the pool and its users. (A new member of the SDK's inputs changes every Hash alike.)
func TestUserPoolHashUnchanged(t *testing.T) {
	base := `{"service": "svc", "resources": {"Resources": {"Pool": {"Type": "AWS::Cognito::UserPool", "Properties": %s},
	  "Client": {"Type": "AWS::Cognito::UserPoolClient", "Properties": %s}}}}`
	for _, tt := range []struct{ pool, client, want string }{
		{`{"UsernameAttributes": [], "AliasAttributes": [], "AutoVerifiedAttributes": ["email"]}`, `{"UserPoolId": {"Ref": "Pool"}, "ExplicitAuthFlows": []}`, "b04a0b263dbd44d8"},
		{`{"Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD"]}}, "UsernameAttributes": "email"}`,
			`{"UserPoolId": {"Ref": "Pool"}, "AllowedOAuthScopes": "openid", "ExplicitAuthFlows": "ALLOW_REFRESH_TOKEN_AUTH", "ReadAttributes": []}`, "225033676563f60d"},
	} {
		if got := mustUserPool(t, []byte(fmt.Sprintf(base, tt.pool, tt.client)), "").Hash(); got != tt.want {
			t.Errorf("pool %s, client %s: hash %s, want %s", tt.pool, tt.client, got, tt.want)
		}
	}
}
