package cognitolocal

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/signin-api/signin/local/slsconfig"
)

func projectConfig(t *testing.T) *slsconfig.Config {
	t.Helper()
	data, err := os.ReadFile("../slsconfig/testdata/print.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := slsconfig.Parse(data, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// The pool and client are made with serverless.yml's settings, read from its resources.
func TestSpecFromProjectConfig(t *testing.T) {
	spec, ok, err := SpecFromConfig(projectConfig(t))
	if err != nil || !ok {
		t.Fatalf("SpecFromConfig: ok %v, err %v", ok, err)
	}
	if spec.PoolLogicalID != "CognitoUserPoolUserPool" {
		t.Errorf("pool = %s", spec.PoolLogicalID)
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
	}
	if !reflect.DeepEqual(spec.Pool, wantPool) {
		t.Errorf("pool input = %+v\nwant %+v", spec.Pool, wantPool)
	}
	wantClient := cip.CreateUserPoolClientInput{
		ClientName:                 aws.String("signin-api-dev"),
		GenerateSecret:             true,
		ExplicitAuthFlows:          []types.ExplicitAuthFlowsType{"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
		PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled,
		EnableTokenRevocation:      aws.Bool(true),
		AuthSessionValidity:        aws.Int32(3),
		AccessTokenValidity:        aws.Int32(60),
		IdTokenValidity:            aws.Int32(60),
		RefreshTokenValidity:       30,
		TokenValidityUnits: &types.TokenValidityUnitsType{
			AccessToken: types.TimeUnitsTypeMinutes, IdToken: types.TimeUnitsTypeMinutes, RefreshToken: types.TimeUnitsTypeDays,
		},
	}
	if got := spec.Clients["UserPoolClient"]; !reflect.DeepEqual(got, wantClient) {
		t.Errorf("client input = %+v\nwant %+v", got, wantClient)
	}
	if want := map[string]string{"UserPoolClientSecret": "UserPoolClient"}; !reflect.DeepEqual(spec.Secrets, want) {
		t.Errorf("secrets = %v, want %v", spec.Secrets, want)
	}
}

func TestSpecFromConfigEdgeCases(t *testing.T) {
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := slsconfig.Parse([]byte(tt.config), "dev", "")
			if err != nil {
				t.Fatal(err)
			}
			spec, ok, err := SpecFromConfig(cfg)
			if (err != nil) != tt.wantErr || ok != tt.wantOK {
				t.Fatalf("ok %v, err %v", ok, err)
			}
			if spec.PoolLogicalID != tt.wantPool {
				t.Errorf("pool = %q, want %q", spec.PoolLogicalID, tt.wantPool)
			}
			if ok && aws.ToString(spec.Pool.PoolName) != "s-dev" {
				t.Errorf("pool name = %q", aws.ToString(spec.Pool.PoolName))
			}
		})
	}
}

// fakeAPI is an in-memory cognito-local for the pool set-up calls.
type fakeAPI struct {
	pools   map[string]bool
	clients map[string]string // client id -> secret
	created []string
}

func newFakeAPI() *fakeAPI { return &fakeAPI{pools: map[string]bool{}, clients: map[string]string{}} }

var notFound = &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "not found"}

func (f *fakeAPI) DescribeUserPool(_ context.Context, in *cip.DescribeUserPoolInput, _ ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error) {
	if !f.pools[aws.ToString(in.UserPoolId)] {
		return nil, notFound
	}
	return &cip.DescribeUserPoolOutput{UserPool: &types.UserPoolType{Id: in.UserPoolId}}, nil
}

func (f *fakeAPI) DescribeUserPoolClient(_ context.Context, in *cip.DescribeUserPoolClientInput, _ ...func(*cip.Options)) (*cip.DescribeUserPoolClientOutput, error) {
	secret, ok := f.clients[aws.ToString(in.ClientId)]
	if !ok {
		return nil, notFound
	}
	return &cip.DescribeUserPoolClientOutput{UserPoolClient: &types.UserPoolClientType{ClientId: in.ClientId, ClientSecret: aws.String(secret)}}, nil
}

