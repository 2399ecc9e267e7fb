package cognito

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/signin-api/signin/local/awsid"
)

// operations are the API operations served locally; any other answers
// UnknownOperationException ("not supported locally").
var operations = map[string]operation{
	"CreateUserPool":              op((*Server).CreateUserPool),
	"DescribeUserPool":            op((*Server).DescribeUserPool),
	"CreateUserPoolClient":        op((*Server).CreateUserPoolClient),
	"DescribeUserPoolClient":      op((*Server).DescribeUserPoolClient),
	"CreateResourceServer":        op((*Server).CreateResourceServer),
	"ListUsers":                   op((*Server).ListUsers),
	"AdminGetUser":                op((*Server).AdminGetUser),
	"AdminDeleteUser":             op((*Server).AdminDeleteUser),
	"AdminCreateUser":             op((*Server).AdminCreateUser),
	"AdminSetUserPassword":        op((*Server).AdminSetUserPassword),
	"AdminConfirmSignUp":          op((*Server).AdminConfirmSignUp),
	"AdminDisableUser":            op((*Server).AdminDisableUser),
	"AdminEnableUser":             op((*Server).AdminEnableUser),
	"AdminResetUserPassword":      op((*Server).AdminResetUserPassword),
	"AdminUserGlobalSignOut":      op((*Server).AdminUserGlobalSignOut),
	"SignUp":                      withRequest((*Server).SignUp),
	"InitiateAuth":                withRequest((*Server).InitiateAuth),
	"AdminInitiateAuth":           withRequest((*Server).AdminInitiateAuth),
	"GetTokensFromRefreshToken":   withRequest((*Server).GetTokensFromRefreshToken),
	"RespondToAuthChallenge":      withRequest((*Server).RespondToAuthChallenge),
	"AdminRespondToAuthChallenge": withRequest((*Server).AdminRespondToAuthChallenge),
	"RevokeToken":                 op((*Server).RevokeToken),
	"GlobalSignOut":               op((*Server).GlobalSignOut),
	"GetUser":                     op((*Server).GetUser),
	"DeleteUser":                  op((*Server).DeleteUser),
}

// CreateUserPool creates a pool with its own signing key (API_CreateUserPool).
func (s *Server) CreateUserPool(_ context.Context, in *cip.CreateUserPoolInput) (*cip.CreateUserPoolOutput, error) {
	if deref(in.PoolName) == "" {
		return nil, newErr(codeInvalidParameter, "1 validation error detected: Value null at 'poolName' failed to satisfy constraint: Member must not be null")
	}
	if lc := in.LambdaConfig; lc != nil && (lc.PreTokenGeneration != nil || (lc.PreTokenGenerationConfig != nil &&
		lc.PreTokenGenerationConfig.LambdaVersion != types.PreTokenGenerationLambdaVersionTypeV20)) {
		return nil, newErr(codeInvalidParameter, "Pre token generation triggers other than version V2_0 are not supported locally")
	}
	keyPEM, kid, err := newKey()
	if err != nil {
		return nil, err
	}
	now := s.now()
	id := s.opts.Region + "_" + randomString(9, alnum)
	policies := in.Policies
	if policies == nil || policies.PasswordPolicy == nil {
		// Cognito's default policy ("Adding user pool password requirements").
		policies = &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{MinimumLength: aws.Int32(8),
			RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true, TemporaryPasswordValidityDays: 7}}
	}
	p := &pool{
		Pool: types.UserPoolType{
			Id: aws.String(id), Name: in.PoolName, Arn: aws.String("arn:aws:cognito-idp:" + s.opts.Region + ":" + awsid.AccountID + ":userpool/" + id),
			CreationDate: &now, LastModifiedDate: &now, Policies: policies, LambdaConfig: in.LambdaConfig,
			UsernameConfiguration: in.UsernameConfiguration, UsernameAttributes: in.UsernameAttributes,
			AliasAttributes: in.AliasAttributes, AutoVerifiedAttributes: in.AutoVerifiedAttributes,
			MfaConfiguration: in.MfaConfiguration, AdminCreateUserConfig: in.AdminCreateUserConfig,
			AccountRecoverySetting: in.AccountRecoverySetting, DeletionProtection: in.DeletionProtection,
			UserPoolTags: in.UserPoolTags, UserPoolTier: in.UserPoolTier,
		},
		KeyPEM: keyPEM, KeyID: kid,
		Clients: map[string]*types.UserPoolClientType{}, Users: map[string]*user{}, Sessions: map[string]*session{},
	}
	if p.Pool.MfaConfiguration == "" {
		p.Pool.MfaConfiguration = types.UserPoolMfaTypeOff
	}
	if p.Pool.UserPoolTier == "" {
		p.Pool.UserPoolTier = types.UserPoolTierTypeEssentials
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Pools[id] = p
	if err := s.save(); err != nil {
		return nil, err
	}
	out := p.Pool
	return &cip.CreateUserPoolOutput{UserPool: &out}, nil
}

