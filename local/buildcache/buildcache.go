// Package buildcache builds Go main packages for this machine and remembers what each binary was
// built from, so a later build of an unchanged package runs no go command at all.
//
// `go build` already leaves an up-to-date binary alone, but finding that out costs it 0.1 to 0.2
// s per package (it loads and hashes every dependency); `sls invoke local` pays that for each
// function on every call. Here a stamp file beside each binary lists the non-standard Go
// sources, embedded files, package folders and go.mod files it was built from (from `go list
// -deps`, taken before the build) with their sizes and modification times, and the go command,
// flags and environment that shape a build. While every entry is unchanged the binary is reused;
// any difference (an edited or added file, another toolchain, GOFLAGS) runs `go build`, which
// itself decides with its own cache what to recompile.
package buildcache

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/signin-api/signin/local/lambdaruntime"
)

// Target is one main package and the binary built from it.
type Target struct {
	// Package is the package's path as go build takes it ("./functions/signin").
	Package string
	// Out is the binary's path.
	Out string
}

// Build builds the targets that are not fresh, from the module in dir, with the flags of
// lambdaruntime.BuildCommand (the Makefile's build-local). It reports which targets it built.
func Build(ctx context.Context, dir string, targets ...Target) (built []Target, err error) {
	env := environment()
	var stale []Target
	for _, t := range targets {
		if !fresh(stampFile(t.Out), t.Out, env) {
			stale = append(stale, t)
		}
	}
	if len(stale) == 0 {
		return nil, nil
	}
	// The inputs are taken before the build, so a file saved during it makes the next call build
	// again. One go list for every stale target: each stamp may then hold a few files its own
	// package does not use, which only ever costs a build.
	var pkgs []string
	for _, t := range stale {
		pkgs = append(pkgs, t.Package)
	}
	inputs, err := listInputs(ctx, dir, pkgs)
	if err != nil {
		return nil, err
	}
	for _, t := range stale {
		var out bytes.Buffer
		cmd := lambdaruntime.BuildCommand(ctx, dir, "-o", t.Out, t.Package)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return built, fmt.Errorf("build %s: %w\n%s", t.Package, err, out.String())
		}
		if err := writeStamp(stampFile(t.Out), t.Out, env, inputs); err != nil {
			return built, err
		}
		built = append(built, t)
	}
	return built, nil
}

// stampFile is where the stamp of the binary out is kept.
func stampFile(out string) string { return out + ".inputs.json" }

// file is a path with what says whether it changed.
type file struct {
	Path    string    `json:"path"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime"`
}

type stamp struct {
	// Env is what shapes a build besides the sources (environment).
	Env []string `json:"env"`
	// Output is the binary as it was written.
	Output file `json:"output"`
	// Inputs are the sources, folders and go.mod files it was built from.
	Inputs []file `json:"inputs"`
}

// environment lists what changes a build without changing a source: the go command found in
// PATH (another toolchain), the variables and the go env file that set build options, and the
// build flags themselves.
func environment() []string {
	env := []string{"flags=" + strings.Join(lambdaruntime.BuildCommand(context.Background(), "").Args, " ")}
	if goCmd, err := exec.LookPath("go"); err == nil {
		env = append(env, "go="+describe(goCmd))
	}
	if cfg, err := os.UserConfigDir(); err == nil {
		env = append(env, "goenv="+describe(filepath.Join(cfg, "go", "env")))
	}
	for _, name := range []string{"GOROOT", "GOTOOLCHAIN", "GOFLAGS", "GOOS", "GOARCH", "GOAMD64", "GOARM64",
		"GOEXPERIMENT", "GOWORK", "GOPATH", "GOMODCACHE", "GOENV"} {
		env = append(env, name+"="+os.Getenv(name))
	}
	return env
}

// describe names a file with its size and modification time ("missing" when it is absent).
func describe(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return path + " missing"
	}
	return fmt.Sprintf("%s %d %d", path, fi.Size(), fi.ModTime().UnixNano())
}

// listInputs lists, for the packages and every non-standard package they depend on, the Go and
// embedded files (those the build tags skip too, as a changed tag line can bring them in), the
// package folders (a file added to one changes its time) and the go.mod files, and stats them.
// The standard library comes with the go command, which environment names.
func listInputs(ctx context.Context, dir string, pkgs []string) ([]file, error) {
	const format = `{{if not .Standard}}{{$d := .Dir}}{{$d}}
{{range .GoFiles}}{{$d}}/{{.}}
{{end}}{{range .CgoFiles}}{{$d}}/{{.}}
{{end}}{{range .IgnoredGoFiles}}{{$d}}/{{.}}
{{end}}{{range .EmbedFiles}}{{$d}}/{{.}}
{{end}}{{with .Module}}{{.GoMod}}
{{end}}{{end}}`
	args := append([]string{"list", "-deps", "-tags", "lambda.norpc", "-f", format}, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %w\n%s", strings.Join(pkgs, " "), err, stderr.String())
	}
	var paths []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if p := strings.TrimSpace(sc.Text()); p != "" {
			paths = append(paths, p)
		}
	}
	if root, err := filepath.Abs(dir); err == nil {
		paths = append(paths, filepath.Join(root, "go.sum"), filepath.Join(root, "go.work"))
	}
	slices.Sort(paths)
	paths = slices.Compact(paths)
	files := make([]file, 0, len(paths))
	for _, p := range paths {
		files = append(files, statFile(p))
	}
	return files, nil
}

// statFile describes path; a missing file has size -1, so its appearance is a change too.
func statFile(path string) file {
	fi, err := os.Stat(path)
	if err != nil {
		return file{Path: path, Size: -1}
	}
	return file{Path: path, Size: fi.Size(), ModTime: fi.ModTime()}
}

func writeStamp(path, out string, env []string, inputs []file) error {
	data, err := json.Marshal(stamp{Env: env, Output: statFile(out), Inputs: inputs})
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// fresh reports whether the binary out exists as it was built and nothing its stamp lists has
// changed since. Any doubt (no stamp, an unreadable one) means not fresh.
func fresh(stampPath, out string, env []string) bool {
	data, err := os.ReadFile(stampPath)
	if err != nil {
		return false
	}
	var s stamp
	if err := json.Unmarshal(data, &s); err != nil || !slices.Equal(s.Env, env) || len(s.Inputs) == 0 {
		return false
	}
	if !same(statFile(out), s.Output) || s.Output.Size < 0 {
		return false
	}
	for _, f := range s.Inputs {
		if !same(statFile(f.Path), f) {
			return false
		}
	}
	return true
}

func same(a, b file) bool {
	return a.Path == b.Path && a.Size == b.Size && a.ModTime.Equal(b.ModTime)
}
