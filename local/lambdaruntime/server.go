package lambdaruntime

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Runtime API headers.
const (
	headerRequestID       = "Lambda-Runtime-Aws-Request-Id"
	headerDeadline        = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN     = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID         = "Lambda-Runtime-Trace-Id"
	headerClientContext   = "Lambda-Runtime-Client-Context"
	headerErrorType       = "Lambda-Runtime-Function-Error-Type"
	trailerErrorBody      = "Lambda-Runtime-Function-Error-Body"
	headerExtensionName   = "Lambda-Extension-Name"
	headerExtensionID     = "Lambda-Extension-Identifier"
	invalidTransitionType = "InvalidStateTransition"
)

// routes is the Runtime API (2018-06-01) and just enough of the Extensions
// API (2020-01-01) for aws-lambda-go's lambda.WithEnableSIGTERM.
func (in *instance) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", in.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", in.handleResponse)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", in.handleError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", in.handleInitError)
	mux.HandleFunc("POST /2020-01-01/extension/register", in.handleExtensionRegister)
	mux.HandleFunc("GET /2020-01-01/extension/event/next", in.handleExtensionNext)
	return mux
}

// handleNext marks the runtime ready (ending init, or the previous
// invocation) and holds the request until there is an event for it.
func (in *instance) handleNext(w http.ResponseWriter, r *http.Request) {
	returning := false
	in.mu.Lock()
	switch in.state {
	case stateInit:
		in.state = stateIdle
		in.initDuration = time.Since(in.started)
		close(in.ready)
	case stateDraining:
		returning = true // the pool makes it idle, under its own lock
	case stateIdle: // a repeated /next after a dropped connection
	default:
		in.mu.Unlock()
		writeError(w, http.StatusForbidden, invalidTransitionType, "State transition to Ready failed for runtime: an invocation is under way or the environment is shutting down")
		return
	}
	in.mu.Unlock()
	if returning {
		in.pool.instanceIdle(in)
	}

	select {
	case inv := <-in.dispatch:
		h := w.Header()
		h.Set(headerRequestID, inv.id)
		h.Set(headerDeadline, strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set(headerFunctionARN, in.pool.fn.arn())
		h.Set(headerTraceID, inv.traceID)
		if inv.req.ClientContext != "" {
			h.Set(headerClientContext, inv.req.ClientContext)
		}
		h.Set("Content-Type", "application/json")
		_, _ = w.Write(inv.req.Payload)
	case <-r.Context().Done():
	case <-in.exited:
	}
}

// handleResponse takes the function's result.
func (in *instance) handleResponse(w http.ResponseWriter, r *http.Request) {
	size, ok := in.takeResult(w, r, func(body []byte) outcome {
		if r.Trailer.Get(headerErrorType) != "" {
			// aws-lambda-go reports a response that failed while streaming
			// in trailers rather than through /error.
			return outcome{payload: trailerErrorPayload(r.Trailer), functionError: true}
		}
		return outcome{payload: body}
	})
	if !ok {
		return
	}
	if size > maxResponseSize {
		writeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
			fmt.Sprintf("Exceeded maximum allowed payload size (%d bytes).", maxResponseSize))
		return
	}
	writeAccepted(w)
}

// handleError takes a function error ({"errorMessage","errorType"}), which
// Lambda passes to the invoker unchanged with X-Amz-Function-Error.
func (in *instance) handleError(w http.ResponseWriter, r *http.Request) {
	_, ok := in.takeResult(w, r, func(body []byte) outcome {
		if len(bytes.TrimSpace(body)) == 0 {
			return outcome{payload: initErrorPayload(nil, r.Header.Get(headerErrorType)), functionError: true}
		}
		return outcome{payload: body, functionError: true}
	})
	if ok {
		writeAccepted(w)
	}
}

