// Package original is the sign-in flow of the tutorial this service started from, kept only
// as the baseline of the benchmark (make bench): every sign-in calls SignUp first, ignores
// "username exists", then signs in, so it always costs two Cognito calls, and it answers with
// a random user_id instead of the user's sub. It uses the same Cognito interface, SECRET_HASH,
// event decoding, response shapes and log line as package signin, so that the two designs
// differ only in the order and number of their Cognito calls.
package original

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/signin-api/signin/shared/apigw"
	"github.com/signin-api/signin/shared/cognito"
	"github.com/signin-api/signin/shared/signin"
)

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
		UserID:       randomUUID(),
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

func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Handler is the tutorial's function behind the same event shapes and answers as
// signin.Handler, so a benchmark can put either behind the same route.
type Handler struct {
	Service *Service
	CORS    apigw.CORS
	Log     *slog.Logger
}

var _ lambda.Handler = (*Handler)(nil)

// successBody is signin's success answer, field for field.
type successBody struct {
	Status       string `json:"status"`
	UserID       string `json:"user_id"`
	IsNew        bool   `json:"is_new"`
	IDToken      string `json:"id_token"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int32  `json:"expires_in"`
	TokenType    string `json:"token_type"`
}

type failureBody struct {
	Status string      `json:"status"`
	Error  signin.Code `json:"error"`
	Msg    string      `json:"msg"`
}

// Invoke handles one sign-in event, answering expected failures with a nil error.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	start := time.Now()
	var (
		res signin.Result
		st  signin.Stats
	)
	req, err := apigw.Decode(payload)
	if err != nil {
		err = &signin.Error{Code: signin.CodeInvalidRequest, Message: "The request body is marked base64 but is not valid base64."}
	} else {
		var c signin.Credentials
		if c, err = signin.ParseCredentials(req.ContentType, req.Body); err == nil {
			res, st, err = h.Service.SignIn(ctx, c)
		}
	}
	outcome := "success"
	if err != nil {
		outcome = string(signin.ErrorOf(err).Code)
	}
	h.Log.InfoContext(ctx, "sign-in", "shape", req.Shape.String(), "cognito_calls", st.CognitoCalls,
		"duration_ms", float64(time.Since(start).Microseconds())/1000, "outcome", outcome, "is_new", res.IsNew)

	headers := apigw.JSONHeaders()
	h.CORS.AddHeaders(headers, req.Origin)
	if err != nil {
		e := signin.ErrorOf(err)
		body, _ := json.Marshal(failureBody{Status: "fail", Error: e.Code, Msg: e.Message})
		return apigw.Encode(req.Shape, apigw.Response{Status: e.Code.Status(), Headers: headers, Body: body})
	}
	body, _ := json.Marshal(successBody{
		Status: "success", UserID: res.UserID, IsNew: res.IsNew,
		IDToken: res.IDToken, AccessToken: res.AccessToken, RefreshToken: res.RefreshToken,
		ExpiresIn: res.ExpiresIn, TokenType: res.TokenType,
	})
	return apigw.Encode(req.Shape, apigw.Response{Status: 200, Headers: headers, Body: body})
}
