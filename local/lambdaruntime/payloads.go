package lambdaruntime

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// outcome is how an invocation ended.
type outcome struct {
	payload       []byte
	functionError bool
	status        string   // REPORT status: "", "error" or "timeout"
	errorType     string   // REPORT error type, with status "error"
	logLines      []string // lines Lambda logs about the failure, before END
}

// errorPayload is the JSON error shape shared by the Runtime API and the Invoke API
// ({"errorMessage","errorType"}).
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

// exitOutcome is what Lambda reports when the runtime process exits before answering (at
// init or mid-invoke). "exit status 2" and "signal: killed" are exec's wording, which Lambda
// kept.
func exitOutcome(requestID string, state *os.ProcessState) outcome {
	reason := "Runtime exited without providing a reason"
	if state != nil && !state.Success() {
		reason = "Runtime exited with error: " + state.String()
	}
	msg := fmt.Sprintf("RequestId: %s Error: %s", requestID, reason)
	return outcome{
		payload:       errorPayload{ErrorMessage: msg, ErrorType: errTypeExit}.marshal(),
		functionError: true,
		status:        "error",
		errorType:     errTypeExit,
		logLines:      []string{msg, errTypeExit},
	}
}

// timeoutOutcome is what Lambda reports when an invocation outlives its timeout.
func timeoutOutcome(requestID string, timeout time.Duration) outcome {
	msg := fmt.Sprintf("Task timed out after %.2f seconds", timeout.Seconds())
	return outcome{
		payload:       errorPayload{ErrorMessage: "RequestId: " + requestID + " Error: " + msg, ErrorType: errTypeTimeout}.marshal(),
		functionError: true,
		status:        "timeout",
		logLines:      []string{time.Now().UTC().Format("2006-01-02T15:04:05.000Z") + " " + requestID + " " + msg},
	}
}

// tooLargeOutcome is what Lambda reports when a response exceeds the synchronous limit.
func tooLargeOutcome(size int64) outcome {
	return outcome{
		payload: errorPayload{
			ErrorMessage: fmt.Sprintf("Response payload size (%d bytes) exceeded maximum allowed payload size (%d bytes).", size, maxResponseSize),
			ErrorType:    errTypeTooLarge,
		}.marshal(),
		functionError: true,
		status:        "error",
		errorType:     errTypeTooLarge,
	}
}

// initErrorPayload is the invoker's payload for an error the runtime posted to /init/error or
// /error: the posted body when it is JSON, as Lambda passes it on, else a payload around it.
func initErrorPayload(body []byte, errorType string) []byte {
	if json.Valid(body) {
		return body
	}
	if errorType == "" {
		errorType = "Runtime.Unknown"
	}
	return errorPayload{ErrorMessage: string(body), ErrorType: errorType}.marshal()
}
