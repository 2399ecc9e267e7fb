package lambdaruntime

import (
	"context"
	"slices"
	"testing"
	"time"
)

// BenchmarkColdStart measures process start to first response of the echo
// function: each iteration starts a fresh pool, invokes it once and closes
// it (Close is not timed). Run it with -benchtime 20x for 20 cold starts.
func BenchmarkColdStart(b *testing.B) {
	var firstResponse, inits []time.Duration
	for b.Loop() {
		p, _ := newTestPool(b, "echo", nil)
		start := time.Now()
		resp, err := p.Invoke(context.Background(), []byte(`{}`))
		elapsed := time.Since(start)
		if err != nil || resp.FunctionError != "" || resp.InitDuration == 0 {
			b.Fatalf("cold invoke: %v %s (init %v)", err, resp.Payload, resp.InitDuration)
		}
		firstResponse = append(firstResponse, elapsed)
		inits = append(inits, resp.InitDuration)
		b.StopTimer()
		_ = p.Close()
		b.StartTimer()
	}
	reportDurations(b, "first-response", firstResponse)
	reportDurations(b, "init", inits)
}

// BenchmarkWarmInvoke measures one invocation of a warm echo instance, as
// the caller sees it.
func BenchmarkWarmInvoke(b *testing.B) {
	p, _ := newTestPool(b, "echo", nil)
	invoke(b, p, `{}`)
	var lat []time.Duration
	for b.Loop() {
		start := time.Now()
		resp, err := p.Invoke(context.Background(), []byte(`{"username":"ana"}`))
		lat = append(lat, time.Since(start))
		if err != nil || resp.InitDuration != 0 {
			b.Fatalf("warm invoke: %v (init %v)", err, resp.InitDuration)
		}
	}
	if s := p.Stats(); s.Starts != 1 {
		b.Fatalf("Starts = %d, want every invocation warm", s.Starts)
	}
	reportDurations(b, "invoke", lat)
}

// reportDurations reports the median and maximum of ds in milliseconds.
func reportDurations(b *testing.B, name string, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(ds[len(ds)/2]), name+"-median-ms")
	b.ReportMetric(ms(ds[len(ds)-1]), name+"-max-ms")
}
