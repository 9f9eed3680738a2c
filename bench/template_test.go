package bench

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot/local/cfn/cfntest"
)

func TestMain(m *testing.M) { os.Exit(cfntest.Main(m)) }

// TestTemplateWarm runs the side-by-side measurement on the synthesized stack with a few
// requests: both modes answer every request, the cold /order-list started a new process
// (its Init Duration read from the platform's report), and the report shows every row.
func TestTemplateWarm(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesizes the stack and starts the function processes and dynalite")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", ".bin", "dynalite")); err != nil {
		t.Skip("dynalite is not installed: run make deps")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	got, err := runTemplateWarm(ctx, Config{Root: root}, cfntest.Default(t), 5)
	if err != nil {
		t.Fatalf("runTemplateWarm: got error %v, want nil", err)
	}
	if got.Template.N != 5 || got.InProcess.N != 5 || got.Template.Min <= 0 || got.InProcess.Min <= 0 {
		t.Fatalf("got template %+v, in-process %+v; want 5 timed requests each", got.Template, got.InProcess)
	}
	if got.Cold.N != 1 || got.Warm.N != 1 || got.Init.N != 1 || got.Init.Min <= 0 || got.Init.Min >= got.Cold.Min {
		t.Fatalf("got cold %+v, init %+v, warm %+v; want 1 cold start whose init is part of its request, and 1 warm request", got.Cold, got.Init, got.Warm)
	}
	t.Logf("template %+v; in-process %+v; cold %+v (init %+v)", got.Template, got.InProcess, got.Cold, got.Init)
	md := (&Report{Synth: SynthReport{Template: got}}).Markdown()
	for _, want := range []string{"| template (function process + dynalite) |", "| in-process (handler + bbolt) |", "The template mode's p50 is",
		"| cold `/order-list` (new process) |", "| its Init Duration (platform.report) |", "A cold request's p50 is"} {
		if !strings.Contains(md, want) {
			t.Errorf("report: got no %q in the template-mode paragraph", want)
		}
	}
	md = (&Report{Synth: SynthReport{Skipped: "not run (Config.Synth is off)"}}).Markdown()
	if !strings.Contains(md, "Not measured: needs the synthesized template: not run (Config.Synth is off).") {
		t.Errorf("report without synth: got no reason for the missing template-mode line")
	}
}
