package signin

import (
	"errors"
	"net/http"
)

// Code is the stable, machine-readable error code a client sees in a failure body.
type Code string

// The codes every route of the API can fail with (sign-in, refresh, sign-out, account
// deletion). Clients branch on these; they never change meaning.
const (
	CodeInvalidRequest        Code = "invalid_request"
	CodePayloadTooLarge       Code = "payload_too_large"
	CodeInvalidPassword       Code = "invalid_password"
	CodeInvalidCredentials    Code = "invalid_credentials"
	CodeUserNotConfirmed      Code = "user_not_confirmed"
	CodePasswordResetRequired Code = "password_reset_required"
	CodeChallengeRequired     Code = "challenge_required"
	CodeSignupRejected        Code = "signup_rejected"
	CodeTooManyAttempts       Code = "too_many_attempts"
	CodeInvalidToken          Code = "invalid_token"
	CodeTooManyRequests       Code = "too_many_requests"
	CodeServiceUnavailable    Code = "service_unavailable"
	CodeInternal              Code = "internal_error"
)

// statusOf is the one table from codes to HTTP statuses.
var statusOf = map[Code]int{
	CodeInvalidRequest:        http.StatusBadRequest,
	CodePayloadTooLarge:       http.StatusRequestEntityTooLarge,
	CodeInvalidPassword:       http.StatusBadRequest,
	CodeInvalidCredentials:    http.StatusUnauthorized,
	CodeUserNotConfirmed:      http.StatusForbidden,
	CodePasswordResetRequired: http.StatusForbidden,
	CodeChallengeRequired:     http.StatusForbidden,
	CodeSignupRejected:        http.StatusForbidden,
	CodeTooManyAttempts:       http.StatusTooManyRequests,
	CodeInvalidToken:          http.StatusUnauthorized,
	CodeTooManyRequests:       http.StatusTooManyRequests,
	CodeServiceUnavailable:    http.StatusServiceUnavailable,
	CodeInternal:              http.StatusInternalServerError,
}

// Status is the HTTP status a proxy response carries for code; unknown codes are 500.
func (c Code) Status() int {
	if s, ok := statusOf[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// RetryAfter is the Retry-After, in seconds, a client is given with code, or 0 for none.
// too_many_requests: Cognito's quotas are per second, so one second is the shortest wait that
// can help. too_many_attempts: Cognito locks a user for 1 s after the fifth failed password,
// doubling with each further failure, and does not say how long the lock still lasts; 5 s
// outlasts the first three locks, and a login screen shows it as "wait a moment".
func (c Code) RetryAfter() int {
	switch c {
	case CodeTooManyRequests:
		return 1
	case CodeTooManyAttempts:
		return 5
	}
	return 0
}

// Error is an expected failure of any route: what the client is told, and, for the log only, why.
type Error struct {
	Code Code
	// Message is one human sentence for the client. It never holds SDK error text.
	Message string
	// Challenge names the Cognito challenge for CodeChallengeRequired (e.g. NEW_PASSWORD_REQUIRED).
	Challenge string
	// AccountCreated is true when SignUp created the account but the sign-in after it failed,
	// so the login screen can say so and simply try again.
	AccountCreated bool
	// Cause is the underlying error, for the log; it is never sent to the client.
	Cause error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return string(e.Code) + ": " + e.Cause.Error()
	}
	return string(e.Code) + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// ErrorOf returns err as an *Error, or an internal_error wrapping it when it is not one.
func ErrorOf(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Message: messageInternal, Cause: err}
}

// Client-facing sentences that more than one path uses. invalid_credentials has exactly one
// sentence whatever the cause, so a caller cannot tell an unknown user from a wrong password.
const (
	messageInvalidCredentials = "The username or password is incorrect."
	messageInternal           = "Something went wrong on our side. Please try again."
	messageUnavailable        = "The sign-in service is temporarily unavailable. Please try again."
	messageThrottled          = "Too many requests. Please wait a moment and try again."
	messageLockedOut          = "Too many failed sign-in attempts for this account. Please wait a moment and try again."
	messageInvalidToken       = "The token is invalid, expired or revoked. Please sign in again."
)
