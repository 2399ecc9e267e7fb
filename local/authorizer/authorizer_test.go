package authorizer

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	kid      = "CognitoLocal"
	issuer   = "http://127.0.0.1:9229/local_pool1"
	clientID = "client-a"
)

var now = time.Unix(1_800_000_000, 0)

// keyServer serves a JWKS holding key's public half under kid, as the local Cognito does.
func keyServer(t *testing.T, key *rsa.PrivateKey) *httptest.Server {
	t.Helper()
	jwk := map[string]string{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
		"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []any{jwk}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func sign(t *testing.T, key *rsa.PrivateKey, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// idClaims are the claims of a local Cognito ID token.
func idClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"sub": "5f0c6a4e-0000-4000-8000-000000000001", "cognito:username": "alice", "email_verified": false,
		"token_use": "id", "auth_time": float64(now.Unix() - 10), "iat": float64(now.Unix() - 10),
		"exp": float64(now.Unix() + 3600), "aud": clientID, "iss": issuer, "jti": "j1", "event_id": "e1",
	}
}

func with(c jwt.MapClaims, changes map[string]any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// check is what Method returns.
type check = func(ctx context.Context, header string) (map[string]string, error)

// newAuthorizer returns an Authorizer of the pool whose key set srv serves, at the test's clock.
func newAuthorizer(t *testing.T, srv *httptest.Server) *Authorizer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	a, err := New(ctx, srv.URL, issuer, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a.now = func() time.Time { return now }
	return a
}

func method(t *testing.T, a *Authorizer, scopes []string, aud string) check {
	t.Helper()
	m, err := a.Method(scopes, aud)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// accessClaims are the claims of a Cognito access token, with scope as given.
func accessClaims(scope string) jwt.MapClaims {
	return jwt.MapClaims{
		"sub": "5f0c6a4e-0000-4000-8000-000000000001", "username": "alice", "client_id": clientID,
		"token_use": "access", "scope": scope, "auth_time": float64(now.Unix() - 10), "iat": float64(now.Unix() - 10),
		"exp": float64(now.Unix() + 3600), "iss": issuer, "jti": "j2", "event_id": "e1", "origin_jti": "o1",
	}
}

// A method without scopes takes ID tokens of the pool, of any of its app clients.
func TestAuthorizeIDTokenMethod(t *testing.T) {
	poolKey, otherKey := newKey(t), newKey(t)
	m := method(t, newAuthorizer(t, keyServer(t, poolKey)), nil, "")
	valid := sign(t, poolKey, idClaims())
	hs256, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, idClaims()).SignedString([]byte("secret"))
	tests := []struct {
		name   string
		header string
		ok     bool
	}{
		{"ID token", valid, true},
		{"Bearer prefix", "Bearer " + valid, true},
		{"lower-case bearer", "bearer " + valid, true},
		{"another app client of the pool (no identityValidationExpression)", sign(t, poolKey, with(idClaims(), map[string]any{"aud": "client-z"})), true},
		{"empty", "", false},
		{"only Bearer", "Bearer ", false},
		{"garbage", "not-a-jwt", false},
		{"signed by another key", sign(t, otherKey, idClaims()), false},
		{"HS256", hs256, false},
		{"expired", sign(t, poolKey, with(idClaims(), map[string]any{"exp": float64(now.Unix() - 1)})), false},
		{"no exp", sign(t, poolKey, with(idClaims(), map[string]any{"exp": nil})), false},
		{"other issuer", sign(t, poolKey, with(idClaims(), map[string]any{"iss": "http://127.0.0.1:9229/local_other"})), false},
		{"access token", sign(t, poolKey, accessClaims("aws.cognito.signin.user.admin")), false},
		{"no token_use", sign(t, poolKey, with(idClaims(), map[string]any{"token_use": nil})), false},
		{"tampered payload", tamper(valid), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims, err := m(context.Background(), tt.header)
			if tt.ok {
				if err != nil {
					t.Fatalf("Authorize: %v", err)
				}
				if claims["cognito:username"] != "alice" || claims["token_use"] != "id" {
					t.Errorf("claims = %v", claims)
				}
				return
			}
			if !errors.Is(err, errUnauthorized) {
				t.Errorf("err = %v, want errUnauthorized", err)
			}
		})
	}
}

