// Package authorizer checks requests as API Gateway's COGNITO_USER_POOLS authorizer does: a
// token of the pool (RS256, a key of its JWKS, its issuer, unexpired); without OAuth scopes an ID
// token whose aud the IdentityValidationExpression matches, if any; with scopes an access token
// holding one of them. AWS documentation followed: apigateway-enable-cognito-user-pool.html,
// API_Authorizer.html (identityValidationExpression, matched against aud, which access tokens
// lack) and aws-resource-apigateway-method.html (AuthorizationScopes: any one matches).
package authorizer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// errUnauthorized is every refusal; API Gateway answers 401 and says no more, so the reason
// wrapped with it is for the local log only.
var errUnauthorized = errors.New("unauthorized")

// Authorizer verifies the signature, issuer and expiry of one user pool's tokens.
type Authorizer struct {
	keys   keyfunc.Keyfunc
	parser *jwt.Parser
	now    func() time.Time // the clock for exp
}

// New verifies the tokens of the pool with the key set at jwksURL and the iss issuer; it reads
// the key set now and refreshes it until ctx ends, writing refresh errors to logs (nil discards them).
func New(ctx context.Context, jwksURL, issuer string, logs io.Writer) (*Authorizer, error) {
	failFirst := false // fail now if the key set cannot be read, not on every token later
	keys, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{jwksURL}, keyfunc.Override{
		HTTPTimeout:               5 * time.Second,
		NoErrorReturnFirstHTTPReq: &failFirst,
		RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
			return func(_ context.Context, err error) {
				fmt.Fprintf(cmp.Or(logs, io.Writer(io.Discard)), "refresh of the key set %s failed: %v\n", u, err)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("authorizer: key set %s: %w", jwksURL, err)
	}
	a := &Authorizer{keys: keys, now: time.Now}
	a.parser = jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(issuer), jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(func() time.Time { return a.now() }))
	return a, nil
}

// Method returns the check of one API method, the local gateway's Authorizer: with
// AuthorizationScopes scopes (none takes ID tokens, else access tokens holding one of them) and
// IdentityValidationExpression aud, matched against the whole aud (Go's RE2 agrees with API
// Gateway's Java regex on an app client id; empty leaves aud unchecked, as on AWS). The check takes
// the identity header, the bare token or "Bearer <token>" (API Gateway takes both), and returns
// the token's claims as API Gateway passes them on.
func (a *Authorizer) Method(scopes []string, aud string) (func(ctx context.Context, header string) (map[string]string, error), error) {
	audRE, err := regexp.Compile("^(?:" + aud + ")$")
	if err != nil {
		return nil, fmt.Errorf("authorizer: identityValidationExpression: %w", err)
	}
	want := "id"
	if len(scopes) > 0 {
		want = "access"
	}
	return func(ctx context.Context, header string) (map[string]string, error) {
		raw := strings.TrimSpace(header)
		if len(raw) > 7 && strings.EqualFold(raw[:7], "bearer ") {
			raw = strings.TrimSpace(raw[7:])
		}
		claims := jwt.MapClaims{}
		if _, err := a.parser.ParseWithClaims(raw, claims, a.keys.KeyfuncCtx(ctx)); err != nil {
			return nil, fmt.Errorf("%w: %v", errUnauthorized, err)
		}
		tokenAud, _ := claims["aud"].(string)
		use, _ := claims["token_use"].(string)
		scope, _ := claims["scope"].(string)
		switch {
		case aud != "" && !audRE.MatchString(tokenAud):
			return nil, fmt.Errorf("%w: aud %q does not match the identityValidationExpression", errUnauthorized, tokenAud)
		case use != want:
			return nil, fmt.Errorf("%w: token_use %q on a method that takes %s tokens", errUnauthorized, use, want)
		case want == "access" && !slices.ContainsFunc(strings.Fields(scope), func(s string) bool { return slices.Contains(scopes, s) }):
			return nil, fmt.Errorf("%w: scope %q holds none of %v", errUnauthorized, scope, scopes)
		}
		out := make(map[string]string, len(claims))
		for name, v := range claims {
			out[name] = formatClaim(name, v)
		}
		return out, nil
	}, nil
}

// formatClaim writes a claim as API Gateway's REST API does in requestContext.authorizer.claims:
// exp and iat as Java's Date.toString in UTC, other numbers in decimal, lists (cognito:groups)
// joined with commas, booleans as true/false.
func formatClaim(name string, v any) string {
	switch v := v.(type) {
	case float64:
		if name == "exp" || name == "iat" {
			return time.Unix(int64(v), 0).UTC().Format("Mon Jan 02 15:04:05 MST 2006")
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
	}
	return fmt.Sprint(v)
}
