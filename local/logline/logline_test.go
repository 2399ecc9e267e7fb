package logline

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestWriter(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		want   []string
	}{
		{"one line", []string{"a\n"}, []string{"a"}},
		{"lines in one write", []string{"a\nb\n"}, []string{"a", "b"}},
		{"a line over writes", []string{"a", "b\nc", "\n"}, []string{"ab", "c"}},
		{"empty line", []string{"\n"}, []string{""}},
		{"an unterminated rest waits", []string{"a\nb"}, []string{"a"}},
		{"a line over maxLine in pieces", []string{strings.Repeat("x", maxLine+1) + "\n"}, []string{strings.Repeat("x", maxLine), "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			w := &Writer{Emit: func(line []byte) error { got = append(got, string(line)); return nil }}
			for _, s := range tt.writes {
				if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", s, n, err)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("lines = %.80q, want %.80q", got, tt.want)
			}
		})
	}
}

// An error from Emit reaches the writer, and the line after it is not lost.
func TestWriterEmitError(t *testing.T) {
	failed := errors.New("disk full")
	var got []string
	w := &Writer{Emit: func(line []byte) error {
		got = append(got, string(line))
		if len(got) == 1 {
			return failed
		}
		return nil
	}}
	if _, err := w.Write([]byte("a\nb\n")); !errors.Is(err, failed) {
		t.Errorf("Write error = %v, want %v", err, failed)
	}
	if _, err := w.Write(nil); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("lines = %q, want %q", got, want)
	}
}

func TestTailKeepsTheLastBytes(t *testing.T) {
	tail := Tail{Max: 10}
	if got := tail.Bytes(); len(got) != 0 {
		t.Errorf("empty tail = %q", got)
	}
	tail.Add("one")
	if got := string(tail.Bytes()); got != "one\n" {
		t.Errorf("tail = %q, want %q", got, "one\n")
	}
	for _, l := range []string{"two", "three", "four", "five"} {
		tail.Add(l)
	}
	if got, want := string(tail.Bytes()), "four\nfive\n"; got != want {
		t.Errorf("tail = %q, want the last 10 bytes %q", got, want)
	}
	tail.Add(strings.Repeat("x", 25))
	if got := string(tail.Bytes()); got != "xxxxxxxxx\n" {
		t.Errorf("tail after a long line = %q, want its end", got)
	}
}
