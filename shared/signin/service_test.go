package signin_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/signin-api/signin/shared/cognito/cognitotest"
	"github.com/signin-api/signin/shared/signin"
)

const (
	testPoolID   = "us-east-1_TESTPOOL"
	testClientID = "testclientid0123456789"
	testSecret   = "test-client-secret-0123456789abcdef"
)

func newService(pool *cognitotest.Pool) *signin.Service {
	return &signin.Service{Cognito: pool, UserPoolID: testPoolID, ClientID: testClientID, ClientSecret: pool.ClientSecret}
}

// TestSignInCallCounts proves the design's point: a returning user costs one Cognito call.
func TestSignInCallCounts(t *testing.T) {
	tests := []struct {
		name                 string
		existing             bool
		password             string
		wantAuth, wantSignUp int
		locked               bool // five wrong passwords first, as the pool counts them
		wantIsNew            bool
		wantCode             signin.Code
	}{
		{name: "returning user", existing: true, password: "Corr3ct-Horse!", wantAuth: 1},
		{name: "new user", password: "Corr3ct-Horse!", wantAuth: 2, wantSignUp: 1, wantIsNew: true},
		{name: "wrong password", existing: true, password: "wrong-password", wantAuth: 1, wantCode: signin.CodeInvalidCredentials},
		{name: "locked out", existing: true, locked: true, password: "Corr3ct-Horse!", wantAuth: 1, wantCode: signin.CodeTooManyAttempts},
	}
	for _, secret := range []string{testSecret, ""} {
		for _, tt := range tests {
			t.Run(tt.name+"/secret="+map[bool]string{true: "yes", false: "no"}[secret != ""], func(t *testing.T) {
				pool := cognitotest.New(testPoolID, testClientID, secret)
				var wantSub string
				if tt.existing {
					wantSub = pool.AddUser("alice", "Corr3ct-Horse!")
				}
				if tt.locked {
					lockOut(t, pool, "alice")
				}
				res, _, err := newService(pool).SignIn(context.Background(), signin.Credentials{Username: "alice", Password: tt.password})
				auth, signUp := pool.Calls()
				if auth != tt.wantAuth || signUp != tt.wantSignUp {
					t.Errorf("calls: AdminInitiateAuth %d, SignUp %d; want %d, %d", auth, signUp, tt.wantAuth, tt.wantSignUp)
				}
				if tt.wantCode != "" {
					if got := signin.ErrorOf(err).Code; err == nil || got != tt.wantCode {
						t.Fatalf("err = %v, want code %s", err, tt.wantCode)
					}
					return
				}
				if err != nil {
					t.Fatalf("SignIn: %v", err)
				}
				if res.IsNew != tt.wantIsNew {
					t.Errorf("IsNew = %v, want %v", res.IsNew, tt.wantIsNew)
				}
				if wantSub == "" {
					wantSub = pool.Sub("alice")
				}
				if res.UserID != wantSub || res.UserID == "" {
					t.Errorf("UserID = %q, want the user's sub %q", res.UserID, wantSub)
				}
				if res.IDToken == "" || res.AccessToken == "" || res.RefreshToken == "" || res.ExpiresIn != 3600 || res.TokenType != "Bearer" {
					t.Errorf("tokens incomplete: %+v", res)
				}
			})
		}
	}
}

// lockOut makes LockoutAfter wrong sign-ins for username, so the pool locks it, and resets the
// call counters.
func lockOut(t *testing.T, pool *cognitotest.Pool, username string) {
	t.Helper()
	for range cognitotest.LockoutAfter {
		_, _, err := newService(pool).SignIn(context.Background(), signin.Credentials{Username: username, Password: "Wr0ng-password"})
		if got := signin.ErrorOf(err).Code; got != signin.CodeInvalidCredentials {
			t.Fatalf("wrong password: %v, want invalid_credentials", err)
		}
	}
	pool.ResetCalls()
}

