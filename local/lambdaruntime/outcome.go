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
	payload           []byte
	functionError     bool
	status, errorType string        // in REPORT: status "", "error" or "timeout"; the type with "error"
	logLines          []string      // what Lambda logs about a failure, before END
	duration          time.Duration // from handing over the event to the answer
}

// errorJSON is the error payload of the Runtime API and the Invoke API.
func errorJSON(msg, errType string) []byte {
	b, _ := json.Marshal(map[string]string{"errorMessage": msg, "errorType": errType})
	return b
}

// exitOutcome is Lambda's report of a runtime that exited before answering, at init or
// mid-invoke; "exit status 2" and "signal: killed" are exec's wording, which Lambda kept.
func exitOutcome(requestID string, state *os.ProcessState) outcome {
	msg := "RequestId: " + requestID + " Error: Runtime exited without providing a reason"
	if state != nil && !state.Success() {
		msg = "RequestId: " + requestID + " Error: Runtime exited with error: " + state.String()
	}
	return outcome{payload: errorJSON(msg, "Runtime.ExitError"), functionError: true, status: "error",
		errorType: "Runtime.ExitError", logLines: []string{msg, "Runtime.ExitError"}}
}

// timeoutOutcome is Lambda's report of an invocation (or init) that outlived its timeout.
func timeoutOutcome(requestID string, timeout time.Duration) outcome {
	msg := fmt.Sprintf("Task timed out after %.2f seconds", timeout.Seconds())
	return outcome{payload: errorJSON("RequestId: "+requestID+" Error: "+msg, "Sandbox.Timedout"), functionError: true,
		status: "timeout", logLines: []string{time.Now().UTC().Format("2006-01-02T15:04:05.000Z") + " " + requestID + " " + msg}}
}

// tooLargeOutcome is Lambda's report of a response over the synchronous limit.
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
	return s + field("Status", o.status) + field("Error Type", o.errorType)
}

// field is "name: value\t" in Lambda's report lines, or "" without a value.
func field(name, value string) string {
	if value == "" {
		return ""
	}
	return name + ": " + value + "\t"
}

// ms is d in milliseconds, as Lambda's log lines give durations.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
