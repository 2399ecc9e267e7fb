package signin_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// userMake is make as a user's shell runs it, without the settings a parent make (make test)
// passes down to its sub-makes.
func userMake(args ...string) *exec.Cmd {
	cmd := exec.Command("make", args...)
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "STAGE", "SLS_FLAGS":
		default:
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd
}

// make deploy, package and remove of a stage other than dev stop before building anything when
// SLS_FLAGS does not give corsAllowOrigin (only dev has a default), with a message that names
// the parameter and shows the command; with the parameter, or on dev, they go on.
func TestMakeNeedsCorsAllowOriginOutsideDev(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is needed:", err)
	}
	for _, target := range []string{"deploy", "package", "remove"} {
		var stdout, stderr bytes.Buffer
		cmd := userMake(target, "STAGE=prod", "SLS_FLAGS=--param wafEnabled=false")
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			t.Fatalf("make %s STAGE=prod without corsAllowOrigin: %v, want a failure\n%s%s", target, err, stdout.String(), stderr.String())
		}
		want := "make " + target + " STAGE=prod SLS_FLAGS='--param corsAllowOrigin=https://app.example.com'"
		if msg := stderr.String(); !strings.Contains(msg, "needs the corsAllowOrigin parameter") || !strings.Contains(msg, want) {
			t.Errorf("make %s STAGE=prod: stderr %q does not name the parameter and show %q", target, msg, want)
		}
		if stdout.Len() != 0 {
			t.Errorf("make %s STAGE=prod ran something before the check:\n%s", target, stdout.String())
		}
	}
	for _, args := range [][]string{
		{"STAGE=prod", "SLS_FLAGS=--param corsAllowOrigin=https://app.example.com"},
		{"STAGE=prod", "SLS_FLAGS=--param=corsAllowOrigin=*"},
		{"STAGE=dev"},
		{},
	} {
		if out, err := userMake(append([]string{"-s", "cors-param"}, args...)...).CombinedOutput(); err != nil {
			t.Errorf("make cors-param %q: %v\n%s", args, err, out)
		}
	}
}