// TestLockout: four wrong passwords leave the right one working (each costs one strike, not
// two); the fifth locks the account, and the right password then gets too_many_attempts with
// Retry-After until the lock ends.
func TestLockout(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	pool := cognitotest.New(testPoolID, testClientID, testSecret)
	pool.Now = func() time.Time { return now }
	pool.AddUser("ivy", "Corr3ct-Horse!")
	svc := newService(pool)
	signIn := func(password string) signin.Code {
		_, _, err := svc.SignIn(context.Background(), signin.Credentials{Username: "ivy", Password: password})
		if err == nil {
			return ""
		}
		return signin.ErrorOf(err).Code
	}
	for i := range cognitotest.LockoutAfter - 1 {
		if got := signIn("Wr0ng-password"); got != signin.CodeInvalidCredentials {
			t.Fatalf("wrong password %d: %q", i+1, got)
		}
	}
	if got := signIn("Corr3ct-Horse!"); got != "" {
		t.Fatalf("right password after %d wrong ones: %q, want success", cognitotest.LockoutAfter-1, got)
	}
	for range cognitotest.LockoutAfter {
		signIn("Wr0ng-password")
	}
	if got := signIn("Corr3ct-Horse!"); got != signin.CodeTooManyAttempts {
		t.Fatalf("right password while locked: %q, want too_many_attempts", got)
	}
	if got := signin.CodeTooManyAttempts.RetryAfter(); got <= 0 {
		t.Errorf("too_many_attempts RetryAfter %d, want a wait", got)
	}
	now = now.Add(time.Second)
	if got := signIn("Corr3ct-Horse!"); got != "" {
		t.Fatalf("right password once the 1 s lock is over: %q, want success", got)
	}
	if auth, signUp := pool.Calls(); signUp != 0 || auth != 2*cognitotest.LockoutAfter+2 {
		t.Errorf("calls: %d auth, %d SignUp; want one auth per attempt and no SignUp", auth, signUp)
	}
}

// TestSignInUserIDIsStable: the user id is the Cognito sub, the same at sign-up and after.
func TestSignInUserIDIsStable(t *testing.T) {
	pool := cognitotest.New(testPoolID, testClientID, testSecret)
	svc := newService(pool)
	creds := signin.Credentials{Username: "bob", Password: "Corr3ct-Horse!"}
	first, _, err := svc.SignIn(context.Background(), creds)
	if err != nil {
		t.Fatal(err)
	}
	second, _, err := svc.SignIn(context.Background(), creds)
	if err != nil {
		t.Fatal(err)
	}
	if !first.IsNew || second.IsNew {
		t.Errorf("IsNew: first %v, second %v; want true, false", first.IsNew, second.IsNew)
	}
	if first.UserID != second.UserID || first.UserID != pool.Sub("bob") {
		t.Errorf("user ids %q then %q, want the sub %q both times", first.UserID, second.UserID, pool.Sub("bob"))
	}
}

// TestSignInConcurrentFirstSignIns: first sign-ins of one username racing with the same
// password all succeed with one user_id, and exactly one says is_new. Every racer is told
// UserNotFoundException before any SignUp lands; then, as Cognito's SignUp is atomic, one
// creates the user and the others get UsernameExistsException
// (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_SignUp.html).
// What this tests is the losers' handling of it: one more AdminInitiateAuth, is_new false.
// (local/stack's TestConcurrentFirstSignIns runs the same race against the local user pool.)
func TestSignInConcurrentFirstSignIns(t *testing.T) {
	const racers = 4
	pool := cognitotest.New(testPoolID, testClientID, testSecret)
	race := &racingSignUps{Pool: pool, racers: racers, arrived: make(chan struct{})}
	svc := newService(pool)
	svc.Cognito = race
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a test that hangs fails instead
	defer cancel()
	results := make([]signin.Result, racers)
	stats := make([]signin.Stats, racers)
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], stats[i], errs[i] = svc.SignIn(ctx, signin.Credentials{Username: "carol", Password: "Corr3ct-Horse!"})
		}()
	}
	wg.Wait()
	if race.exists.Load() != racers-1 {
		t.Fatalf("%d SignUps answered UsernameExistsException, want %d: the racers did not race", race.exists.Load(), racers-1)
	}
	newCount := 0
	for i := range racers {
		if errs[i] != nil {
			t.Fatalf("racer %d: %v", i, errs[i])
		}
		if results[i].IsNew {
			newCount++
		}
		if results[i].UserID != pool.Sub("carol") {
			t.Errorf("racer %d: user id %q, want %q", i, results[i].UserID, pool.Sub("carol"))
		}
		if stats[i].CognitoCalls != 3 {
			t.Errorf("racer %d: %d Cognito calls, want 3 (auth, SignUp, auth)", i, stats[i].CognitoCalls)
		}
	}
	if newCount != 1 {
		t.Errorf("%d racers said is_new, want exactly 1", newCount)
	}
	if pool.Users() != 1 {
		t.Errorf("pool has %d users, want 1", pool.Users())
	}
}

