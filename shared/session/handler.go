package session

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/signin-api/signin/shared/apigw"
	"github.com/signin-api/signin/shared/signin"
)

// RefreshHandler is POST /refresh: {"refresh_token": "..."} as JSON or a form, in every event
// shape package apigw reads, answered with the same token body as a sign-in (without is_new).
type RefreshHandler struct {
	Service *Service
	CORS    apigw.CORS
	Log     *slog.Logger
}

// SignOutHandler is POST /signout: {"refresh_token": "...", "everywhere": false}; with
// "everywhere": true the access token in Authorization signs the user out of every device.
type SignOutHandler struct {
	Service *Service
	CORS    apigw.CORS
	Log     *slog.Logger
}

// DeleteMeHandler is DELETE /me, behind the Cognito authorizer with the scope
// aws.cognito.signin.user.admin: the access token in Authorization deletes its own account.
type DeleteMeHandler struct {
	Service *Service
	CORS    apigw.CORS
	Log     *slog.Logger
}

var (
	_ lambda.Handler = (*RefreshHandler)(nil)
	_ lambda.Handler = (*SignOutHandler)(nil)
	_ lambda.Handler = (*DeleteMeHandler)(nil)
)

// tokensBody is the answer to a refresh.
type tokensBody struct {
	Status       string `json:"status"`
	UserID       string `json:"user_id"`
	IDToken      string `json:"id_token"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int32  `json:"expires_in"`
	TokenType    string `json:"token_type"`
}

// doneBody is the answer to a sign-out and an account deletion.
type doneBody struct {
	Status string `json:"status"`
}

var (
	refreshFields = signin.Fields{What: "a refresh_token", Strings: []string{"refresh_token"}}
	signOutFields = signin.Fields{What: "a refresh_token", Strings: []string{"refresh_token"}, Bools: []string{"everywhere"}}
)

// Invoke handles one refresh event.
func (h *RefreshHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return serve(ctx, payload, h.CORS, h.Log, "refresh", func(ctx context.Context, req apigw.Request) (any, signin.Stats, []any, error) {
		v, err := signin.ParseBody(req.ContentType, req.Body, refreshFields)
		if err != nil {
			return nil, signin.Stats{}, nil, err
		}
		token, err := required(v, "refresh_token")
		if err != nil {
			return nil, signin.Stats{}, nil, err
		}
		res, st, err := h.Service.Refresh(ctx, token)
		if err != nil {
			return nil, st, nil, err
		}
		return tokensBody{Status: "success", UserID: res.UserID, IDToken: res.IDToken, AccessToken: res.AccessToken,
			RefreshToken: res.RefreshToken, ExpiresIn: res.ExpiresIn, TokenType: res.TokenType}, st, nil, nil
	})
}

// Invoke handles one sign-out event.
func (h *SignOutHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return serve(ctx, payload, h.CORS, h.Log, "sign-out", func(ctx context.Context, req apigw.Request) (any, signin.Stats, []any, error) {
		v, err := signin.ParseBody(req.ContentType, req.Body, signOutFields)
		if err != nil {
			return nil, signin.Stats{}, nil, err
		}
		token, err := required(v, "refresh_token")
		if err != nil {
			return nil, signin.Stats{}, nil, err
		}
		everywhere := v.Bools["everywhere"]
		attrs := []any{"everywhere", everywhere}
		access := bearer(req.Authorization)
		if everywhere && access == "" {
			return nil, signin.Stats{}, attrs, &signin.Error{Code: signin.CodeInvalidRequest,
				Message: "Signing out everywhere needs the access token in the Authorization header."}
		}
		st, err := h.Service.SignOut(ctx, token, everywhere, access)
		if err != nil {
			return nil, st, attrs, err
		}
		return doneBody{Status: "success"}, st, attrs, nil
	})
}

// Invoke handles one account deletion event.
func (h *DeleteMeHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return serve(ctx, payload, h.CORS, h.Log, "delete-account", func(ctx context.Context, req apigw.Request) (any, signin.Stats, []any, error) {
		// The authorizer let the request in with this access token; without one the function
		// was invoked some other way, and there is no account to delete.
		st, err := h.Service.DeleteAccount(ctx, bearer(req.Authorization))
		if err != nil {
			return nil, st, nil, err
		}
		return doneBody{Status: "success"}, st, nil, nil
	})
}

// required is the string member key of v, which must be present and not empty.
func required(v signin.Values, key string) (string, error) {
	if s := v.Strings[key]; s != "" {
		return s, nil
	}
	return "", &signin.Error{Code: signin.CodeInvalidRequest, Message: "A " + key + " is required."}
}

// bearer is the token of an Authorization header, sent bare (as API Gateway's Cognito
// authorizer documents it) or after "Bearer ".
func bearer(header string) string {
	header = strings.TrimSpace(header)
	if len(header) > 7 && strings.EqualFold(header[:7], "bearer ") {
		return strings.TrimSpace(header[7:])
	}
	return header
}

// route is one route's work on a decoded request: the success body, the Cognito calls it made,
// extra log attributes, or a failure.
type route func(ctx context.Context, req apigw.Request) (body any, st signin.Stats, attrs []any, err error)

// serve decodes the event, runs the route within the invocation's deadline less
// signin.DeadlineMargin, writes one log line and answers in the event's shape. Expected
// failures are answers with a nil error.
func serve(ctx context.Context, payload []byte, cors apigw.CORS, log *slog.Logger, name string, run route) ([]byte, error) {
	start := time.Now()
	req, err := apigw.Decode(payload)
	var (
		body  any
		st    signin.Stats
		attrs []any
	)
	if err != nil {
		err = &signin.Error{Code: signin.CodeInvalidRequest, Message: "The request body is marked base64 but is not valid base64."}
	} else {
		if deadline, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, deadline.Add(-signin.DeadlineMargin))
			defer cancel()
		}
		body, st, attrs, err = run(ctx, req)
	}
	signin.LogOutcome(ctx, log, name, req.Shape, st, time.Since(start), err, attrs...)
	if err != nil {
		return apigw.Encode(req.Shape, signin.FailureResponse(req, cors, err))
	}
	return apigw.Encode(req.Shape, signin.SuccessResponse(req, cors, body))
}
