package signin

import (
	"errors"
	"strings"
)

// Config is the signin function's configuration, read once at cold start.
type Config struct {
	UserPoolID string
	ClientID   string
	// ClientSecret is the app client secret given directly, for local use (CLIENT_SECRET).
	ClientSecret string
	// ClientSecretARN names a Secrets Manager secret holding it (CLIENT_SECRET_ARN), as deployed.
	// Neither means a public app client, which is sent no SECRET_HASH.
	ClientSecretARN string
	// CORSAllowOrigin is a comma-separated list of exact origins, or "*" (CORS_ALLOW_ORIGIN).
	CORSAllowOrigin string
}

// ConfigFromEnv reads Config through getenv (os.Getenv in main) and says every missing value.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var poolErr error
	pool := strings.TrimSpace(getenv("USER_POOL_ID"))
	if pool == "" {
		poolErr = errors.New("USER_POOL_ID is not set")
	}
	c, err := ClientConfigFromEnv(getenv)
	c.UserPoolID = pool
	return c, errors.Join(poolErr, err)
}

// ClientConfigFromEnv reads the app client part of Config, without USER_POOL_ID: what the
// refresh and sign-out functions need, whose Cognito calls name no pool.
func ClientConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		ClientID:        strings.TrimSpace(getenv("CLIENT_ID")),
		ClientSecret:    getenv("CLIENT_SECRET"),
		ClientSecretARN: strings.TrimSpace(getenv("CLIENT_SECRET_ARN")),
		CORSAllowOrigin: getenv("CORS_ALLOW_ORIGIN"),
	}
	var errs []error
	if c.ClientID == "" {
		errs = append(errs, errors.New("CLIENT_ID is not set"))
	}
	if c.ClientSecret != "" && c.ClientSecretARN != "" {
		errs = append(errs, errors.New("set CLIENT_SECRET or CLIENT_SECRET_ARN, not both"))
	}
	return c, errors.Join(errs...)
}
