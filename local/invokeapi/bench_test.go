package invokeapi

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/signin-api/signin/local/lambdaruntime"
)

// BenchmarkWarmInvokeOverHTTP measures one Invoke API call to a warm
// instance, as an HTTP client on this machine (the local Cognito, the CLI)
// sees it.
func BenchmarkWarmInvokeOverHTTP(b *testing.B) {
	const name = "signin-api-dev-autoconfirm"
	pool, err := lambdaruntime.NewPool(lambdaruntime.Function{Name: name, Bootstrap: presignupBootstrap})
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	srv := httptest.NewServer(&Handler{Functions: map[string]Invoker{name: pool}, Region: "us-east-1"})
	defer srv.Close()
	url := srv.URL + "/2015-03-31/functions/" + name + "/invocations"
	event := []byte(`{"userName":"ana","triggerSource":"PreSignUp_SignUp","response":{}}`)
	call := func() {
		resp, err := http.Post(url, "application/json", bytes.NewReader(event))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Amz-Function-Error") != "" {
			b.Fatalf("status %d, function error %q", resp.StatusCode, resp.Header.Get("X-Amz-Function-Error"))
		}
	}
	call() // the cold start
	var lat []time.Duration
	for b.Loop() {
		start := time.Now()
		call()
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/float64(time.Millisecond), "median-ms")
	b.ReportMetric(float64(lat[len(lat)-1])/float64(time.Millisecond), "max-ms")
}
