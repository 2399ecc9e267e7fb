package cognito

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

const pw = "Corr3ct-horse"

// API_SignUp; "User pool attributes" (UsernameConfiguration.CaseSensitive false: a username
// matches whatever its case).
func TestSignUpCaseInsensitive(t *testing.T) {
	e := newEnv(t, nil)
	out, err := e.signUp("Alice", pw)
	if err != nil {
		t.Fatal(err)
	}
	if out.UserConfirmed || aws.ToString(out.UserSub) == "" {
		t.Errorf("SignUp = confirmed %v sub %q, want unconfirmed with a sub", out.UserConfirmed, aws.ToString(out.UserSub))
	}
	for _, name := range []string{"alice", "ALICE"} {
		_, err := e.signUp(name, pw)
		wantErr(t, err, "UsernameExistsException", "User already exists")
		got, err := e.api.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(e.poolID), Username: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		if sub, _ := attr(got.UserAttributes, "sub"); sub != *out.UserSub || *got.Username != "Alice" {
			t.Errorf("AdminGetUser(%s) = %s %s, want Alice %s", name, *got.Username, sub, *out.UserSub)
		}
	}
	list, err := e.api.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(e.poolID)})
	if err != nil || len(list.Users) != 1 || list.Users[0].UserCreateDate == nil || list.Users[0].UserStatus != types.UserStatusTypeUnconfirmed {
		t.Errorf("ListUsers = %+v, %v; want one UNCONFIRMED user with a creation date", list, err)
	}
	// An unconfirmed user cannot sign in (API_AdminInitiateAuth: UserNotConfirmedException).
	_, err = e.adminAuth("alice", pw)
	wantErr(t, err, "UserNotConfirmedException", "User is not confirmed.")
	if _, err := e.api.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: aws.String(e.poolID), Username: aws.String("aLiCe")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.adminAuth("ALICE", pw); err != nil {
		t.Errorf("sign-in after AdminConfirmSignUp: %v", err)
	}
}

func TestSignUpCaseSensitivePool(t *testing.T) {
	e := newEnv(t, func(_ *Options, p *cip.CreateUserPoolInput, _ *cip.CreateUserPoolClientInput) {
		p.UsernameConfiguration = &types.UsernameConfigurationType{CaseSensitive: aws.Bool(true)}
	})
	if _, err := e.signUp("Bob", pw); err != nil {
		t.Fatal(err)
	}
	if _, err := e.signUp("bob", pw); err != nil {
		t.Errorf("bob next to Bob in a case-sensitive pool: %v", err)
	}
}

// "Adding user pool password requirements"; API_SignUp InvalidPasswordException.
func TestPasswordPolicy(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct{ password, want string }{
		{"a", "Password did not conform with policy: Password not long enough"},
		{"abcdefgh", "Password did not conform with policy: Password must have numeric characters"},
		{"abcdefg1", "Password did not conform with policy: Password must have uppercase characters"},
		{"ABCDEFG1", "Password did not conform with policy: Password must have lowercase characters"},
	}
	for _, tt := range tests {
		_, err := e.signUp("weak", tt.password)
		wantErr(t, err, "InvalidPasswordException", tt.want)
	}
	if _, err := e.api.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(e.poolID), Username: aws.String("weak")}); err == nil {
		t.Error("a refused sign-up created the user")
	}
	_, err := e.api.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(e.poolID),
		Username: aws.String("nobody"), Password: aws.String(pw), Permanent: true})
	wantErr(t, err, "UserNotFoundException", "User does not exist.")
}

// "Computing secret hash values"; "User pool exceptions" (NotAuthorizedException).
func TestSecretHash(t *testing.T) {
	e := newEnv(t, nil)
	id := *e.client.ClientId
	missing := "Client " + id + " is configured for secret but secret was not received"
	wrong := "Unable to verify secret hash for client " + id
	_, err := e.api.SignUp(ctx, &cip.SignUpInput{ClientId: &id, Username: aws.String("u"), Password: aws.String(pw)})
	wantErr(t, err, "NotAuthorizedException", missing)
	_, err = e.api.SignUp(ctx, &cip.SignUpInput{ClientId: &id, Username: aws.String("u"), Password: aws.String(pw), SecretHash: e.secretHash("other")})
	wantErr(t, err, "NotAuthorizedException", wrong)

	e.confirmedUser(t, "carol", pw)
	for _, params := range []map[string]string{
		{"USERNAME": "carol", "PASSWORD": pw},
		{"USERNAME": "carol", "PASSWORD": pw, "SECRET_HASH": "d3Jvbmc="},
	} {
		_, err := e.api.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(e.poolID), ClientId: &id,
			AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: params})
		want := wrong
		if params["SECRET_HASH"] == "" {
			want = missing
		}
		wantErr(t, err, "NotAuthorizedException", want)
	}
}

