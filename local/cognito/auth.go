package cognito

import (
	"context"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/signin-api/signin/local/awsid"
)

// Lockout as "Authentication flows" (user pool authentication) documents it: after five
// failed sign-in attempts, a lockout of 1 second that doubles with each further failure, up
// to about 15 minutes; a success resets the count.
const (
	lockoutAfter = 5
	lockoutMax   = 15 * time.Minute
)

// bcryptCost is low on purpose: a local tool hashes so that no clear password is kept, not
// to resist offline attacks on a laptop's file; a high cost would only slow every test.
const bcryptCost = 6

// hashPassword hashes a SHA-256 digest of the password, so that passwords longer than
// bcrypt's 72 bytes (Cognito takes up to 256) are not truncated.
func hashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword(passwordDigest(password), bcryptCost)
	return string(h), err
}

func passwordMatches(hash, password string) bool {
	return hash != "" && bcrypt.CompareHashAndPassword([]byte(hash), passwordDigest(password)) == nil
}

func passwordDigest(password string) []byte {
	sum := sha256.Sum256([]byte(password))
	return []byte(base64.StdEncoding.EncodeToString(sum[:]))
}

// symbols are the special characters Cognito's password policy counts ("Adding user pool
// password requirements").
const symbols = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- "

// checkPassword applies the pool's password policy with Cognito's sentences.
func checkPassword(policies *types.UserPoolPolicyType, password string) error {
	if password == "" {
		return newErr(codeInvalidParameter, "1 validation error detected: Value at 'password' failed to satisfy constraint: Member must not be null")
	}
	if policies == nil || policies.PasswordPolicy == nil {
		return nil
	}
	pp := policies.PasswordPolicy
	fail := func(why string) error {
		return newErr(codeInvalidPassword, "Password did not conform with policy: %s", why)
	}
	if pp.MinimumLength != nil && len([]rune(password)) < int(*pp.MinimumLength) {
		return fail("Password not long enough")
	}
	has := func(f func(rune) bool) bool { return strings.IndexFunc(password, f) >= 0 }
	switch {
	case pp.RequireNumbers && !has(unicode.IsDigit):
		return fail("Password must have numeric characters")
	case pp.RequireSymbols && !has(func(r rune) bool { return strings.ContainsRune(symbols, r) }):
		return fail("Password must have symbol characters")
	case pp.RequireUppercase && !has(unicode.IsUpper):
		return fail("Password must have uppercase characters")
	case pp.RequireLowercase && !has(unicode.IsLower):
		return fail("Password must have lowercase characters")
	}
	return nil
}

// checkSecretHash checks SECRET_HASH (Base64(HMAC-SHA256(client secret, username + client
// id)), "Computing secret hash values") when the client has a secret, with Cognito's messages.
func checkSecretHash(c *types.UserPoolClientType, username string, got *string) error {
	if c.ClientSecret == nil {
		return nil
	}
	if deref(got) == "" {
		return newErr(codeNotAuthorized, "Client %s is configured for secret but secret was not received", deref(c.ClientId))
	}
	mac := hmac.New(sha256.New, []byte(*c.ClientSecret))
	mac.Write([]byte(username + deref(c.ClientId)))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if subtle.ConstantTimeCompare([]byte(want), []byte(*got)) != 1 {
		return newErr(codeNotAuthorized, "Unable to verify secret hash for client %s", deref(c.ClientId))
	}
	return nil
}

// checkClientSecret checks a raw ClientSecret (GetTokensFromRefreshToken, RevokeToken).
func checkClientSecret(c *types.UserPoolClientType, got *string) error {
	if c.ClientSecret == nil {
		return nil
	}
	if deref(got) == "" {
		return newErr(codeNotAuthorized, "Client %s is configured for secret but secret was not received", deref(c.ClientId))
	}
	if subtle.ConstantTimeCompare([]byte(*c.ClientSecret), []byte(*got)) != 1 {
		return newErr(codeNotAuthorized, "Unable to verify secret hash for client %s", deref(c.ClientId))
	}
	return nil
}

