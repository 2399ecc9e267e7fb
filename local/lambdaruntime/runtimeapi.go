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

// routes is the Runtime API (2018-06-01, https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html)
// and just enough of the Extensions API (2020-01-01) for aws-lambda-go's lambda.WithEnableSIGTERM.
func (in *instance) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", in.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", in.handleAnswer)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", in.handleAnswer)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", in.handleInitError)
	mux.HandleFunc("POST /2020-01-01/extension/register", func(w http.ResponseWriter, r *http.Request) {
		// aws-lambda-go registers one, subscribed to no events, to get SIGTERM at shutdown;
		// Close sends SIGTERM anyway.
		if r.Header.Get("Lambda-Extension-Name") == "" {
			writeError(w, http.StatusForbidden, "Extension.InvalidExtensionName", "Empty extension name")
			return
		}
		w.Header().Set("Lambda-Extension-Identifier", awsid.RequestID())
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"functionName": in.pool.fn.Name, "functionVersion": "$LATEST", "handler": "bootstrap"})
	})
	mux.HandleFunc("GET /2020-01-01/extension/event/next", func(w http.ResponseWriter, r *http.Request) {
		select { // no event type is supported
		case <-r.Context().Done():
		case <-in.exited:
		}
	})
	return mux
}

// handleNext ends init or the invoke phase and holds the request until there is an event.
func (in *instance) handleNext(w http.ResponseWriter, r *http.Request) {
	in.mu.Lock()
	busy := in.cur != nil && !in.cur.started.IsZero()
	if !busy {
		in.timer.Stop() // the invoke phase is over
		in.initDone = cmp.Or(in.initDone, time.Since(in.started))
	}
	in.mu.Unlock()
	if busy {
		writeError(w, http.StatusForbidden, "InvalidStateTransition", "State transition to Ready failed for runtime: an invocation is under way")
		return
	}
	deliver := make(chan *invocation, 1)
	var inv *invocation
	select {
	case in.asks <- deliver:
	case <-r.Context().Done():
		return
	case <-in.exited:
		return
	}
	select {
	case inv = <-deliver:
	case <-r.Context().Done():
		return
	case <-in.exited:
		return
	}
	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.req.RequestID)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", awsid.FunctionARN(in.pool.fn.Region, in.pool.fn.Name))
	h.Set("Lambda-Runtime-Trace-Id", inv.traceID)
	if inv.req.ClientContext != "" {
		h.Set("Lambda-Runtime-Client-Context", inv.req.ClientContext)
	}
	h.Set("Content-Type", "application/json")
	_, _ = w.Write(inv.req.Payload)
}

// handleAnswer takes the function's result (/response) or its error (/error, which Lambda
// passes to the invoker unchanged), or Lambda's too-large error for a body over
// maxResponseSize. aws-lambda-go reports a response that failed while streaming in trailers.
func (in *instance) handleAnswer(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponseSize+1))
	rest, err2 := io.Copy(io.Discard, r.Body)
	if err != nil || err2 != nil {
		writeError(w, http.StatusInternalServerError, "InternalServerError", "Internal Server Error")
		return
	}
	size := int64(len(body)) + rest
	out := outcome{payload: body}
	switch errType := r.Header.Get("Lambda-Runtime-Function-Error-Type"); {
	case size > maxResponseSize:
		out = tooLargeOutcome(size)
	case strings.HasSuffix(r.URL.Path, "/error"):
		out.functionError = true
		if len(bytes.TrimSpace(body)) == 0 {
			out.payload = postedError(nil, errType)
		}
	case r.Trailer.Get("Lambda-Runtime-Function-Error-Type") != "":
		out = outcome{payload: trailerError(r.Trailer), functionError: true}
	}
	in.mu.Lock()
	inv := in.cur
	ok := inv != nil && !inv.started.IsZero() && r.PathValue("id") == inv.req.RequestID
	if ok {
		in.cur = nil
	}
	in.mu.Unlock()
	switch {
	case inv == nil || inv.started.IsZero():
		writeError(w, http.StatusForbidden, "InvalidStateTransition", "State transition to InvocationResponse failed for runtime: no invocation is under way")
		return
	case !ok:
		writeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	out.duration = time.Since(inv.started)
	in.answers <- out
	if size > maxResponseSize {
		writeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", fmt.Sprintf("Exceeded maximum allowed payload size (%d bytes).", maxResponseSize))
		return
	}
	writeAccepted(w)
}

// handleInitError takes an error the runtime hit before its first /next. Lambda resets the
// environment: the process is killed, and the invocation that started it gets the error.
func (in *instance) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponseSize))
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalServerError", "Internal Server Error")
		return
	}
	errType := r.Header.Get("Lambda-Runtime-Function-Error-Type")
	in.mu.Lock()
	ok := in.cur != nil && in.cur.started.IsZero() && in.initDone == 0
	if ok {
		in.cur = nil
	}
	in.mu.Unlock()
	if !ok {
		writeError(w, http.StatusForbidden, "InvalidStateTransition", "State transition to InitError failed for runtime: init is over")
		return
	}
	in.answers <- outcome{payload: postedError(body, errType), functionError: true, status: "error", errorType: cmp.Or(errType, "Runtime.Unknown")}
	in.signal(syscall.SIGKILL)
	writeAccepted(w)
}

// trailerError is the error aws-lambda-go put in the trailers.
func trailerError(trailer http.Header) []byte {
	if b, err := base64.StdEncoding.DecodeString(trailer.Get("Lambda-Runtime-Function-Error-Body")); err == nil && json.Valid(b) {
		return b
	}
	return errorJSON("", trailer.Get("Lambda-Runtime-Function-Error-Type"))
}

// writeAccepted is the Runtime API's 202 for a post it took.
func writeAccepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

// writeError is the Runtime API's error answer.
func writeError(w http.ResponseWriter, status int, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(errorJSON(msg, errType))
}
