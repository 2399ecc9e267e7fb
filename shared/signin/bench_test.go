package signin_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/signin-api/signin/shared/apigw"
	"github.com/signin-api/signin/shared/cognito/cognitotest"
	"github.com/signin-api/signin/shared/logging"
	"github.com/signin-api/signin/shared/signin"
)

// BenchmarkHandler is the warm cost of the success path for a returning user, one
// sub-benchmark per sample event (named after its file: signin-apigw-v1.json is apigw-v1),
// through aws-lambda-go's own handler as Lambda runs it, with JSON logs written to io.Discard.
// make bench runs it with -benchmem and puts ns/op, B/op and allocs/op in its table.
//
// The fake pool answers the user's correct password with one set of tokens issued before the
// loop, so the figures are the handler's work (decode, validate, SECRET_HASH, one Cognito
// call through the interface, log line, encode), not the fake's token minting.
func BenchmarkHandler(b *testing.B) {
	for _, s := range samples {
		name := strings.TrimSuffix(strings.TrimPrefix(s.file, "signin-"), ".json")
		if s.file == "signin.json" {
			name = "bare"
		}
		b.Run(name, func(b *testing.B) {
			pool := cognitotest.New(testPoolID, testClientID, testSecret)
			tokens := &cip.AdminInitiateAuthOutput{AuthenticationResult: pool.Tokens(sampleUsername, pool.AddUser(sampleUsername, samplePassword))}
			pool.AuthHook = func(_ context.Context, in *cip.AdminInitiateAuthInput) (*cip.AdminInitiateAuthOutput, error) {
				if in.AuthParameters["USERNAME"] == sampleUsername && in.AuthParameters["PASSWORD"] == samplePassword {
					return tokens, nil
				}
				return nil, nil // the pool answers, as it would anyway
			}
			h := lambda.NewHandler(&signin.Handler{Service: newService(pool), CORS: apigw.ParseCORS("*"), Log: logging.New(io.Discard)})
			payload := eventFile(b, s.file)
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "bench-request-id"})
			ctx, cancel := context.WithTimeout(ctx, time.Hour)
			defer cancel()

			// One call outside the loop proves this is the returning-user success path.
			out, err := h.Invoke(ctx, payload)
			if err != nil {
				b.Fatal(err)
			}
			if a := readAnswer(b, s.shape, out); a.body["status"] != "success" || a.body["is_new"] != false {
				b.Fatalf("body %s, want a returning user's success", a.raw)
			}
			if auth, signUp := pool.Calls(); auth != 1 || signUp != 0 {
				b.Fatalf("Cognito calls: %d auth, %d SignUp; want 1 and 0 (returning user)", auth, signUp)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.Invoke(ctx, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
