package cognito

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/golang-jwt/jwt/v5"

	"github.com/signin-api/signin/local/awsid"
)

// scopeAdmin is the one scope of access tokens from the user pools API ("Understanding the
// access token": aws.cognito.signin.user.admin).
const scopeAdmin = "aws.cognito.signin.user.admin"

func newKey() (pemText, kid string, err error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", err
	}
	block := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	return string(block), randomString(20, alnum), nil
}

func parseKey(pemText string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	return x509.ParsePKCS1PrivateKey(block.Bytes)
}

// issuer is the iss of a pool's tokens: BaseURL/<poolId> (on AWS,
// https://cognito-idp.<region>.amazonaws.com/<poolId>).
func (s *Server) issuer(r *http.Request, poolID string) string {
	base := s.opts.BaseURL
	if base == "" {
		base = "http://" + r.Host
	}
	return strings.TrimSuffix(base, "/") + "/" + poolID
}

// serveWellKnown serves /<poolId>/.well-known/jwks.json and openid-configuration ("Verifying
// a JSON Web Token": the JWKS URI is <issuer>/.well-known/jwks.json).
func (s *Server) serveWellKnown(w http.ResponseWriter, r *http.Request) {
	poolID, doc, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/.well-known/")
	s.mu.Lock()
	p := s.st.Pools[poolID]
	var key *rsa.PrivateKey
	var kid string
	if p != nil {
		key, _ = s.signingKey(p)
		kid = p.KeyID
	}
	s.mu.Unlock()
	if key == nil {
		http.NotFound(w, r)
		return
	}
	iss := s.issuer(r, poolID)
	var body any
	switch doc {
	case "jwks.json":
		body = map[string]any{"keys": []map[string]string{{
			"alg": "RS256", "kty": "RSA", "use": "sig", "kid": kid,
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
		}}}
	case "openid-configuration":
		body = map[string]any{
			"issuer": iss, "jwks_uri": iss + "/.well-known/jwks.json",
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"subject_types_supported":               []string{"public"},
			"response_types_supported":              []string{"code", "token"},
		}
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

// validity returns a token lifetime from the client's settings and units, with Cognito's
// defaults (ID and access 60 minutes, refresh 30 days; "Refresh tokens", "Understanding the
// ID token").
func validity(n *int32, unit types.TimeUnitsType, fallbackUnit types.TimeUnitsType, fallback time.Duration) time.Duration {
	if n == nil || *n == 0 {
		return fallback
	}
	if unit == "" {
		unit = fallbackUnit
	}
	d := time.Duration(*n)
	switch unit {
	case types.TimeUnitsTypeSeconds:
		return d * time.Second
	case types.TimeUnitsTypeMinutes:
		return d * time.Minute
	case types.TimeUnitsTypeDays:
		return d * 24 * time.Hour
	default:
		return d * time.Hour
	}
}

type lifetimes struct{ id, access, refresh time.Duration }

func clientLifetimes(c *types.UserPoolClientType) lifetimes {
	u := c.TokenValidityUnits
	if u == nil {
		u = &types.TokenValidityUnitsType{}
	}
	return lifetimes{
		id:      validity(c.IdTokenValidity, u.IdToken, types.TimeUnitsTypeHours, time.Hour),
		access:  validity(c.AccessTokenValidity, u.AccessToken, types.TimeUnitsTypeHours, time.Hour),
		refresh: validity(aws.Int32(c.RefreshTokenValidity), u.RefreshToken, types.TimeUnitsTypeDays, 30*24*time.Hour),
	}
}

// tokenSet is what issue needs to sign one ID and one access token.
type tokenSet struct {
	issuer   string
	client   *types.UserPoolClientType
	user     *user
	authTime int64
	// originJTI names the session (the sign-in) the tokens belong to.
	originJTI string
	// override is the Pre Token Generation trigger's answer, or nil.
	override *tokenOverride
}

// claims builds the ID and access token claims as "Understanding the ID token" and
// "Understanding the access token" list them, then applies the trigger's changes.
func (t tokenSet) claims(now time.Time) (id, access jwt.MapClaims) {
	life := clientLifetimes(t.client)
	eventID := awsid.RequestID()
	id = jwt.MapClaims{
		"sub": t.user.Sub, "aud": deref(t.client.ClientId), "iss": t.issuer, "token_use": "id",
		"cognito:username": t.user.Username, "auth_time": t.authTime, "iat": now.Unix(),
		"exp": now.Add(life.id).Unix(), "jti": awsid.RequestID(), "origin_jti": t.originJTI, "event_id": eventID,
	}
	for _, a := range t.user.Attributes {
		if name := deref(a.Name); name != "sub" {
			id[name] = idClaimValue(name, deref(a.Value))
		}
	}
	scopes := []string{scopeAdmin}
	access = jwt.MapClaims{
		"sub": t.user.Sub, "iss": t.issuer, "client_id": deref(t.client.ClientId), "token_use": "access",
		"username": t.user.Username, "auth_time": t.authTime, "iat": now.Unix(),
		"exp": now.Add(life.access).Unix(), "jti": awsid.RequestID(), "origin_jti": t.originJTI, "event_id": eventID,
		"version": 2,
	}
	if o := t.override; o != nil {
		o.apply(id, access, &scopes)
	}
	access["scope"] = strings.Join(scopes, " ")
	return id, access
}

// idClaimValue gives the *_verified attributes as booleans, as Cognito writes them.
func idClaimValue(name, value string) any {
	if strings.HasSuffix(name, "_verified") {
		return value == "true"
	}
	return value
}

func sign(key *rsa.PrivateKey, kid string, claims jwt.MapClaims) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = kid
	return tok.SignedString(key)
}

// newRefreshToken is an opaque refresh token (Cognito's are encrypted JWE, opaque to clients)
// and the hash kept of it.
func newRefreshToken() (token, hash string) {
	token = randomString(200, alnum)
	return token, hashToken(token)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// accessClaims verifies an access token of any pool this server holds and returns its pool,
// claims and session, with Cognito's messages for a bad, expired or revoked token. s.mu is held.
func (s *Server) accessClaims(token *string) (*pool, jwt.MapClaims, *session, error) {
	invalid := newErr(codeNotAuthorized, "Invalid Access Token")
	claims := jwt.MapClaims{}
	var p *pool
	_, err := jwt.ParseWithClaims(deref(token), claims, func(t *jwt.Token) (any, error) {
		for _, candidate := range s.st.Pools {
			if t.Header["kid"] == candidate.KeyID {
				p = candidate
				k, err := s.signingKey(candidate)
				if err != nil {
					return nil, err
				}
				return &k.PublicKey, nil
			}
		}
		return nil, errors.New("unknown kid")
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(s.now))
	if errors.Is(err, jwt.ErrTokenExpired) {
		return nil, nil, nil, newErr(codeNotAuthorized, "Access Token has expired")
	}
	if err != nil || claims["token_use"] != "access" {
		return nil, nil, nil, invalid
	}
	origin, _ := claims["origin_jti"].(string)
	sess := p.Sessions[origin]
	if sess == nil || sess.Revoked {
		return nil, nil, nil, newErr(codeNotAuthorized, "Access Token has been revoked")
	}
	return p, claims, sess, nil
}
