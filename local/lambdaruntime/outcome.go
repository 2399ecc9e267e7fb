package lambdaruntime

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"time"
)

// outcome is how an invocation ended.
type outcome struct {
	payload       []byte
	functionError bool
	status        string        // REPORT status: "", "error" or "timeout"
	errorType     string        // REPORT error type, with status "error"
	logLines      []string      // what Lambda logs about the failure, before END
	duration      time.Duration // from handing over the event to the answer
}

// errorPayload is the error shape of the Runtime API and the Invoke API.
type errorPayload struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

// errorJSON encodes an errorPayload; it has only strings, so it cannot fail.
func errorJSON(msg, errType string) []byte {
	b, _ := json.Marshal(errorPayload{msg, errType})
	return b
}

// exitOutcome is what Lambda reports when the runtime exits before answering, at init or
// mid-invoke; "exit status 2" and "signal: killed" are exec's wording, which Lambda kept.
func exitOutcome(requestID string, state *os.ProcessState) outcome {
	reason := "Runtime exited without providing a reason"
	if state != nil && !state.Success() {
		reason = "Runtime exited with error: " + state.String()
	}
	msg := "RequestId: " + requestID + " Error: " + reason
	return outcome{payload: errorJSON(msg, "Runtime.ExitError"), functionError: true, status: "error",
		errorType: "Runtime.ExitError", logLines: []string{msg, "Runtime.ExitError"}}
}

// timeoutOutcome is what Lambda reports when an invocation outlives its timeout.
func timeoutOutcome(requestID string, timeout time.Duration) outcome {
	msg := fmt.Sprintf("Task timed out after %.2f seconds", timeout.Seconds())
	line := time.Now().UTC().Format("2006-01-02T15:04:05.000Z") + " " + requestID + " " + msg
	return outcome{payload: errorJSON("RequestId: "+requestID+" Error: "+msg, "Sandbox.Timedout"), functionError: true,
		status: "timeout", logLines: []string{line}}
}

// tooLargeOutcome is what Lambda reports when a response exceeds the synchronous limit.
func tooLargeOutcome(size int64) outcome {
	msg := fmt.Sprintf("Response payload size (%d bytes) exceeded maximum allowed payload size (%d bytes).", size, maxResponseSize)
	return outcome{payload: errorJSON(msg, "Function.ResponseSizeTooLarge"), functionError: true, status: "error",
		errorType: "Function.ResponseSizeTooLarge"}
}

// postedError is the invoker's payload for an error the runtime posted: the body when it is
// JSON, as Lambda passes it on, else a payload around it.
func postedError(body []byte, errorType string) []byte {
	if json.Valid(body) {
		return body
	}
	return errorJSON(string(body), cmp.Or(errorType, "Runtime.Unknown"))
}

// reportLine is Lambda's REPORT line, tab-separated with a trailing tab. Billed Duration
// includes the init phase, as Lambda bills it since August 2025.
func reportLine(requestID string, duration, init time.Duration, memoryMB, usedMB int, o outcome) string {
	s := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		requestID, ms(duration), int64(math.Ceil(ms(duration+init))), memoryMB, usedMB)
	if init > 0 {
		s += fmt.Sprintf("Init Duration: %.2f ms\t", ms(init))
	}
	if o.status != "" {
		s += "Status: " + o.status + "\t"
	}
	if o.errorType != "" {
		s += "Error Type: " + o.errorType + "\t"
	}
	return s
}

// ms is d in milliseconds, as Lambda's log lines give durations.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
