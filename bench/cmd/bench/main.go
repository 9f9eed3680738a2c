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
	"strconv"
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
	lambda := lambdaFlags()
	templateOnly := templateOnlyFlags()
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
	if templateOnly(cfg) {
		return
	}
	cfg.ProfileDir = *profile
	if err := lambda(&cfg); err != nil {
		fail(err)
	}
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
	charts := writeReport(*out, rep, cfg)
	fmt.Fprintf(os.Stderr, "wrote %s and %s in %v\n", *out, strings.Join(charts, ", "), time.Since(start).Round(time.Second))
	if len(rep.Errors) > 0 {
		fmt.Fprintf(os.Stderr, "%d section(s) failed; see the report\n", len(rep.Errors))
		os.Exit(1)
	}
}

// writeReport writes the report to out and its charts next to it, and returns the charts'
// paths.
func writeReport(out string, rep *bench.Report, cfg bench.Config) []string {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		fail(err)
	}
	if err := os.WriteFile(out, []byte(rep.Markdown()), 0o644); err != nil {
		fail(err)
	}
	var charts []string
	if !cfg.LambdaOnly {
		charts = append(charts, filepath.Join(filepath.Dir(out), "benchmarks.svg"))
		if err := os.WriteFile(charts[0], []byte(rep.SVG()), 0o644); err != nil {
			fail(err)
		}
	}
	if cfg.Lambda.Runs > 0 {
		charts = append(charts, filepath.Join(filepath.Dir(out), "power-tuning.svg"))
		if err := os.WriteFile(charts[len(charts)-1], []byte(rep.PowerSVG()), 0o644); err != nil {
			fail(err)
		}
	}
	return charts
}

// templateOnlyFlags defines -template-only: measure only the template mode's section
// (section 2's warm request through the function processes against the in-process path,
// and a function process's cold start under the dev server) on a synthesized cloud
// assembly and print it, without running the rest or writing the report. The function it
// returns runs it when asked, after flag.Parse, and reports whether it did.
func templateOnlyFlags() func(bench.Config) bool {
	dir := flag.String("template-only", "", "only measure the template mode on this cloud assembly (e.g. cdk.out) and print its section")
	n := flag.Int("template-requests", 200, "-template-only: warm requests to each mode (and a quarter as many cold starts)")
	qemu := flag.Bool("template-qemu", false, "-template-only: run the arm64 asset under qemu-aarch64 instead of a host build")
	return func(cfg bench.Config) bool {
		if *dir == "" {
			return false
		}
		cfg.TemplateQemu = *qemu
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		section, err := bench.TemplateOnly(ctx, cfg, *dir, *n, cfg.Command)
		if err != nil {
			fail(err)
		}
		fmt.Print(section)
		return true
	}
}

// lambdaFlags defines the Lambda-like mode's flags; the function it returns sets them in
// a Config after flag.Parse.
func lambdaFlags() func(*bench.Config) error {
	def := bench.DefaultLambdaConfig()
	on := flag.Bool("lambda", false, "also run the Lambda-like mode: CPU quota by memory size, TLS and an injected RTT to AWS, power tuning")
	only := flag.Bool("lambda-only", false, "run only the Lambda-like mode (implies -lambda)")
	runs := flag.Int("lambda-runs", def.Runs, "cold starts per Lambda-like contender")
	warm := flag.Int("lambda-warm", def.Warm, "warm invocations after each Lambda-like cold start")
	rtt := flag.Duration("rtt", def.RTT, "round-trip time injected between a function and Secrets Manager / DynamoDB")
	profile := flag.Int("lambda-profile", def.Profile, "profiled cold starts of orderbot in the Lambda-like mode (0: none)")
	sizes := flag.String("lambda-sizes", joinInts(def.Sizes), "memory sizes (MB) of orderbot and the Go floor in the Lambda-like mode")
	foreign := flag.Bool("lambda-foreign", def.Foreign, "Lambda-like mode: also the peers doing orderbot's I/O (Python + boto3 at 256/1024 MB, Bolt + AWS SDK at 512/1024 MB)")
	calibrate := flag.Bool("lambda-calibrate", def.Calibrate, "Lambda-like mode: also the hello functions of Go, Python and Node the init model is fitted to")
	whole := flag.Bool("lambda-whole", def.Whole, "Lambda-like mode: also the whole-process-throttled shape and the cold-path changes, before and after")
	return func(cfg *bench.Config) error {
		if !*on && !*only {
			return nil
		}
		cfg.Lambda = def
		cfg.Lambda.Runs, cfg.Lambda.Warm, cfg.Lambda.RTT, cfg.Lambda.Profile = *runs, *warm, *rtt, *profile
		cfg.Lambda.Foreign, cfg.Lambda.Calibrate, cfg.Lambda.Whole, cfg.LambdaOnly = *foreign, *calibrate, *whole, *only
		var err error
		if cfg.Lambda.Sizes, err = parseInts(*sizes); err != nil {
			return fmt.Errorf("-lambda-sizes: %w", err)
		}
		return nil
	}
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

func parseInts(s string) ([]int, error) {
	var v []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 128 || n > 10240 {
			return nil, fmt.Errorf("%q is not a memory size (128–10240 MB)", f)
		}
		v = append(v, n)
	}
	return v, nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}
