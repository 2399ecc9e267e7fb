package bench

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/signin-api/signin/local/slsconfig"
)

// TestAddOriginal: the original design runs with signin's settings and environment, on its
// own path, and the throttle applies to both routes alike.
func TestAddOriginal(t *testing.T) {
	signin := slsconfig.Function{
		Key: "signin", Name: "signin-api-dev-signin", Runtime: "provided.al2023", Timeout: 10 * time.Second, MemoryMB: 128,
		Environment: map[string]slsconfig.EnvValue{"USER_POOL_ID": {Ref: "CognitoUserPoolUserPool"}, "CORS_ALLOW_ORIGIN": {Value: "*"}},
		HTTP:        []slsconfig.HTTPEvent{{Method: "POST", Path: "signin", CORS: &slsconfig.CORS{Origin: "*"}}},
	}
	cfg := &slsconfig.Config{Service: "signin-api", Stage: "dev", Functions: []slsconfig.Function{signin},
		Resources: map[string]slsconfig.Resource{"ApiGatewayStage": {Type: "AWS::ApiGateway::Stage",
			Properties: []byte(`{"MethodSettings":[{"ResourcePath":"/~1signin","HttpMethod":"POST","ThrottlingRateLimit":20,"ThrottlingBurstLimit":40}]}`)}}}
	if err := addOriginal(cfg); err != nil {
		t.Fatal(err)
	}
	liftThrottles(cfg)

	got, ok := cfg.Function(OriginalKey)
	if !ok {
		t.Fatalf("no %s function", OriginalKey)
	}
	if got.Name != "signin-api-dev-signinOriginal" || got.Runtime != signin.Runtime || got.Timeout != signin.Timeout || got.MemoryMB != signin.MemoryMB {
		t.Errorf("original = %+v, want signin's settings under its own name", got)
	}
	if !reflect.DeepEqual(got.Environment, signin.Environment) {
		t.Errorf("environment %v, want signin's %v", got.Environment, signin.Environment)
	}
	if len(got.HTTP) != 1 || got.HTTP[0].Path != OriginalPath || got.HTTP[0].Method != "POST" {
		t.Errorf("http events %+v, want POST %s", got.HTTP, OriginalPath)
	}
	if s, _ := cfg.Function("signin"); s.HTTP[0].Path != "signin" {
		t.Errorf("signin's own path changed to %q", s.HTTP[0].Path)
	}
	var stage struct {
		MethodSettings []struct{ ThrottlingRateLimit, ThrottlingBurstLimit float64 }
	}
	if err := json.Unmarshal(cfg.Resources["ApiGatewayStage"].Properties, &stage); err != nil || len(stage.MethodSettings) != 2 {
		t.Fatalf("throttles %+v (%v), want one per sign-in route", stage.MethodSettings, err)
	}
	for _, th := range stage.MethodSettings {
		if th.ThrottlingRateLimit < 1e6 || th.ThrottlingBurstLimit < 1e6 {
			t.Errorf("throttle %+v still limits the benchmark", th)
		}
	}
}
