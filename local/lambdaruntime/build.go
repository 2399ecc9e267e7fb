package lambdaruntime

import (
	"context"
	"os"
	"os/exec"
)

// BuildCommand is `go build` with the flags a bootstrap for this machine is built with (the
// Makefile's GO_BUILD: no cgo, the lambda.norpc tag, trimmed paths, no symbols), run in dir
// and followed by args (-o and the packages). Builds that share the flags share Go's build
// cache.
func BuildCommand(ctx context.Context, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "go", append([]string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	return cmd
}
