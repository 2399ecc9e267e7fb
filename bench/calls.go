package bench

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/signin-api/signin/bench/original"
	"github.com/signin-api/signin/shared/cognito"
	"github.com/signin-api/signin/shared/cognito/cognitotest"
	"github.com/signin-api/signin/shared/signin"
)

// ReturningShare is the share of returning users in the mix whose average cost item 1 reports
// (the rest are new users).
const ReturningShare = 0.9

// Design is one of the two sign-in flows compared.
type Design struct {
	// Name is how the report calls it.
	Name string
	// New builds the flow over a Cognito client.
	New func(api cognito.API, poolID, clientID, secret string) SignInFlow
}

// SignInFlow is what both designs do: *signin.Service and *original.Service.
type SignInFlow interface {
	SignIn(ctx context.Context, c signin.Credentials) (signin.Result, signin.Stats, error)
}

// Designs are this service's design and the original tutorial's, in the report's column order.
var Designs = []Design{
	{Name: "this design", New: func(api cognito.API, poolID, clientID, secret string) SignInFlow {
		return &signin.Service{Cognito: api, UserPoolID: poolID, ClientID: clientID, ClientSecret: secret}
	}},
	{Name: "original order", New: func(api cognito.API, poolID, clientID, secret string) SignInFlow {
		return &original.Service{Cognito: api, UserPoolID: poolID, ClientID: clientID, ClientSecret: secret}
	}},
}

// CallRow is item 1 for one design: Cognito calls per sign-in, for each of the five outcomes.
type CallRow struct {
	Design        string
	Returning     int
	NewUser       int
	WrongPassword int
	// Locked is a sign-in of an account that Cognito has locked after repeated wrong passwords.
	Locked int
	// Concurrent is a first sign-in that loses the race to create the account to another request
	// with the same password: it still signs in.
	Concurrent int
	// Mix is the average over ReturningShare returning users and the rest new users.
	Mix float64
}

// CallsPerSignIn counts the Cognito calls of one sign-in of each kind, for each design, on a
// fresh in-memory pool (cognitotest) that answers as Cognito does with PreventUserExistenceErrors
// LEGACY. It checks each sign-in's outcome, so a count always belongs to the path it names.
func CallsPerSignIn(ctx context.Context) ([]CallRow, error) {
	const (
		poolID, clientID, secret = "us-east-1_BENCH", "benchclient", "bench-client-secret"
		username, password       = "returning-user", "Corr3ct-Horse!"
	)
	kinds := []struct {
		name     string
		existing bool
		locked   bool // LockoutAfter wrong passwords before the counted sign-in
		race     bool // the user appears between the first auth and SignUp
		password string
		wantCode signin.Code // "" for success
		// origCode is the original order's code where it differs: the tutorial calls a locked
		// account's refusal invalid_credentials.
		origCode signin.Code
	}{
		{name: "returning user", existing: true, password: password},
		{name: "new user", password: password},
		{name: "wrong password", existing: true, password: "not-the-password", wantCode: signin.CodeInvalidCredentials},
		{name: "locked account", existing: true, locked: true, password: password, wantCode: signin.CodeTooManyAttempts, origCode: signin.CodeInvalidCredentials},
		{name: "concurrent first sign-in", race: true, password: password},
	}
	var rows []CallRow
	for _, d := range Designs {
		counts := make([]int, len(kinds))
		for i, k := range kinds {
			pool := cognitotest.New(poolID, clientID, secret)
			if k.existing {
				pool.AddUser(username, password)
			}
			flow := d.New(pool, poolID, clientID, secret)
			if k.locked {
				for range cognitotest.LockoutAfter {
					_, _, _ = flow.SignIn(ctx, signin.Credentials{Username: username, Password: "Wr0ng-password"})
				}
				pool.ResetCalls()
			}
			if k.race {
				// The other request's SignUp lands just before ours: the first call our flow
				// makes (auth or SignUp) still sees no user, the next one sees it.
				pool.AuthHook = raceHook(pool, username, password)
				pool.SignUpHook = func(context.Context, *cip.SignUpInput) (*cip.SignUpOutput, error) {
					if pool.Sub(username) == "" {
						pool.AddUser(username, password)
					}
					return nil, nil
				}
			}
			_, _, err := flow.SignIn(ctx, signin.Credentials{Username: username, Password: k.password})
			want := k.wantCode
			if k.origCode != "" && d.Name == "original order" {
				want = k.origCode
			}
			if code := codeOf(err); code != want {
				return nil, fmt.Errorf("%s, %s: sign-in error %v, want %q", d.Name, k.name, err, want)
			}
			auth, signUp := pool.Calls()
			counts[i] = auth + signUp
		}
		rows = append(rows, CallRow{
			Design: d.Name, Returning: counts[0], NewUser: counts[1], WrongPassword: counts[2],
			Locked: counts[3], Concurrent: counts[4],
			Mix: ReturningShare*float64(counts[0]) + (1-ReturningShare)*float64(counts[1]),
		})
	}
	return rows, nil
}

// raceHook answers the first AdminInitiateAuth as if the user did not exist yet, and lets the
// pool answer every later one.
func raceHook(pool *cognitotest.Pool, username, password string) func(context.Context, *cip.AdminInitiateAuthInput) (*cip.AdminInitiateAuthOutput, error) {
	first := true
	return func(context.Context, *cip.AdminInitiateAuthInput) (*cip.AdminInitiateAuthOutput, error) {
		if first && pool.Sub(username) == "" {
			first = false
			return nil, &types.UserNotFoundException{Message: aws.String("User does not exist.")}
		}
		return nil, nil
	}
}

func codeOf(err error) signin.Code {
	if err == nil {
		return ""
	}
	return signin.ErrorOf(err).Code
}
