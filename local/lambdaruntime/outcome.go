package lambdaruntime

import (
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
	status, errorType string   // in REPORT: status "", "error" or "timeout"; the type with "error"
	logLines          []string // what Lambda logs about a failure, before END
}

// errorJSON is the error payload of the Runtime API and the Invoke API.
func errorJSON(msg, errType string) []byte {
	b, _ := json.Marshal(map[string]string{"errorMessage": msg, "errorType": errType})
	return b
}

// failure is an outcome Lambda itself reports: the payload {msg, errType}, the REPORT status
// (with the type unless a timeout), and logLines.
func failure(errType, msg, status string, logLines ...string) outcome {
	o := outcome{payload: errorJSON(msg, errType), functionError: true, status: status, logLines: logLines}
	if status == "error" {
		o.errorType = errType
	}
	return o
}

// exitOutcome is Lambda's report of a runtime that exited before answering, at init or
// mid-invoke; "exit status 2" and "signal: killed" are exec's wording, which Lambda kept.
func exitOutcome(requestID string, state *os.ProcessState) outcome {
	msg := "RequestId: " + requestID + " Error: Runtime exited without providing a reason"
	if state != nil && !state.Success() {
		msg = "RequestId: " + requestID + " Error: Runtime exited with error: " + state.String()
	}
	return failure("Runtime.ExitError", msg, "error", msg, "Runtime.ExitError")
}

// reportLine is Lambda's REPORT line, tab-separated with a trailing tab. Billed Duration
// includes the init phase, as Lambda bills it since August 2025.
func reportLine(requestID string, duration, init time.Duration, memoryMB, usedMB int, o outcome) string {
	s := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		requestID, ms(duration), int64(math.Ceil(ms(duration+init))), memoryMB, usedMB)
	if init > 0 {
		s += fmt.Sprintf("Init Duration: %.2f ms\t", ms(init))
	}
	return s + o.fields()
}

// fields is the outcome's Status and Error Type in Lambda's report lines.
func (o outcome) fields() (s string) {
	if o.status != "" {
		s = "Status: " + o.status + "\t"
	}
	if o.errorType != "" {
		s += "Error Type: " + o.errorType + "\t"
	}
	return s
}

// ms is d in milliseconds, as Lambda's log lines give durations.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
