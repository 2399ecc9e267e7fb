// Package cognitotest is an in-memory Cognito user pool for unit tests, benchmarks and fuzzing:
// it answers AdminInitiateAuth, SignUp, GetTokensFromRefreshToken, RevokeToken, GlobalSignOut
// and DeleteUser as Cognito does for a confidential app client with PreventUserExistenceErrors
// LEGACY, refresh token rotation, token revocation and an auto-confirming PreSignUp trigger,
// locks a user out after five wrong passwords, counts the calls, checks the inputs it is given,
// and lets a test replace any answer.
package cognitotest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/signin-api/signin/shared/cognito"
)

// Pool is a fake user pool. Its zero value is not ready: use New.
type Pool struct {
	UserPoolID   string
	ClientID     string
	ClientSecret string

	// AuthHook and SignUpHook, when set, answer instead of the pool; returning (nil, nil) lets
	// the pool answer. They run after the call is counted and its input checked.
	AuthHook   func(ctx context.Context, in *cip.AdminInitiateAuthInput) (*cip.AdminInitiateAuthOutput, error)
	SignUpHook func(ctx context.Context, in *cip.SignUpInput) (*cip.SignUpOutput, error)

	// Now is the pool's clock, for the lockout; nil is time.Now.
	Now func() time.Time

	authCalls, signUpCalls, tokenCalls atomic.Int64

	mu    sync.Mutex
	users map[string]*user
	// refresh and access map each live token the pool issued to its grant.
	refresh map[string]*grant
	access  map[string]*grant
	// secrets holds every token the pool handed out and every password and secret hash it was
	// sent, so a test can look for them in logs.
	secrets []string
}

type user struct {
	password string
	sub      string
	// failures counts wrong passwords since the last success; from LockoutAfter on, each one
	// locks the user until lockedUntil.
	failures    int
	lockedUntil time.Time
}

// grant is one sign-in session: the refresh token it began with or was rotated to, and the
// access tokens issued with it. Revoking it stops them all, as token revocation does.
type grant struct {
	username string
	revoked  bool
}

// Lockout as Cognito documents it (https://docs.aws.amazon.com/cognito/latest/developerguide/authentication.html#authentication-flow-lockout-behavior):
// after LockoutAfter failed attempts the user is locked for 1 s, doubling with each further
// failure up to about 15 minutes; meanwhile every attempt gets "Password attempts exceeded".
const (
	LockoutAfter = 5
	maxLockout   = 15 * time.Minute
)

var (
	_ cognito.API        = (*Pool)(nil)
	_ cognito.SessionAPI = (*Pool)(nil)
)

// New returns an empty pool for the given ids and client secret ("" for a public client).
func New(userPoolID, clientID, clientSecret string) *Pool {
	return &Pool{UserPoolID: userPoolID, ClientID: clientID, ClientSecret: clientSecret,
		users: map[string]*user{}, refresh: map[string]*grant{}, access: map[string]*grant{}}
}

func (p *Pool) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// AddUser creates a confirmed user and returns its sub.
func (p *Pool) AddUser(username, password string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	sub := newUUID()
	p.users[username] = &user{password: password, sub: sub}
	return sub
}

// Sub returns the sub of username, or "" when there is no such user.
func (p *Pool) Sub(username string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if u, ok := p.users[username]; ok {
		return u.sub
	}
	return ""
}

// Users is the number of users in the pool.
func (p *Pool) Users() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.users)
}

// Calls returns how many AdminInitiateAuth and SignUp calls the pool has had.
func (p *Pool) Calls() (auth, signUp int) {
	return int(p.authCalls.Load()), int(p.signUpCalls.Load())
}

// TokenCalls returns how many GetTokensFromRefreshToken, RevokeToken, GlobalSignOut and
// DeleteUser calls the pool has had.
func (p *Pool) TokenCalls() int { return int(p.tokenCalls.Load()) }

// ResetCalls sets the call counters to zero.
func (p *Pool) ResetCalls() {
	p.authCalls.Store(0)
	p.signUpCalls.Store(0)
	p.tokenCalls.Store(0)
}

// Secrets returns every token the pool handed out and every password and SECRET_HASH it was
// sent: what must never appear in a log.
func (p *Pool) Secrets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string{p.ClientSecret}, p.secrets...)
}

func (p *Pool) remember(s ...string) {
	p.mu.Lock()
	p.secrets = append(p.secrets, s...)
	p.mu.Unlock()
}

