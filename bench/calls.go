package bench

import (
	"context"
	"fmt"

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

// CallRow is item 1 for one design: Cognito calls per sign-in.
type CallRow struct {
	Design        string
	Returning     int
	NewUser       int
	WrongPassword int
	// Mix is the average over ReturningShare returning users and the rest new users.
	Mix float64
}

// CallsPerSignIn counts the Cognito calls of one sign-in of each kind, for each design, on a
// fresh in-memory pool (cognitotest) that answers as Cognito does with PreventUserExistenceErrors
// ENABLED. It checks each sign-in's outcome, so a count always belongs to the path it names.
func CallsPerSignIn(ctx context.Context) ([]CallRow, error) {
	const (
		poolID, clientID, secret = "us-east-1_BENCH", "benchclient", "bench-client-secret"
		username, password       = "returning-user", "Corr3ct-Horse!"
	)
	kinds := []struct {
		name     string
		existing bool
		password string
		wantOK   bool
	}{
		{"returning user", true, password, true},
		{"new user", false, password, true},
		{"wrong password", true, "not-the-password", false},
	}
	var rows []CallRow
	for _, d := range Designs {
		counts := make([]int, len(kinds))
		for i, k := range kinds {
			pool := cognitotest.New(poolID, clientID, secret)
			if k.existing {
				pool.AddUser(username, password)
			}
			_, _, err := d.New(pool, poolID, clientID, secret).SignIn(ctx, signin.Credentials{Username: username, Password: k.password})
			if (err == nil) != k.wantOK {
				return nil, fmt.Errorf("%s, %s: sign-in error %v", d.Name, k.name, err)
			}
			if !k.wantOK && signin.ErrorOf(err).Code != signin.CodeInvalidCredentials {
				return nil, fmt.Errorf("%s, %s: %v, want invalid_credentials", d.Name, k.name, err)
			}
			auth, signUp := pool.Calls()
			counts[i] = auth + signUp
		}
		rows = append(rows, CallRow{
			Design: d.Name, Returning: counts[0], NewUser: counts[1], WrongPassword: counts[2],
			Mix: ReturningShare*float64(counts[0]) + (1-ReturningShare)*float64(counts[1]),
		})
	}
	return rows, nil
}
