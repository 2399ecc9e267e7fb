package stack

import (
	"io"
	"net/http"
	"strings"

	"github.com/signin-api/signin/local/lambdaruntime"
)

// newInvokeHandler serves Lambda's Invoke API over the pools (stand-in until local/invokeapi
// lands).
func newInvokeHandler(pools map[string]*lambdaruntime.Pool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutPrefix(r.URL.Path, "/2015-03-31/functions/")
		name, ok2 := strings.CutSuffix(name, "/invocations")
		pool := pools[name]
		if !ok || !ok2 || r.Method != http.MethodPost || pool == nil {
			http.Error(w, `{"Type":"User","message":"Function not found"}`, http.StatusNotFound)
			return
		}
		body, _ := io.ReadAll(r.Body)
		resp, err := pool.Invoke(r.Context(), body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if resp.FunctionError != "" {
			w.Header().Set("X-Amz-Function-Error", resp.FunctionError)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(resp.Payload)
	})
}
