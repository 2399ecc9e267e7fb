// Package invokeapi serves Lambda's Invoke API
// (POST /2015-03-31/functions/{FunctionName}/invocations) for functions run
// locally by lambdaruntime, so that AWS SDKs, `aws lambda invoke
// --endpoint-url` and the local Cognito's triggers can call them. Requests are
// not authenticated: SigV4 signatures are ignored.
//
// API reference: https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
package invokeapi

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/signin-api/signin/local/awsid"
	"github.com/signin-api/signin/local/lambdaruntime"
)

// Invoker runs the invocations of one function.
type Invoker interface {
	InvokeRequest(ctx context.Context, req lambdaruntime.Request) (lambdaruntime.Response, error)
}

var _ Invoker = (*lambdaruntime.Pool)(nil)

// Handler serves the Invoke API for a set of functions.
type Handler struct {
	// Functions maps deployed function names to what runs them.
	Functions map[string]Invoker
	// Region goes into the ARNs of error messages; us-east-1 if empty.
	Region string
	// Logger receives the runner faults of Event invocations, which have
	// no caller to report them to; slog.Default() if nil.
	Logger *slog.Logger

	once   sync.Once
	mux    *http.ServeMux
	events sync.WaitGroup
}

// NewHandler returns a Handler for pools keyed by deployed function name.
func NewHandler(region string, pools map[string]*lambdaruntime.Pool) *Handler {
	fns := make(map[string]Invoker, len(pools))
	for name, p := range pools {
		fns[name] = p
	}
	return &Handler{Functions: fns, Region: region}
}

// Lambda's request size limits: 6 MB for synchronous invocations, 1 MB for
// asynchronous ones (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
const (
	maxSyncPayload  = lambdaruntime.MaxSyncPayload
	maxEventPayload = 1024 * 1024
)

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.once.Do(func() {
		h.mux = http.NewServeMux()
		h.mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", h.invoke)
	})
	h.mux.ServeHTTP(w, r)
}

// Wait blocks until the Event invocations under way have ended.
func (h *Handler) Wait() {
	h.events.Wait()
}

func (h *Handler) invoke(w http.ResponseWriter, r *http.Request) {
	name, qualifier := splitFunctionName(r.PathValue("name"))
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		qualifier = q
	}
	fn, ok := h.Functions[name]
	if !ok || (qualifier != "" && qualifier != "$LATEST") {
		arn := h.arn(name)
		if qualifier != "" {
			arn += ":" + qualifier
		}
		writeError(w, http.StatusNotFound, "ResourceNotFoundException", "User", "Function not found: "+arn)
		return
	}

	invocationType := r.Header.Get("X-Amz-Invocation-Type")
	limit := maxSyncPayload
	switch invocationType {
	case "", "RequestResponse", "DryRun":
	case "Event":
		limit = maxEventPayload
	default:
		writeError(w, http.StatusBadRequest, "InvalidParameterValueException", "User",
			fmt.Sprintf("Unsupported invocation type %q: use RequestResponse, Event or DryRun", invocationType))
		return
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		return // the caller went away
	}
	if len(payload) > limit {
		writeError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", "User",
			fmt.Sprintf("Request must be smaller than %d bytes for the Invoke operation", limit))
		return
	}
	if len(payload) > 0 && !json.Valid(payload) {
		writeError(w, http.StatusBadRequest, "InvalidRequestContentException", "User",
			"Could not parse request body into json: the payload is not valid JSON")
		return
	}
	clientContext, err := decodeClientContext(r.Header.Get("X-Amz-Client-Context"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequestContentException", "User",
			"Client context must be a valid Base64-encoded JSON object.")
		return
	}
	req := lambdaruntime.Request{
		Payload:       payload,
		ClientContext: clientContext,
		RequestID:     awsid.RequestID(),
	}
	w.Header().Set("X-Amzn-Requestid", req.RequestID)

	switch invocationType {
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
		return
	case "Event":
		h.events.Add(1)
		go func() {
			defer h.events.Done()
			if _, err := fn.InvokeRequest(context.WithoutCancel(r.Context()), req); err != nil {
				cmp.Or(h.Logger, slog.Default()).Error("event invocation failed", "function", name, "request_id", req.RequestID, "error", err)
			}
		}()
		w.WriteHeader(http.StatusAccepted)
		return
	}

	resp, err := fn.InvokeRequest(r.Context(), req)
	if err != nil {
		if r.Context().Err() != nil {
			return // the caller went away
		}
		writeError(w, http.StatusInternalServerError, "ServiceException", "Service", err.Error())
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("X-Amz-Executed-Version", "$LATEST")
	if resp.FunctionError != "" {
		hdr.Set("X-Amz-Function-Error", resp.FunctionError)
	}
	if r.Header.Get("X-Amz-Log-Type") == "Tail" {
		hdr.Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString(resp.Log))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(resp.Payload)
}

// splitFunctionName accepts the forms Invoke does: a name, a partial ARN
// (123456789012:function:name) or a full ARN, each with an optional
// ":qualifier".
func splitFunctionName(s string) (name, qualifier string) {
	if _, after, ok := strings.Cut(s, ":function:"); ok {
		s = after
	}
	name, qualifier, _ = strings.Cut(s, ":")
	return name, qualifier
}

// decodeClientContext turns X-Amz-Client-Context (base64 JSON) into the
// JSON the runtime receives.
func decodeClientContext(header string) (string, error) {
	if header == "" {
		return "", nil
	}
	b, err := base64.StdEncoding.DecodeString(header)
	if err != nil {
		return "", err
	}
	if !json.Valid(b) {
		return "", fmt.Errorf("client context is not JSON")
	}
	return string(b), nil
}

func (h *Handler) arn(name string) string {
	return awsid.FunctionARN(cmp.Or(h.Region, awsid.Region), name)
}

// writeError answers with a Lambda service error: the error code in
// X-Amzn-ErrorType and {"Type","Message"} in the body, as Lambda does.
func writeError(w http.ResponseWriter, status int, code, kind, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Type    string `json:"Type"`
		Message string `json:"Message"`
	}{kind, message})
}
