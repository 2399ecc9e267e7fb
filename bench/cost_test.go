package bench

import (
	"math"
	"testing"
	"time"
)

func TestBilled(t *testing.T) {
	tests := []struct{ in, want time.Duration }{
		{0, 0},
		{time.Microsecond, time.Millisecond},
		{time.Millisecond, time.Millisecond},
		{time.Millisecond + time.Nanosecond, 2 * time.Millisecond},
		{41*time.Millisecond + 300*time.Microsecond, 42 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := billed(tt.in); got != tt.want {
			t.Errorf("billed(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestCosts(t *testing.T) {
	// 1M requests at 1,024 MB for 1 s each: $0.20 + 1e6 GB-s × $0.0000133334.
	if got, want := lambdaCostPerMillion(1024, time.Second), 0.20+13.3334; math.Abs(got-want) > 1e-9 {
		t.Errorf("1M × 1 s at 1024 MB = $%v, want $%v", got, want)
	}
	// 128 MB for 10 ms: 1e6 × 0.125 GB × 0.01 s = 1,250 GB-s.
	if got, want := lambdaCostPerMillion(128, 10*time.Millisecond), 0.20+1250*0.0000133334; math.Abs(got-want) > 1e-9 {
		t.Errorf("1M × 10 ms at 128 MB = $%v, want $%v", got, want)
	}
	if got := cognitoMonthlyCost(5000); got != 0 {
		t.Errorf("5,000 users cost $%v, want the free tier", got)
	}
	if got, want := cognitoMonthlyCost(1_000_000), 990_000*0.015; math.Abs(got-want) > 1e-6 {
		t.Errorf("1M users cost $%v, want $%v", got, want)
	}
}

// Lambda's CPU share: 1,769 MB is a core, so 128 MB gets the kernel's smallest quota.
func TestCPUQuota(t *testing.T) {
	tests := []struct {
		mb   int
		want time.Duration
	}{
		{128, 1000 * time.Microsecond},
		{256, 2000 * time.Microsecond},
		{512, 4000 * time.Microsecond},
		{1024, 8000 * time.Microsecond},
		{1769, cfsPeriod},
	}
	for _, tt := range tests {
		if got := cpuQuota(tt.mb); got != tt.want {
			t.Errorf("cpuQuota(%d) = %v, want %v", tt.mb, got, tt.want)
		}
	}
	if got := coreShare(128); got != "7.24%" {
		t.Errorf("coreShare(128) = %s, want 7.24%%", got)
	}
}
