// Package secrettest is a Secrets Manager stand-in for tests and benchmarks: it answers
// GetSecretValue for the secrets it holds over the AWS JSON 1.1 protocol the SDK speaks
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html), so
// the real SDK client can be pointed at it with AWS_ENDPOINT_URL_SECRETS_MANAGER.
package secrettest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
)

// Server serves the secrets of Secrets, by ARN, on 127.0.0.1.
type Server struct {
	*httptest.Server
	secrets map[string]string
	calls   atomic.Int64
}

// NewServer serves secrets (ARN → SecretString) over HTTP; Close stops it.
func NewServer(secrets map[string]string) *Server {
	s := &Server{secrets: secrets}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// NewTLSServer serves secrets over HTTPS with httptest's certificate for 127.0.0.1, which
// Certificate returns: the CA a client must trust (AWS_CA_BUNDLE for the SDK).
func NewTLSServer(secrets map[string]string) *Server {
	s := &Server{secrets: secrets}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	return s
}

// Calls is how many GetSecretValue requests the server has had.
func (s *Server) Calls() int { return int(s.calls.Load()) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if op := r.Header.Get("X-Amz-Target"); op != "secretsmanager.GetSecretValue" {
		writeError(w, http.StatusBadRequest, "UnknownOperationException", "unknown operation "+op)
		return
	}
	s.calls.Add(1)
	var in struct{ SecretId string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", "bad request body")
		return
	}
	value, ok := s.secrets[in.SecretId]
	if !ok {
		writeError(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	name := in.SecretId
	if i := strings.LastIndex(name, ":"); i >= 0 {
		name = name[i+1:]
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"ARN": in.SecretId, "Name": name, "SecretString": value, "CreatedDate": 1.7e9,
		"VersionId": "00000000-0000-4000-8000-000000000001", "VersionStages": []string{"AWSCURRENT"},
	})
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("X-Amzn-ErrorType", code)
	writeJSON(w, status, map[string]string{"__type": code, "message": msg})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