// SignUp creates an UNCONFIRMED user, CONFIRMED when the PreSignUp trigger says
// autoConfirmUser (API_SignUp, "Pre sign-up Lambda trigger"). A taken username is
// UsernameExistsException whatever PreventUserExistenceErrors says.
func (s *Server) SignUp(ctx context.Context, r *http.Request, in *cip.SignUpInput) (*cip.SignUpOutput, error) {
	s.mu.Lock()
	p, c, err := s.client(in.ClientId)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	username := deref(in.Username)
	if err := checkSecretHash(c, username, in.SecretHash); err != nil {
		return nil, err
	}
	if username == "" {
		return nil, newErr(codeInvalidParameter, "1 validation error detected: Value at 'username' failed to satisfy constraint: Member must not be null")
	}
	if err := checkPassword(p.Pool.Policies, deref(in.Password)); err != nil {
		return nil, err
	}
	s.mu.Lock()
	taken := p.Users[p.userKey(username)] != nil
	s.mu.Unlock()
	if taken {
		return nil, newErr(codeUsernameExists, "User already exists")
	}
	status := types.UserStatusTypeUnconfirmed
	if lc := p.Pool.LambdaConfig; lc != nil && lc.PreSignUp != nil {
		confirm, err := s.preSignUp(ctx, p, *lc.PreSignUp, "PreSignUp_SignUp", username, deref(c.ClientId),
			in.UserAttributes, attrMap(in.ValidationData), in.ClientMetadata)
		if err != nil {
			return nil, err
		}
		if confirm {
			status = types.UserStatusTypeConfirmed
		}
	}
	hash, err := hashPassword(deref(in.Password))
	if err != nil {
		return nil, err
	}
	u, err := s.addUser(p, username, in.UserAttributes, hash, status)
	if err != nil {
		return nil, err
	}
	return &cip.SignUpOutput{UserSub: aws.String(u.Sub), UserConfirmed: status == types.UserStatusTypeConfirmed}, nil
}

// flowAllowed checks the client's ExplicitAuthFlows for a flow.
func flowAllowed(c *types.UserPoolClientType, flow types.AuthFlowType) error {
	need := map[types.AuthFlowType]types.ExplicitAuthFlowsType{
		types.AuthFlowTypeUserPasswordAuth:      types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
		types.AuthFlowTypeAdminUserPasswordAuth: types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth,
		types.AuthFlowTypeAdminNoSrpAuth:        types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth,
		types.AuthFlowTypeRefreshTokenAuth:      types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		types.AuthFlowTypeRefreshToken:          types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
	}[flow]
	if need == "" {
		return newErr(codeInvalidParameter, "Auth flow %s is not supported locally", flow)
	}
	if !slices.Contains(c.ExplicitAuthFlows, need) {
		return newErr(codeInvalidParameter, "Auth flow not enabled for this client")
	}
	return nil
}

// InitiateAuth signs in with USER_PASSWORD_AUTH or refreshes with REFRESH_TOKEN_AUTH
// (API_InitiateAuth).
func (s *Server) InitiateAuth(ctx context.Context, r *http.Request, in *cip.InitiateAuthInput) (*cip.InitiateAuthOutput, error) {
	res, err := s.initiate(ctx, r, nil, in.ClientId, in.AuthFlow, in.AuthParameters, in.ClientMetadata, types.AuthFlowTypeUserPasswordAuth)
	if err != nil {
		return nil, err
	}
	return &cip.InitiateAuthOutput{AuthenticationResult: res.tokens, ChallengeName: res.challenge,
		ChallengeParameters: res.challengeParams, Session: res.session}, nil
}