// AdminInitiateAuth answers ADMIN_USER_PASSWORD_AUTH like Cognito with PreventUserExistenceErrors
// LEGACY: UserNotFoundException for an unknown user, NotAuthorizedException for a wrong password
// (a strike towards the lockout), and "Password attempts exceeded" while the user is locked.
func (p *Pool) AdminInitiateAuth(ctx context.Context, in *cip.AdminInitiateAuthInput, _ ...func(*cip.Options)) (*cip.AdminInitiateAuthOutput, error) {
	p.authCalls.Add(1)
	username, password := in.AuthParameters["USERNAME"], in.AuthParameters["PASSWORD"]
	p.remember(password)
	switch {
	case aws.ToString(in.UserPoolId) != p.UserPoolID:
		return nil, &types.ResourceNotFoundException{Message: aws.String("User pool " + aws.ToString(in.UserPoolId) + " does not exist.")}
	case aws.ToString(in.ClientId) != p.ClientID:
		return nil, &types.ResourceNotFoundException{Message: aws.String("User pool client does not exist.")}
	case in.AuthFlow != types.AuthFlowTypeAdminUserPasswordAuth:
		return nil, &types.InvalidParameterException{Message: aws.String("Auth flow not enabled for this client")}
	case !p.secretHashOK(username, in.AuthParameters["SECRET_HASH"]):
		return nil, &types.NotAuthorizedException{Message: aws.String("Unable to verify secret hash for client " + p.ClientID)}
	}
	if p.AuthHook != nil {
		if out, err := p.AuthHook(ctx, in); out != nil || err != nil {
			return out, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	u, ok := p.users[username]
	now := p.now()
	switch {
	case !ok:
		p.mu.Unlock()
		return nil, &types.UserNotFoundException{Message: aws.String("User does not exist.")}
	case now.Before(u.lockedUntil):
		p.mu.Unlock()
		return nil, &types.NotAuthorizedException{Message: aws.String("Password attempts exceeded")}
	case u.password != password:
		u.failures++
		if u.failures >= LockoutAfter {
			u.lockedUntil = now.Add(min(time.Second<<(u.failures-LockoutAfter), maxLockout))
		}
		p.mu.Unlock()
		return nil, &types.NotAuthorizedException{Message: aws.String("Incorrect username or password.")}
	}
	u.failures = 0
	sub := u.sub
	p.mu.Unlock()
	return &cip.AdminInitiateAuthOutput{AuthenticationResult: p.Tokens(username, sub)}, nil
}

// SignUp creates a confirmed user (as an auto-confirming PreSignUp trigger makes it), or answers
// UsernameExistsException.
func (p *Pool) SignUp(ctx context.Context, in *cip.SignUpInput, _ ...func(*cip.Options)) (*cip.SignUpOutput, error) {
	p.signUpCalls.Add(1)
	username := aws.ToString(in.Username)
	p.remember(aws.ToString(in.Password))
	switch {
	case aws.ToString(in.ClientId) != p.ClientID:
		return nil, &types.ResourceNotFoundException{Message: aws.String("User pool client does not exist.")}
	case !p.secretHashOK(username, aws.ToString(in.SecretHash)):
		return nil, &types.NotAuthorizedException{Message: aws.String("Unable to verify secret hash for client " + p.ClientID)}
	}
	if p.SignUpHook != nil {
		if out, err := p.SignUpHook(ctx, in); out != nil || err != nil {
			return out, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.users[username]; ok {
		return nil, &types.UsernameExistsException{Message: aws.String("User already exists")}
	}
	sub := newUUID()
	p.users[username] = &user{password: aws.ToString(in.Password), sub: sub}
	return &cip.SignUpOutput{UserSub: aws.String(sub), UserConfirmed: true}, nil
}

func (p *Pool) secretHashOK(username, got string) bool {
	if p.ClientSecret == "" {
		return got == ""
	}
	p.remember(got)
	return got == cognito.SecretHash(username, p.ClientID, p.ClientSecret)
}

// Tokens issues a fresh set of tokens for the user in a new grant: JWT-shaped ID and access
// tokens carrying Cognito's claims (sub, token_use, client_id or aud, iat, exp; unsigned: the
// flows read claims, they do not verify them) and a random refresh token.
func (p *Pool) Tokens(username, sub string) *types.AuthenticationResultType {
	g := &grant{username: username}
	a := p.issue(username, sub, g)
	p.mu.Lock()
	p.refresh[aws.ToString(a.RefreshToken)] = g
	p.mu.Unlock()
	return a
}

// issue mints ID and access tokens (and a refresh token, which the caller files) in grant g.
func (p *Pool) issue(username, sub string, g *grant) *types.AuthenticationResultType {
	now := time.Now().Unix()
	claims, _ := json.Marshal(map[string]any{
		"sub": sub, "cognito:username": username, "token_use": "id", "aud": p.ClientID,
		"iat": now, "exp": now + 3600, "jti": newUUID(),
	})
	enc := base64.RawURLEncoding
	id := enc.EncodeToString([]byte(`{"alg":"RS256","kid":"fake"}`)) + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString(randomBytes(32))
	accessClaims, _ := json.Marshal(map[string]any{
		"sub": sub, "username": username, "token_use": "access", "client_id": p.ClientID,
		"scope": "aws.cognito.signin.user.admin", "iat": now, "exp": now + 3600, "jti": newUUID(),
	})
	access := enc.EncodeToString([]byte(`{"alg":"RS256","kid":"fake"}`)) + "." + enc.EncodeToString(accessClaims) + "." + enc.EncodeToString(randomBytes(32))
	refresh := enc.EncodeToString(randomBytes(64))
	p.remember(id, access, refresh)
	p.mu.Lock()
	p.access[access] = g
	p.mu.Unlock()
	return &types.AuthenticationResultType{
		IdToken: aws.String(id), AccessToken: aws.String(access), RefreshToken: aws.String(refresh),
		ExpiresIn: 3600, TokenType: aws.String("Bearer"),
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func newUUID() string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}