// racingSignUps is the pool with its SignUps held until every racer has sent one, and so has
// been told UserNotFoundException by AdminInitiateAuth: then the pool answers each, one
// creating the user, the others UsernameExistsException, which it counts.
type racingSignUps struct {
	*cognitotest.Pool
	racers  int
	mu      sync.Mutex
	count   int
	arrived chan struct{} // closed when the last racer's SignUp arrives
	exists  atomic.Int64
}

func (r *racingSignUps) SignUp(ctx context.Context, in *cip.SignUpInput, o ...func(*cip.Options)) (*cip.SignUpOutput, error) {
	r.mu.Lock()
	if r.count++; r.count == r.racers {
		close(r.arrived)
	}
	r.mu.Unlock()
	select {
	case <-r.arrived:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	out, err := r.Pool.SignUp(ctx, in, o...)
	var exists *types.UsernameExistsException
	if errors.As(err, &exists) {
		r.exists.Add(1)
	}
	return out, err
}

// TestSignInCognitoErrors maps every Cognito answer that matters to the client's code.
func TestSignInCognitoErrors(t *testing.T) {
	tests := []struct {
		name          string
		existing      bool
		authErr       error
		authOut       *cip.AdminInitiateAuthOutput
		signUpErr     error
		failAuthAfter bool // fail only the auth after a successful SignUp
		wantCode      signin.Code
		wantMsg       string
		wantChallenge string
		wantCreated   bool
		wantCalls     int
	}{
		{name: "user not confirmed", existing: true, authErr: &types.UserNotConfirmedException{Message: aws.String("User is not confirmed.")}, wantCode: signin.CodeUserNotConfirmed, wantCalls: 1},
		{name: "password reset required", existing: true, authErr: &types.PasswordResetRequiredException{Message: aws.String("Password reset required for the user")}, wantCode: signin.CodePasswordResetRequired, wantCalls: 1},
		{name: "challenge", existing: true, authOut: &cip.AdminInitiateAuthOutput{ChallengeName: types.ChallengeNameTypeNewPasswordRequired, Session: aws.String("session")}, wantCode: signin.CodeChallengeRequired, wantChallenge: "NEW_PASSWORD_REQUIRED", wantCalls: 1},
		{name: "throttled auth", existing: true, authErr: &types.TooManyRequestsException{Message: aws.String("Rate exceeded")}, wantCode: signin.CodeTooManyRequests, wantCalls: 1},
		{name: "limit exceeded", existing: true, authErr: &types.LimitExceededException{Message: aws.String("Attempt limit exceeded")}, wantCode: signin.CodeTooManyRequests, wantCalls: 1},
		{name: "cognito internal error", existing: true, authErr: &types.InternalErrorException{Message: aws.String("Internal error")}, wantCode: signin.CodeServiceUnavailable, wantCalls: 1},
		{name: "deadline", existing: true, authErr: context.DeadlineExceeded, wantCode: signin.CodeServiceUnavailable, wantCalls: 1},
		{name: "unknown pool", existing: true, authErr: &types.ResourceNotFoundException{Message: aws.String("User pool does not exist.")}, wantCode: signin.CodeInternal, wantCalls: 1},
		{name: "flow not enabled", existing: true, authErr: &types.InvalidParameterException{Message: aws.String("Auth flow not enabled for this client")}, wantCode: signin.CodeInternal, wantCalls: 1},
		{name: "wrong password", existing: true, authErr: &types.NotAuthorizedException{Message: aws.String("Incorrect username or password.")}, wantCode: signin.CodeInvalidCredentials, wantCalls: 1},
		{name: "disabled user", existing: true, authErr: &types.NotAuthorizedException{Message: aws.String("User is disabled.")}, wantCode: signin.CodeInvalidCredentials, wantCalls: 1},
		{name: "locked out", existing: true, authErr: &types.NotAuthorizedException{Message: aws.String("Password attempts exceeded")}, wantCode: signin.CodeTooManyAttempts, wantCalls: 1},
		// Our SECRET_HASH is wrong (a rotated or mistyped client secret): our configuration, not
		// the user's password, and no lockout strike is spent on it.
		{name: "wrong client secret", existing: true, authErr: &types.NotAuthorizedException{Message: aws.String("Unable to verify secret hash for client 1example23456789")}, wantCode: signin.CodeInternal, wantCalls: 1},
		{name: "unknown user, taken meanwhile", authErr: &types.UserNotFoundException{Message: aws.String("User does not exist.")}, signUpErr: &types.UsernameExistsException{Message: aws.String("User already exists")}, wantCode: signin.CodeInvalidCredentials, wantCalls: 3},
		{name: "password policy", signUpErr: &types.InvalidPasswordException{Message: aws.String("Password did not conform with policy: Password not long enough")}, wantCode: signin.CodeInvalidPassword, wantMsg: "Password did not conform with policy: Password not long enough.", wantCalls: 2},
		{name: "password policy, other text", signUpErr: &types.InvalidPasswordException{Message: aws.String("something internal")}, wantCode: signin.CodeInvalidPassword, wantMsg: "The password does not meet the requirements of this service.", wantCalls: 2},
		{name: "trigger refused", signUpErr: &types.UserLambdaValidationException{Message: aws.String("PreSignUp failed with error nope.")}, wantCode: signin.CodeSignupRejected, wantCalls: 2},
		{name: "trigger unreachable", signUpErr: &types.UnexpectedLambdaException{Message: aws.String("boom")}, wantCode: signin.CodeServiceUnavailable, wantCalls: 2},
		{name: "trigger answered nonsense", signUpErr: &types.InvalidLambdaResponseException{Message: aws.String("bad")}, wantCode: signin.CodeServiceUnavailable, wantCalls: 2},
		{name: "username refused by pool", signUpErr: &types.InvalidParameterException{Message: aws.String("Username cannot be of email format")}, wantCode: signin.CodeInvalidRequest, wantCalls: 2},
		{name: "sign-up throttled", signUpErr: &types.TooManyRequestsException{Message: aws.String("Rate exceeded")}, wantCode: signin.CodeTooManyRequests, wantCalls: 2},
		{name: "secret hash mismatch on sign-up", signUpErr: &types.NotAuthorizedException{Message: aws.String("Unable to verify secret hash")}, wantCode: signin.CodeInternal, wantCalls: 2},
		{name: "auth after sign-up fails", failAuthAfter: true, authErr: &types.InternalErrorException{Message: aws.String("Internal error")}, wantCode: signin.CodeServiceUnavailable, wantCreated: true, wantCalls: 3},
		{name: "trigger not wired", failAuthAfter: true, authErr: &types.UserNotConfirmedException{Message: aws.String("User is not confirmed.")}, wantCode: signin.CodeUserNotConfirmed, wantCreated: true, wantCalls: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool := cognitotest.New(testPoolID, testClientID, testSecret)
			if tt.existing {
				pool.AddUser("dave", "Corr3ct-Horse!")
			}
			pool.AuthHook = func(ctx context.Context, in *cip.AdminInitiateAuthInput) (*cip.AdminInitiateAuthOutput, error) {
				if tt.failAuthAfter && pool.Users() == 0 {
					return nil, nil // the first auth: unknown user, as the pool says
				}
				return tt.authOut, tt.authErr
			}
			pool.SignUpHook = func(ctx context.Context, in *cip.SignUpInput) (*cip.SignUpOutput, error) {
				return nil, tt.signUpErr
			}
			_, st, err := newService(pool).SignIn(context.Background(), signin.Credentials{Username: "dave", Password: "Corr3ct-Horse!"})
			e := signin.ErrorOf(err)
			if err == nil || e.Code != tt.wantCode {
				t.Fatalf("err = %v, want code %s", err, tt.wantCode)
			}
			if tt.wantMsg != "" && e.Message != tt.wantMsg {
				t.Errorf("message %q, want %q", e.Message, tt.wantMsg)
			}
			if e.Challenge != tt.wantChallenge {
				t.Errorf("challenge %q, want %q", e.Challenge, tt.wantChallenge)
			}
			if e.AccountCreated != tt.wantCreated {
				t.Errorf("AccountCreated %v, want %v", e.AccountCreated, tt.wantCreated)
			}
			if st.CognitoCalls != tt.wantCalls {
				t.Errorf("%d Cognito calls, want %d", st.CognitoCalls, tt.wantCalls)
			}
			if tt.wantCode == signin.CodeInternal && e.Cause == nil {
				t.Error("internal error lost its cause, which the log needs")
			}
		})
	}
}