// DescribeUserPool (API_DescribeUserPool).
func (s *Server) DescribeUserPool(_ context.Context, in *cip.DescribeUserPoolInput) (*cip.DescribeUserPoolOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.pool(in.UserPoolId)
	if err != nil {
		return nil, err
	}
	out := p.Pool
	out.EstimatedNumberOfUsers = int32(len(p.Users))
	return &cip.DescribeUserPoolOutput{UserPool: &out}, nil
}

// CreateUserPoolClient creates an app client, with a generated secret when GenerateSecret is
// set (API_CreateUserPoolClient). Unset PreventUserExistenceErrors is LEGACY and
// EnableTokenRevocation true, as on AWS.
func (s *Server) CreateUserPoolClient(_ context.Context, in *cip.CreateUserPoolClientInput) (*cip.CreateUserPoolClientOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.pool(in.UserPoolId)
	if err != nil {
		return nil, err
	}
	now := s.now()
	c := &types.UserPoolClientType{
		ClientId: aws.String(randomString(26, lowerAlnum)), ClientName: in.ClientName, UserPoolId: in.UserPoolId,
		CreationDate: &now, LastModifiedDate: &now, ExplicitAuthFlows: in.ExplicitAuthFlows,
		PreventUserExistenceErrors: in.PreventUserExistenceErrors, EnableTokenRevocation: in.EnableTokenRevocation,
		AuthSessionValidity: in.AuthSessionValidity, AccessTokenValidity: in.AccessTokenValidity,
		IdTokenValidity: in.IdTokenValidity, RefreshTokenValidity: in.RefreshTokenValidity,
		TokenValidityUnits: in.TokenValidityUnits, ReadAttributes: in.ReadAttributes, WriteAttributes: in.WriteAttributes,
		RefreshTokenRotation: in.RefreshTokenRotation, AllowedOAuthScopes: in.AllowedOAuthScopes,
	}
	if in.GenerateSecret {
		c.ClientSecret = aws.String(randomString(51, lowerAlnum))
	}
	if c.PreventUserExistenceErrors == "" {
		c.PreventUserExistenceErrors = types.PreventUserExistenceErrorTypesLegacy
	}
	if c.EnableTokenRevocation == nil {
		c.EnableTokenRevocation = aws.Bool(true)
	}
	if len(c.ExplicitAuthFlows) == 0 {
		// AWS's default: ALLOW_REFRESH_TOKEN_AUTH, ALLOW_USER_SRP_AUTH, ALLOW_CUSTOM_AUTH.
		c.ExplicitAuthFlows = []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
			types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowCustomAuth}
	}
	p.Clients[*c.ClientId] = c
	if err := s.save(); err != nil {
		return nil, err
	}
	out := *c
	return &cip.CreateUserPoolClientOutput{UserPoolClient: &out}, nil
}

// DescribeUserPoolClient (API_DescribeUserPoolClient), with the secret.
func (s *Server) DescribeUserPoolClient(_ context.Context, in *cip.DescribeUserPoolClientInput) (*cip.DescribeUserPoolClientOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.pool(in.UserPoolId)
	if err != nil {
		return nil, err
	}
	c := p.Clients[deref(in.ClientId)]
	if c == nil {
		return nil, newErr(codeResourceNotFound, "User pool client %s does not exist.", deref(in.ClientId))
	}
	out := *c
	return &cip.DescribeUserPoolClientOutput{UserPoolClient: &out}, nil
}

