package lambdaruntime

import (
	"slices"
	"strings"
	"testing"
)

func TestFunctionEnv(t *testing.T) {
	fn := Function{
		Name:      "signin-api-dev-signin",
		Bootstrap: "/work/build/local/signin/bootstrap",
		Region:    "eu-west-1",
		MemoryMB:  512,
		Env: map[string]string{
			"CLIENT_ID":              "abc",
			"AWS_ACCESS_KEY_ID":      "local", // stands in for the execution role
			"AWS_SECRET_ACCESS_KEY":  "local",
			"AWS_REGION":             "us-west-2", // reserved
			"TZ":                     "Europe/Paris",
			"_HANDLER":               "main",
			"PATH":                   "/opt/custom/bin",
			"AWS_LAMBDA_RUNTIME_API": "elsewhere:9001", // set per instance
		},
	}
	vars, ignored := functionEnv(fn)
	if !slices.IsSorted(vars) {
		t.Errorf("environment not sorted: %q", vars)
	}
	env := map[string]string{}
	for _, kv := range vars {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	want := map[string]string{
		"CLIENT_ID":                       "abc",
		"AWS_ACCESS_KEY_ID":               "local",
		"AWS_SECRET_ACCESS_KEY":           "local",
		"AWS_REGION":                      "eu-west-1",
		"AWS_DEFAULT_REGION":              "eu-west-1",
		"TZ":                              ":UTC",
		"_HANDLER":                        "bootstrap",
		"PATH":                            "/opt/custom/bin",
		"LANG":                            "en_US.UTF-8",
		"AWS_CONFIG_FILE":                 "/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE":     "/dev/null",
		"AWS_LAMBDA_FUNCTION_NAME":        "signin-api-dev-signin",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/signin-api-dev-signin",
		"LAMBDA_TASK_ROOT":                "/work/build/local/signin",
		"LAMBDA_RUNTIME_DIR":              "/work/build/local/signin",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	for k := range env {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected variable %s=%q", k, env[k])
		}
	}
	if wantIgnored := []string{"AWS_LAMBDA_RUNTIME_API", "AWS_REGION", "TZ", "_HANDLER"}; !slices.Equal(ignored, wantIgnored) {
		t.Errorf("ignored = %v, want %v", ignored, wantIgnored)
	}
}
