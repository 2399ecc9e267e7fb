// Package cognito holds what the functions need of an Amazon Cognito user pool client: the
// narrow interface the sign-in flow calls, the SDK client built with this project's retry
// policy, and the SECRET_HASH that confidential app clients require.
package cognito

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// API is the part of the Cognito user pool client that sign-in uses, with the SDK's exact
// signatures, so the real client satisfies it and tests can pass a fake.
type API interface {
	AdminInitiateAuth(ctx context.Context, in *cip.AdminInitiateAuthInput, optFns ...func(*cip.Options)) (*cip.AdminInitiateAuthOutput, error)
	SignUp(ctx context.Context, in *cip.SignUpInput, optFns ...func(*cip.Options)) (*cip.SignUpOutput, error)
}

// SessionAPI is the part of the client that the session routes use (refresh, sign-out, account
// deletion): operations authorized by a token and the app client's secret, not by IAM.
type SessionAPI interface {
	GetTokensFromRefreshToken(ctx context.Context, in *cip.GetTokensFromRefreshTokenInput, optFns ...func(*cip.Options)) (*cip.GetTokensFromRefreshTokenOutput, error)
	RevokeToken(ctx context.Context, in *cip.RevokeTokenInput, optFns ...func(*cip.Options)) (*cip.RevokeTokenOutput, error)
	GlobalSignOut(ctx context.Context, in *cip.GlobalSignOutInput, optFns ...func(*cip.Options)) (*cip.GlobalSignOutOutput, error)
	DeleteUser(ctx context.Context, in *cip.DeleteUserInput, optFns ...func(*cip.Options)) (*cip.DeleteUserOutput, error)
}

var (
	_ API        = (*cip.Client)(nil)
	_ SessionAPI = (*cip.Client)(nil)
)

// The retry policy of every Cognito call, in one place. A sign-in makes at most three calls and
// the function has 10 s; the handler also bounds the whole sign-in by the invocation's deadline.
const (
	// MaxAttempts is how many times one Cognito call is tried (the first try included).
	MaxAttempts = 3
	// MaxBackoff caps the jittered wait between two attempts of one call.
	MaxBackoff = 500 * time.Millisecond
	// AttemptTimeout bounds one HTTP attempt, from connect to the last byte of the response, so
	// a Cognito that never answers costs one attempt, not the whole invocation.
	AttemptTimeout = 2 * time.Second
)

// SecretHash is the SECRET_HASH Cognito asks of an app client that has a secret:
// Base64(HMAC-SHA256(key = client secret, message = username + client id)).
func SecretHash(username, clientID, clientSecret string) string {
	mac := hmac.New(sha256.New, []byte(clientSecret))
	mac.Write([]byte(username + clientID))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
