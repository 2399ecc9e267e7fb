package bench

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/signin-api/signin/bench/hello"
	"github.com/signin-api/signin/shared/secret/secrettest"
)

// TestRunStartHello starts the real hello bootstrap under the bench's Runtime API: the first
// /next comes before the first answer, and the second event's HTTPS round trip trusts the CA
// bundle written for the functions.
func TestRunStartHello(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a bootstrap")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bootstrap")
	if err := buildLocal(context.Background(), "..", HelloPackage, bin); err != nil {
		t.Fatal(err)
	}
	srv := secrettest.NewTLSServer(nil)
	defer srv.Close()
	bundle := filepath.Join(dir, "ca.pem")
	if _, err := writeCABundle(bundle, srv.Certificate().Raw); err != nil {
		t.Fatal(err)
	}
	plain, _ := json.Marshal(hello.Event{})
	trips, _ := json.Marshal(hello.Event{Get: []string{srv.URL}})
	run, err := runStart(context.Background(), nil, bin, lambdaEnv("hello", 128, map[string]string{"SSL_CERT_FILE": bundle}), [][]byte{plain, trips}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Answers) != 2 || run.Init <= 0 || run.Answers[0].FromStart < run.Init || run.Answers[1].FromStart < run.Answers[0].FromStart {
		t.Fatalf("init %v, answers %+v: want init, then two answers in order", run.Init, run.Answers)
	}
	var a hello.Answer
	if err := json.Unmarshal(run.Answers[1].Body, &a); err != nil || len(a.Statuses) != 1 || a.Statuses[0] != 400 {
		t.Errorf("second answer %s (%v): want the stand-in's 400 for a GET", run.Answers[1].Body, err)
	}
}

// summarizeRuns: hello's floor adds the round-trip event to its first answer; signin's warm
// sign-ins are the answers after the first; billing rounds up to the millisecond.
func TestSummarizeRuns(t *testing.T) {
	ms := time.Millisecond
	hello := summarizeRuns("hello", 128, []startRun{
		{Init: 80 * ms, Answers: []timedAnswer{{FromStart: 84 * ms, Duration: 4 * ms}, {FromStart: 200 * ms, Duration: 110 * ms}}},
	})
	if hello.Floor.P50 != 194*ms || hello.Init.P50 != 80*ms || hello.BilledCold != 84*ms {
		t.Errorf("hello: floor %v, init %v, billed cold %v; want 194ms, 80ms, 84ms", hello.Floor.P50, hello.Init.P50, hello.BilledCold)
	}
	signin := summarizeRuns("signin", 128, []startRun{
		{Init: 100 * ms, Answers: []timedAnswer{
			{FromStart: 250 * ms, Duration: 150*ms + 200*time.Microsecond},
			{Duration: 14 * ms}, {Duration: 14*ms + 100*time.Microsecond}, {Duration: 20 * ms},
		}},
	})
	if signin.Warm.N != 3 || signin.Warm.P50 != 14*ms+100*time.Microsecond || signin.BilledWarm != 15*ms || signin.BilledCold != 251*ms {
		t.Errorf("signin: warm %+v billed %v, cold billed %v; want 3 warm, median 14.1ms billed 15ms, cold 251ms", signin.Warm, signin.BilledWarm, signin.BilledCold)
	}
}