// "Managing user existence error responses": ENABLED answers an unknown user like a wrong
// password; LEGACY says UserNotFoundException.
func TestPreventUserExistenceErrors(t *testing.T) {
	for _, tt := range []struct {
		setting   types.PreventUserExistenceErrorTypes
		code, msg string
	}{
		{types.PreventUserExistenceErrorTypesEnabled, "NotAuthorizedException", "Incorrect username or password."},
		{types.PreventUserExistenceErrorTypesLegacy, "UserNotFoundException", "User does not exist."},
	} {
		t.Run(string(tt.setting), func(t *testing.T) {
			e := newEnv(t, func(_ *Options, _ *cip.CreateUserPoolInput, c *cip.CreateUserPoolClientInput) {
				c.PreventUserExistenceErrors = tt.setting
			})
			_, err := e.adminAuth("nobody", pw)
			wantErr(t, err, tt.code, tt.msg)
			e.confirmedUser(t, "dave", pw)
			_, err = e.adminAuth("dave", "Wr0ng-password")
			wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")
		})
	}
}

// API_CreateUserPoolClient ExplicitAuthFlows; API_InitiateAuth.
func TestExplicitAuthFlows(t *testing.T) {
	e := newEnv(t, func(_ *Options, _ *cip.CreateUserPoolInput, c *cip.CreateUserPoolClientInput) {
		c.ExplicitAuthFlows = []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth}
	})
	e.confirmedUser(t, "erin", pw)
	_, err := e.api.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: e.client.ClientId, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "erin", "PASSWORD": pw, "SECRET_HASH": *e.secretHash("erin")}})
	wantErr(t, err, "InvalidParameterException", "Auth flow not enabled for this client")
	if _, err := e.adminAuth("erin", pw); err != nil {
		t.Errorf("the allowed flow: %v", err)
	}
}

// "Authentication flows" (user pool authentication): lockout after five failures, 1 s then
// doubling, "Password attempts exceeded" meanwhile even with the right password, reset by a
// success.
func TestLockout(t *testing.T) {
	e := newEnv(t, nil)
	e.confirmedUser(t, "frank", pw)
	for i := 0; i < 5; i++ {
		_, err := e.adminAuth("frank", "Wr0ng-password")
		wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")
	}
	_, err := e.adminAuth("frank", pw)
	wantErr(t, err, "NotAuthorizedException", "Password attempts exceeded")
	e.clock.Add(1100 * time.Millisecond)
	_, err = e.adminAuth("frank", "Wr0ng-password") // sixth failure: 2 s
	wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")
	e.clock.Add(1100 * time.Millisecond)
	_, err = e.adminAuth("frank", pw)
	wantErr(t, err, "NotAuthorizedException", "Password attempts exceeded")
	e.clock.Add(time.Second)
	if _, err := e.adminAuth("frank", pw); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
	// The success reset the count: one more failure does not lock.
	_, err = e.adminAuth("frank", "Wr0ng-password")
	wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")
	if _, err := e.adminAuth("frank", pw); err != nil {
		t.Errorf("after a reset count: %v", err)
	}
	// The lockout stops growing at about 15 minutes.
	for i := 0; i < 20; i++ {
		_, _ = e.adminAuth("frank", "Wr0ng-password")
		e.clock.Add(lockoutMax + time.Second)
	}
	_, _ = e.adminAuth("frank", "Wr0ng-password")
	e.clock.Add(lockoutMax + time.Second)
	if _, err := e.adminAuth("frank", pw); err != nil {
		t.Errorf("15 minutes after a long run of failures: %v", err)
	}
}

