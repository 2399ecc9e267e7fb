// Command pretoken is the Cognito Pre Token Generation (V2_0) trigger that adds the session
// scope to this app client's access tokens.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/signin-api/signin/shared/logging"
	"github.com/signin-api/signin/shared/pretoken"
)

func main() {
	log := logging.New(os.Stdout)
	h := &pretoken.Handler{ClientID: os.Getenv("CLIENT_ID"), Scope: os.Getenv("SESSION_SCOPE"), Log: log}
	if h.ClientID == "" || h.Scope == "" {
		log.Error("pretoken: CLIENT_ID and SESSION_SCOPE must be set")
		os.Exit(1)
	}
	lambda.Start(h)
}
