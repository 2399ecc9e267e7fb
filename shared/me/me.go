// Package me is GET /me: who the caller is, as the API Gateway Cognito authorizer vouched for
// it in requestContext.authorizer.claims. The function trusts the authorizer and reads no token.
package me

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/signin-api/signin/shared/apigw"
)

// Handler answers GET /me.
type Handler struct {
	CORS apigw.CORS
	Log  *slog.Logger
}

// body is the answer of GET /me.
type body struct {
	UserID   string `json:"user_id"`
	Username string `json:"username"`
}

// failure is the answer when the event carries no verified claims: the route is not behind
// the authorizer, which is a deployment mistake, never something to guess around.
type failure struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Msg    string `json:"msg"`
}

// Handle reads the caller's sub and username from the authorizer's claims.
func (h *Handler) Handle(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	headers := apigw.JSONHeaders()
	h.CORS.AddHeaders(headers, apigw.Header(ev.Headers, ev.MultiValueHeaders, "Origin"))
	claims, _ := ev.RequestContext.Authorizer["claims"].(map[string]any)
	sub, _ := claims["sub"].(string)
	username, _ := claims["cognito:username"].(string)
	if sub == "" {
		h.Log.WarnContext(ctx, "me", "outcome", "no_claims")
		b, _ := json.Marshal(failure{Status: "fail", Error: "unauthorized", Msg: "This request carries no verified identity."})
		return events.APIGatewayProxyResponse{StatusCode: 401, Headers: headers, Body: string(b)}, nil
	}
	h.Log.InfoContext(ctx, "me", "outcome", "success")
	b, _ := json.Marshal(body{UserID: sub, Username: username})
	return events.APIGatewayProxyResponse{StatusCode: 200, Headers: headers, Body: string(b)}, nil
}