// API_AdminCreateUser (FORCE_CHANGE_PASSWORD, NEW_PASSWORD_REQUIRED), API_AdminDisableUser,
// API_AdminResetUserPassword (PasswordResetRequiredException).
func TestUserStatuses(t *testing.T) {
	e := newEnv(t, nil)
	_, err := e.api.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(e.poolID), Username: aws.String("gina"),
		TemporaryPassword: aws.String("weak")})
	wantErr(t, err, "InvalidPasswordException", "Password did not conform with policy: Password not long enough")
	created, err := e.api.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(e.poolID), Username: aws.String("gina"),
		TemporaryPassword: aws.String("Temp0rary-pass")})
	if err != nil {
		t.Fatal(err)
	}
	if created.User.UserStatus != types.UserStatusTypeForceChangePassword || !created.User.Enabled {
		t.Errorf("created user = %+v", created.User)
	}
	out, err := e.adminAuth("gina", "Temp0rary-pass")
	if err != nil {
		t.Fatal(err)
	}
	if out.ChallengeName != types.ChallengeNameTypeNewPasswordRequired || out.AuthenticationResult != nil || aws.ToString(out.Session) == "" ||
		out.ChallengeParameters["USER_ID_FOR_SRP"] != "gina" {
		t.Errorf("temporary password sign-in = %+v, want the NEW_PASSWORD_REQUIRED challenge", out)
	}
	// API_AdminRespondToAuthChallenge: the new password must meet the policy, then the user is
	// CONFIRMED and signed in.
	respond := func(password string) (*cip.AdminRespondToAuthChallengeOutput, error) {
		return e.api.AdminRespondToAuthChallenge(ctx, &cip.AdminRespondToAuthChallengeInput{UserPoolId: aws.String(e.poolID),
			ClientId: e.client.ClientId, ChallengeName: types.ChallengeNameTypeNewPasswordRequired, Session: out.Session,
			ChallengeResponses: map[string]string{"USERNAME": "gina", "NEW_PASSWORD": password, "SECRET_HASH": *e.secretHash("gina")}})
	}
	_, err = respond("weak")
	wantErr(t, err, "InvalidPasswordException", "Password did not conform with policy: Password not long enough")
	answered, err := respond(pw)
	if err != nil || answered.AuthenticationResult == nil || aws.ToString(answered.AuthenticationResult.IdToken) == "" {
		t.Fatalf("AdminRespondToAuthChallenge = %+v, %v", answered, err)
	}
	_, err = respond(pw)
	wantErr(t, err, "NotAuthorizedException", "Invalid session for the user, session is expired.")
	if _, err := e.adminAuth("gina", pw); err != nil {
		t.Fatal(err)
	}

	if _, err := e.api.AdminResetUserPassword(ctx, &cip.AdminResetUserPasswordInput{UserPoolId: aws.String(e.poolID), Username: aws.String("gina")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.adminAuth("gina", pw)
	wantErr(t, err, "PasswordResetRequiredException", "Password reset required for the user")

	e.confirmedUser(t, "hank", pw)
	signedIn, err := e.adminAuth("hank", pw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: aws.String(e.poolID), Username: aws.String("hank")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.adminAuth("hank", pw)
	wantErr(t, err, "NotAuthorizedException", "User is disabled.")
	_, err = e.api.GetUser(ctx, &cip.GetUserInput{AccessToken: signedIn.AuthenticationResult.AccessToken})
	wantErr(t, err, "NotAuthorizedException", "")

	if _, err := e.api.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(e.poolID), Username: aws.String("HANK")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.api.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(e.poolID), Username: aws.String("hank")})
	wantErr(t, err, "UserNotFoundException", "User does not exist.")
}

// Exactly one account per username, however many sign up at once.
func TestConcurrentSignUps(t *testing.T) {
	e := newEnv(t, nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	subs := map[string]bool{}
	exists := 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := []string{"ivy", "Ivy", "IVY"}[i%3]
			out, err := e.signUp(name, pw)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				subs[*out.UserSub] = true
			} else if strings.Contains(err.Error(), "UsernameExistsException") {
				exists++
			} else {
				t.Errorf("SignUp: %v", err)
			}
		}()
	}
	wg.Wait()
	if len(subs) != 1 || exists != 19 {
		t.Errorf("%d accounts created, %d UsernameExistsException; want 1 and 19", len(subs), exists)
	}
}
