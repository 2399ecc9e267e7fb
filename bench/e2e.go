package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/signin-api/signin/shared/cognito"
)

// e2eWarmUp is how many untimed sign-ins each design gets first: the first starts its process.
const e2eWarmUp = 5

// E2EResult is item 5: returning-user sign-ins through the API Gateway stand-in, timed by the
// HTTP client.
type E2EResult struct {
	Ours, Original Summary
	// Users is how many returning users were signed in in turn.
	Users int
	// ColdStartsTimed counts processes started during the timed sign-ins (0 means every timed
	// sign-in reached a warm instance).
	ColdStartsTimed int
	// Auth and SignUpExisting time the local Cognito alone, called directly: AdminInitiateAuth of a
	// returning user, and SignUp of an existing username (UsernameExistsException), the two
	// calls the original order makes. They explain the local ratio.
	Auth, SignUpExisting Summary
}

// directCalls is how many direct local Cognito calls of each kind are timed.
const directCalls = 50

// EndToEnd signs returning users in n times through each design's route (POST /signin and POST
// /signin-original) over real HTTP against the local Cognito, interleaved (alternating which goes
// first) so both see the same local Cognito state: the local Cognito rewrites its state file on
// every sign-in, which slows it down as the run goes on.
func EndToEnd(ctx context.Context, ls *localStack, n int) (E2EResult, error) {
	paths := []string{"signin", OriginalPath}
	for _, path := range paths {
		for i := 0; i < e2eWarmUp; i++ {
			if _, err := ls.returningSignIn(ctx, path, e2eUsers[i%len(e2eUsers)]); err != nil {
				return E2EResult{}, err
			}
		}
	}
	startsBefore := ls.starts("signin", OriginalKey)
	lat := make([][]time.Duration, len(paths))
	for i := 0; i < n; i++ {
		u := e2eUsers[i%len(e2eUsers)]
		order := []int{0, 1}
		if i%2 == 1 {
			order = []int{1, 0}
		}
		for _, d := range order {
			took, err := ls.returningSignIn(ctx, paths[d], u)
			if err != nil {
				return E2EResult{}, err
			}
			lat[d] = append(lat[d], took)
		}
	}
	res := E2EResult{
		Ours: Summarize(lat[0]), Original: Summarize(lat[1]), Users: len(e2eUsers),
		ColdStartsTimed: ls.starts("signin", OriginalKey) - startsBefore,
	}
	var err error
	res.Auth, res.SignUpExisting, err = ls.directCalls(ctx, directCalls)
	return res, err
}

// directCalls times n AdminInitiateAuth and n SignUp-of-an-existing-user calls straight to
// the local Cognito through the SDK, interleaved.
func (ls *localStack) directCalls(ctx context.Context, n int) (auth, signUp Summary, err error) {
	api := ls.st.CognitoClient()
	client := ls.st.Pool.Clients["UserPoolClient"]
	var authLat, signUpLat []time.Duration
	for i := 0; i < n; i++ {
		u := e2eUsers[i%len(e2eUsers)]
		hash := cognito.SecretHash(u.Username, client.ID, client.Secret)
		start := time.Now()
		_, err := api.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(client.ID), Username: aws.String(u.Username),
			Password: aws.String(u.Password), SecretHash: aws.String(hash)})
		signUpLat = append(signUpLat, time.Since(start))
		var exists *types.UsernameExistsException
		if !errors.As(err, &exists) {
			return auth, signUp, fmt.Errorf("SignUp of existing user %s: %v, want UsernameExistsException", u.Username, err)
		}
		start = time.Now()
		_, err = api.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
			UserPoolId: aws.String(ls.st.Pool.ID), ClientId: aws.String(client.ID), AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": u.Username, "PASSWORD": u.Password, "SECRET_HASH": hash},
		})
		authLat = append(authLat, time.Since(start))
		if err != nil {
			return auth, signUp, fmt.Errorf("AdminInitiateAuth of %s: %w", u.Username, err)
		}
	}
	return Summarize(authLat), Summarize(signUpLat), nil
}

// returningSignIn signs u in through path and checks it was a returning user's success.
func (ls *localStack) returningSignIn(ctx context.Context, path string, u user) (time.Duration, error) {
	r, err := ls.signIn(ctx, path, u)
	if err != nil {
		return 0, err
	}
	if r.Status != http.StatusOK || r.Body["status"] != "success" || r.Body["is_new"] != false {
		return 0, fmt.Errorf("POST /%s as %s: status %d, %v %v; want a returning user's success", path, u.Username, r.Status, r.Body["status"], r.Body["error"])
	}
	return r.Latency, nil
}

// starts is how many processes the stack's pools of keys have started.
func (ls *localStack) starts(keys ...string) int {
	n := 0
	for _, k := range keys {
		if p, ok := ls.st.Function(k); ok {
			n += p.Stats().Starts
		}
	}
	return n
}
