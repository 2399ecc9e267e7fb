package awsid

import (
	"regexp"
	"testing"
	"time"
)

func TestRequestIDIsAVersion4UUID(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		id := RequestID()
		if !uuid.MatchString(id) || seen[id] {
			t.Fatalf("RequestID() = %q: not a fresh v4 UUID", id)
		}
		seen[id] = true
	}
}

func TestTraceID(t *testing.T) {
	at := time.Unix(0x5bef4de7, 0)
	if got := TraceID(at); !regexp.MustCompile(`^Root=1-5bef4de7-[0-9a-f]{24}$`).MatchString(got) {
		t.Errorf("TraceID = %q, want Root=1-5bef4de7-<24 hex digits>", got)
	}
}

func TestFromSeedIsStable(t *testing.T) {
	a, b := FromSeed("signin-api-dev", 10), FromSeed("signin-api-dev", 10)
	if a != b || !regexp.MustCompile(`^[a-z0-9]{10}$`).MatchString(a) {
		t.Errorf("FromSeed = %q then %q, want the same 10 letters and digits", a, b)
	}
	if FromSeed("/signin", 6) == FromSeed("/me", 6) {
		t.Error("two seeds give one id")
	}
}

func TestFunctionARN(t *testing.T) {
	if got, want := FunctionARN("eu-west-1", "signin-dev-login"), "arn:aws:lambda:eu-west-1:000000000000:function:signin-dev-login"; got != want {
		t.Errorf("FunctionARN = %q, want %q", got, want)
	}
}
