package lambdaruntime

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/signin-api/signin/local/awsid"
)

// reservedEnv lists the variables Lambda sets itself and refuses in a
// function's configuration. The credential variables are left out: locally
// the function's Env supplies them in place of the execution role.
var reservedEnv = map[string]bool{
	"_HANDLER":                        true,
	"_X_AMZN_TRACE_ID":                true,
	"AWS_DEFAULT_REGION":              true,
	"AWS_REGION":                      true,
	"AWS_EXECUTION_ENV":               true,
	"AWS_LAMBDA_FUNCTION_NAME":        true,
	"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true,
	"AWS_LAMBDA_FUNCTION_VERSION":     true,
	"AWS_LAMBDA_INITIALIZATION_TYPE":  true,
	"AWS_LAMBDA_LOG_GROUP_NAME":       true,
	"AWS_LAMBDA_LOG_STREAM_NAME":      true,
	"AWS_LAMBDA_RUNTIME_API":          true,
	"LAMBDA_TASK_ROOT":                true,
	"LAMBDA_RUNTIME_DIR":              true,
	"TZ":                              true,
}

// functionEnv builds the environment every instance of fn starts with, in
// the order Lambda applies it: unreserved defaults, the function's own
// variables, then the reserved ones. Nothing comes from this process's
// environment, as in Lambda (which sets no HOME either). The shared AWS
// config files are pointed at /dev/null because the SDK would otherwise
// find the developer's ~/.aws through /etc/passwd: a function without
// credentials in its Env must not reach real AWS with them. It also
// returns the reserved keys fn.Env tried to set, so the caller can say
// they were ignored.
func functionEnv(fn Function) (env map[string]string, ignored []string) {
	taskRoot := filepath.Dir(fn.Bootstrap)
	env = map[string]string{
		"PATH":                        "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"LANG":                        "en_US.UTF-8",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	}
	for k, v := range fn.Env {
		if reservedEnv[k] {
			ignored = append(ignored, k)
			continue
		}
		env[k] = v
	}
	for k, v := range map[string]string{
		"_HANDLER":                        "bootstrap",
		"AWS_REGION":                      fn.Region,
		"AWS_DEFAULT_REGION":              fn.Region,
		"AWS_LAMBDA_FUNCTION_NAME":        fn.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(fn.MemoryMB),
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + fn.Name,
		"LAMBDA_TASK_ROOT":                taskRoot,
		"LAMBDA_RUNTIME_DIR":              taskRoot,
		"TZ":                              ":UTC",
	} {
		env[k] = v
	}
	slices.Sort(ignored)
	return env, ignored
}

// instanceEnv adds what differs per instance (its Runtime API address and
// log stream) and flattens the result into exec's KEY=value form.
func instanceEnv(base map[string]string, runtimeAPI string, now time.Time) []string {
	env := make([]string, 0, len(base)+2)
	for k, v := range base {
		env = append(env, k+"="+v)
	}
	env = append(env,
		"AWS_LAMBDA_RUNTIME_API="+runtimeAPI,
		"AWS_LAMBDA_LOG_STREAM_NAME="+now.UTC().Format("2006/01/02")+"/[$LATEST]"+awsid.Hex(16),
	)
	slices.Sort(env)
	return env
}
