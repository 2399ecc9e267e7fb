package stack

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/signin-api/signin/local/cognito"
	"github.com/signin-api/signin/local/slsconfig"
)

func projectUserPool(t *testing.T) (*slsconfig.Config, slsconfig.UserPool) {
	t.Helper()
	data, err := os.ReadFile("../slsconfig/testdata/print.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := slsconfig.Parse(data, "", "")
	if err != nil {
		t.Fatal(err)
	}
	up, _, err := cfg.UserPool()
	if err != nil {
		t.Fatal(err)
	}
	return cfg, up
}

// newPoolServer is a local Cognito (state in memory) behind a real listener.
func newPoolServer(t *testing.T) *cip.Client {
	t.Helper()
	srv, err := cognito.New(cognito.Options{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return newCognitoClient(hs.URL, "us-east-1")
}

func TestEnsurePool(t *testing.T) {
	cfg, up := projectUserPool(t)
	lc, err := lambdaConfig(cfg, up)
	if err != nil {
		t.Fatal(err)
	}
	stateFile := filepath.Join(t.TempDir(), "pool.json")
	api := newPoolServer(t)
	ctx := context.Background()

	first, err := ensurePool(ctx, api, stateFile, up, lc)
	if err != nil {
		t.Fatal(err)
	}
	if first.ID == "" || first.Clients["UserPoolClient"].Secret == "" || first.Stale {
		t.Errorf("first = %+v", first)
	}
	desc, err := api.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(first.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(desc.UserPool.LambdaConfig.PreSignUp); got != "arn:aws:lambda:us-east-1:000000000000:function:signin-api-dev-autoconfirm" {
		t.Errorf("PreSignUp trigger = %q", got)
	}
	data, _ := os.ReadFile(stateFile)
	if strings.Contains(string(data), first.Clients["UserPoolClient"].Secret) {
		t.Errorf("the state file holds the client secret: %s", data)
	}

	// A second start reuses both, reading the secret back.
	second, err := ensurePool(ctx, api, stateFile, up, lc)
	if err != nil || second.ID != first.ID || second.Clients["UserPoolClient"] != first.Clients["UserPoolClient"] {
		t.Errorf("second = %+v, %v; want %+v", second, err, first)
	}

	// Changed settings are reported, not applied.
	changed := up
	changed.Input.PoolName = aws.String("renamed")
	third, err := ensurePool(ctx, api, stateFile, changed, lc)
	if err != nil || !third.Stale || third.ID != first.ID {
		t.Errorf("after a change: %+v, %v", third, err)
	}

	// The pool's state lost (another server): made again.
	fourth, err := ensurePool(ctx, newPoolServer(t), stateFile, up, lc)
	if err != nil {
		t.Fatal(err)
	}
	if fourth.ID == first.ID || fourth.Clients["UserPoolClient"].ID == first.Clients["UserPoolClient"].ID {
		t.Errorf("after a lost state: %+v", fourth)
	}
}

// Triggers become LambdaConfig ARNs of the local functions; those the local pool cannot run
// are refused at start rather than ignored.
func TestLambdaConfig(t *testing.T) {
	parse := func(t *testing.T, config string) (*slsconfig.Config, slsconfig.UserPool) {
		cfg, err := slsconfig.Parse([]byte(config), "dev", "us-east-1")
		if err != nil {
			t.Fatal(err)
		}
		up, _, err := cfg.UserPool()
		if err != nil {
			t.Fatal(err)
		}
		return cfg, up
	}
	cfg, up := parse(t, `{"service": "s", "functions": {"scopes": {"events": [{"cognitoUserPool": {"pool": "P", "trigger": "PreTokenGeneration", "lambdaVersion": "V2_0"}}]}}}`)
	lc, err := lambdaConfig(cfg, up)
	if err != nil {
		t.Fatal(err)
	}
	if c := lc.PreTokenGenerationConfig; c == nil || c.LambdaVersion != types.PreTokenGenerationLambdaVersionTypeV20 ||
		aws.ToString(c.LambdaArn) != "arn:aws:lambda:us-east-1:000000000000:function:s-dev-scopes" {
		t.Errorf("PreTokenGenerationConfig = %+v", c)
	}
	for _, trigger := range []string{`"PreTokenGeneration"`, `"CustomMessage"`} {
		cfg, up := parse(t, `{"service": "s", "functions": {"f": {"events": [{"cognitoUserPool": {"pool": "P", "trigger": `+trigger+`}}]}}}`)
		if _, err := lambdaConfig(cfg, up); err == nil || !strings.Contains(err.Error(), "not supported locally") {
			t.Errorf("%s: %v", trigger, err)
		}
	}
}

// Each {Ref: ...} of the environment becomes the local pool's value; the secret's ARN becomes
// the secret itself. Without a pool such a function is refused with errNoPool (sls invoke local
// then finds or starts one), and values only AWS can resolve are refused by name.
func TestFunctionEnv(t *testing.T) {
	cfg, up := projectUserPool(t)
	signin, _ := cfg.Function("signin")
	pool := Pool{ID: "us-east-1_local", Clients: map[string]Client{"UserPoolClient": {"client-id", "client-secret"}}}
	env, err := FunctionEnv(signin, cfg, up, pool, "http://127.0.0.1:9229")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"USER_POOL_ID": "us-east-1_local", "CLIENT_ID": "client-id", "CLIENT_SECRET": "client-secret",
		"CORS_ALLOW_ORIGIN": "*", "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": "http://127.0.0.1:9229", "AWS_ACCESS_KEY_ID": "local"} {
		if env[name] != want {
			t.Errorf("%s = %q, want %q", name, env[name], want)
		}
	}
	if _, ok := env["CLIENT_SECRET_ARN"]; ok {
		t.Error("CLIENT_SECRET_ARN is set: only a deployed stack can resolve it")
	}
	if _, err := FunctionEnv(signin, cfg, up, Pool{}, ""); !errors.Is(err, errNoPool) {
		t.Errorf("without a pool: %v, want errNoPool", err)
	}
	me, _ := cfg.Function("me")
	if env, err := FunctionEnv(me, cfg, up, Pool{}, ""); err != nil || env["CORS_ALLOW_ORIGIN"] != "*" || env["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"] != "" {
		t.Errorf("me without a pool: %v, %v", env, err)
	}
	for ref, want := range map[string]string{"SomeBucket": "not a resource of serverless.yml", "UserPoolClientSecret": "not supported locally"} {
		fn := me
		fn.Environment = map[string]slsconfig.EnvValue{"X": {Ref: ref}}
		if _, err := FunctionEnv(fn, cfg, up, Pool{ID: "p", Clients: map[string]Client{}}, ""); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("{Ref: %s}: %v, want %q", ref, err, want)
		}
	}
}

// The lock names the stack's Cognito only once publish says its pool is ready: before that,
// `sls invoke local` sees a stack that holds the folder but offers no pool, and makes none of
// its own (Start refuses the held folder).
func TestLockPublishesCognitoWhenPoolIsReady(t *testing.T) {
	dir := t.TempDir()
	unlock, publish, err := lockState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if pid, url := running(dir); pid != os.Getpid() || url != "" {
		t.Errorf("before publish: running = %d %q, want %d and no URL", pid, url, os.Getpid())
	}
	if _, _, err := lockState(dir); !errors.Is(err, errStateInUse) {
		t.Errorf("second lockState: err = %v, want errStateInUse", err)
	}
	if err := publish("http://127.0.0.1:9229"); err != nil {
		t.Fatal(err)
	}
	if pid, url := running(dir); pid != os.Getpid() || url != "http://127.0.0.1:9229" {
		t.Errorf("after publish: running = %d %q", pid, url)
	}
	unlock()
	if pid, url := running(dir); pid != 0 || url != "" {
		t.Errorf("after unlock: running = %d %q, want nobody", pid, url)
	}
}
