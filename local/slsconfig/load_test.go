package slsconfig

import (
	"strings"
	"testing"
)

// Without node_modules, Load says what is missing and how to get it, instead of letting npx
// offer npm's unrelated package named sls.
func TestLoadWithoutTheCLI(t *testing.T) {
	_, err := Load(t.Context(), t.TempDir(), "dev", "")
	if err == nil || !strings.Contains(err.Error(), "the Serverless CLI is missing") || !strings.Contains(err.Error(), "npm ci") {
		t.Errorf("Load without node_modules: %v, want an error naming the CLI and npm ci", err)
	}
}
