package cognitotest

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/smithy-go"
)

// Server serves a Pool over HTTP as Cognito does (the AWS JSON 1.1 protocol: POST /, an
// X-Amz-Target header, errors named by X-Amzn-ErrorType), so the real SDK client can be pointed
// at it, and misbehaves on command through Fault.
type Server struct {
	*httptest.Server
	Pool *Pool

	// Fault, when set, runs before the pool for every request, with the operation name
	// (AdminInitiateAuth, SignUp, GetTokensFromRefreshToken, ...) and the request's attempt number for that operation (1, 2,
	// ... across the whole test). It returns true when it has answered (or dropped) the request.
	Fault func(w http.ResponseWriter, r *http.Request, op string, attempt int) bool

	mu       sync.Mutex
	attempts map[string]int
	closed   chan struct{}
}

// NewServer starts a server for pool on 127.0.0.1; Close stops it.
func NewServer(pool *Pool) *Server {
	s := &Server{Pool: pool, attempts: map[string]int{}, closed: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// NewTLSServer is NewServer over HTTPS, with httptest's certificate for 127.0.0.1: Certificate
// returns the CA a client must trust (AWS_CA_BUNDLE for the SDK), and every new connection
// pays a TLS handshake as one to Cognito does.
func NewTLSServer(pool *Pool) *Server {
	s := &Server{Pool: pool, attempts: map[string]int{}, closed: make(chan struct{})}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	return s
}

// Close releases requests held by Hang, then stops the server.
func (s *Server) Close() {
	close(s.closed)
	s.Server.Close()
}

// Attempts is how many HTTP requests the server has had for op, retries included.
func (s *Server) Attempts(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[op]
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSCognitoIdentityProviderService.")
	s.mu.Lock()
	s.attempts[op]++
	attempt := s.attempts[op]
	s.mu.Unlock()
	if s.Fault != nil && s.Fault(w, r, op, attempt) {
		return
	}
	switch op {
	case "AdminInitiateAuth":
		var in cip.AdminInitiateAuthInput
		if !decode(w, r, &in) {
			return
		}
		out, err := s.Pool.AdminInitiateAuth(r.Context(), &in)
		if err != nil {
			WriteError(w, err)
			return
		}
		body := map[string]any{}
		if a := out.AuthenticationResult; a != nil {
			body["AuthenticationResult"] = map[string]any{
				"IdToken": aws.ToString(a.IdToken), "AccessToken": aws.ToString(a.AccessToken),
				"RefreshToken": aws.ToString(a.RefreshToken), "ExpiresIn": a.ExpiresIn, "TokenType": aws.ToString(a.TokenType),
			}
		} else {
			body["ChallengeName"], body["Session"] = out.ChallengeName, aws.ToString(out.Session)
		}
		writeJSON(w, http.StatusOK, body)
	case "SignUp":
		var in cip.SignUpInput
		if !decode(w, r, &in) {
			return
		}
		out, err := s.Pool.SignUp(r.Context(), &in)
		if err != nil {
			WriteError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"UserSub": aws.ToString(out.UserSub), "UserConfirmed": out.UserConfirmed})
	case "GetTokensFromRefreshToken":
		var in cip.GetTokensFromRefreshTokenInput
		if !decode(w, r, &in) {
			return
		}
		out, err := s.Pool.GetTokensFromRefreshToken(r.Context(), &in)
		if err != nil {
			WriteError(w, err)
			return
		}
		a := out.AuthenticationResult
		writeJSON(w, http.StatusOK, map[string]any{"AuthenticationResult": map[string]any{
			"IdToken": aws.ToString(a.IdToken), "AccessToken": aws.ToString(a.AccessToken),
			"RefreshToken": aws.ToString(a.RefreshToken), "ExpiresIn": a.ExpiresIn, "TokenType": aws.ToString(a.TokenType),
		}})
	case "RevokeToken", "GlobalSignOut", "DeleteUser":
		var err error
		switch op {
		case "RevokeToken":
			var in cip.RevokeTokenInput
			if !decode(w, r, &in) {
				return
			}
			_, err = s.Pool.RevokeToken(r.Context(), &in)
		case "GlobalSignOut":
			var in cip.GlobalSignOutInput
			if !decode(w, r, &in) {
				return
			}
			_, err = s.Pool.GlobalSignOut(r.Context(), &in)
		default:
			var in cip.DeleteUserInput
			if !decode(w, r, &in) {
				return
			}
			_, err = s.Pool.DeleteUser(r.Context(), &in)
		}
		if err != nil {
			WriteError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{})
	default:
		WriteError(w, &smithy.GenericAPIError{Code: "UnknownOperationException", Message: "unknown operation " + op})
	}
}

// decode reads the JSON 1.1 request body, whose member names are the SDK input field names.
func decode(w http.ResponseWriter, r *http.Request, in any) bool {
	if err := json.NewDecoder(r.Body).Decode(in); err != nil {
		WriteError(w, &smithy.GenericAPIError{Code: "SerializationException", Message: "bad request body"})
		return false
	}
	return true
}

// WriteError answers as Cognito answers an error: 400 for a client error with its code, 500 for
// InternalErrorException and anything that is not an API error.
func WriteError(w http.ResponseWriter, err error) {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		apiErr = &smithy.GenericAPIError{Code: "InternalErrorException", Message: "internal error", Fault: smithy.FaultServer}
	}
	status := http.StatusBadRequest
	if apiErr.ErrorFault() == smithy.FaultServer || apiErr.ErrorCode() == "InternalErrorException" {
		status = http.StatusInternalServerError
	}
	w.Header().Set("X-Amzn-ErrorType", apiErr.ErrorCode())
	writeJSON(w, status, map[string]string{"__type": apiErr.ErrorCode(), "message": apiErr.ErrorMessage()})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", newUUID())
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// Drop closes the connection without an answer, as a dropped connection looks to the client.
func Drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
		}
	}
}

// Hang never answers: it waits until the client gives up on the request or the server closes.
// It reads the request body first, as the server notices a client hanging up only after that.
func (s *Server) Hang(r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
	case <-s.closed:
	}
}
