// Package original is the sign-in flow of the tutorial this service started from, kept only
// as the baseline of the benchmark (make bench): every sign-in calls SignUp first, ignores
// "username exists", then signs in, so it always costs two Cognito calls, and it answers with
// a random user_id instead of the user's sub. It is a signin.Flow: signin.Handler runs it with
// the same event decoding, response shapes and log line, so that the two designs differ only
// in the order and number of their Cognito calls.
package original

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/signin-api/signin/local/awsid"
	"github.com/signin-api/signin/shared/cognito"
	"github.com/signin-api/signin/shared/signin"
)

var _ signin.Flow = (*Service)(nil)

// Service signs users up and in the tutorial's way, against one user pool and app client.
type Service struct {
	Cognito    cognito.API
	UserPoolID string
	ClientID   string
	// ClientSecret is the app client's secret; empty for a public client (no SECRET_HASH).
	ClientSecret string
}

// SignIn calls SignUp, goes on when the user exists already, then calls AdminInitiateAuth:
// two Cognito calls for a returning user, a new user and a wrong password alike. The user id
// it returns is random, as in the tutorial. Every failure is a *signin.Error.
func (s *Service) SignIn(ctx context.Context, c signin.Credentials) (signin.Result, signin.Stats, error) {
	var st signin.Stats
	in := &cip.SignUpInput{
		ClientId: aws.String(s.ClientID),
		Username: aws.String(c.Username),
		Password: aws.String(c.Password),
	}
	if s.ClientSecret != "" {
		in.SecretHash = aws.String(cognito.SecretHash(c.Username, s.ClientID, s.ClientSecret))
	}
	st.CognitoCalls++
	_, err := s.Cognito.SignUp(ctx, in)
	isNew := err == nil
	if err != nil && errorCode(err) != "UsernameExistsException" {
		return signin.Result{}, st, failure(err, "sign up")
	}

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
		return signin.Result{}, st, failure(err, "sign in")
	}
	a := out.AuthenticationResult
	if a == nil {
		return signin.Result{}, st, &signin.Error{Code: signin.CodeChallengeRequired, Challenge: string(out.ChallengeName),
			Message: "This account must complete a challenge to sign in."}
	}
	return signin.Result{
		UserID:       awsid.RequestID(),
		IsNew:        isNew,
		IDToken:      aws.ToString(a.IdToken),
		AccessToken:  aws.ToString(a.AccessToken),
		RefreshToken: aws.ToString(a.RefreshToken),
		ExpiresIn:    a.ExpiresIn,
		TokenType:    "Bearer",
	}, st, nil
}

// failure maps a Cognito error the way the tutorial did: a refused password or unknown user
// is invalid_credentials, SignUp's password policy is invalid_password, anything else internal.
func failure(err error, op string) *signin.Error {
	e := &signin.Error{Code: signin.CodeInternal, Message: "Something went wrong on our side. Please try again.",
		Cause: fmt.Errorf("%s: %w", op, err)}
	switch code := errorCode(err); {
	case op == "sign in" && (code == "NotAuthorizedException" || code == "UserNotFoundException" || code == "InvalidPasswordException"):
		e.Code, e.Message = signin.CodeInvalidCredentials, "The username or password is incorrect."
	case op == "sign up" && code == "InvalidPasswordException":
		e.Code, e.Message = signin.CodeInvalidPassword, "The password does not meet the requirements of this service."
	}
	return e
}

func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}
