package lambdaruntime

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/signin-api/signin/local/awsid"
)

// Runtime API headers (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).
const (
	headerRequestID     = "Lambda-Runtime-Aws-Request-Id"
	headerDeadline      = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN   = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID       = "Lambda-Runtime-Trace-Id"
	headerClientContext = "Lambda-Runtime-Client-Context"
	headerErrorType     = "Lambda-Runtime-Function-Error-Type"
	trailerErrorBody    = "Lambda-Runtime-Function-Error-Body"
	headerExtensionName = "Lambda-Extension-Name"
	headerExtensionID   = "Lambda-Extension-Identifier"
)

// reply is the instance goroutine's answer to a /next: the event (nil once the process has
// exited), and the fence for the handler to write before it hands the event over.
type reply struct {
	inv   *invocation
	fence int
}

// apiError is a Runtime API error answer.
type apiError struct {
	status          int
	errorType, text string
}

var (
	errBusy         = &apiError{http.StatusForbidden, "InvalidStateTransition", "State transition to Ready failed for runtime: an invocation is under way"}
	errNoInvocation = &apiError{http.StatusForbidden, "InvalidStateTransition", "State transition to InvocationResponse failed for runtime: no invocation is under way"}
	errRequestID    = &apiError{http.StatusBadRequest, "InvalidRequestID", "Invalid request ID"}
	errInitOver     = &apiError{http.StatusForbidden, "InvalidStateTransition", "State transition to InitError failed for runtime: init is over"}
)

// routes is the Runtime API (2018-06-01) and just enough of the Extensions API (2020-01-01)
// for aws-lambda-go's lambda.WithEnableSIGTERM.
func (in *instance) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", in.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", in.handleAnswer)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", in.handleAnswer)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", in.handleInitError)
	mux.HandleFunc("POST /2020-01-01/extension/register", in.handleExtensionRegister)
	mux.HandleFunc("GET /2020-01-01/extension/event/next", in.handleExtensionNext)
	return mux
}

// do runs f on the instance's goroutine, which owns the instance's state, and waits for it;
// false once that goroutine has ended.
func (in *instance) do(f func()) bool {
	done := make(chan struct{})
	select {
	case in.calls <- func() { f(); close(done) }:
		<-done
		return true
	case <-in.done:
		return false
	}
}

