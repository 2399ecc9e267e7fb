package slsconfig

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// testdata/print.json, which the parser's tests read, is what `sls print` prints for the
// project's serverless.yml today: a change to serverless.yml fails here until it is printed again.
func TestPrintJSONIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs sls print, which needs node_modules (the Serverless CLI, npm ci); make test runs it")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	sls := filepath.Join(root, "node_modules", ".bin", "sls")
	if _, err := os.Stat(sls); err != nil {
		t.Fatalf("the Serverless CLI is missing (%v): run npm ci (make node_modules)", err)
	}
	cmd := exec.Command(sls, "print", "--format", "json")
	cmd.Dir = root
	live, err := cmd.Output()
	if err != nil {
		t.Fatalf("sls print: %v", err)
	}
	saved, err := os.ReadFile("testdata/print.json")
	if err != nil {
		t.Fatal(err)
	}
	var got, want any
	if err := json.Unmarshal(saved, &got); err != nil {
		t.Fatalf("testdata/print.json: %v", err)
	}
	if err := json.Unmarshal(live, &want); err != nil {
		t.Fatalf("sls print's output: %v", err)
	}
	if diffs := jsonDiff("", got, want); len(diffs) > 0 {
		t.Errorf("testdata/print.json differs from sls print at %v\nprint it again: npx sls print --format json > local/slsconfig/testdata/print.json",
			diffs[:min(len(diffs), 10)])
	}
}

// jsonDiff lists the paths where two decoded JSON values differ.
func jsonDiff(path string, a, b any) []string {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		var keys []string
		for k := range am {
			keys = append(keys, k)
		}
		for k := range bm {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		var diffs []string
		for _, k := range keys {
			diffs = append(diffs, jsonDiff(path+"."+k, am[k], bm[k])...)
		}
		return diffs
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok && len(al) == len(bl) {
		var diffs []string
		for i := range al {
			diffs = append(diffs, jsonDiff(fmt.Sprintf("%s[%d]", path, i), al[i], bl[i])...)
		}
		return diffs
	}
	if !reflect.DeepEqual(a, b) {
		return []string{path}
	}
	return nil
}
