package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// SynthReport times `npx cdk synth` twice in a row: the first run starts from no cloud
// assembly (a fresh output directory) with whatever Go build cache the machine has; the
// second is the warm edit-synth loop.
type SynthReport struct {
	Skipped    string // why it did not run, or failed
	Cold, Warm time.Duration
	Command    string
	// Template is the warm request in `orderbot dev`'s template mode, which needs the
	// synthesized cloud assembly.
	Template TemplateWarm
}

func runSynth(ctx context.Context, cfg Config) SynthReport {
	out, err := os.MkdirTemp("", "orderbot-bench-cdk-")
	if err != nil {
		return SynthReport{Skipped: err.Error()}
	}
	defer os.RemoveAll(out)
	rep := SynthReport{Command: "npx cdk synth --quiet --output <tmp>/cdk.out"}
	if _, err := os.Stat(filepath.Join(cfg.Root, "node_modules", ".bin", "cdk")); err != nil {
		rep.Skipped = "the CDK CLI is not installed (run make deps)"
		return rep
	}
	run := func() (time.Duration, error) {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npx", "cdk", "synth", "--quiet", "--output", filepath.Join(out, "cdk.out"))
		cmd.Dir = cfg.Root
		start := time.Now()
		b, err := cmd.CombinedOutput()
		if err != nil {
			return 0, fmt.Errorf("%v: %s", err, tail(string(b)))
		}
		return time.Since(start), nil
	}
	if rep.Cold, err = run(); err != nil {
		rep.Skipped = "npx cdk synth failed (infra/ is in progress): " + err.Error()
		return rep
	}
	if rep.Warm, err = run(); err != nil {
		rep.Skipped = "second npx cdk synth failed: " + err.Error()
	}
	cfg.logf("synth cold %v warm %v", rep.Cold, rep.Warm)
	// The template mode serves this cloud assembly while it exists.
	if rep.Template, err = runTemplateWarm(ctx, cfg, filepath.Join(out, "cdk.out"), templateRequests); err != nil {
		rep.Template.Skipped = err.Error()
	}
	return rep
}

// templateRequests is how many warm requests runTemplateWarm sends to each mode.
const templateRequests = 200
