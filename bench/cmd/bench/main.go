// Command bench is `make bench`: it measures this design against the original tutorial's
// order (package bench), prints one Markdown table and writes it to
// bench/results/<UTC time>.md and bench/results/latest.md. Run it from the repository root
// after make build, make build-local and npm ci.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/signin-api/signin/bench"
)

func main() {
	opts := bench.DefaultOptions()
	flag.StringVar(&opts.Root, "root", opts.Root, "the service's folder")
	flag.IntVar(&opts.ColdStarts, "cold-starts", opts.ColdStarts, "cold starts per function and CPU share")
	flag.IntVar(&opts.WarmSignIns, "warm-signins", opts.WarmSignIns, "warm sign-ins after each cold start of signin")
	flag.IntVar(&opts.SignIns, "signins", opts.SignIns, "timed end-to-end sign-ins per design")
	flag.IntVar(&opts.Invocations, "invocations", opts.Invocations, "sign-ins before reading peak memory")
	out := flag.String("out", filepath.Join("bench", "results"), "folder for <UTC time>.md and latest.md")
	flag.Parse()
	opts.Command = strings.Join(append([]string{"go run ./bench/cmd/bench"}, os.Args[1:]...), " ")
	if os.Getenv("MAKELEVEL") != "" {
		opts.Command = "make bench"
	}
	opts.Progress = os.Stderr

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	report, err := bench.Run(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	md := report.Markdown()
	fmt.Print(md)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	name := report.Started.Format("20060102T150405Z") + ".md"
	for _, f := range []string{name, "latest.md"} {
		if err := os.WriteFile(filepath.Join(*out, f), []byte(md), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
	}
	fmt.Fprintf(os.Stderr, "bench: wrote %s and latest.md in %s\n", name, *out)
}