// TestOneAccountPerName: what a person types as one name on two devices (NFC and NFD, full
// width, another case) and one password with another kind of space reach one account.
func TestOneAccountPerName(t *testing.T) {
	tests := []struct {
		name         string
		first, again signin.Credentials
		wantUsername string // as sent to Cognito
	}{
		{"NFC then NFD", signin.Credentials{Username: "caf\u00e9", Password: "Corr3ct-Horse!"}, signin.Credentials{Username: "cafe\u0301", Password: "Corr3ct-Horse!"}, "caf\u00e9"},
		{"full width then ASCII", signin.Credentials{Username: "ａｌｉｃｅ", Password: "Corr3ct-Horse!"}, signin.Credentials{Username: "alice", Password: "Corr3ct-Horse!"}, "alice"},
		{"upper then lower case", signin.Credentials{Username: "Bob", Password: "Corr3ct-Horse!"}, signin.Credentials{Username: "BOB", Password: "Corr3ct-Horse!"}, "bob"},
		{"no-break space in the password", signin.Credentials{Username: "carol", Password: "correct\u00a0horse 9A"}, signin.Credentials{Username: "carol", Password: "correct horse 9A"}, "carol"},
		{"password NFD then NFC", signin.Credentials{Username: "dan", Password: "Pa\u0073\u0301word9"}, signin.Credentials{Username: "dan", Password: "Pa\u015bword9"}, "dan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool := cognitotest.New(testPoolID, testClientID, testSecret)
			svc := newService(pool)
			first, err := tt.first.Normalize()
			if err != nil {
				t.Fatal(err)
			}
			res1, _, err := svc.SignIn(context.Background(), first)
			if err != nil || !res1.IsNew {
				t.Fatalf("first sign-in: %+v %v", res1, err)
			}
			again, err := tt.again.Normalize()
			if err != nil {
				t.Fatal(err)
			}
			res2, _, err := svc.SignIn(context.Background(), again)
			if err != nil || res2.IsNew || res2.UserID != res1.UserID {
				t.Fatalf("second sign-in: %+v %v; want the same account", res2, err)
			}
			if pool.Sub(tt.wantUsername) != res1.UserID || pool.Users() != 1 {
				t.Errorf("the pool holds %d users; want one, named %q", pool.Users(), tt.wantUsername)
			}
		})
	}
}
