package buildcache

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// module writes a small module: a main package that imports a package of its own and embeds a
// file, and returns its folder.
func module(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":                  "module example.com/m\n\ngo 1.22\n",
		"functions/hello/main.go": "package main\n\nimport \"example.com/m/greet\"\n\nfunc main() { println(greet.Hello()) }\n",
		"greet/greet.go":          "package greet\n\nimport _ \"embed\"\n\n//go:embed name.txt\nvar name string\n\nfunc Hello() string { return \"hello \" + name }\n",
		"greet/name.txt":          "world",
		"greet/other_windows.go":  "package greet\n",
	}
	for name, body := range files {
		write(t, filepath.Join(dir, name), body)
	}
	return dir
}

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// later gives path a modification time a second on, as an editor saving it later would.
func later(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	at := fi.ModTime().Add(time.Second)
	if err := os.Chtimes(path, at, at); err != nil {
		t.Fatal(err)
	}
}

func TestBuildOnlyWhenAnInputChanged(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatal("the go command is needed:", err)
	}
	dir := module(t)
	out := filepath.Join(dir, "build", "hello", "bootstrap")
	// A go build, even one that leaves the binary as it is, writes a new stamp.
	stamp := func() string { b, _ := os.ReadFile(stampFile(out)); return string(b) }
	build := func() bool {
		t.Helper()
		before := stamp()
		if err := Build(context.Background(), dir, filepath.Join(dir, "build"), "hello"); err != nil {
			t.Fatal(err)
		}
		return stamp() != before
	}
	if !build() {
		t.Fatal("first build: nothing built")
	}
	if out, err := exec.Command(out).CombinedOutput(); err != nil || string(out) != "hello world\n" {
		t.Fatalf("the binary says %q (%v)", out, err)
	}
	if build() {
		t.Fatal("second build with nothing changed ran go build")
	}
	t.Chdir(dir) // the same module and binary spelled relative (sls passes --root absolute, a person ".")
	before := stamp()
	if err := Build(context.Background(), ".", "build", "hello"); err != nil || stamp() != before {
		t.Fatalf("the same build spelled relative: rebuilt, %v", err)
	}

	changes := []struct {
		name   string
		change func()
	}{
		{"a source of a dependency edited", func() { later(t, filepath.Join(dir, "greet", "greet.go")) }},
		{"an embedded file edited", func() { write(t, filepath.Join(dir, "greet", "name.txt"), "gophers") }},
		{"a file skipped by build tags edited (its tag line may change)", func() { later(t, filepath.Join(dir, "greet", "other_windows.go")) }},
		{"a file added to a package", func() { write(t, filepath.Join(dir, "greet", "more.go"), "package greet\n") }},
		{"go.mod edited", func() { later(t, filepath.Join(dir, "go.mod")) }},
		{"go.sum appears", func() { write(t, filepath.Join(dir, "go.sum"), "") }},
		{"the binary touched", func() { later(t, out) }},
		{"the binary removed", func() { os.Remove(out) }},
		{"the stamp removed", func() { os.Remove(stampFile(out)) }},
		{"the stamp corrupt", func() { write(t, stampFile(out), "{") }},
		{"GOFLAGS set", func() { t.Setenv("GOFLAGS", "-mod=mod") }},
	}
	for _, c := range changes {
		c.change()
		if !build() {
			t.Errorf("%s: not rebuilt", c.name)
		}
		if build() {
			t.Errorf("%s: rebuilt twice", c.name)
		}
	}
	if out, err := exec.Command(out).CombinedOutput(); err != nil || string(out) != "hello gophers\n" {
		t.Fatalf("after the changes the binary says %q (%v)", out, err)
	}
}

func TestBuildFailureNamesThePackage(t *testing.T) {
	dir := module(t)
	write(t, filepath.Join(dir, "greet", "greet.go"), "package greet\n\nfunc Hello() string { return 1 }\n")
	err := Build(context.Background(), dir, filepath.Join(dir, "build"), "hello")
	if err == nil {
		t.Fatal("a package that does not compile built")
	}
	if _, statErr := os.Stat(stampFile(filepath.Join(dir, "build", "hello", "bootstrap"))); !os.IsNotExist(statErr) {
		t.Errorf("a failed build left a stamp: %v", statErr)
	}
	if got := err.Error(); !strings.Contains(got, "./functions/hello") || !strings.Contains(got, "greet.go") {
		t.Errorf("error %q does not name the package and the file", got)
	}
}
