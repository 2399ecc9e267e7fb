// Package authorizer checks requests as API Gateway's COGNITO_USER_POOLS authorizer does for a
// REST API method: the identity header must hold a token of the user pool, signed (RS256) by a
// key of the pool's JWKS, of the pool's issuer and not expired. A method without OAuth scopes
// takes an ID token; a method with scopes takes an access token whose scope claim holds one of
// them. The token's claims then reach the function in requestContext.authorizer.claims, every
// value a string, formatted as API Gateway formats them.
//
// AWS documentation followed: "Integrate a REST API with an Amazon Cognito user pool"
// (apigateway-enable-cognito-user-pool.html: an ID token without scopes, an access token with
// them; the token validation regex is matched against aud and refuses access tokens, which have
// none), the Authorizer API reference (API_Authorizer.html, identityValidationExpression) and
// AuthorizationScopes in the AWS::ApiGateway::Method CloudFormation reference
// (aws-resource-apigateway-method.html: the call is authorized if any method scope matches a
// scope claimed in the access token; with scopes the client must send an access token).
package authorizer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// ErrUnauthorized is returned for every refused token; API Gateway answers 401 for all of them
// and says nothing more, so the reason is only for the local log.
var ErrUnauthorized = errors.New("unauthorized")

// Config says which pool's tokens an Authorizer verifies.
type Config struct {
	// JWKSURL is the pool's key set (https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json
	// on AWS; the local Cognito serves it at http://127.0.0.1:<port>/<pool>/.well-known/jwks.json).
	JWKSURL string
	// Issuer is the iss claim the pool's tokens carry.
	Issuer string
	// Logs receives key set refresh errors; nil discards them.
	Logs io.Writer
	// Now is the clock for exp; time.Now if nil.
	Now func() time.Time
}

// Authorizer verifies the signature, issuer and expiry of one user pool's tokens; Method gives
// the checker of one API method, which adds that method's rules.
type Authorizer struct {
	keys      keyfunc.Keyfunc
	now       func() time.Time
	validator []jwt.ParserOption
}

// New fetches the key set and returns an Authorizer that uses it; ctx bounds the key set's
// background refresh, so cancel it when done.
func New(ctx context.Context, cfg Config) (*Authorizer, error) {
	if cfg.JWKSURL == "" || cfg.Issuer == "" {
		return nil, errors.New("authorizer: JWKS URL and issuer are required")
	}
	logs := cfg.Logs
	if logs == nil {
		logs = io.Discard
	}
	first := false
	keys, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{cfg.JWKSURL}, keyfunc.Override{
		Client:      &http.Client{Timeout: 5 * time.Second},
		HTTPTimeout: 5 * time.Second,
		RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
			return func(_ context.Context, err error) {
				fmt.Fprintf(logs, "refresh of the key set %s failed: %v\n", u, err)
			}
		},
		// Fail now if the key set cannot be read, rather than refusing every token later.
		NoErrorReturnFirstHTTPReq: &first,
	})
	if err != nil {
		return nil, fmt.Errorf("authorizer: key set %s: %w", cfg.JWKSURL, err)
	}
	a := &Authorizer{keys: keys, now: cfg.Now}
	if a.now == nil {
		a.now = time.Now
	}
	a.validator = []jwt.ParserOption{
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(a.now),
	}
	return a, nil
}

// MethodConfig is what one API method adds to the pool's checks.
type MethodConfig struct {
	// Scopes are the method's AuthorizationScopes (the http event's authorizer.scopes): none
	// means the method takes ID tokens; otherwise it takes access tokens carrying one of them.
	Scopes []string
	// IdentityValidationExpression is the authorizer's token validation regex, matched against
	// the whole aud claim (API Gateway uses a Java regex; Go's RE2 agrees on the plain patterns
	// an app client id makes). Empty: aud is not checked, API Gateway's default.
	IdentityValidationExpression string
}

