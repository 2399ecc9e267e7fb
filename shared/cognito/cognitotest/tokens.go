package cognitotest

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// The token operations follow the Cognito API reference: GetTokensFromRefreshToken (with
// rotation: a new refresh token, the old one refused at once, as with no retry grace period),
// RevokeToken (RFC 7009: an unknown or revoked token is not an error), GlobalSignOut and
// DeleteUser (the access token authorizes them; afterwards every token of the user is refused).

// AddSession registers tokens of username's own choosing (a sample event's) as one new grant:
// refreshToken and accessToken then work as if the pool had issued them ("" for none).
func (p *Pool) AddSession(username, refreshToken, accessToken string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	g := &grant{username: username}
	if refreshToken != "" {
		p.refresh[refreshToken] = g
	}
	if accessToken != "" {
		p.access[accessToken] = g
	}
}

// GetTokensFromRefreshToken exchanges a live refresh token for new tokens and rotates it out.
func (p *Pool) GetTokensFromRefreshToken(ctx context.Context, in *cip.GetTokensFromRefreshTokenInput, _ ...func(*cip.Options)) (*cip.GetTokensFromRefreshTokenOutput, error) {
	p.tokenCalls.Add(1)
	if err := p.checkClient(aws.ToString(in.ClientId), aws.ToString(in.ClientSecret)); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	token := aws.ToString(in.RefreshToken)
	p.mu.Lock()
	g, ok := p.refresh[token]
	var u *user
	if ok {
		u = p.users[g.username]
	}
	switch {
	case !ok:
		p.mu.Unlock()
		return nil, &types.NotAuthorizedException{Message: aws.String("Invalid Refresh Token")}
	case g.revoked:
		p.mu.Unlock()
		return nil, &types.NotAuthorizedException{Message: aws.String("Refresh Token has been revoked")}
	case u == nil:
		p.mu.Unlock()
		return nil, &types.NotAuthorizedException{Message: aws.String("User does not exist.")}
	}
	delete(p.refresh, token)
	sub := u.sub
	p.mu.Unlock()
	a := p.issue(g.username, sub, g)
	p.mu.Lock()
	p.refresh[aws.ToString(a.RefreshToken)] = g
	p.mu.Unlock()
	return &cip.GetTokensFromRefreshTokenOutput{AuthenticationResult: a}, nil
}

// RevokeToken revokes a refresh token and the access tokens issued with it.
func (p *Pool) RevokeToken(ctx context.Context, in *cip.RevokeTokenInput, _ ...func(*cip.Options)) (*cip.RevokeTokenOutput, error) {
	p.tokenCalls.Add(1)
	if err := p.checkClient(aws.ToString(in.ClientId), aws.ToString(in.ClientSecret)); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	token := aws.ToString(in.Token)
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, isAccess := p.access[token]; isAccess {
		return nil, &types.UnsupportedTokenTypeException{Message: aws.String("Unsupported token type")}
	}
	if g, ok := p.refresh[token]; ok {
		g.revoked = true
	}
	return &cip.RevokeTokenOutput{}, nil
}

// GlobalSignOut revokes every grant of the access token's user.
func (p *Pool) GlobalSignOut(ctx context.Context, in *cip.GlobalSignOutInput, _ ...func(*cip.Options)) (*cip.GlobalSignOutOutput, error) {
	p.tokenCalls.Add(1)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	username, err := p.accessUser(aws.ToString(in.AccessToken))
	if err != nil {
		return nil, err
	}
	p.revokeAll(username)
	return &cip.GlobalSignOutOutput{}, nil
}

// DeleteUser deletes the access token's user and revokes all its tokens.
func (p *Pool) DeleteUser(ctx context.Context, in *cip.DeleteUserInput, _ ...func(*cip.Options)) (*cip.DeleteUserOutput, error) {
	p.tokenCalls.Add(1)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	username, err := p.accessUser(aws.ToString(in.AccessToken))
	if err != nil {
		return nil, err
	}
	p.revokeAll(username)
	delete(p.users, username)
	return &cip.DeleteUserOutput{}, nil
}

// accessUser is the user of a live access token. p.mu is held.
func (p *Pool) accessUser(token string) (string, error) {
	g, ok := p.access[token]
	switch {
	case !ok:
		return "", &types.NotAuthorizedException{Message: aws.String("Invalid Access Token")}
	case p.users[g.username] == nil:
		return "", &types.UserNotFoundException{Message: aws.String("User does not exist.")}
	case g.revoked:
		return "", &types.NotAuthorizedException{Message: aws.String("Access Token has been revoked")}
	}
	return g.username, nil
}

// revokeAll revokes every grant of username. p.mu is held.
func (p *Pool) revokeAll(username string) {
	for _, g := range p.refresh {
		if g.username == username {
			g.revoked = true
		}
	}
	for _, g := range p.access {
		if g.username == username {
			g.revoked = true
		}
	}
}

// checkClient checks the app client and its raw secret, as the token operations take it.
func (p *Pool) checkClient(clientID, secret string) error {
	p.remember(secret)
	switch {
	case clientID != p.ClientID:
		return &types.ResourceNotFoundException{Message: aws.String("User pool client does not exist.")}
	case secret != p.ClientSecret:
		return &types.NotAuthorizedException{Message: aws.String("Client " + p.ClientID + " is not authorized: the client secret does not match.")}
	}
	return nil
}