// handleNext ends init or the previous invocation and holds the request until there is an
// event for the runtime.
func (in *instance) handleNext(w http.ResponseWriter, r *http.Request) {
	var wait chan reply
	var refused *apiError
	if !in.do(func() { wait, refused = in.next() }) {
		return
	}
	if refused != nil {
		writeError(w, refused)
		return
	}
	var rep reply
	select {
	case rep = <-wait:
	case <-r.Context().Done():
		in.do(func() {
			if in.waiting == wait {
				in.waiting = nil // a later /next gets the event
			}
		})
		return
	}
	if rep.inv == nil {
		return
	}
	in.writeFence(rep.fence)
	inv := rep.inv
	h := w.Header()
	h.Set(headerRequestID, inv.req.RequestID)
	h.Set(headerDeadline, strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set(headerFunctionARN, in.pool.fn.arn())
	h.Set(headerTraceID, inv.traceID)
	if inv.req.ClientContext != "" {
		h.Set(headerClientContext, inv.req.ClientContext)
	}
	h.Set("Content-Type", "application/json")
	_, _ = w.Write(inv.req.Payload)
}

// next takes the runtime's /next: it ends init or the invoke phase, and hands over the current
// invocation at once if it waits, or returns the channel it will come on.
func (in *instance) next() (chan reply, *apiError) {
	inv := in.cur
	if inv != nil && inv.taken && inv.out == nil {
		return nil, errBusy
	}
	in.timer.Stop()
	if !in.initDone && (inv == nil || inv.out == nil) { // not after a failed init
		in.initDone, in.initDuration = true, time.Since(in.started)
	}
	if in.waiting != nil { // a repeated /next replaces the one before
		in.waiting <- reply{}
	}
	in.waiting = make(chan reply, 1)
	wait := in.waiting
	switch {
	case inv != nil && !inv.taken && inv.out == nil:
		in.dispatch()
	case inv == nil && in.slot != slotFree:
		in.pool.ready(in, in.slot)
		in.slot = slotFree
	}
	return wait, nil
}

// handleAnswer takes the function's result (/response) or its error (/error, which Lambda
// passes to the invoker unchanged), or Lambda's too-large error for a body over
// maxResponseSize. aws-lambda-go reports a response that failed while streaming in trailers
// rather than through /error.
func (in *instance) handleAnswer(w http.ResponseWriter, r *http.Request) {
	body, size, err := readLimited(r.Body, maxResponseSize)
	if err != nil {
		writeError(w, &apiError{http.StatusInternalServerError, "InternalServerError", "Internal Server Error"})
		return
	}
	isError := strings.HasSuffix(r.URL.Path, "/error")
	out := outcome{payload: body}
	switch {
	case size > maxResponseSize:
		out = tooLargeOutcome(size)
	case isError && len(bytes.TrimSpace(body)) == 0:
		out = outcome{payload: initErrorPayload(nil, r.Header.Get(headerErrorType)), functionError: true}
	case isError:
		out.functionError = true
	case r.Trailer.Get(headerErrorType) != "":
		out = outcome{payload: trailerErrorPayload(r.Trailer), functionError: true}
	}
	var fence int
	var refused *apiError
	ok := in.do(func() {
		switch inv := in.cur; {
		case inv == nil || !inv.taken || inv.out != nil:
			refused = errNoInvocation
		case r.PathValue("id") != inv.req.RequestID:
			refused = errRequestID
		default:
			inv.duration, inv.out = time.Since(inv.started), &out
			fence = in.afterOutput(in.conclude)
		}
	})
	switch {
	case !ok:
		return
	case refused != nil:
		writeError(w, refused)
		return
	}
	in.writeFence(fence)
	if size > maxResponseSize {
		writeError(w, &apiError{http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
			fmt.Sprintf("Exceeded maximum allowed payload size (%d bytes).", maxResponseSize)})
		return
	}
	writeAccepted(w)
}

// handleInitError takes an error the runtime hit before its first /next. Lambda resets the
// environment: the process is killed, and its exit concludes the invocation with the error.
func (in *instance) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, _, err := readLimited(r.Body, maxResponseSize)
	if err != nil {
		writeError(w, &apiError{http.StatusInternalServerError, "InternalServerError", "Internal Server Error"})
		return
	}
	errType := cmp.Or(r.Header.Get(headerErrorType), "Runtime.Unknown")
	out := outcome{payload: initErrorPayload(body, errType), functionError: true, status: "error", errorType: errType}
	var refused *apiError
	ok := in.do(func() {
		if in.initDone {
			refused = errInitOver
			return
		}
		if in.cur != nil && in.cur.out == nil {
			in.cur.out = &out
		}
		in.initDuration = time.Since(in.started)
		in.signal(syscall.SIGKILL)
	})
	switch {
	case !ok:
	case refused != nil:
		writeError(w, refused)
	default:
		writeAccepted(w)
	}
}

// handleExtensionRegister registers an internal extension. aws-lambda-go registers one,
// subscribed to no events, to get SIGTERM before shutdown; Close sends SIGTERM anyway.
func (in *instance) handleExtensionRegister(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	if r.Header.Get(headerExtensionName) == "" {
		writeError(w, &apiError{http.StatusForbidden, "Extension.InvalidExtensionName", "Empty extension name"})
		return
	}
	w.Header().Set(headerExtensionID, awsid.RequestID())
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
	case <-in.procDone:
	}
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
func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_, _ = w.Write(errorPayload{ErrorMessage: e.text, ErrorType: e.errorType}.marshal())
}