// Method checks requests for one API method; it satisfies the local gateway's Authorizer.
type Method struct {
	a        *Authorizer
	scopes   []string
	audience *regexp.Regexp
}

// Method returns the checker of a method with the given settings.
func (a *Authorizer) Method(cfg MethodConfig) (*Method, error) {
	m := &Method{a: a, scopes: slices.Clone(cfg.Scopes)}
	if cfg.IdentityValidationExpression != "" {
		re, err := regexp.Compile("^(?:" + cfg.IdentityValidationExpression + ")$")
		if err != nil {
			return nil, fmt.Errorf("authorizer: identityValidationExpression: %w", err)
		}
		m.audience = re
	}
	return m, nil
}

// Authorize checks the identity header's value and returns the token's claims as API Gateway
// passes them on. The header may hold the bare token or "Bearer <token>": API Gateway's
// Cognito authorizer accepts both.
func (m *Method) Authorize(ctx context.Context, header string) (map[string]string, error) {
	raw := strings.TrimSpace(header)
	if len(raw) > 7 && strings.EqualFold(raw[:7], "bearer ") {
		raw = strings.TrimSpace(raw[7:])
	}
	if raw == "" {
		return nil, fmt.Errorf("%w: no token", ErrUnauthorized)
	}
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(raw, claims, m.a.keys.KeyfuncCtx(ctx), m.a.validator...); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnauthorized, err)
	}
	if m.audience != nil {
		// Access tokens have no aud, so an expression refuses every one of them.
		aud, _ := claims["aud"].(string)
		if !m.audience.MatchString(aud) {
			return nil, fmt.Errorf("%w: aud %q does not match the identityValidationExpression", ErrUnauthorized, aud)
		}
	}
	use, _ := claims["token_use"].(string)
	if len(m.scopes) == 0 {
		if use != "id" {
			return nil, fmt.Errorf("%w: token_use %q on a method without scopes, which takes ID tokens", ErrUnauthorized, use)
		}
		return FormatClaims(claims), nil
	}
	if use != "access" {
		return nil, fmt.Errorf("%w: token_use %q on a method with scopes, which takes access tokens", ErrUnauthorized, use)
	}
	scope, _ := claims["scope"].(string)
	granted := strings.Fields(scope)
	for _, want := range m.scopes {
		if slices.Contains(granted, want) {
			return FormatClaims(claims), nil
		}
	}
	return nil, fmt.Errorf("%w: scope %q holds none of %v", ErrUnauthorized, scope, m.scopes)
}

// dateClaims are the claims API Gateway passes on as dates ("Sun Dec 17 07:28:12 UTC 2017",
// Java's Date.toString in UTC) rather than as numbers; auth_time and other numbers stay numbers.
var dateClaims = map[string]bool{"exp": true, "iat": true}

// javaDate is Java's Date.toString layout, which API Gateway uses for exp and iat.
const javaDate = "Mon Jan 02 15:04:05 MST 2006"

// FormatClaims turns JWT claims into requestContext.authorizer.claims as API Gateway's REST
// API builds it: every value a string; exp and iat as UTC dates; other numbers as their
// decimal text; booleans as "true"/"false"; arrays (cognito:groups) joined with commas.
func FormatClaims(claims jwt.MapClaims) map[string]string {
	out := make(map[string]string, len(claims))
	for name, v := range claims {
		out[name] = formatClaim(name, v)
	}
	return out
}

func formatClaim(name string, v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		if dateClaims[name] {
			return time.Unix(int64(v), 0).UTC().Format(javaDate)
		}
		if v == float64(int64(v)) {
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	case []any:
		parts := make([]string, len(v))
		for i, item := range v {
			parts[i] = formatClaim("", item)
		}
		return strings.Join(parts, ",")
	case nil:
		return ""
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + formatClaim("", v[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	default:
		return fmt.Sprint(v)
	}
}
