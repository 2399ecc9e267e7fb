// Package cognito is a local Amazon Cognito user pool service: an http.Handler that speaks the
// Cognito Identity Provider API (AWS JSON 1.1, X-Amz-Target: AWSCognitoIdentityProviderService.<Op>)
// for the operations this project and its local stack call, with Cognito's answers, so that the
// real AWS SDK client, the AWS CLI with --endpoint-url and the functions cannot tell it from
// Cognito. Request and response shapes are the SDK's own input, output and types values.
//
// Its state (pools, app clients, users with hashed passwords, signing keys, sessions) lives in
// one JSON file, rewritten atomically after each change; one mutex owns it. Each pool has its
// own RSA key; tokens are signed RS256 with issuer <BaseURL>/<poolId>, whose JWKS is served at
// /<poolId>/.well-known/jwks.json. Local tokens are for local use only.
package cognito

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/aws/smithy-go/middleware"
)

// Error is a Cognito error: its code (__type) and message, sent with HTTP 400 unless Status
// says otherwise (AWS JSON 1.1 protocol, as the SDK's awsjson11 deserializer reads it).
type Error struct {
	Code    string
	Message string
	Status  int
}

// Error returns the code and the message.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

func newErr(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Error codes of the Cognito API reference ("Errors" sections of each operation).
const (
	codeInvalidParameter   = "InvalidParameterException"
	codeNotAuthorized      = "NotAuthorizedException"
	codeUserNotFound       = "UserNotFoundException"
	codeUsernameExists     = "UsernameExistsException"
	codeInvalidPassword    = "InvalidPasswordException"
	codeResourceNotFound   = "ResourceNotFoundException"
	codeUserNotConfirmed   = "UserNotConfirmedException"
	codeResetRequired      = "PasswordResetRequiredException"
	codeUnsupportedOp      = "UnsupportedOperationException"
	codeUserLambda         = "UserLambdaValidationException"
	codeUnexpectedLambda   = "UnexpectedLambdaException"
	codeInvalidLambdaReply = "InvalidLambdaResponseException"
)

const targetPrefix = "AWSCognitoIdentityProviderService."

// operation decodes a request body and runs one API operation.
type operation func(s *Server, ctx context.Context, r *http.Request, body []byte) (any, error)

// op adapts a typed operation: the body is decoded into the SDK's input type, whose member
// names are the wire names.
func op[In, Out any](f func(s *Server, ctx context.Context, in *In) (*Out, error)) operation {
	return func(s *Server, ctx context.Context, _ *http.Request, body []byte) (any, error) {
		in := new(In)
		if err := json.Unmarshal(body, in); err != nil {
			return nil, &Error{Code: "SerializationException", Message: "The request body is not a valid " + reflect.TypeOf(in).Elem().Name()}
		}
		return f(s, ctx, in)
	}
}

// withRequest is op for operations that need the request (the issuer of the tokens they sign).
func withRequest[In, Out any](f func(s *Server, ctx context.Context, r *http.Request, in *In) (*Out, error)) operation {
	return func(s *Server, ctx context.Context, r *http.Request, body []byte) (any, error) {
		return op(func(s *Server, ctx context.Context, in *In) (*Out, error) { return f(s, ctx, r, in) })(s, ctx, r, body)
	}
}

// ServeHTTP answers the Cognito API on POST /, and each pool's JWKS and OpenID configuration
// under /<poolId>/.well-known/. A panicking request gets an InternalErrorException; the
// server goes on.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			s.logger().Error("cognito request panicked", "panic", fmt.Sprint(v))
			writeError(w, &Error{Code: "InternalErrorException", Message: "Internal error", Status: 500})
		}
	}()
	if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/.well-known/") {
		s.serveWellKnown(w, r)
		return
	}
	target := r.Header.Get("X-Amz-Target")
	name, ok := strings.CutPrefix(target, targetPrefix)
	f := operations[name]
	if r.Method != http.MethodPost || !ok || f == nil {
		writeError(w, &Error{Code: "UnknownOperationException", Message: "Operation " + target + " is not supported locally"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeError(w, &Error{Code: "SerializationException", Message: "The request body could not be read"})
		return
	}
	out, err := f(s, r.Context(), r, body)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			s.logger().Error("cognito operation failed", "operation", name, "error", err)
			e = &Error{Code: "InternalErrorException", Message: "Internal error", Status: 500}
		}
		writeError(w, e)
		return
	}
	data, err := json.Marshal(wireValue(reflect.ValueOf(out)))
	if err != nil {
		writeError(w, &Error{Code: "InternalErrorException", Message: "Internal error", Status: 500})
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_, _ = w.Write(data)
}

func writeError(w http.ResponseWriter, e *Error) {
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(status)
	data, _ := json.Marshal(map[string]string{"__type": e.Code, "message": e.Message})
	_, _ = w.Write(data)
}

var (
	timeType     = reflect.TypeOf(time.Time{})
	metadataType = reflect.TypeOf(middleware.Metadata{})
)

// wireValue turns an SDK output value into what encoding/json writes as AWS JSON 1.1: exported
// members by name, nil and empty members left out, timestamps as epoch seconds (JSON numbers),
// the SDK's result metadata dropped. Everything else encoding/json already writes as the SDK
// reads it.
func wireValue(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return wireValue(v.Elem())
	case reflect.Struct:
		if v.Type() == timeType {
			t := v.Interface().(time.Time)
			return float64(t.UnixMilli()) / 1000
		}
		out := map[string]any{}
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			fv := v.Field(i)
			if !f.IsExported() || f.Type == metadataType {
				continue
			}
			switch fv.Kind() {
			case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
				if fv.IsNil() {
					continue
				}
			case reflect.String:
				if fv.Len() == 0 {
					continue
				}
			}
			out[f.Name] = wireValue(fv)
		}
		return out
	case reflect.Slice:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = wireValue(v.Index(i))
		}
		return out
	case reflect.Map:
		out := map[string]any{}
		for _, k := range v.MapKeys() {
			out[k.String()] = wireValue(v.MapIndex(k))
		}
		return out
	default:
		return v.Interface()
	}
}

func (s *Server) logger() *slog.Logger {
	if s.opts.Logger != nil {
		return s.opts.Logger
	}
	return slog.New(slog.DiscardHandler)
}
