package cognito_test

import (
	"testing"

	"github.com/signin-api/signin/shared/cognito"
)

// The vectors were computed outside Go (Python's hmac, and `openssl dgst -sha256 -hmac` for the
// first), as Cognito defines SECRET_HASH: Base64(HMAC_SHA256(secret, username + client id)).
func TestSecretHash(t *testing.T) {
	tests := []struct {
		username, clientID, secret, want string
	}{
		{"alice", "1example23456789", "s3cr3t-client-secret", "Dv0yQ78i7NktjuoToB2LsgxiT4gUjNLM4pa7J+9RIkQ="},
		{"bob@example.com", "7lhlkkfbfb4q5kpp90urffao", "1q2w3e4r5t6y7u8i9o0p1q2w3e4r5t6y7u8i9o0p1q2w3e4r", "rD3LTSt4m4zI94rscBAySb2sZ23HwJJ1ZPBxSSpwFEI="},
		{"ünïcødé", "abc", "k", "lB3tKlna9qN1rj0HK67MJFCKcW6P5qCPPfPO9uSv9I8="},
	}
	for _, tt := range tests {
		if got := cognito.SecretHash(tt.username, tt.clientID, tt.secret); got != tt.want {
			t.Errorf("SecretHash(%q, %q, secret) = %q, want %q", tt.username, tt.clientID, got, tt.want)
		}
	}
}