// CreateResourceServer keeps a resource server and its scopes (API_CreateResourceServer).
func (s *Server) CreateResourceServer(_ context.Context, in *cip.CreateResourceServerInput) (*cip.CreateResourceServerOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.pool(in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if deref(in.Identifier) == "" || deref(in.Name) == "" {
		return nil, newErr(codeInvalidParameter, "Identifier and Name are required")
	}
	if p.ResourceServers == nil {
		p.ResourceServers = map[string]*types.ResourceServerType{}
	}
	rs := &types.ResourceServerType{Identifier: in.Identifier, Name: in.Name, Scopes: in.Scopes, UserPoolId: in.UserPoolId}
	p.ResourceServers[*in.Identifier] = rs
	if err := s.save(); err != nil {
		return nil, err
	}
	out := *rs
	return &cip.CreateResourceServerOutput{ResourceServer: &out}, nil
}

// ListUsers lists the pool's users, without filters or paging (API_ListUsers; "not supported
// locally" for Filter).
func (s *Server) ListUsers(_ context.Context, in *cip.ListUsersInput) (*cip.ListUsersOutput, error) {
	if deref(in.Filter) != "" || deref(in.PaginationToken) != "" {
		return nil, newErr(codeInvalidParameter, "ListUsers Filter and PaginationToken are not supported locally")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.pool(in.UserPoolId)
	if err != nil {
		return nil, err
	}
	out := &cip.ListUsersOutput{Users: []types.UserType{}}
	for _, u := range p.Users {
		out.Users = append(out.Users, u.userType())
	}
	return out, nil
}

func (u *user) userType() types.UserType {
	created, modified := u.Created, u.Modified
	return types.UserType{Username: aws.String(u.Username), Attributes: append([]types.AttributeType(nil), u.Attributes...),
		Enabled: u.Enabled, UserStatus: u.Status, UserCreateDate: &created, UserLastModifiedDate: &modified}
}

// adminUser finds a user for an Admin* operation: UserNotFoundException "User does not
// exist." whatever PreventUserExistenceErrors says (it applies to app client operations).
// s.mu is held.
func (s *Server) adminUser(poolID, username *string) (*pool, *user, error) {
	p, err := s.pool(poolID)
	if err != nil {
		return nil, nil, err
	}
	u := p.user(deref(username))
	if u == nil {
		return nil, nil, newErr(codeUserNotFound, "User does not exist.")
	}
	return p, u, nil
}

// AdminGetUser (API_AdminGetUser).
func (s *Server) AdminGetUser(_ context.Context, in *cip.AdminGetUserInput) (*cip.AdminGetUserOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, u, err := s.adminUser(in.UserPoolId, in.Username)
	if err != nil {
		return nil, err
	}
	t := u.userType()
	return &cip.AdminGetUserOutput{Username: t.Username, UserAttributes: t.Attributes, Enabled: t.Enabled,
		UserStatus: t.UserStatus, UserCreateDate: t.UserCreateDate, UserLastModifiedDate: t.UserLastModifiedDate}, nil
}

// AdminDeleteUser deletes the user and its sessions (API_AdminDeleteUser).
func (s *Server) AdminDeleteUser(_ context.Context, in *cip.AdminDeleteUserInput) (*cip.AdminDeleteUserOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, u, err := s.adminUser(in.UserPoolId, in.Username)
	if err != nil {
		return nil, err
	}
	p.deleteUser(u)
	return &cip.AdminDeleteUserOutput{}, s.save()
}

func (p *pool) deleteUser(u *user) {
	delete(p.Users, p.userKey(u.Username))
	for id, sess := range p.Sessions {
		if sess.Sub == u.Sub {
			delete(p.Sessions, id)
		}
	}
}

// AdminCreateUser creates a FORCE_CHANGE_PASSWORD user with a temporary password, which signs
// in with a NEW_PASSWORD_REQUIRED challenge (API_AdminCreateUser). No message is sent locally.
func (s *Server) AdminCreateUser(_ context.Context, in *cip.AdminCreateUserInput) (*cip.AdminCreateUserOutput, error) {
	temp := deref(in.TemporaryPassword)
	if temp == "" {
		temp = randomString(12, alnum) + "a1A!"
	}
	s.mu.Lock()
	p, err := s.pool(in.UserPoolId)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if err := checkPassword(p.Pool.Policies, temp); err != nil {
		return nil, err
	}
	hash, err := hashPassword(temp)
	if err != nil {
		return nil, err
	}
	u, err := s.addUser(p, deref(in.Username), in.UserAttributes, hash, types.UserStatusTypeForceChangePassword)
	if err != nil {
		return nil, err
	}
	t := u.userType()
	return &cip.AdminCreateUserOutput{User: &t}, nil
}

// addUser adds a user, unless its username is taken: the check and the insert happen under
// one lock, so one username is one account however many sign up at once.
func (s *Server) addUser(p *pool, username string, attrs []types.AttributeType, hash string, status types.UserStatusType) (*user, error) {
	if username == "" {
		return nil, newErr(codeInvalidParameter, "1 validation error detected: Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+")
	}
	now := s.now()
	u := &user{Username: username, Sub: awsid.RequestID(), PasswordHash: hash, Status: status, Enabled: true, Created: now, Modified: now}
	u.Attributes = append([]types.AttributeType{{Name: aws.String("sub"), Value: aws.String(u.Sub)}}, withoutSub(attrs)...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.Users[p.userKey(username)] != nil {
		return nil, newErr(codeUsernameExists, "User already exists")
	}
	p.Users[p.userKey(username)] = u
	if err := s.save(); err != nil {
		delete(p.Users, p.userKey(username))
		return nil, err
	}
	return u, nil
}

func withoutSub(attrs []types.AttributeType) []types.AttributeType {
	var out []types.AttributeType
	for _, a := range attrs {
		if deref(a.Name) != "sub" {
			out = append(out, a)
		}
	}
	return out
}

// AdminSetUserPassword sets a permanent (CONFIRMED) or temporary (FORCE_CHANGE_PASSWORD)
// password (API_AdminSetUserPassword).
func (s *Server) AdminSetUserPassword(_ context.Context, in *cip.AdminSetUserPasswordInput) (*cip.AdminSetUserPasswordOutput, error) {
	s.mu.Lock()
	p, _, err := s.adminUser(in.UserPoolId, in.Username)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if err := checkPassword(p.Pool.Policies, deref(in.Password)); err != nil {
		return nil, err
	}
	hash, err := hashPassword(deref(in.Password))
	if err != nil {
		return nil, err
	}
	return &cip.AdminSetUserPasswordOutput{}, s.updateUser(in.UserPoolId, in.Username, func(u *user) {
		u.PasswordHash = hash
		u.Failures, u.LockedUntil = 0, time.Time{}
		u.Status = types.UserStatusTypeForceChangePassword
		if in.Permanent {
			u.Status = types.UserStatusTypeConfirmed
		}
	})
}

// updateUser changes a user under the lock and saves.
func (s *Server) updateUser(poolID, username *string, change func(*user)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, u, err := s.adminUser(poolID, username)
	if err != nil {
		return err
	}
	change(u)
	u.Modified = s.now()
	return s.save()
}

// AdminConfirmSignUp confirms an UNCONFIRMED user (API_AdminConfirmSignUp).
func (s *Server) AdminConfirmSignUp(_ context.Context, in *cip.AdminConfirmSignUpInput) (*cip.AdminConfirmSignUpOutput, error) {
	var err error
	uerr := s.updateUser(in.UserPoolId, in.Username, func(u *user) {
		if u.Status != types.UserStatusTypeUnconfirmed {
			err = newErr(codeNotAuthorized, "User cannot be confirmed. Current status is %s", u.Status)
			return
		}
		u.Status = types.UserStatusTypeConfirmed
	})
	if uerr != nil {
		return nil, uerr
	}
	if err != nil {
		return nil, err
	}
	return &cip.AdminConfirmSignUpOutput{}, nil
}

// AdminDisableUser disables the user and signs it out everywhere (API_AdminDisableUser).
func (s *Server) AdminDisableUser(_ context.Context, in *cip.AdminDisableUserInput) (*cip.AdminDisableUserOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, u, err := s.adminUser(in.UserPoolId, in.Username)
	if err != nil {
		return nil, err
	}
	u.Enabled = false
	p.signOut(u.Sub)
	return &cip.AdminDisableUserOutput{}, s.save()
}

// AdminEnableUser (API_AdminEnableUser).
func (s *Server) AdminEnableUser(_ context.Context, in *cip.AdminEnableUserInput) (*cip.AdminEnableUserOutput, error) {
	return &cip.AdminEnableUserOutput{}, s.updateUser(in.UserPoolId, in.Username, func(u *user) { u.Enabled = true })
}

// AdminResetUserPassword puts the user in RESET_REQUIRED: its sign-ins then fail with
// PasswordResetRequiredException (API_AdminResetUserPassword). No code is sent locally.
func (s *Server) AdminResetUserPassword(_ context.Context, in *cip.AdminResetUserPasswordInput) (*cip.AdminResetUserPasswordOutput, error) {
	return &cip.AdminResetUserPasswordOutput{}, s.updateUser(in.UserPoolId, in.Username, func(u *user) {
		u.Status = types.UserStatusTypeResetRequired
	})
}

// AdminUserGlobalSignOut revokes every refresh token of the user, and with them the access
// tokens issued from them (API_AdminUserGlobalSignOut).
func (s *Server) AdminUserGlobalSignOut(_ context.Context, in *cip.AdminUserGlobalSignOutInput) (*cip.AdminUserGlobalSignOutOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, u, err := s.adminUser(in.UserPoolId, in.Username)
	if err != nil {
		return nil, err
	}
	p.signOut(u.Sub)
	return &cip.AdminUserGlobalSignOutOutput{}, s.save()
}

func (p *pool) signOut(sub string) {
	for _, sess := range p.Sessions {
		if sess.Sub == sub {
			sess.Revoked = true
		}
	}
}
