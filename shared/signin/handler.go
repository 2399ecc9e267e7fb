package signin

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/signin-api/signin/shared/apigw"
)

// DeadlineMargin is the time kept back from the invocation's deadline to write the answer: a
// Cognito that never answers gets a 503 from us, not a Lambda timeout.
const DeadlineMargin = 300 * time.Millisecond

// Flow is a way of signing users in: *Service, or the benchmark's baseline of the original
// tutorial's order. Every failure it returns is an *Error.
type Flow interface {
	SignIn(ctx context.Context, c Credentials) (Result, Stats, error)
}

var _ Flow = (*Service)(nil)

// Handler is the signin Lambda function. It implements lambda.Handler and takes the raw event
// bytes, so that it can accept every shape the request arrives in (see package apigw) and
// answer bad input, even input that is not JSON, with a failure body instead of a crash.
type Handler struct {
	Service Flow
	CORS    apigw.CORS
	Log     *slog.Logger
}

var _ lambda.Handler = (*Handler)(nil)

// successBody is the answer to a successful sign-in.
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

// Invoke handles one sign-in event. Expected failures are answers with a nil error; an error
// is returned only when the answer itself cannot be written.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	start := time.Now()
	req, res, st, err := h.signIn(ctx, payload)
	h.logOutcome(ctx, req.Shape, st, err, time.Since(start), res.IsNew)
	return apigw.Encode(req.Shape, h.response(req, res, err))
}

func (h *Handler) signIn(ctx context.Context, payload []byte) (apigw.Request, Result, Stats, error) {
	req, err := apigw.Decode(payload)
	if err != nil {
		return req, Result{}, Stats{}, invalid("The request body is marked base64 but is not valid base64.")
	}
	creds, err := ParseCredentials(req.ContentType, req.Body)
	if err != nil {
		return req, Result{}, Stats{}, err
	}
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-DeadlineMargin))
		defer cancel()
	}
	res, st, err := h.Service.SignIn(ctx, creds)
	return req, res, st, err
}

func (h *Handler) response(req apigw.Request, res Result, err error) apigw.Response {
	if err != nil {
		return FailureResponse(req, h.CORS, err)
	}
	return SuccessResponse(req, h.CORS, successBody{
		Status: "success", UserID: res.UserID, IsNew: res.IsNew,
		IDToken: res.IDToken, AccessToken: res.AccessToken, RefreshToken: res.RefreshToken,
		ExpiresIn: res.ExpiresIn, TokenType: res.TokenType,
	})
}

// logOutcome writes the one log line of a sign-in (LogOutcome), with is_new and, on a failure,
// whether the account was created and which trigger failed.
func (h *Handler) logOutcome(ctx context.Context, shape apigw.Shape, st Stats, err error, took time.Duration, isNew bool) {
	if err == nil {
		LogOutcome(ctx, h.Log, "sign-in", shape, st, took, nil, "is_new", isNew)
		return
	}
	e := ErrorOf(err)
	extra := []any{"is_new", false}
	if e.AccountCreated {
		extra = append(extra, "account_created", true)
	}
	if e.Cause != nil && TriggerFailure(e.Cause) {
		extra = append(extra, "trigger_failure", ErrorCode(e.Cause))
	}
	LogOutcome(ctx, h.Log, "sign-in", shape, st, took, err, extra...)
}

// LogOutcome writes a route's one log line, message name: the event shape, the Cognito calls,
// the duration, the outcome (success or the failure's code), extra, and the failure's cause only
// when it is ours to fix (internal_error, at ERROR) or to watch (service_unavailable and
// too_many_requests, at WARN). It never holds a credential or a token: causes are Cognito's
// codes and messages and our own sentences.
func LogOutcome(ctx context.Context, log *slog.Logger, name string, shape apigw.Shape, st Stats, took time.Duration, err error, extra ...any) {
	attrs := []any{
		"shape", shape.String(),
		"cognito_calls", st.CognitoCalls,
		"duration_ms", float64(took.Microseconds()) / 1000,
	}
	if err == nil {
		log.InfoContext(ctx, name, append(append(attrs, "outcome", "success"), extra...)...)
		return
	}
	e := ErrorOf(err)
	attrs = append(append(attrs, "outcome", string(e.Code)), extra...)
	switch {
	case e.Cause == nil:
		log.InfoContext(ctx, name, attrs...)
	case e.Code == CodeInternal:
		log.ErrorContext(ctx, name, append(attrs, "cause", e.Cause.Error())...)
	case e.Code == CodeServiceUnavailable || e.Code == CodeTooManyRequests:
		log.WarnContext(ctx, name, append(attrs, "cause", e.Cause.Error())...)
	default:
		log.InfoContext(ctx, name, attrs...)
	}
}