// takeResult records the answer that a /response or /error post carries:
// what result makes of the body, or Lambda's too-large error when the body
// exceeds maxResponseSize. It returns the body's full size, and false when
// it has already answered the runtime with an error.
func (in *instance) takeResult(w http.ResponseWriter, r *http.Request, result func(body []byte) outcome) (int64, bool) {
	inv, ok := in.invocationFor(w, r)
	if !ok {
		return 0, false
	}
	body, size, err := readLimited(r.Body, maxResponseSize)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalServerError", "Internal Server Error")
		return 0, false
	}
	out := outcome{payload: tooLargePayload(size), functionError: true, status: "error", errorType: errTypeTooLarge}
	if size <= maxResponseSize {
		out = result(body)
	}
	if !in.answer(inv, out) {
		writeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return 0, false
	}
	return size, true
}

// handleInitError takes an error the runtime hit before its first /next.
func (in *instance) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, _, err := readLimited(r.Body, maxResponseSize)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalServerError", "Internal Server Error")
		return
	}
	errType := r.Header.Get(headerErrorType)
	in.mu.Lock()
	if in.state != stateInit {
		in.mu.Unlock()
		writeError(w, http.StatusForbidden, invalidTransitionType, "State transition to InitError failed for runtime: init is over")
		return
	}
	in.state = stateDead
	in.initError = initErrorPayload(body, errType)
	in.initErrType = errType
	if in.initErrType == "" {
		in.initErrType = "Runtime.Unknown"
	}
	close(in.initFailed)
	in.mu.Unlock()
	writeAccepted(w)
}

// handleExtensionRegister registers an internal extension. aws-lambda-go
// registers one, subscribed to no events, to get SIGTERM before shutdown;
// Close sends SIGTERM anyway.
func (in *instance) handleExtensionRegister(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	if r.Header.Get(headerExtensionName) == "" {
		writeError(w, http.StatusForbidden, "Extension.InvalidExtensionName", "Empty extension name")
		return
	}
	w.Header().Set(headerExtensionID, NewRequestID())
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{
		"functionName":    in.pool.fn.Name,
		"functionVersion": "$LATEST",
		"handler":         "bootstrap",
	})
}

// handleExtensionNext never returns an event: no event type is supported.
func (in *instance) handleExtensionNext(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-in.exited:
	}
}

// invocationFor returns the invocation a /response or /error is about, or
// answers the runtime with Lambda's error when there is none.
func (in *instance) invocationFor(w http.ResponseWriter, r *http.Request) (*invocation, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.state != stateBusy || in.current == nil {
		writeError(w, http.StatusForbidden, invalidTransitionType, "State transition to InvocationResponse failed for runtime: no invocation is under way")
		return nil, false
	}
	if in.current.id != r.PathValue("id") {
		writeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return nil, false
	}
	return in.current, true
}

// answer records the runtime's answer to inv, unless its outcome was
// already claimed (by the timeout).
func (in *instance) answer(inv *invocation, out outcome) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.current != inv {
		return false
	}
	in.current = nil
	in.state = stateDraining
	inv.result <- out
	return true
}

// readLimited reads up to limit bytes of r and the size of all of it.
func readLimited(r io.Reader, limit int64) ([]byte, int64, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, 0, err
	}
	size := int64(len(body))
	if size > limit {
		rest, err := io.Copy(io.Discard, r)
		if err != nil {
			return nil, 0, err
		}
		size += rest
	}
	return body, size, nil
}

// trailerErrorPayload is the error aws-lambda-go put in the trailers.
func trailerErrorPayload(trailer http.Header) []byte {
	if b, err := base64.StdEncoding.DecodeString(trailer.Get(trailerErrorBody)); err == nil && json.Valid(b) {
		return b
	}
	return errorPayload{ErrorType: trailer.Get(headerErrorType)}.marshal()
}

// writeAccepted is the Runtime API's 202 for a post it took.
func writeAccepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

// writeError is the Runtime API's error answer.
func writeError(w http.ResponseWriter, status int, errorType, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(errorPayload{ErrorMessage: message, ErrorType: errorType}.marshal())
}
