// Package authorizer checks requests as API Gateway's COGNITO_USER_POOLS authorizer does for a
// REST API method without OAuth scopes: the identity header must hold an ID token of the user
// pool, signed (RS256) by a key of the pool's JWKS, not expired, and for one of the app
// clients; its claims then reach the function in requestContext.authorizer.claims, every value
// a string, formatted as API Gateway formats them.
package authorizer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
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

// Config says which tokens an Authorizer accepts.
type Config struct {
	// JWKSURL is the pool's key set (https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json
	// on AWS; the local Cognito serves it at http://127.0.0.1:<port>/<pool>/.well-known/jwks.json).
	JWKSURL string
	// Issuer is the iss claim the pool's tokens carry.
	Issuer string
	// ClientIDs are the app clients whose ID tokens are accepted (the aud claim).
	//
	// API Gateway itself only compares aud when the authorizer has an
	// identityValidationExpression; a deployed pool has only the stack's own clients, so
	// limiting aud to them changes nothing for the stack's clients and refuses the tokens of a
	// client made by hand outside the stack.
	ClientIDs []string
	// AudiencePattern, when set, is the authorizer's identityValidationExpression: aud must
	// match it (a whole-string match, as API Gateway does with its Java regex).
	AudiencePattern string
	// Logs receives key set refresh errors; nil discards them.
	Logs io.Writer
	// Now is the clock for exp; time.Now if nil.
	Now func() time.Time
}

// Authorizer verifies tokens against one user pool.
type Authorizer struct {
	keys      keyfunc.Keyfunc
	issuer    string
	clients   map[string]bool
	audience  *regexp.Regexp
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
	a := &Authorizer{keys: keys, issuer: cfg.Issuer, clients: map[string]bool{}, now: cfg.Now}
	for _, id := range cfg.ClientIDs {
		a.clients[id] = true
	}
	if cfg.AudiencePattern != "" {
		re, err := regexp.Compile("^(?:" + cfg.AudiencePattern + ")$")
		if err != nil {
			return nil, fmt.Errorf("authorizer: identityValidationExpression: %w", err)
		}
		a.audience = re
	}
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

// Authorize checks the identity header's value and returns the token's claims as API Gateway
// passes them on. The header may hold the bare token or "Bearer <token>": API Gateway's
// Cognito authorizer accepts both.
func (a *Authorizer) Authorize(ctx context.Context, header string) (map[string]string, error) {
	raw := strings.TrimSpace(header)
	if len(raw) > 7 && strings.EqualFold(raw[:7], "bearer ") {
		raw = strings.TrimSpace(raw[7:])
	}
	if raw == "" {
		return nil, fmt.Errorf("%w: no token", ErrUnauthorized)
	}
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(raw, claims, a.keys.KeyfuncCtx(ctx), a.validator...); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnauthorized, err)
	}
	if use, _ := claims["token_use"].(string); use != "id" {
		return nil, fmt.Errorf("%w: token_use %q, not an ID token", ErrUnauthorized, use)
	}
	aud, err := claims.GetAudience()
	if err != nil || len(aud) != 1 {
		return nil, fmt.Errorf("%w: aud %v", ErrUnauthorized, claims["aud"])
	}
	if !a.clients[aud[0]] {
		return nil, fmt.Errorf("%w: aud %q is not an app client of this stack", ErrUnauthorized, aud[0])
	}
	if a.audience != nil && !a.audience.MatchString(aud[0]) {
		return nil, fmt.Errorf("%w: aud %q does not match the identityValidationExpression", ErrUnauthorized, aud[0])
	}
	return FormatClaims(claims), nil
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