// AdminInitiateAuth signs in with ADMIN_USER_PASSWORD_AUTH or refreshes with
// REFRESH_TOKEN_AUTH (API_AdminInitiateAuth).
func (s *Server) AdminInitiateAuth(ctx context.Context, r *http.Request, in *cip.AdminInitiateAuthInput) (*cip.AdminInitiateAuthOutput, error) {
	if in.UserPoolId == nil {
		return nil, newErr(codeInvalidParameter, "1 validation error detected: Value null at 'userPoolId' failed to satisfy constraint: Member must not be null")
	}
	res, err := s.initiate(ctx, r, in.UserPoolId, in.ClientId, in.AuthFlow, in.AuthParameters, in.ClientMetadata, types.AuthFlowTypeAdminUserPasswordAuth)
	if err != nil {
		return nil, err
	}
	return &cip.AdminInitiateAuthOutput{AuthenticationResult: res.tokens, ChallengeName: res.challenge,
		ChallengeParameters: res.challengeParams, Session: res.session}, nil
}

type authResult struct {
	tokens          *types.AuthenticationResultType
	challenge       types.ChallengeNameType
	challengeParams map[string]string
	session         *string
}

func (s *Server) initiate(ctx context.Context, r *http.Request, poolID, clientID *string, flow types.AuthFlowType,
	params, metadata map[string]string, passwordFlow types.AuthFlowType) (authResult, error) {
	s.mu.Lock()
	p, c, err := s.client(clientID)
	if err == nil && poolID != nil && *poolID != *p.Pool.Id {
		_, err = s.pool(poolID)
		if err == nil {
			err = newErr(codeResourceNotFound, "User pool client %s does not exist.", deref(clientID))
		}
	}
	s.mu.Unlock()
	if err != nil {
		return authResult{}, err
	}
	isPassword := flow == passwordFlow || (passwordFlow == types.AuthFlowTypeAdminUserPasswordAuth && flow == types.AuthFlowTypeAdminNoSrpAuth)
	isRefresh := flow == types.AuthFlowTypeRefreshTokenAuth || flow == types.AuthFlowTypeRefreshToken
	if !isPassword && !isRefresh {
		return authResult{}, newErr(codeInvalidParameter, "Auth flow %s is not supported locally", flow)
	}
	if err := flowAllowed(c, flow); err != nil {
		return authResult{}, err
	}
	if isRefresh {
		if rt := c.RefreshTokenRotation; rt != nil && rt.Feature == types.FeatureTypeEnabled {
			return authResult{}, newErr(codeInvalidParameter, "REFRESH_TOKEN_AUTH is not allowed for a client with refresh token rotation; use GetTokensFromRefreshToken")
		}
		tokens, err := s.refresh(ctx, r, p, c, params["REFRESH_TOKEN"], func(u *user) error {
			if c.ClientSecret != nil && params["USERNAME"] == "" && checkSecretHash(c, u.Sub, aws.String(params["SECRET_HASH"])) == nil {
				return nil
			}
			return checkSecretHash(c, u.Username, aws.String(params["SECRET_HASH"]))
		}, metadata)
		return authResult{tokens: tokens}, err
	}
	username := params["USERNAME"]
	if err := checkSecretHash(c, username, aws.String(params["SECRET_HASH"])); err != nil {
		return authResult{}, err
	}
	return s.passwordAuth(ctx, r, p, c, username, params["PASSWORD"], metadata)
}

// unknownUser is the answer for a username the pool does not have: NotAuthorizedException
// with PreventUserExistenceErrors ENABLED, UserNotFoundException with LEGACY ("Managing user
// existence error responses").
func unknownUser(c *types.UserPoolClientType) error {
	if c.PreventUserExistenceErrors == types.PreventUserExistenceErrorTypesEnabled {
		return newErr(codeNotAuthorized, "Incorrect username or password.")
	}
	return newErr(codeUserNotFound, "User does not exist.")
}

