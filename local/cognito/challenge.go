package cognito

import (
	"context"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// challenge is a NEW_PASSWORD_REQUIRED challenge waiting for its answer. Challenges live in
// memory only: like Cognito's sessions they last minutes (the client's AuthSessionValidity).
type challenge struct {
	poolID, clientID, sub string
	expires               time.Time
}

// newChallenge records a challenge session for the user. s.mu is held.
func (s *Server) newChallenge(p *pool, c *types.UserPoolClientType, u *user) string {
	if s.challenges == nil {
		s.challenges = map[string]challenge{}
	}
	for id, ch := range s.challenges {
		if s.now().After(ch.expires) {
			delete(s.challenges, id)
		}
	}
	minutes := aws.ToInt32(c.AuthSessionValidity)
	if minutes == 0 {
		minutes = 3 // AuthSessionValidity's default (API_CreateUserPoolClient)
	}
	id := randomString(64, alnum)
	s.challenges[id] = challenge{poolID: *p.Pool.Id, clientID: *c.ClientId, sub: u.Sub, expires: s.now().Add(time.Duration(minutes) * time.Minute)}
	return id
}

// RespondToAuthChallenge answers NEW_PASSWORD_REQUIRED with NEW_PASSWORD (API_RespondToAuthChallenge).
func (s *Server) RespondToAuthChallenge(ctx context.Context, r *http.Request, in *cip.RespondToAuthChallengeInput) (*cip.RespondToAuthChallengeOutput, error) {
	tokens, err := s.respond(ctx, r, nil, in.ClientId, in.ChallengeName, in.Session, in.ChallengeResponses, in.ClientMetadata)
	if err != nil {
		return nil, err
	}
	return &cip.RespondToAuthChallengeOutput{AuthenticationResult: tokens}, nil
}

// AdminRespondToAuthChallenge is RespondToAuthChallenge for a server-side client
// (API_AdminRespondToAuthChallenge).
func (s *Server) AdminRespondToAuthChallenge(ctx context.Context, r *http.Request, in *cip.AdminRespondToAuthChallengeInput) (*cip.AdminRespondToAuthChallengeOutput, error) {
	tokens, err := s.respond(ctx, r, in.UserPoolId, in.ClientId, in.ChallengeName, in.Session, in.ChallengeResponses, in.ClientMetadata)
	if err != nil {
		return nil, err
	}
	return &cip.AdminRespondToAuthChallengeOutput{AuthenticationResult: tokens}, nil
}

// respond sets the new password (checked against the policy), confirms the user and signs it
// in (Pre Token Generation source TokenGeneration_NewPasswordChallenge).
func (s *Server) respond(ctx context.Context, r *http.Request, poolID, clientID *string, name types.ChallengeNameType, session *string,
	answers, metadata map[string]string) (*types.AuthenticationResultType, error) {
	if name != types.ChallengeNameTypeNewPasswordRequired {
		return nil, newErr(codeInvalidParameter, "Challenge %s is not supported locally", name)
	}
	s.mu.Lock()
	p, c, err := s.client(clientID)
	ch, ok := s.challenges[deref(session)]
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if !ok || ch.clientID != *c.ClientId || (poolID != nil && *poolID != ch.poolID) || s.now().After(ch.expires) {
		return nil, newErr(codeNotAuthorized, "Invalid session for the user, session is expired.")
	}
	username := answers["USERNAME"]
	if err := checkSecretHash(c, username, aws.String(answers["SECRET_HASH"])); err != nil {
		return nil, err
	}
	if err := checkPassword(p.Pool.Policies, answers["NEW_PASSWORD"]); err != nil {
		return nil, err
	}
	hash, err := hashPassword(answers["NEW_PASSWORD"])
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	u := p.user(username)
	if u == nil || u.Sub != ch.sub || u.Status != types.UserStatusTypeForceChangePassword {
		s.mu.Unlock()
		return nil, newErr(codeNotAuthorized, "Invalid session for the user, session is expired.")
	}
	delete(s.challenges, deref(session))
	u.PasswordHash, u.Status, u.Modified = hash, types.UserStatusTypeConfirmed, s.now()
	snapshot := *u
	err = s.save()
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s.issue(ctx, r, p, c, &snapshot, "TokenGeneration_NewPasswordChallenge", metadata, nil, false)
}
