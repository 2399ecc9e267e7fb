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

// routes is the Runtime API (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html), and
// of the Extensions API just what aws-lambda-go's lambda.WithEnableSIGTERM needs: it registers an
// extension for no events, to get SIGTERM at shutdown, which Close sends.
func (in *instance) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", in.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", in.handlePost)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", in.handlePost)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", in.handlePost)
	mux.HandleFunc("POST /2020-01-01/extension/register", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Lambda-Extension-Name") == "" {
			writeError(w, http.StatusForbidden, "Extension.InvalidExtensionName", "Empty extension name")
			return
		}
		w.Header().Set("Lambda-Extension-Identifier", awsid.RequestID())
		_ = json.NewEncoder(w).Encode(map[string]string{"functionName": in.pool.fn.Name, "functionVersion": "$LATEST", "handler": "bootstrap"})
	})
	mux.HandleFunc("GET /2020-01-01/extension/event/next", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // no event ever comes; the connection ends with the process
	})
	return mux
}

// handleNext ends init or the invoke phase, and holds the request until there is an event.
func (in *instance) handleNext(w http.ResponseWriter, r *http.Request) {
	in.mu.Lock()
	busy := in.cur != nil && !in.cur.started.IsZero()
	if !busy {
		in.timer.Stop()
	}
	in.mu.Unlock()
	if busy {
		writeError(w, http.StatusForbidden, "InvalidStateTransition", "Invalid state transition: an invocation is under way")
		return
	}
	deliver := make(chan *invocation, 1)
	select {
	case in.asks <- deliver:
	case <-r.Context().Done(): // the connection ended, with the process or Close
		return
	}
	inv := <-deliver // sent at once; nil if the process has exited
	if inv == nil {
		return
	}
	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.req.RequestID)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", awsid.FunctionARN(in.pool.fn.Region, in.pool.fn.Name))
	h.Set("Lambda-Runtime-Trace-Id", awsid.TraceID(time.Now())+";Parent="+awsid.Hex(8)+";Sampled=0")
	if inv.req.ClientContext != "" {
		h.Set("Lambda-Runtime-Client-Context", inv.req.ClientContext)
	}
	h.Set("Content-Type", "application/json")
	_, _ = w.Write(inv.req.Payload)
}

// handlePost takes the function's result (/response), its error (/error, which Lambda passes
// to the invoker as it is, or in trailers when aws-lambda-go's response failed while
// streaming), or Lambda's own error for a response over maxResponseSize; or an error before
// the first /next (/init/error), after which Lambda resets the environment.
func (in *instance) handlePost(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponseSize+1))
	rest, err2 := io.Copy(io.Discard, r.Body)
	if err != nil || err2 != nil {
		writeError(w, http.StatusInternalServerError, "InternalServerError", "Internal Server Error")
		return
	}
	size, id, errType := int64(len(body))+rest, r.PathValue("id"), r.Header.Get("Lambda-Runtime-Function-Error-Type")
	out := outcome{payload: body, functionError: strings.HasSuffix(r.URL.Path, "/error")}
	switch {
	case id == "":
		out.payload, out.status, out.errorType = postedError(body, errType), "error", cmp.Or(errType, "Runtime.Unknown")
	case size > maxResponseSize:
		out = failure("Function.ResponseSizeTooLarge", fmt.Sprintf("Response payload size (%d bytes) exceeded maximum allowed payload size (%d bytes).",
			size, maxResponseSize), "error")
	case out.functionError && len(bytes.TrimSpace(body)) == 0:
		out.payload = postedError(nil, errType)
	case r.Trailer.Get("Lambda-Runtime-Function-Error-Type") != "":
		b, err := base64.StdEncoding.DecodeString(r.Trailer.Get("Lambda-Runtime-Function-Error-Body"))
		if err != nil || !json.Valid(b) {
			b = nil
		}
		out.payload, out.functionError = postedError(b, r.Trailer.Get("Lambda-Runtime-Function-Error-Type")), true
	}
	in.mu.Lock()
	inv := in.cur
	valid := inv != nil && inv.started.IsZero() == (id == "") // init, or an invocation under way
	ok := valid && (id == "" || id == inv.req.RequestID)
	if ok {
		in.cur = nil
	}
	in.mu.Unlock()
	switch {
	case !valid:
		writeError(w, http.StatusForbidden, "InvalidStateTransition", "Invalid state transition: "+r.URL.Path)
		return
	case !ok:
		writeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	case size > maxResponseSize && id != "":
		writeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", fmt.Sprintf("Exceeded maximum allowed payload size (%d bytes).", maxResponseSize))
	default:
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"OK"}`)
	}
	_ = http.NewResponseController(w).Flush() // before the invoker hears, and may close the server
	in.answers <- out
	if id == "" {
		in.signal(syscall.SIGKILL)
	}
}

// postedError is the invoker's payload for an error the runtime posted: the body when it is
// JSON, as Lambda passes it on, else a payload around it.
func postedError(body []byte, errorType string) []byte {
	if json.Valid(body) {
		return body
	}
	return errorJSON(string(body), cmp.Or(errorType, "Runtime.Unknown"))
}

// writeError is the Runtime API's error answer.
func writeError(w http.ResponseWriter, status int, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(errorJSON(msg, errType))
}
