package lambdaruntime

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// errorPayload is the JSON error shape shared by the Runtime API and the
// Invoke API ({"errorMessage","errorType"}).
type errorPayload struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

// marshal encodes e; the struct has only strings, so it cannot fail.
func (e errorPayload) marshal() []byte {
	b, _ := json.Marshal(e)
	return b
}

// Error types the runner itself reports, with Lambda's names.
const (
	errTypeTimeout   = "Sandbox.Timedout"
	errTypeExit      = "Runtime.ExitError"
	errTypeTooLarge  = "Function.ResponseSizeTooLarge"
	errTypeUnhandled = "Unhandled" // the X-Amz-Function-Error value
)

// timeoutPayload is what Lambda returns when an invocation outlives its
// timeout.
func timeoutPayload(requestID string, timeout time.Duration) []byte {
	return errorPayload{
		ErrorMessage: fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", requestID, timeout.Seconds()),
		ErrorType:    errTypeTimeout,
	}.marshal()
}

// exitPayload is what Lambda returns when the runtime process exits before
// answering (at init or mid-invoke).
func exitPayload(requestID string, state *os.ProcessState) []byte {
	return errorPayload{
		ErrorMessage: fmt.Sprintf("RequestId: %s Error: %s", requestID, exitReason(state)),
		ErrorType:    errTypeExit,
	}.marshal()
}

// exitReason words a process exit as Lambda does ("exit status 2",
// "signal: killed" come from exec's own wording, which Lambda kept).
func exitReason(state *os.ProcessState) string {
	if state == nil {
		return "Runtime exited without providing a reason"
	}
	if state.Success() {
		return "Runtime exited without providing a reason"
	}
	return "Runtime exited with error: " + state.String()
}

// tooLargePayload is what Lambda returns when a response exceeds the
// synchronous limit.
func tooLargePayload(size int64) []byte {
	return errorPayload{
		ErrorMessage: fmt.Sprintf("Response payload size (%d bytes) exceeded maximum allowed payload size (%d bytes).", size, maxResponseSize),
		ErrorType:    errTypeTooLarge,
	}.marshal()
}

// initErrorPayload is the invoker's payload for an error the runtime posted
// to /runtime/init/error: the posted body when it is JSON, as Lambda passes
// it on, else a payload built around it.
func initErrorPayload(body []byte, errorType string) []byte {
	if json.Valid(body) {
		return body
	}
	if errorType == "" {
		errorType = "Runtime.Unknown"
	}
	return errorPayload{ErrorMessage: string(body), ErrorType: errorType}.marshal()
}
