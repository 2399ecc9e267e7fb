package cognito

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// Invoker is the part of the Lambda client the triggers call.
type Invoker interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

var _ Invoker = (*lambda.Client)(nil)

// Options configure a Server.
type Options struct {
	// StateFile is the JSON file holding every pool; empty keeps the state in memory only.
	StateFile string
	// BaseURL is where the server is reached ("http://127.0.0.1:9229"): tokens' issuer is
	// BaseURL/<poolId>. Empty takes it from each request's Host.
	BaseURL string
	// Region is the pools' region (ids are <region>_<random>); "local" if empty.
	Region string
	// Lambda runs the pools' triggers; nil makes every configured trigger fail as
	// UnexpectedLambdaException.
	Lambda Invoker
	// Logger receives internal errors only, never a password or a token.
	Logger *slog.Logger
	// Now is the clock; time.Now if nil (tests move it for lockout and expiry).
	Now func() time.Time
}

// Server is a local Cognito user pool service. It is safe for concurrent use.
type Server struct {
	opts Options

	mu         sync.Mutex // owns st, keys and challenges
	st         state
	keys       map[string]*rsa.PrivateKey
	challenges map[string]challenge
}

// state is everything kept in the state file.
type state struct {
	Pools map[string]*pool `json:"pools"`
}

type pool struct {
	Pool types.UserPoolType `json:"pool"`
	// KeyPEM is the pool's RSA signing key (PKCS#1 PEM), KeyID its kid.
	KeyPEM          string                               `json:"keyPem"`
	KeyID           string                               `json:"keyId"`
	Clients         map[string]*types.UserPoolClientType `json:"clients"`
	ResourceServers map[string]*types.ResourceServerType `json:"resourceServers,omitempty"`
	// Users by username key (lower-cased when the pool is case-insensitive).
	Users map[string]*user `json:"users"`
	// Sessions by origin_jti: one per sign-in, holding its refresh token's hash.
	Sessions map[string]*session `json:"sessions"`
}

type user struct {
	Username     string                `json:"username"`
	Sub          string                `json:"sub"`
	Attributes   []types.AttributeType `json:"attributes"`
	PasswordHash string                `json:"passwordHash,omitempty"`
	Status       types.UserStatusType  `json:"status"`
	Enabled      bool                  `json:"enabled"`
	Created      time.Time             `json:"created"`
	Modified     time.Time             `json:"modified"`
	// Failures counts consecutive wrong passwords; LockedUntil is the lockout's end.
	Failures    int       `json:"failures,omitempty"`
	LockedUntil time.Time `json:"lockedUntil,omitzero"`
}

type session struct {
	Sub         string    `json:"sub"`
	ClientID    string    `json:"clientId"`
	AuthTime    int64     `json:"authTime"`
	RefreshHash string    `json:"refreshHash"`
	Expires     time.Time `json:"expires"`
	Revoked     bool      `json:"revoked,omitempty"`
	// PrevHash is the refresh token rotated out, valid until PrevUntil (the grace period).
	PrevHash  string    `json:"prevHash,omitempty"`
	PrevUntil time.Time `json:"prevUntil,omitzero"`
}

// New returns a Server with the state of opts.StateFile, if it exists.
func New(opts Options) (*Server, error) {
	if opts.Region == "" {
		opts.Region = "local"
	}
	s := &Server{opts: opts, st: state{Pools: map[string]*pool{}}, keys: map[string]*rsa.PrivateKey{}}
	if opts.StateFile == "" {
		return s, nil
	}
	if err := os.MkdirAll(filepath.Dir(opts.StateFile), 0o755); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(opts.StateFile)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("cognito state: %w", err)
	}
	if err := json.Unmarshal(data, &s.st); err != nil {
		return nil, fmt.Errorf("cognito state %s: %w (delete it to start over)", opts.StateFile, err)
	}
	if s.st.Pools == nil {
		s.st.Pools = map[string]*pool{}
	}
	return s, nil
}

func (s *Server) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now()
	}
	return time.Now()
}

// save writes the state file atomically (a temporary file renamed over it). s.mu is held.
func (s *Server) save() error {
	if s.opts.StateFile == "" {
		return nil
	}
	data, err := json.Marshal(s.st)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.opts.StateFile), ".cognito-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), s.opts.StateFile)
}

// pool returns the pool by id. s.mu is held.
func (s *Server) pool(id *string) (*pool, error) {
	if id == nil {
		return nil, newErr(codeInvalidParameter, "1 validation error detected: Value null at 'userPoolId' failed to satisfy constraint: Member must not be null")
	}
	p := s.st.Pools[*id]
	if p == nil {
		return nil, newErr(codeResourceNotFound, "User pool %s does not exist.", *id)
	}
	return p, nil
}

// client finds an app client by id in any pool. s.mu is held.
func (s *Server) client(id *string) (*pool, *types.UserPoolClientType, error) {
	if id != nil {
		for _, p := range s.st.Pools {
			if c := p.Clients[*id]; c != nil {
				return p, c, nil
			}
		}
	}
	return nil, nil, newErr(codeResourceNotFound, "User pool client %s does not exist.", deref(id))
}

// userKey is the key of a username: lower-cased unless the pool is case-sensitive
// (UsernameConfiguration.CaseSensitive, "User pool attribute"/"Username case sensitivity").
func (p *pool) userKey(username string) string {
	if uc := p.Pool.UsernameConfiguration; uc != nil && uc.CaseSensitive != nil && !*uc.CaseSensitive {
		return strings.ToLower(username)
	}
	return username
}

// user finds a user by username, or by sub (Cognito accepts either as the username). s.mu is held.
func (p *pool) user(username string) *user {
	if u := p.Users[p.userKey(username)]; u != nil {
		return u
	}
	for _, u := range p.Users {
		if u.Sub == username {
			return u
		}
	}
	return nil
}

// signingKey returns the pool's parsed key. s.mu is held.
func (s *Server) signingKey(p *pool) (*rsa.PrivateKey, error) {
	id := *p.Pool.Id
	if k := s.keys[id]; k != nil {
		return k, nil
	}
	k, err := parseKey(p.KeyPEM)
	if err != nil {
		return nil, fmt.Errorf("pool %s key: %w", id, err)
	}
	s.keys[id] = k
	return k, nil
}

// randomString is n characters of alphabet from crypto/rand.
func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

const (
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	alnum      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func attr(list []types.AttributeType, name string) (string, bool) {
	for _, a := range list {
		if deref(a.Name) == name {
			return deref(a.Value), true
		}
	}
	return "", false
}
