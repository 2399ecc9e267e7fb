package authorizer

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
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

func TestAuthorize(t *testing.T) {
	poolKey, otherKey := newKey(t), newKey(t)
	srv := keyServer(t, poolKey)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	a, err := New(ctx, Config{JWKSURL: srv.URL, Issuer: issuer, ClientIDs: []string{clientID, "client-b"}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
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
		{"other app client of the stack", sign(t, poolKey, with(idClaims(), map[string]any{"aud": "client-b"})), true},
		{"empty", "", false},
		{"only Bearer", "Bearer ", false},
		{"garbage", "not-a-jwt", false},
		{"signed by another key", sign(t, otherKey, idClaims()), false},
		{"HS256", hs256, false},
		{"expired", sign(t, poolKey, with(idClaims(), map[string]any{"exp": float64(now.Unix() - 1)})), false},
		{"no exp", sign(t, poolKey, with(idClaims(), map[string]any{"exp": nil})), false},
		{"other issuer", sign(t, poolKey, with(idClaims(), map[string]any{"iss": "http://127.0.0.1:9229/local_other"})), false},
		{"access token", sign(t, poolKey, with(idClaims(), map[string]any{"token_use": "access", "aud": nil, "client_id": clientID})), false},
		{"app client outside the stack", sign(t, poolKey, with(idClaims(), map[string]any{"aud": "client-z"})), false},
		{"tampered payload", tamper(valid), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims, err := a.Authorize(context.Background(), tt.header)
			if tt.ok {
				if err != nil {
					t.Fatalf("Authorize: %v", err)
				}
				if claims["cognito:username"] != "alice" || claims["token_use"] != "id" {
					t.Errorf("claims = %v", claims)
				}
				return
			}
			if !errors.Is(err, ErrUnauthorized) {
				t.Errorf("err = %v, want ErrUnauthorized", err)
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

func TestAudiencePattern(t *testing.T) {
	key := newKey(t)
	srv := keyServer(t, key)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	a, err := New(ctx, Config{JWKSURL: srv.URL, Issuer: issuer, ClientIDs: []string{clientID, "client-b"}, AudiencePattern: "client-a", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for aud, ok := range map[string]bool{clientID: true, "client-b": false} {
		_, err := a.Authorize(context.Background(), sign(t, key, with(idClaims(), map[string]any{"aud": aud})))
		if (err == nil) != ok {
			t.Errorf("aud %s: err = %v, want ok %v", aud, err, ok)
		}
	}
}

func TestNewFailsWithoutKeySet(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := New(ctx, Config{JWKSURL: srv.URL, Issuer: issuer}); err == nil {
		t.Error("New with an unreachable key set: no error")
	}
}

// API Gateway passes claims as strings: exp and iat as Java dates, other numbers as integers,
// booleans as true/false, lists joined with commas.
func TestFormatClaims(t *testing.T) {
	got := FormatClaims(jwt.MapClaims{
		"sub":            "s",
		"exp":            float64(1513495692),
		"iat":            float64(1513492092),
		"auth_time":      float64(1513492092),
		"email_verified": true,
		"cognito:groups": []any{"admin", "users"},
		"custom:score":   1.5,
	})
	want := map[string]string{
		"sub":            "s",
		"exp":            "Sun Dec 17 07:28:12 UTC 2017",
		"iat":            "Sun Dec 17 06:28:12 UTC 2017",
		"auth_time":      "1513492092",
		"email_verified": "true",
		"cognito:groups": "admin,users",
		"custom:score":   "1.5",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FormatClaims = %v\nwant %v", got, want)
	}
}