// passwordAuth checks a password with lockout, then answers by the user's status. The hash
// is compared outside the lock, so one slow comparison does not hold up the pool.
func (s *Server) passwordAuth(ctx context.Context, r *http.Request, p *pool, c *types.UserPoolClientType, username, password string,
	metadata map[string]string) (authResult, error) {
	if username == "" || password == "" {
		return authResult{}, newErr(codeInvalidParameter, "Missing required parameter USERNAME or PASSWORD")
	}
	s.mu.Lock()
	u := p.user(username)
	var hash, sub string
	var locked bool
	if u != nil {
		hash, sub, locked = u.PasswordHash, u.Sub, s.now().Before(u.LockedUntil)
	}
	s.mu.Unlock()
	switch {
	case u == nil:
		return authResult{}, unknownUser(c)
	case locked:
		return authResult{}, newErr(codeNotAuthorized, "Password attempts exceeded")
	}
	ok := passwordMatches(hash, password)

	s.mu.Lock()
	u = p.user(username)
	if u == nil || u.Sub != sub {
		s.mu.Unlock()
		return authResult{}, unknownUser(c)
	}
	if !ok {
		u.Failures++
		if u.Failures >= lockoutAfter {
			lock := time.Second << min(u.Failures-lockoutAfter, 20)
			u.LockedUntil = s.now().Add(min(lock, lockoutMax))
		}
		err := s.save()
		s.mu.Unlock()
		if err != nil {
			return authResult{}, err
		}
		return authResult{}, newErr(codeNotAuthorized, "Incorrect username or password.")
	}
	var err error
	if u.Failures != 0 || !u.LockedUntil.IsZero() { // a success resets the count: written only if there was one
		u.Failures, u.LockedUntil = 0, time.Time{}
		err = s.save()
	}
	snapshot := *u
	s.mu.Unlock()
	if err != nil {
		return authResult{}, err
	}
	switch {
	case !snapshot.Enabled:
		return authResult{}, newErr(codeNotAuthorized, "User is disabled.")
	case snapshot.Status == types.UserStatusTypeUnconfirmed:
		return authResult{}, newErr(codeUserNotConfirmed, "User is not confirmed.")
	case snapshot.Status == types.UserStatusTypeResetRequired:
		return authResult{}, newErr(codeResetRequired, "Password reset required for the user")
	case snapshot.Status == types.UserStatusTypeForceChangePassword:
		attrs, _ := json.Marshal(attrMap(withoutSub(snapshot.Attributes)))
		s.mu.Lock()
		session := s.newChallenge(p, c, &snapshot)
		s.mu.Unlock()
		return authResult{challenge: types.ChallengeNameTypeNewPasswordRequired, session: aws.String(session),
			challengeParams: map[string]string{"USER_ID_FOR_SRP": snapshot.Username, "requiredAttributes": "[]", "userAttributes": string(attrs)}}, nil
	}
	tokens, err := s.issue(ctx, r, p, c, &snapshot, "TokenGeneration_Authentication", metadata, nil, false)
	return authResult{tokens: tokens}, err
}

