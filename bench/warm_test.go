package bench

import (
	"reflect"
	"testing"
)

func TestParseBenchOutput(t *testing.T) {
	out := `goos: linux
goarch: amd64
pkg: github.com/signin-api/signin/shared/signin
cpu: Intel(R) Xeon(R) Processor
BenchmarkHandler/bare-2         	    2000	     51504 ns/op	    8482 B/op	      85 allocs/op
BenchmarkHandler/apigw-v1-form-2         	    2000	    146711.5 ns/op	   10136 B/op	     168 allocs/op
BenchmarkHandlerOther/x-2         	    2000	    1 ns/op	   1 B/op	     1 allocs/op
BenchmarkHandler/http-v2         	    2000	     95030 ns/op	   11337 B/op	     169 allocs/op
PASS
ok  	github.com/signin-api/signin/shared/signin	1.557s
`
	got := ParseBenchOutput(out, "BenchmarkHandler")
	want := WarmResult{CPU: "Intel(R) Xeon(R) Processor", Rows: []WarmRow{
		{Name: "bare", NsPerOp: 51504, BytesPerOp: 8482, AllocsPerOp: 85},
		{Name: "apigw-v1-form", NsPerOp: 146711.5, BytesPerOp: 10136, AllocsPerOp: 168},
		{Name: "http-v2", NsPerOp: 95030, BytesPerOp: 11337, AllocsPerOp: 169},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}
