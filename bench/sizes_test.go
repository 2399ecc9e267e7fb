package bench

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// Functions finds what the Makefile builds: every functions/<name>/main.go, and nothing else.
func TestFunctions(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{"functions/signin/main.go", "functions/me/main.go", "functions/notes/README.md"} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Functions(root)
	if want := []string{"me", "signin"}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Functions = %v, %v; want %v", got, err, want)
	}
	if _, err := Functions(t.TempDir()); err == nil {
		t.Error("a folder without functions: no error")
	}
}
