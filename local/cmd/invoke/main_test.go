package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestPretty(t *testing.T) {
	tests := []struct {
		name, payload, want string
	}{
		{"object keeps key order", `{"b":1,"a":[true,null]}`, "{\n    \"b\": 1,\n    \"a\": [\n        true,\n        null\n    ]\n}"},
		{"string", `"x"`, `"x"`},
		{"not JSON is printed as is", `oops`, `oops`},
	}
	for _, tt := range tests {
		if got := pretty([]byte(tt.payload)); got != tt.want {
			t.Errorf("%s: pretty = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no function", []string{"-p", "events/signin.json"}, "-f <function> is required"},
		{"bad env", []string{"-f", "me", "--env", "=x"}, "is not NAME=value"},
		{"missing event file", []string{"-f", "me", "-p", "/nonexistent/event.json"}, "no such file"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		if code := run(tt.args, &stdout, &stderr); code != 2 {
			t.Errorf("%s: exit %d, want 2", tt.name, code)
		}
		if !strings.Contains(stderr.String(), tt.want) || stdout.Len() != 0 {
			t.Errorf("%s: stderr %q, stdout %q", tt.name, stderr.String(), stdout.String())
		}
	}
}