// A method with scopes takes access tokens that carry at least one of them, and nothing else.
func TestAuthorizeScopedMethod(t *testing.T) {
	poolKey, otherKey := newKey(t), newKey(t)
	a := newAuthorizer(t, keyServer(t, poolKey))
	session := method(t, a, []string{"signin-api/session.read"}, "")
	either := method(t, a, []string{"signin-api/session.read", "aws.cognito.signin.user.admin"}, "")
	admin := method(t, a, []string{"aws.cognito.signin.user.admin"}, "")
	withScope := sign(t, poolKey, accessClaims("aws.cognito.signin.user.admin signin-api/session.read"))
	adminOnly := sign(t, poolKey, accessClaims("aws.cognito.signin.user.admin"))
	tests := []struct {
		name   string
		m      check
		header string
		ok     bool
	}{
		{"access token with the scope", session, withScope, true},
		{"Bearer access token with the scope", session, "Bearer " + withScope, true},
		{"the scope alone", session, sign(t, poolKey, accessClaims("signin-api/session.read")), true},
		{"access token without the scope", session, adminOnly, false},
		{"one of two listed scopes", either, adminOnly, true},
		{"aws.cognito.signin.user.admin (DELETE /me)", admin, adminOnly, true},
		{"a scope that only starts like the listed one", session, sign(t, poolKey, accessClaims("signin-api/session.readwrite")), false},
		{"scopes joined by something else than a space", session, sign(t, poolKey, accessClaims("aws.cognito.signin.user.admin,signin-api/session.read")), false},
		{"no scope claim", session, sign(t, poolKey, with(accessClaims(""), map[string]any{"scope": nil})), false},
		{"scope claim as a list", session, sign(t, poolKey, with(accessClaims(""), map[string]any{"scope": []any{"signin-api/session.read"}})), false},
		{"ID token", session, sign(t, poolKey, idClaims()), false},
		{"ID token that claims the scope", session, sign(t, poolKey, with(idClaims(), map[string]any{"scope": "signin-api/session.read"})), false},
		{"expired access token", session, sign(t, poolKey, with(accessClaims("signin-api/session.read"), map[string]any{"exp": float64(now.Unix() - 1)})), false},
		{"access token of another pool (issuer)", session, sign(t, poolKey, with(accessClaims("signin-api/session.read"), map[string]any{"iss": "http://127.0.0.1:9229/local_other"})), false},
		{"access token signed by another key", session, sign(t, otherKey, accessClaims("signin-api/session.read")), false},
		{"no token", session, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims, err := tt.m(context.Background(), tt.header)
			if tt.ok {
				if err != nil {
					t.Fatalf("Authorize: %v", err)
				}
				if claims["username"] != "alice" || claims["token_use"] != "access" || claims["client_id"] != clientID {
					t.Errorf("claims = %v", claims)
				}
				return
			}
			if !errors.Is(err, errUnauthorized) {
				t.Errorf("err = %v, want errUnauthorized", err)
			}
		})
	}
}

// tamper changes the payload of a signed token, keeping its signature.
func tamper(token string) string {
	parts := strings.Split(token, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = []byte(strings.Replace(string(payload), "alice", "mallory", 1))
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

// The identityValidationExpression is matched against the whole aud claim; access tokens have
// no aud, so an authorizer with an expression refuses them even where the scope would do.
func TestIdentityValidationExpression(t *testing.T) {
	key := newKey(t)
	a := newAuthorizer(t, keyServer(t, key))
	idMethod := method(t, a, nil, clientID)
	scoped := method(t, a, []string{"aws.cognito.signin.user.admin"}, clientID)
	tests := []struct {
		name  string
		m     check
		token string
		ok    bool
	}{
		{"ID token of the client", idMethod, sign(t, key, idClaims()), true},
		{"ID token of another client", idMethod, sign(t, key, with(idClaims(), map[string]any{"aud": "client-b"})), false},
		{"aud that only contains the client id", idMethod, sign(t, key, with(idClaims(), map[string]any{"aud": clientID + "x"})), false},
		{"access token, which has no aud", scoped, sign(t, key, accessClaims("aws.cognito.signin.user.admin")), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.m(context.Background(), tt.token)
			if (err == nil) != tt.ok {
				t.Errorf("err = %v, want ok %v", err, tt.ok)
			}
		})
	}
	if _, err := a.Method(nil, "("); err == nil {
		t.Error("Method with an invalid expression: no error")
	}
}

func TestNewFailsWithoutKeySet(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := New(ctx, srv.URL, issuer, io.Discard); err == nil {
		t.Error("New with an unreachable key set: no error")
	}
}

// API Gateway passes claims as strings: exp and iat as Java dates, other numbers as integers,
// booleans as true/false, lists joined with commas.
func TestFormatClaims(t *testing.T) {
	got := map[string]string{}
	for name, v := range (jwt.MapClaims{
		"sub":            "s",
		"exp":            float64(1513495692),
		"iat":            float64(1513492092),
		"auth_time":      float64(1513492092),
		"email_verified": true,
		"cognito:groups": []any{"admin", "users"},
		"custom:score":   1.5,
		"custom:none":    nil,
	}) {
		got[name] = formatClaim(name, v)
	}
	want := map[string]string{
		"sub":            "s",
		"exp":            "Sun Dec 17 07:28:12 UTC 2017",
		"iat":            "Sun Dec 17 06:28:12 UTC 2017",
		"auth_time":      "1513492092",
		"email_verified": "true",
		"cognito:groups": "admin,users",
		"custom:score":   "1.5",
		"custom:none":    "",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("formatClaim: %v\nwant %v", got, want)
	}
}
