// Package pretoken is the Cognito Pre Token Generation trigger (event version V2_0) that adds
// one custom OAuth scope to the access tokens of one app client, at sign-in and at refresh, so
// that API Gateway methods asking for that scope accept them. It changes nothing else.
//
// AWS documentation followed: "Pre token generation Lambda trigger"
// (cognito/latest/developerguide/user-pool-lambda-pre-token-generation.html): the trigger
// sources, and response.claimsAndScopeOverrideDetails.accessTokenGeneration.scopesToAdd, which
// only a V2_0 (or V3_0) trigger of a pool on the Essentials or Plus plan may set.
package pretoken

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// The trigger sources of user authentication, after which Cognito issues the tokens the scope
// is added to: sign-in through the API, through managed login (the hosted UI), after a new
// password challenge, after device authentication, and the refresh of tokens. Any other source
// (TokenGeneration_ClientCredentials, which only V3_0 sends, or one added later) is left as it is.
const (
	SourceAuthentication       = "TokenGeneration_Authentication"
	SourceHostedAuth           = "TokenGeneration_HostedAuth"
	SourceNewPasswordChallenge = "TokenGeneration_NewPasswordChallenge"
	SourceAuthenticateDevice   = "TokenGeneration_AuthenticateDevice"
	SourceRefreshTokens        = "TokenGeneration_RefreshTokens"
)

var userSources = []string{SourceAuthentication, SourceHostedAuth, SourceNewPasswordChallenge, SourceAuthenticateDevice, SourceRefreshTokens}

// Handler is the trigger. It works on the raw event so that it returns the event exactly as
// Cognito sent it, but for the response it sets.
type Handler struct {
	// ClientID is the app client whose access tokens get the scope; other clients' tokens are
	// left untouched.
	ClientID string
	// Scope is the full scope to add ("signin-api/session.read").
	Scope string
	Log   *slog.Logger
}

var _ lambda.Handler = (*Handler)(nil)

// response is the part of the V2_0 response the trigger writes: only scopesToAdd, so that
// Cognito keeps every claim, group and other scope as it would have issued them.
type response struct {
	ClaimsAndScopeOverrideDetails struct {
		AccessTokenGeneration struct {
			ScopesToAdd []string `json:"scopesToAdd"`
		} `json:"accessTokenGeneration"`
	} `json:"claimsAndScopeOverrideDetails"`
}

// Invoke adds Scope to the access token when the event is a user authentication or refresh of
// ClientID, and returns every other event unchanged. An event it cannot read is an error, which
// makes Cognito refuse to issue the tokens rather than issue them without the scope.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(payload, &raw); err != nil || raw == nil {
		return nil, errors.New("pretoken: the event is not a JSON object")
	}
	var ev events.CognitoEventUserPoolsPreTokenGenV2_0
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, errors.New("pretoken: the event is not a Cognito Pre Token Generation V2_0 event")
	}
	switch {
	case !slices.Contains(userSources, ev.TriggerSource):
		h.Log.InfoContext(ctx, "pretoken", "trigger_source", ev.TriggerSource, "scope_added", false, "reason", "other_source")
		return payload, nil
	case ev.CallerContext.ClientID != h.ClientID:
		h.Log.InfoContext(ctx, "pretoken", "trigger_source", ev.TriggerSource, "scope_added", false, "reason", "other_client")
		return payload, nil
	case slices.Contains(ev.Request.Scopes, h.Scope):
		h.Log.InfoContext(ctx, "pretoken", "trigger_source", ev.TriggerSource, "scope_added", false, "reason", "already_granted")
		return payload, nil
	}
	var r response
	r.ClaimsAndScopeOverrideDetails.AccessTokenGeneration.ScopesToAdd = []string{h.Scope}
	resp, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	raw["response"] = resp
	h.Log.InfoContext(ctx, "pretoken", "trigger_source", ev.TriggerSource, "scope_added", true)
	return json.Marshal(raw)
}
