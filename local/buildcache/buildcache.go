// Package buildcache builds the service's functions for this machine, and runs no go command
// for a binary that nothing changed since it was built.
//
// `go build` leaves an up-to-date binary alone, but finding that out costs it 0.1 to 0.2 s a
// package, which `sls invoke local` would pay for every function on every call. Here a stamp
// beside each binary holds a fingerprint of what a build reads: every file of the module (path,
// size, modification time, so an added or removed file counts too; build/, node_modules/ and dot
// folders left out), the go command, its settings and the build flags, and the binary itself.
// While all are as they were the binary is reused; any change runs `go build`, which decides with
// its own cache what to recompile. The module cache is immutable and named by go.mod and go.sum.
package buildcache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/signin-api/signin/local/lambdaruntime"
)

// Build builds the service's functions ./functions/<key> in the module root into
// dir/<key>/bootstrap with the flags of lambdaruntime.BuildCommand (the Makefile's build-local),
// but only those that are not fresh.
func Build(ctx context.Context, root, dir string, keys ...string) error {
	root, _ = filepath.Abs(root)  // one spelling of every path, "." or not
	sum, err := fingerprint(root) // before the build: a file saved during it builds again next time
	if err != nil {
		return err
	}
	for _, key := range keys {
		out, _ := filepath.Abs(filepath.Join(dir, key, "bootstrap")) // relative to the caller's folder, not root
		if stamp, err := os.ReadFile(stampFile(out)); err == nil && string(stamp) == sum+describe(out) {
			continue
		}
		var output bytes.Buffer
		cmd := lambdaruntime.BuildCommand(ctx, root, "-o", out, "./functions/"+key)
		cmd.Stdout, cmd.Stderr = &output, &output
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build ./functions/%s: %w\n%s", key, err, output.String())
		}
		if err := os.WriteFile(stampFile(out), []byte(sum+describe(out)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// stampFile is where the stamp of the binary out is kept.
func stampFile(out string) string { return out + ".stamp" }

// fingerprint hashes what a build of the module in dir depends on, besides the module cache.
func fingerprint(dir string) (string, error) {
	h := sha256.New()
	goCmd, _ := exec.LookPath("go")
	config, _ := os.UserConfigDir()
	fmt.Fprintln(h, lambdaruntime.BuildCommand(context.Background(), "").Args, describe(goCmd), describe(filepath.Join(config, "go", "env")))
	for _, name := range strings.Fields("GOROOT GOTOOLCHAIN GOFLAGS GOOS GOARCH GOAMD64 GOEXPERIMENT GOWORK GOPATH GOENV") {
		fmt.Fprintln(h, name, os.Getenv(name))
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case !d.IsDir():
			_, err = h.Write([]byte(describe(path)))
		case path != dir && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "build"):
			return filepath.SkipDir
		}
		return err
	})
	return fmt.Sprintf("%x\n", h.Sum(nil)), err
}

// describe names a file with its size and modification time, or as missing.
func describe(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return path + " missing\n"
	}
	return fmt.Sprintf("%s %d %d\n", path, fi.Size(), fi.ModTime().UnixNano())
}
