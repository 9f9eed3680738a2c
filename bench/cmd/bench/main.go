// Command bench runs orderbot's benchmarks and writes docs/BENCHMARKS.md and the chart
// next to it. `make bench` runs it from the repository root after `make deps build`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/orderbot/orderbot/bench"
)

func main() {
	def := bench.DefaultConfig(".")
	out := flag.String("out", "docs/BENCHMARKS.md", "report to write; the SVG chart goes next to it")
	runs := flag.Int("cold-runs", def.ColdRuns, "process starts per cold-start variant")
	benchtime := flag.String("benchtime", def.BenchTime, "go test -benchtime for the in-process benchmarks")
	count := flag.Int("count", def.BenchCount, "go test -count; the median run of each benchmark is reported")
	load := flag.Duration("load", def.LoadDuration, "duration of each load step")
	synth := flag.Bool("synth", def.Synth, "time npx cdk synth")
	profile := flag.String("profile-dir", "", "write the gateway CPU profile here (default: a temporary directory)")
	flag.Parse()

	root, err := filepath.Abs(".")
	if err != nil {
		fail(err)
	}
	if _, err := os.Stat(filepath.Join(root, "lambdas", "go.mod")); err != nil {
		fail(fmt.Errorf("run from the repository root (no lambdas/go.mod here): %w", err))
	}
	cfg := def
	cfg.Root, cfg.ColdRuns, cfg.BenchTime, cfg.BenchCount, cfg.LoadDuration, cfg.Synth = root, *runs, *benchtime, *count, *load, *synth
	cfg.Log = os.Stderr
	cfg.Command = "go run ./bench/cmd/bench " + strings.Join(os.Args[1:], " ")
	cfg.ProfileDir = *profile
	if cfg.ProfileDir == "" {
		// The profile is summarised into the report; keep the file only when asked to.
		if cfg.ProfileDir, err = os.MkdirTemp("", "orderbot-bench-prof-"); err != nil {
			fail(err)
		}
		defer os.RemoveAll(cfg.ProfileDir)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		fail(err)
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		fail(err)
	}
	if err := os.WriteFile(*out, []byte(rep.Markdown()), 0o644); err != nil {
		fail(err)
	}
	chart := filepath.Join(filepath.Dir(*out), "benchmarks.svg")
	if err := os.WriteFile(chart, []byte(rep.SVG()), 0o644); err != nil {
		fail(err)
	}
	fmt.Fprintf(os.Stderr, "wrote %s and %s in %v\n", *out, chart, time.Since(start).Round(time.Second))
	if len(rep.Errors) > 0 {
		fmt.Fprintf(os.Stderr, "%d section(s) failed; see the report\n", len(rep.Errors))
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}
