// Package invokeapi serves Lambda's Invoke API for the functions lambdaruntime runs, so that AWS
// SDKs, `aws lambda invoke --endpoint-url` and the local Cognito's triggers can call them.
// SigV4 signatures are ignored.
//
// API reference: https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html; payload limits
// (6 MB synchronous, 1 MB Event): https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
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

const maxSyncPayload, maxEventPayload = lambdaruntime.MaxSyncPayload, 1024 * 1024

// Invoker runs the invocations of one function; *lambdaruntime.Pool is one.
type Invoker interface {
	InvokeRequest(ctx context.Context, req lambdaruntime.Request) (lambdaruntime.Response, error)
}

// Handler serves POST /2015-03-31/functions/{FunctionName}/invocations for a set of functions.
type Handler struct {
	Functions map[string]Invoker // by deployed function name
	Region    string             // of the ARNs in error messages
	Logger    *slog.Logger       // faults of Event invocations, which no caller hears of; slog.Default() if nil
	events    sync.WaitGroup
}

// Wait blocks until the Event invocations under way have ended.
func (h *Handler) Wait() { h.events.Wait() }

// ServeHTTP answers an Invoke call as Lambda does.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target, ok := strings.CutPrefix(r.URL.Path, "/2015-03-31/functions/")
	target, ok2 := strings.CutSuffix(target, "/invocations")
	if !ok || !ok2 || strings.Contains(target, "/") {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name, qualifier := splitFunctionName(target)
	qualifier = cmp.Or(r.URL.Query().Get("Qualifier"), qualifier)
	fn, ok := h.Functions[name]
	if !ok || (qualifier != "" && qualifier != "$LATEST") {
		arn := awsid.FunctionARN(h.Region, name) + strings.TrimSuffix(":"+qualifier, ":")
		writeError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+arn)
		return
	}
	invocationType := r.Header.Get("X-Amz-Invocation-Type")
	limit := maxSyncPayload
	switch invocationType {
	case "", "RequestResponse", "DryRun":
	case "Event":
		limit = maxEventPayload
	default:
		writeError(w, http.StatusBadRequest, "InvalidParameterValueException",
			fmt.Sprintf("Unsupported invocation type %q: use RequestResponse, Event or DryRun", invocationType))
		return
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		return // the caller went away
	}
	clientContext, ccErr := base64.StdEncoding.DecodeString(r.Header.Get("X-Amz-Client-Context"))
	switch {
	case len(payload) > limit:
		writeError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException",
			fmt.Sprintf("Request must be smaller than %d bytes for the Invoke operation", limit))
		return
	case len(payload) > 0 && !json.Valid(payload):
		writeError(w, http.StatusBadRequest, "InvalidRequestContentException",
			"Could not parse request body into json: the payload is not valid JSON")
		return
	case ccErr != nil || (len(clientContext) > 0 && !json.Valid(clientContext)):
		writeError(w, http.StatusBadRequest, "InvalidRequestContentException", "Client context must be a valid Base64-encoded JSON object.")
		return
	}
	req := lambdaruntime.Request{Payload: payload, ClientContext: string(clientContext), RequestID: awsid.RequestID()}
	w.Header().Set("X-Amzn-Requestid", req.RequestID)
	switch invocationType {
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
		return
	case "Event":
		h.events.Go(func() {
			if _, err := fn.InvokeRequest(context.WithoutCancel(r.Context()), req); err != nil {
				cmp.Or(h.Logger, slog.Default()).Error("event invocation failed", "function", name, "request_id", req.RequestID, "error", err)
			}
		})
		w.WriteHeader(http.StatusAccepted)
		return
	}
	resp, err := fn.InvokeRequest(r.Context(), req)
	if err != nil {
		if r.Context().Err() == nil { // else the caller went away
			writeError(w, http.StatusInternalServerError, "ServiceException", err.Error())
		}
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
	_, _ = w.Write(resp.Payload)
}

// splitFunctionName accepts the forms Invoke does: a name, a partial ARN
// (123456789012:function:name) or a full ARN, each with an optional ":qualifier".
func splitFunctionName(s string) (name, qualifier string) {
	if _, after, ok := strings.Cut(s, ":function:"); ok {
		s = after
	}
	name, qualifier, _ = strings.Cut(s, ":")
	return name, qualifier
}

// writeError answers with a Lambda service error as Lambda does: the code in X-Amzn-ErrorType,
// {"Type","Message"} in the body, the Type User for the caller's faults and Service for ours.
func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	kind := "User"
	if status >= 500 {
		kind = "Service"
	}
	_ = json.NewEncoder(w).Encode(struct{ Type, Message string }{kind, message})
}