// issue signs an ID and an access token and, for a new sign-in (sess nil), starts a session
// with a refresh token. For a refresh, rotate gives the session a new refresh token, the old
// one staying valid for the client's grace period ("Refresh tokens": refresh token rotation);
// fromPrev says the refresh used that rotated-out token.
func (s *Server) issue(ctx context.Context, r *http.Request, p *pool, c *types.UserPoolClientType, u *user, source string,
	metadata map[string]string, sess *session, fromPrev bool) (*types.AuthenticationResultType, error) {
	override, err := s.preTokenGeneration(ctx, p, source, deref(c.ClientId), u, metadata)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key, err := s.signingKey(p)
	if err != nil {
		return nil, err
	}
	now := s.now()
	life := clientLifetimes(c)
	out := &types.AuthenticationResultType{TokenType: aws.String("Bearer"), ExpiresIn: int32(life.access / time.Second)}
	var originJTI string
	switch {
	case sess == nil:
		originJTI = awsid.RequestID()
		token, hash := newRefreshToken()
		sess = &session{Sub: u.Sub, ClientID: deref(c.ClientId), AuthTime: now.Unix(), RefreshHash: hash, Expires: now.Add(life.refresh)}
		p.Sessions[originJTI] = sess
		out.RefreshToken = aws.String(token)
	default:
		for id, candidate := range p.Sessions {
			if candidate == sess {
				originJTI = id
			}
		}
		if rt := c.RefreshTokenRotation; rt != nil && rt.Feature == types.FeatureTypeEnabled {
			token, hash := newRefreshToken()
			if !fromPrev { // a retry with the rotated-out token keeps its grace period
				sess.PrevHash, sess.PrevUntil = sess.RefreshHash, now.Add(time.Duration(aws.ToInt32(rt.RetryGracePeriodSeconds))*time.Second)
			}
			sess.RefreshHash, sess.Expires = hash, now.Add(life.refresh)
			out.RefreshToken = aws.String(token)
		}
	}
	id, access := tokenSet{issuer: s.issuer(r, *p.Pool.Id), client: c, user: u, authTime: sess.AuthTime,
		originJTI: originJTI, override: override}.claims(now)
	if out.IdToken, err = signString(key, p.KeyID, id); err != nil {
		return nil, err
	}
	if out.AccessToken, err = signString(key, p.KeyID, access); err != nil {
		return nil, err
	}
	if out.RefreshToken == nil {
		return out, nil // a refresh without rotation changes no state
	}
	return out, s.save()
}

func signString(key *rsa.PrivateKey, kid string, claims jwt.MapClaims) (*string, error) {
	t, err := sign(key, kid, claims)
	return &t, err
}

// refresh issues new tokens for a refresh token of the client's, as REFRESH_TOKEN_AUTH and
// GetTokensFromRefreshToken do; revoked, signed-out, rotated-out and expired tokens are
// refused with NotAuthorizedException.
func (s *Server) refresh(ctx context.Context, r *http.Request, p *pool, c *types.UserPoolClientType, token string,
	checkSecret func(*user) error, metadata map[string]string) (*types.AuthenticationResultType, error) {
	if token == "" {
		return nil, newErr(codeInvalidParameter, "Missing required parameter REFRESH_TOKEN")
	}
	hash := hashToken(token)
	s.mu.Lock()
	now := s.now()
	var sess *session
	var fromPrev bool
	for _, candidate := range p.Sessions {
		if candidate.RefreshHash == hash || (candidate.PrevHash == hash && now.Before(candidate.PrevUntil)) {
			sess, fromPrev = candidate, candidate.RefreshHash != hash
		}
	}
	var u *user
	if sess != nil {
		for _, candidate := range p.Users {
			if candidate.Sub == sess.Sub {
				u = candidate
			}
		}
	}
	var snapshot user
	if u != nil {
		snapshot = *u
	}
	var refused error
	switch {
	case sess == nil || sess.Revoked || sess.ClientID != deref(c.ClientId) || u == nil:
		refused = newErr(codeNotAuthorized, "Invalid Refresh Token")
	case now.After(sess.Expires):
		refused = newErr(codeNotAuthorized, "Refresh Token has expired")
	}
	s.mu.Unlock()
	if refused != nil {
		return nil, refused
	}
	if err := checkSecret(&snapshot); err != nil {
		return nil, err
	}
	if !snapshot.Enabled {
		return nil, newErr(codeNotAuthorized, "User is disabled.")
	}
	return s.issue(ctx, r, p, c, &snapshot, "TokenGeneration_RefreshTokens", metadata, sess, fromPrev)
}

