// Package signin is the sign-up-or-sign-in flow behind the login screen: it validates and
// normalizes credentials (RFC 8265), signs a known user in with one Cognito call, signs a new
// user up and in, and turns every outcome into a success body or a failure with a stable code.
// Handler adapts it to every event shape the function is invoked with. It also holds the HTTP
// contract every route of the API shares: the body reader (ParseBody), the one table of error
// codes and statuses, and the success and failure responses.
package signin

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/signin-api/signin/shared/cognito"
)

// Service signs users up and in against one user pool and app client.
type Service struct {
	Cognito    cognito.API
	UserPoolID string
	ClientID   string
	// ClientSecret is the app client's secret; empty for a public client (no SECRET_HASH).
	ClientSecret string
}

// Result is a successful sign-in.
type Result struct {
	UserID       string // the user's Cognito sub
	IsNew        bool   // true only for the call that created the account
	IDToken      string
	AccessToken  string
	RefreshToken string
	ExpiresIn    int32
	TokenType    string
}

// Stats describes one sign-in attempt for the log, whatever its outcome.
type Stats struct {
	CognitoCalls int
}

// SignIn signs c in, creating the account first when the username is new. It is built for
// the common case of a returning user, which costs exactly one Cognito call; a new user costs
// three (auth, SignUp, auth). A wrong password costs one call and so one of Cognito's five
// lockout strikes, and a locked account one call. Every failure is an *Error.
func (s *Service) SignIn(ctx context.Context, c Credentials) (Result, Stats, error) {
	var st Stats
	res, err := s.auth(ctx, c, &st)
	if err == nil || !userNotFound(err) {
		return res, st, wrapAuth(err)
	}

	sub, err := s.signUp(ctx, c, &st)
	switch {
	case usernameExists(err):
		// A concurrent first sign-in created this user between our two calls: one more try
		// tells whether it was with this password.
		res, err = s.auth(ctx, c, &st)
		return res, st, wrapAuth(err)
	case err != nil:
		return Result{}, st, fromCognito(opSignUp, fmt.Errorf("sign up: %w", err))
	}

	res, err = s.auth(ctx, c, &st)
	if err != nil {
		e := fromCognito(opAuth, fmt.Errorf("sign in after sign up: %w", err))
		e.AccountCreated = true
		e.Message = "Your account was created, but signing in failed; please sign in again."
		return Result{}, st, e
	}
	res.IsNew = true
	res.UserID = sub
	return res, st, nil
}

func wrapAuth(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return fromCognito(opAuth, fmt.Errorf("sign in: %w", err))
}

// auth is one AdminInitiateAuth with ADMIN_USER_PASSWORD_AUTH.
func (s *Service) auth(ctx context.Context, c Credentials, st *Stats) (Result, error) {
	params := map[string]string{"USERNAME": c.Username, "PASSWORD": c.Password}
	if s.ClientSecret != "" {
		params["SECRET_HASH"] = cognito.SecretHash(c.Username, s.ClientID, s.ClientSecret)
	}
	st.CognitoCalls++
	out, err := s.Cognito.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
		UserPoolId:     aws.String(s.UserPoolID),
		ClientId:       aws.String(s.ClientID),
		AuthFlow:       types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: params,
	})
	if err != nil {
		return Result{}, err
	}
	if out.AuthenticationResult == nil {
		if out.ChallengeName != "" {
			return Result{}, &Error{Code: CodeChallengeRequired, Challenge: string(out.ChallengeName),
				Message: "This account must complete the " + string(out.ChallengeName) + " challenge to sign in."}
		}
		return Result{}, &Error{Code: CodeInternal, Message: messageInternal,
			Cause: errors.New("sign in: AdminInitiateAuth returned neither tokens nor a challenge")}
	}
	return ResultOf(out.AuthenticationResult)
}

// signUp creates the account and returns its sub.
func (s *Service) signUp(ctx context.Context, c Credentials, st *Stats) (string, error) {
	in := &cip.SignUpInput{
		ClientId: aws.String(s.ClientID),
		Username: aws.String(c.Username),
		Password: aws.String(c.Password),
	}
	if s.ClientSecret != "" {
		in.SecretHash = aws.String(cognito.SecretHash(c.Username, s.ClientID, s.ClientSecret))
	}
	st.CognitoCalls++
	out, err := s.Cognito.SignUp(ctx, in)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.UserSub), nil
}

// ResultOf reads the tokens of a sign-in or a refresh, and the user id from the ID token's sub
// claim. The token comes straight from Cognito over TLS, so its claims are read, not verified.
// Its error is an internal_error *Error that never quotes a token.
func ResultOf(a *types.AuthenticationResultType) (Result, error) {
	claims, err := idTokenClaims(aws.ToString(a.IdToken))
	if err != nil {
		return Result{}, &Error{Code: CodeInternal, Message: messageInternal, Cause: fmt.Errorf("sign in: %w", err)}
	}
	return Result{
		UserID:       claims.Sub,
		IDToken:      aws.ToString(a.IdToken),
		AccessToken:  aws.ToString(a.AccessToken),
		RefreshToken: aws.ToString(a.RefreshToken),
		ExpiresIn:    a.ExpiresIn,
		TokenType:    aws.ToString(a.TokenType),
	}, nil
}

type idClaims struct {
	Sub string `json:"sub"`
}

// idTokenClaims reads the ID token's sub. Its errors never quote the token.
func idTokenClaims(token string) (idClaims, error) {
	var c idClaims
	if err := JWTClaims(token, &c); err != nil {
		return idClaims{}, fmt.Errorf("ID token: %w", err)
	}
	if c.Sub == "" {
		return idClaims{}, errors.New("ID token has no sub claim")
	}
	return c, nil
}

// JWTClaims decodes the payload of a JWT into v without verifying it: for tokens that come
// straight from Cognito, or whose check is Cognito's own in the call they authorize. Its errors
// never quote the token.
func JWTClaims(token string, v any) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errors.New("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return errors.New("payload is not base64url")
	}
	if err := json.Unmarshal(payload, v); err != nil {
		return errors.New("payload is not a JSON object")
	}
	return nil
}