func (f *fakeAPI) CreateUserPool(_ context.Context, in *cip.CreateUserPoolInput, _ ...func(*cip.Options)) (*cip.CreateUserPoolOutput, error) {
	id := "local_" + string(rune('a'+len(f.created)))
	f.pools[id] = true
	f.created = append(f.created, "pool "+aws.ToString(in.PoolName))
	return &cip.CreateUserPoolOutput{UserPool: &types.UserPoolType{Id: aws.String(id)}}, nil
}

func (f *fakeAPI) CreateUserPoolClient(_ context.Context, in *cip.CreateUserPoolClientInput, _ ...func(*cip.Options)) (*cip.CreateUserPoolClientOutput, error) {
	if !f.pools[aws.ToString(in.UserPoolId)] {
		return nil, notFound
	}
	id := "client" + string(rune('0'+len(f.created)))
	f.clients[id] = "secret-of-" + id
	f.created = append(f.created, "client "+aws.ToString(in.ClientName)+" in "+aws.ToString(in.UserPoolId))
	return &cip.CreateUserPoolClientOutput{UserPoolClient: &types.UserPoolClientType{ClientId: aws.String(id), ClientSecret: aws.String(f.clients[id])}}, nil
}

func TestEnsurePool(t *testing.T) {
	spec, _, err := SpecFromConfig(projectConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	stateFile := filepath.Join(t.TempDir(), "dev", "pool.json")
	api := newFakeAPI()

	first, err := EnsurePool(context.Background(), api, stateFile, spec)
	if err != nil {
		t.Fatal(err)
	}
	wantCreated := []string{"pool signin-api-dev", "client signin-api-dev in local_a"}
	if !reflect.DeepEqual(api.created, wantCreated) {
		t.Errorf("first start created %v, want %v", api.created, wantCreated)
	}
	if first.ID != "local_a" || first.Clients["UserPoolClient"].Secret == "" || first.Stale {
		t.Errorf("first = %+v", first)
	}
	data, _ := os.ReadFile(stateFile)
	if strings.Contains(string(data), first.Clients["UserPoolClient"].Secret) {
		t.Errorf("the state file holds the client secret: %s", data)
	}

	// A second start reuses both, reading the secret back.
	second, err := EnsurePool(context.Background(), api, stateFile, spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(api.created) != 2 || !reflect.DeepEqual(second, first) {
		t.Errorf("second = %+v, created %v", second, api.created)
	}

	// Changed settings are reported, not applied.
	changed := spec
	changed.Pool.PoolName = aws.String("renamed")
	third, err := EnsurePool(context.Background(), api, stateFile, changed)
	if err != nil || !third.Stale || third.ID != first.ID {
		t.Errorf("after a change: %+v, %v", third, err)
	}

	// cognito-local's database deleted: made again.
	api.pools = map[string]bool{}
	api.clients = map[string]string{}
	fourth, err := EnsurePool(context.Background(), api, stateFile, spec)
	if err != nil {
		t.Fatal(err)
	}
	if fourth.ID == first.ID || len(api.created) != 4 {
		t.Errorf("after a lost database: %+v, created %v", fourth, api.created)
	}
	var st state
	data, _ = os.ReadFile(stateFile)
	if err := json.Unmarshal(data, &st); err != nil || st.UserPoolID != fourth.ID || st.Clients["UserPoolClient"] != fourth.Clients["UserPoolClient"].ID {
		t.Errorf("state file = %s (%v)", data, err)
	}
}

func TestWriteConfig(t *testing.T) {
	dir := t.TempDir()
	err := WriteConfig(Options{StateDir: dir, Port: 9229, LambdaEndpoint: "http://127.0.0.1:3002",
		TriggerFunctions: map[string]string{"PreSignUp": "signin-api-dev-autoconfirm"}})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, ".cognito", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"LambdaClient": map[string]any{
			"endpoint": "http://127.0.0.1:3002", "region": "local",
			"credentials": map[string]any{"accessKeyId": "local", "secretAccessKey": "local"},
		},
		"TriggerFunctions": map[string]any{"PreSignUp": "signin-api-dev-autoconfirm"},
		"UserPoolDefaults": map[string]any{"UsernameAttributes": []any{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("config.json = %s", data)
	}
}

func TestStartWithoutCognitoLocal(t *testing.T) {
	_, err := Start(context.Background(), Options{Bin: filepath.Join(t.TempDir(), "missing"), StateDir: t.TempDir(), Port: 1})
	if err == nil {
		t.Fatal("Start without the executable: no error")
	}
}
