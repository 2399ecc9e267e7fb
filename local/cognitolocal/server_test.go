package cognitolocal

import (
	"bytes"
	"testing"
)

func TestLogLines(t *testing.T) {
	var out bytes.Buffer
	w := newTailWriter(&out, 2)
	_, _ = w.Write([]byte("[1] \x1b[33mWARN\x1b[39m: Error handling target: AdminInitiateAuth\n    err: {\n      \"type\": \"InvalidPasswordError\",\n" +
		"      \"stack\":\n          Error: Invalid password\n              at adminUserPasswordAuthFlow (/x.js:57:11)\n      \"code\": \"InvalidPasswordException\"\n    }\npartial"))
	_ = w.Flush()
	want := "[1] WARN: Error handling target: AdminInitiateAuth\n    err: {\n      \"type\": \"InvalidPasswordError\",\n" +
		"      \"code\": \"InvalidPasswordException\"\n    }\npartial\n"
	if out.String() != want {
		t.Errorf("logs:\n%s\nwant:\n%s", out.String(), want)
	}
	if got := w.String(); got != "      }\n  partial\n" {
		t.Errorf("tail = %q", got)
	}
}