// GetTokensFromRefreshToken refreshes with the raw client secret, rotating the refresh token
// when the client has RefreshTokenRotation enabled (API_GetTokensFromRefreshToken).
func (s *Server) GetTokensFromRefreshToken(ctx context.Context, r *http.Request, in *cip.GetTokensFromRefreshTokenInput) (*cip.GetTokensFromRefreshTokenOutput, error) {
	s.mu.Lock()
	p, c, err := s.client(in.ClientId)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if err := checkClientSecret(c, in.ClientSecret); err != nil {
		return nil, err
	}
	if !slices.Contains(c.ExplicitAuthFlows, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth) {
		return nil, newErr(codeInvalidParameter, "Auth flow not enabled for this client")
	}
	out, err := s.refresh(ctx, r, p, c, deref(in.RefreshToken), func(*user) error { return nil }, in.ClientMetadata)
	if err != nil {
		return nil, err
	}
	return &cip.GetTokensFromRefreshTokenOutput{AuthenticationResult: out}, nil
}

// RevokeToken revokes a refresh token and the access tokens issued from it (API_RevokeToken).
// An unknown or already revoked token is no error.
func (s *Server) RevokeToken(_ context.Context, in *cip.RevokeTokenInput) (*cip.RevokeTokenOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, c, err := s.client(in.ClientId)
	if err != nil {
		return nil, err
	}
	if err := checkClientSecret(c, in.ClientSecret); err != nil {
		return nil, err
	}
	if c.EnableTokenRevocation != nil && !*c.EnableTokenRevocation {
		return nil, newErr(codeUnsupportedOp, "Token revocation is not enabled for this app client")
	}
	if strings.Count(deref(in.Token), ".") == 2 {
		return nil, newErr("UnsupportedTokenTypeException", "Only refresh tokens can be revoked")
	}
	hash := hashToken(deref(in.Token))
	for _, sess := range p.Sessions {
		if (sess.RefreshHash == hash || sess.PrevHash == hash) && sess.ClientID == deref(c.ClientId) {
			sess.Revoked = true
		}
	}
	return &cip.RevokeTokenOutput{}, s.save()
}

// signedInUser verifies an access token with the aws.cognito.signin.user.admin scope and
// returns its user. s.mu is held.
func (s *Server) signedInUser(token *string) (*pool, *user, error) {
	p, claims, sess, err := s.accessClaims(token)
	if err != nil {
		return nil, nil, err
	}
	if scope, _ := claims["scope"].(string); !slices.Contains(strings.Fields(scope), scopeAdmin) {
		return nil, nil, newErr(codeNotAuthorized, "Access Token does not have required scopes")
	}
	for _, u := range p.Users {
		if u.Sub == sess.Sub {
			if !u.Enabled {
				return nil, nil, newErr(codeNotAuthorized, "User is disabled.")
			}
			return p, u, nil
		}
	}
	return nil, nil, newErr(codeUserNotFound, "User does not exist.")
}

// GetUser returns the access token's user (API_GetUser).
func (s *Server) GetUser(_ context.Context, in *cip.GetUserInput) (*cip.GetUserOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, u, err := s.signedInUser(in.AccessToken)
	if err != nil {
		return nil, err
	}
	return &cip.GetUserOutput{Username: aws.String(u.Username), UserAttributes: append([]types.AttributeType(nil), u.Attributes...)}, nil
}

// GlobalSignOut revokes every refresh token of the access token's user, and the access tokens
// issued from them (API_GlobalSignOut).
func (s *Server) GlobalSignOut(_ context.Context, in *cip.GlobalSignOutInput) (*cip.GlobalSignOutOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, u, err := s.signedInUser(in.AccessToken)
	if err != nil {
		return nil, err
	}
	p.signOut(u.Sub)
	return &cip.GlobalSignOutOutput{}, s.save()
}

// DeleteUser deletes the access token's user (API_DeleteUser).
func (s *Server) DeleteUser(_ context.Context, in *cip.DeleteUserInput) (*cip.DeleteUserOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, u, err := s.signedInUser(in.AccessToken)
	if err != nil {
		return nil, err
	}
	p.deleteUser(u)
	return &cip.DeleteUserOutput{}, s.save()
}
