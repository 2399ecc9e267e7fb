// Package sessioninfo is GET /session: the session of the caller's access token, as the API
// Gateway Cognito authorizer vouched for it in requestContext.authorizer.claims (user, app
// client, scopes and expiry). The route asks for an OAuth scope, so API Gateway took an access
// token; the function trusts the authorizer and reads no token.
package sessioninfo

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/signin-api/signin/shared/apigw"
)

// Handler answers GET /session.
type Handler struct {
	CORS apigw.CORS
	Log  *slog.Logger
}

// body is the answer of GET /session.
type body struct {
	UserID   string `json:"user_id"`
	Username string `json:"username"`
	ClientID string `json:"client_id"`
	// Scopes are the access token's scopes, in the token's order.
	Scopes []string `json:"scopes"`
	// ExpiresAt is the access token's exp, RFC 3339 in UTC.
	ExpiresAt string `json:"expires_at"`
}

// failure is the answer when the event carries no verified access-token claims: the route is
// not behind a scoped authorizer, which is a deployment mistake, never something to guess around.
type failure struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Msg    string `json:"msg"`
}

// javaDate is how API Gateway's REST API passes exp and iat: Java's Date.toString in UTC
// ("Sat Nov 21 21:58:00 UTC 2026").
const javaDate = "Mon Jan 02 15:04:05 MST 2006"

// Handle reads the session from the authorizer's claims of an access token: sub, username,
// client_id, scope (space-separated) and exp.
func (h *Handler) Handle(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	headers := apigw.JSONHeaders()
	h.CORS.AddHeaders(headers, apigw.Header(ev.Headers, ev.MultiValueHeaders, "Origin"))
	claims, _ := ev.RequestContext.Authorizer["claims"].(map[string]any)
	str := func(name string) string { s, _ := claims[name].(string); return s }
	exp, expErr := time.Parse(javaDate, str("exp"))
	if str("sub") == "" || str("token_use") != "access" || expErr != nil {
		h.Log.WarnContext(ctx, "session", "outcome", "no_claims")
		b, _ := json.Marshal(failure{Status: "fail", Error: "unauthorized", Msg: "This request carries no verified access token."})
		return events.APIGatewayProxyResponse{StatusCode: 401, Headers: headers, Body: string(b)}, nil
	}
	h.Log.InfoContext(ctx, "session", "outcome", "success")
	b, _ := json.Marshal(body{
		UserID:    str("sub"),
		Username:  str("username"),
		ClientID:  str("client_id"),
		Scopes:    append([]string{}, strings.Fields(str("scope"))...),
		ExpiresAt: exp.UTC().Format(time.RFC3339),
	})
	return events.APIGatewayProxyResponse{StatusCode: 200, Headers: headers, Body: string(b)}, nil
}
