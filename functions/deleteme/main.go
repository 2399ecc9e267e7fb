// Command deleteme is DELETE /me: the signed-in user deletes their own account.
package main

import (
	"log/slog"

	"github.com/aws/aws-lambda-go/lambda"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/signin-api/signin/shared/apigw"
	"github.com/signin-api/signin/shared/session"
)

func main() {
	session.Main(func(cfg session.Config, client *cip.Client, cors apigw.CORS, log *slog.Logger) lambda.Handler {
		// DeleteUser is authorized by the user's access token alone: no secret, no IAM. CLIENT_ID
		// limits it to access tokens of this API's app client.
		svc := &session.Service{Cognito: client, ClientID: cfg.ClientID}
		return &session.DeleteMeHandler{Service: svc, CORS: cors, Log: log}
	})
}
