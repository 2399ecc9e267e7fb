// Package session is what keeps a signed-in user's session after POST /signin: POST /refresh
// (new tokens for a refresh token, which rotation replaces), POST /signout (revoke the refresh
// token, or every session of the user) and DELETE /me (delete the account). It uses the app
// client's secret and the user's own tokens, never IAM, and the error contract of package signin.
// Access tokens must be this app client's own.
package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/signin-api/signin/shared/cognito"
	"github.com/signin-api/signin/shared/signin"
)

// Service runs the session operations against one app client.
type Service struct {
	Cognito  cognito.SessionAPI
	ClientID string
	// ClientSecret is the app client's raw secret (these operations take it, not SECRET_HASH);
	// empty for a public client.
	ClientSecret string
}

// MaxTokenBytes bounds a token a client sends; Cognito's are well under it (a refresh token
// is a JWE of about 1.8 KB).
const MaxTokenBytes = 4 << 10

// tokenShaped reports whether s can be a token: 1 to MaxTokenBytes characters of the pattern
// the Cognito API reference gives tokens ([A-Za-z0-9-_=.]+, for RevokeToken's Token and the
// AccessToken of GlobalSignOut and DeleteUser). Anything else would be Cognito's
// InvalidParameterException; it is refused without a call.
func tokenShaped(s string) bool {
	if s == "" || len(s) > MaxTokenBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '=', c == '.':
		default:
			return false
		}
	}
	return true
}

// Refresh exchanges a refresh token for new tokens with GetTokensFromRefreshToken. With refresh
// token rotation on the app client, Cognito returns a new refresh token and the one sent stops
// working (after the client's retry grace period); without rotation the one sent is returned
// again, so the answer always holds the refresh token to keep. An expired, revoked, rotated-out
// or malformed token is invalid_token. Every failure is a *signin.Error.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (signin.Result, signin.Stats, error) {
	var st signin.Stats
	if !tokenShaped(refreshToken) {
		return signin.Result{}, st, signin.InvalidToken(nil)
	}
	in := &cip.GetTokensFromRefreshTokenInput{ClientId: aws.String(s.ClientID), RefreshToken: aws.String(refreshToken)}
	if s.ClientSecret != "" {
		in.ClientSecret = aws.String(s.ClientSecret)
	}
	st.CognitoCalls++
	out, err := s.Cognito.GetTokensFromRefreshToken(ctx, in)
	if err != nil {
		return signin.Result{}, st, tokenFailure(fmt.Errorf("refresh: %w", err))
	}
	if out.AuthenticationResult == nil {
		return signin.Result{}, st, signin.CognitoFailure(errors.New("refresh: GetTokensFromRefreshToken returned no tokens"))
	}
	res, err := signin.ResultOf(out.AuthenticationResult)
	if err != nil {
		return signin.Result{}, st, err
	}
	if res.RefreshToken == "" {
		res.RefreshToken = refreshToken
	}
	return res, st, nil
}

// SignOut revokes the refresh token with RevokeToken, which also stops the access tokens issued
// from it at Cognito's APIs. It is idempotent, as RFC 7009 asks: an unknown, already revoked or
// malformed token is not an error. With everywhere, GlobalSignOut first revokes every refresh
// token of the access token's user (every device); an access token Cognito refuses is
// invalid_token, and then nothing was revoked. Every failure is a *signin.Error.
func (s *Service) SignOut(ctx context.Context, refreshToken string, everywhere bool, accessToken string) (signin.Stats, error) {
	var st signin.Stats
	if everywhere {
		if !s.ownAccessToken(accessToken) {
			return st, signin.InvalidToken(nil)
		}
		st.CognitoCalls++
		_, err := s.Cognito.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: aws.String(accessToken)})
		if err != nil && signin.ErrorCode(err) != "UserNotFoundException" { // no user: nothing left to sign out
			return st, tokenFailure(fmt.Errorf("global sign-out: %w", err))
		}
	}
	if !tokenShaped(refreshToken) {
		return st, nil
	}
	in := &cip.RevokeTokenInput{ClientId: aws.String(s.ClientID), Token: aws.String(refreshToken)}
	if s.ClientSecret != "" {
		in.ClientSecret = aws.String(s.ClientSecret)
	}
	st.CognitoCalls++
	_, err := s.Cognito.RevokeToken(ctx, in)
	switch code := signin.ErrorCode(err); {
	case err == nil, code == "UnsupportedTokenTypeException":
		// UnsupportedTokenTypeException: an access or ID token sent by mistake, nothing to revoke.
		return st, nil
	case code == "NotAuthorizedException" && !signin.SecretRefused(err):
		// A token Cognito does not take (unknown, revoked, expired) is no live session: the
		// sign-out has nothing left to do, as RFC 7009 section 2.2 asks.
		return st, nil
	}
	// UnauthorizedException (our client secret is wrong), UnsupportedOperationException (token
	// revocation is off on the app client) and the rest are ours, or Cognito's, to fix.
	return st, signin.CognitoFailure(fmt.Errorf("revoke token: %w", err))
}

// DeleteAccount deletes the access token's user with DeleteUser. An account that is already
// gone is not an error (DELETE is idempotent); an access token Cognito refuses, or one that is
// not this app client's, is invalid_token. Every failure is a *signin.Error.
func (s *Service) DeleteAccount(ctx context.Context, accessToken string) (signin.Stats, error) {
	var st signin.Stats
	if !s.ownAccessToken(accessToken) {
		return st, signin.InvalidToken(nil)
	}
	st.CognitoCalls++
	_, err := s.Cognito.DeleteUser(ctx, &cip.DeleteUserInput{AccessToken: aws.String(accessToken)})
	if err == nil || signin.ErrorCode(err) == "UserNotFoundException" {
		return st, nil
	}
	return st, tokenFailure(fmt.Errorf("delete user: %w", err))
}

// ownAccessToken reports whether token is, by its claims, an access token (token_use) of this
// app client (client_id). The claims are read, not verified: Cognito verifies the token in the
// call it authorizes. This only narrows what the call accepts: API Gateway's Cognito authorizer
// does not check the client, so without it a token of any app client of the pool would do.
func (s *Service) ownAccessToken(token string) bool {
	if !tokenShaped(token) {
		return false
	}
	var claims struct {
		ClientID string `json:"client_id"`
		TokenUse string `json:"token_use"`
	}
	return signin.JWTClaims(token, &claims) == nil && claims.TokenUse == "access" && claims.ClientID == s.ClientID
}

// tokenFailure maps the error of a call that a user's token authorizes: a token Cognito refuses
// is invalid_token, except a refusal of our client secret, which is ours to fix.
func tokenFailure(err error) *signin.Error {
	switch signin.ErrorCode(err) {
	case "NotAuthorizedException":
		if signin.SecretRefused(err) {
			return signin.CognitoFailure(err)
		}
		return signin.InvalidToken(err)
	case "RefreshTokenReuseException", "UserNotFoundException", "UserNotConfirmedException", "PasswordResetRequiredException":
		return signin.InvalidToken(err)
	}
	return signin.CognitoFailure(err)
}
