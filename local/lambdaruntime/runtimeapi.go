package lambdaruntime

import (
	"bytes"
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

// call is a Runtime API request for the instance's goroutine to decide.
type call struct {
	kind  callKind
	id    string  // the request id in the path, for answers
	out   outcome // the answer, or the init error
	reply chan reply
}

type callKind int

const (
	callNext     callKind = iota // the runtime asks for an event
	callNextGone                 // the /next of reply was dropped before it got one
	callAnswer                   // /response or /error
	callInitError
)

// reply is the goroutine's decision: an error for the runtime, or the event for a /next (nil
// when the process has exited), and the fence for the handler to write before it answers.
type reply struct {
	err   *apiError
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

// send hands c to the instance's goroutine; false once that has ended.
func (in *instance) send(c call) bool {
	select {
	case in.calls <- c:
		return true
	case <-in.done:
		return false
	}
}

// handleNext ends init or the previous invocation and holds the request until there is an
// event for the runtime.
func (in *instance) handleNext(w http.ResponseWriter, r *http.Request) {
	c := call{kind: callNext, reply: make(chan reply, 1)}
	if !in.send(c) {
		return
	}
	var rep reply
	select {
	case rep = <-c.reply:
	case <-r.Context().Done():
		in.send(call{kind: callNextGone, reply: c.reply})
		return
	}
	switch {
	case rep.err != nil:
		writeError(w, rep.err)
		return
	case rep.inv == nil:
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
	c := call{kind: callAnswer, id: r.PathValue("id"), out: out, reply: make(chan reply, 1)}
	if !in.send(c) {
		return
	}
	rep := <-c.reply
	if rep.err != nil {
		writeError(w, rep.err)
		return
	}
	in.writeFence(rep.fence)
	if size > maxResponseSize {
		writeError(w, &apiError{http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
			fmt.Sprintf("Exceeded maximum allowed payload size (%d bytes).", maxResponseSize)})
		return
	}
	writeAccepted(w)
}

// handleInitError takes an error the runtime hit before its first /next.
func (in *instance) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, _, err := readLimited(r.Body, maxResponseSize)
	if err != nil {
		writeError(w, &apiError{http.StatusInternalServerError, "InternalServerError", "Internal Server Error"})
		return
	}
	errType := r.Header.Get(headerErrorType)
	if errType == "" {
		errType = "Runtime.Unknown"
	}
	c := call{kind: callInitError, out: outcome{payload: initErrorPayload(body, errType), functionError: true, status: "error", errorType: errType}, reply: make(chan reply, 1)}
	if !in.send(c) {
		return
	}
	if rep := <-c.reply; rep.err != nil {
		writeError(w, rep.err)
		return
	}
	writeAccepted(w)
}

// handle decides a Runtime API call; it runs on the instance's goroutine.
func (in *instance) handle(c call) {
	inv := in.cur
	switch c.kind {
	case callNext:
		if inv != nil && inv.taken && inv.out == nil {
			c.reply <- reply{err: errBusy}
			return
		}
		in.timer.Stop() // the invoke phase (or init) is over
		if !in.initDone && (inv == nil || inv.out == nil) { // not after a failed init
			in.initDone, in.initDuration = true, time.Since(in.started)
		}
		if in.waiting != nil { // a repeated /next replaces the one before
			in.waiting <- reply{}
		}
		in.waiting = c.reply
		switch {
		case inv != nil && !inv.taken && inv.out == nil:
			in.dispatch()
		case inv == nil && in.slot != slotFree:
			in.pool.ready(in, in.slot)
			in.slot = slotFree
		}
	case callNextGone:
		if in.waiting == c.reply {
			in.waiting = nil
		}
	case callAnswer:
		switch {
		case inv == nil || !inv.taken || inv.out != nil:
			c.reply <- reply{err: errNoInvocation}
		case c.id != inv.req.RequestID:
			c.reply <- reply{err: errRequestID}
		default:
			inv.duration, inv.out = time.Since(inv.started), &c.out
			c.reply <- reply{fence: in.afterOutput(in.conclude)}
		}
	case callInitError:
		if in.initDone {
			c.reply <- reply{err: errInitOver}
			return
		}
		if inv != nil && inv.out == nil {
			inv.out = &c.out
		}
		in.initDuration = time.Since(in.started)
		in.signal(syscall.SIGKILL) // Lambda resets the environment; the exit concludes inv
		c.reply <- reply{}
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
