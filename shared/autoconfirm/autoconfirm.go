// Package autoconfirm is the Cognito PreSignUp trigger that confirms a new user on the spot, so
// that a fresh account can sign in in the same request that created it.
package autoconfirm

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// TriggerSignUp is the triggerSource of a sign-up through the SignUp API, the only one this
// trigger confirms: admin-created and federated users keep Cognito's own rules.
const TriggerSignUp = "PreSignUp_SignUp"

// Handler is the PreSignUp trigger. It works on the raw event so that it returns the event
// exactly as Cognito sent it, but for the response flags it sets.
type Handler struct {
	Log *slog.Logger
}

var _ lambda.Handler = (*Handler)(nil)

// Invoke sets autoConfirmUser for PreSignUp_SignUp, and autoVerifyEmail / autoVerifyPhone only
// when the email / phone_number attribute is present (Cognito refuses them otherwise). An event
// it cannot read is an error, which makes Cognito refuse the sign-up rather than leave an
// unconfirmed user behind.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(payload, &raw); err != nil || raw == nil {
		return nil, errors.New("autoconfirm: the event is not a JSON object")
	}
	var ev events.CognitoEventUserPoolsPreSignup
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, errors.New("autoconfirm: the event is not a Cognito PreSignUp event")
	}
	if ev.TriggerSource != TriggerSignUp {
		h.Log.InfoContext(ctx, "presignup", "trigger_source", ev.TriggerSource, "auto_confirmed", false)
		return payload, nil
	}
	ev.Response.AutoConfirmUser = true
	ev.Response.AutoVerifyEmail = ev.Request.UserAttributes["email"] != ""
	ev.Response.AutoVerifyPhone = ev.Request.UserAttributes["phone_number"] != ""
	resp, err := json.Marshal(ev.Response)
	if err != nil {
		return nil, err
	}
	raw["response"] = resp
	h.Log.InfoContext(ctx, "presignup", "trigger_source", ev.TriggerSource, "auto_confirmed", true,
		"auto_verify_email", ev.Response.AutoVerifyEmail, "auto_verify_phone", ev.Response.AutoVerifyPhone)
	return json.Marshal(raw)
}
