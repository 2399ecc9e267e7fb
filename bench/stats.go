package bench

import (
	"math"
	"slices"
	"time"
)

// Summary is the distribution of a set of timings.
type Summary struct {
	N             int
	P50, P95, Max time.Duration
}

// Summarize returns the nearest-rank 50th and 95th percentiles and the maximum of ds.
func Summarize(ds []time.Duration) Summary {
	if len(ds) == 0 {
		return Summary{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return Summary{N: len(s), P50: percentile(s, 50), P95: percentile(s, 95), Max: s[len(s)-1]}
}

// percentile is the nearest-rank percentile p of sorted: the smallest value with at least p%
// of the values at or below it.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[max(rank, 1)-1]
}
