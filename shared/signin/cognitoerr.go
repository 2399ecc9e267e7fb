package signin

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// operation names the Cognito call an error came from: one error code means different things
// for each (NotAuthorizedException is a wrong password for AdminInitiateAuth, but a
// misconfigured app client for SignUp).
type operation string

const (
	opAuth   operation = "AdminInitiateAuth"
	opSignUp operation = "SignUp"
)

// userNotFound reports whether AdminInitiateAuth said there is no such user, the one case in
// which the flow goes on to SignUp. The app client's PreventUserExistenceErrors is LEGACY, so
// Cognito says UserNotFoundException for an unknown user and NotAuthorizedException only for a
// wrong password (https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pool-managing-errors.html).
func userNotFound(err error) bool { return ErrorCode(err) == "UserNotFoundException" }

// lockedOut reports Cognito's lockout after repeated wrong passwords: NotAuthorizedException
// with the message "Password attempts exceeded" (Cognito has no code of its own for it).
func lockedOut(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "NotAuthorizedException" &&
		strings.Contains(apiErr.ErrorMessage(), "Password attempts exceeded")
}

// SecretRefused reports Cognito refusing our app client secret: NotAuthorizedException "Unable
// to verify secret hash for client <id>" for a wrong SECRET_HASH
// (https://repost.aws/knowledge-center/cognito-unable-to-verify-secret-hash), and a message
// naming the secret for a wrong raw ClientSecret. With LEGACY a wrong password is
// NotAuthorizedException too, so the message tells them apart: a wrong client secret is our
// configuration, and the user must not be told "wrong password" or "invalid token".
func SecretRefused(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "NotAuthorizedException" &&
		strings.Contains(strings.ToLower(apiErr.ErrorMessage()), "secret")
}

// usernameExists reports whether SignUp refused because the username is taken.
func usernameExists(err error) bool { return ErrorCode(err) == "UsernameExistsException" }

// fromCognito is the one place where Cognito errors become what a client is told.
func fromCognito(op operation, err error) *Error {
	e := &Error{Cause: err}
	code := ErrorCode(err)
	switch {
	case code == "TooManyFailedAttemptsException":
		e.Code, e.Message = CodeTooManyRequests, messageThrottled
	case SecretRefused(err):
		return CognitoFailure(err)
	case op == opAuth && lockedOut(err):
		e.Code, e.Message = CodeTooManyAttempts, messageLockedOut
	case op == opAuth && (code == "UserNotFoundException" || code == "NotAuthorizedException"):
		e.Code, e.Message = CodeInvalidCredentials, messageInvalidCredentials
	case op == opAuth && code == "UserNotConfirmedException":
		e.Code, e.Message = CodeUserNotConfirmed, "This account is not confirmed yet."
	case op == opAuth && code == "PasswordResetRequiredException":
		e.Code, e.Message = CodePasswordResetRequired, "This account needs a password reset before it can sign in."
	case op == opSignUp && code == "InvalidPasswordException":
		e.Code, e.Message = CodeInvalidPassword, passwordPolicyMessage(err)
	case op == opSignUp && code == "InvalidParameterException":
		e.Code, e.Message = CodeInvalidRequest, "The user pool does not accept this username or password."
	case op == opSignUp && code == "UserLambdaValidationException":
		e.Code, e.Message = CodeSignupRejected, "Sign-up was refused for this account."
	case op == opSignUp && isTriggerFailure(code):
		e.Code, e.Message = CodeServiceUnavailable, "Sign-up is temporarily unavailable. Please try again later."
	case op == opSignUp && code == "CodeDeliveryFailureException":
		e.Code, e.Message = CodeServiceUnavailable, messageUnavailable
	default:
		return CognitoFailure(err)
	}
	return e
}

// CognitoFailure is what any Cognito call's error means when its code says nothing particular
// to the operation: throttling is too_many_requests, a Cognito that failed, could not be reached
// or was too slow is service_unavailable, anything else is internal_error (our configuration).
// Each route maps its operation's own codes first and hands the rest here.
func CognitoFailure(err error) *Error {
	e := &Error{Cause: err}
	switch code := ErrorCode(err); {
	case code == "TooManyRequestsException", code == "LimitExceededException":
		e.Code, e.Message = CodeTooManyRequests, messageThrottled
	case code == "InternalErrorException", isUnavailable(err):
		e.Code, e.Message = CodeServiceUnavailable, messageUnavailable
	default:
		e.Code, e.Message = CodeInternal, messageInternal
	}
	return e
}

// InvalidToken is the one invalid_token failure, the same bytes whatever made the token
// unusable; cause (nil when no Cognito call was made) is for the log only.
func InvalidToken(cause error) *Error {
	return &Error{Code: CodeInvalidToken, Message: messageInvalidToken, Cause: cause}
}

// isTriggerFailure reports a PreSignUp trigger that could not be run or answered nonsense.
func isTriggerFailure(code string) bool {
	switch code {
	case "UnexpectedLambdaException", "InvalidLambdaResponseException":
		return true
	}
	return false
}

// TriggerFailure reports whether err came from a PreSignUp trigger that failed or refused, for
// the log line.
func TriggerFailure(err error) bool {
	code := ErrorCode(err)
	return isTriggerFailure(code) || code == "UserLambdaValidationException"
}

// isUnavailable reports a Cognito that could not be reached or answered with a server error,
// or a sign-in that ran out of time: all of them worth a retry by the client later.
func isUnavailable(err error) bool {
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) && respErr.HTTPStatusCode() >= 500 {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr)
}

// passwordPolicyMessage passes on Cognito's policy sentence ("Password did not conform with
// policy: Password not long enough") and nothing else it may have said.
func passwordPolicyMessage(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		msg := strings.TrimSpace(apiErr.ErrorMessage())
		if strings.HasPrefix(msg, "Password did not conform with policy") && len(msg) <= 200 {
			return strings.TrimSuffix(msg, ".") + "."
		}
	}
	return "The password does not meet the requirements of this service."
}

// ErrorCode is the Cognito error code of err (UserNotFoundException, ...), or "".
func ErrorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}
