package bench

import (
	"context"
	"math"
	"testing"
)

// TestCallsPerSignIn: one call for a returning user, a wrong password and a locked account,
// three for a new user and for a first sign-in that loses the race to create the account,
// against two always for the original order; 1.2 against 2.0 for a 90/10 mix.
func TestCallsPerSignIn(t *testing.T) {
	got, err := CallsPerSignIn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []CallRow{
		{Design: "this design", Returning: 1, NewUser: 3, WrongPassword: 1, Locked: 1, Concurrent: 3, Mix: 1.2},
		{Design: "original order", Returning: 2, NewUser: 2, WrongPassword: 2, Locked: 2, Concurrent: 2, Mix: 2.0},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Design != w.Design || g.Returning != w.Returning || g.NewUser != w.NewUser ||
			g.WrongPassword != w.WrongPassword || g.Locked != w.Locked || g.Concurrent != w.Concurrent || math.Abs(g.Mix-w.Mix) > 1e-9 {
			t.Errorf("row %d = %+v, want %+v", i, g, w)
		}
	}
}
