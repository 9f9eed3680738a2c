package bench

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHarnessSmoke runs the whole harness once with tiny counts (one cold run per
// variant, one iteration per benchmark, short load steps, no cdk synth) so that
// `make test` notices when a change breaks `make bench`. It needs what `make test` has:
// dynalite from `make deps` and node/python3 on PATH; the Bolt fixture is used only if
// `make bench` has installed it (no network in tests).
func TestHarnessSmoke(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", ".bin", "dynalite")); err != nil {
		t.Skip("dynalite is not installed: run make deps")
	}
	cfg := Config{
		Root: root, ColdRuns: 1, BenchTime: "1x", LoadDuration: 100 * time.Millisecond,
		Concurrency: []int{1, 4}, ProfileDir: t.TempDir(), Command: "go test ./bench",
	}
	if testing.Verbose() {
		cfg.Log = os.Stderr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatalf("Run: got error %v, want nil", err)
	}
	for _, e := range rep.Errors {
		t.Errorf("report error: got %v, want none", e)
	}
	for _, name := range []string{VariantHello, VariantEnv, VariantSecret, VariantPython} {
		v := rep.Cold.Variant(name)
		if v == nil || len(v.Samples) != 1 {
			t.Errorf("cold variant %q: got %+v, want one sample", name, v)
		}
	}
	if v := rep.Cold.Variant(VariantBolt); v != nil && v.Err != "" {
		t.Logf("Bolt skipped: %s", v.Err)
	}
	for _, want := range []string{"Verify", "ParseCommand", "OrderList/store=disk", "OrderUpdate/store=disk", "TemplateRequest", "TemplateResponse"} {
		if _, ok := rep.bench(want); !ok {
			t.Errorf("benchmark %s: got none in the report, want it", want)
		}
	}
	for _, l := range rep.Load.Results {
		if l.Requests == 0 || l.Errors > 0 {
			t.Errorf("load %s c=%d: got %d requests, %d errors; want some requests, no errors", l.Route, l.Concurrency, l.Requests, l.Errors)
		}
	}
	md := rep.Markdown()
	for _, want := range []string{"## 1. Cold request", "## 2. Warm", "## 3. Local gateway", "## 4. Sizes", "## 6. On paper"} {
		if !strings.Contains(md, want) {
			t.Errorf("report: got no %q, want the section", want)
		}
	}
	if svg := rep.SVG(); !strings.HasPrefix(svg, "<svg") || !strings.Contains(svg, "orderbot") {
		t.Errorf("chart: got %.200s, want an <svg> naming orderbot", svg)
	}
}

// TestLambdaLikeSmoke runs the Lambda-like mode once: one cold start (and two warm
// invocations) of orderbot and of the floor of the work at 256 MB, the hello functions the
// init model is fitted to, under the CPU quota when the
// machine allows one, with Secrets Manager and DynamoDB behind the TLS proxies. It checks
// that it works and reports numbers, not how fast it is.
func TestLambdaLikeSmoke(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", ".bin", "dynalite")); err != nil {
		t.Skip("dynalite is not installed: run make deps")
	}
	cfg := Config{Root: root, LambdaOnly: true, Command: "go test ./bench",
		Lambda: LambdaConfig{Runs: 1, Warm: 2, RTT: DefaultRTT, Period: DefaultCPUPeriod, Sizes: []int{StepMemory}, Calibrate: true}}
	if testing.Verbose() {
		cfg.Log = os.Stderr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatalf("Run: got error %v, want nil", err)
	}
	for _, e := range rep.Errors {
		t.Errorf("report error: got %v, want none", e)
	}
	l := rep.Lambda
	if !strings.HasPrefix(l.Quota, "cgroup v") && !strings.HasPrefix(l.Quota, "no CPU quota: ") {
		t.Errorf("quota: got %q, want the cgroup used or why there is none", l.Quota)
	}
	t.Logf("quota: %s", l.Quota)
	for _, kind := range []string{KindOrderbot, KindFloor} {
		c := l.Contender(kind, StepMemory)
		if c == nil || len(c.Samples) != 1 || c.Samples[0].cold <= 0 || len(c.Samples[0].warm) != 2 {
			t.Fatalf("%s at %d MB: got %+v, want one cold start and two warm invocations", kind, StepMemory, c)
		}
		t.Logf("%s: cold %v (CPU %v), warm %v", c.Name, c.Samples[0].cold, c.Samples[0].cpu, c.Samples[0].warm)
	}
	for _, kind := range []string{KindOrderbot, KindFloor} {
		calls := l.Contender(kind, StepMemory).Calls()
		if calls.Requests["secretsmanager.GetSecretValue"] != 1 || calls.Requests["DynamoDB_20120810.GetItem"] != 1 || calls.Conns < 2 {
			t.Errorf("%s's cold start through the proxies: got %+v, want one GetSecretValue, one GetItem, two TLS connections or more", kind, calls)
		}
	}
	if l.Model == nil {
		t.Fatalf("calibration: got no model, want one fitted to the hello functions")
	}
	if c := l.Contender(KindOrderbot, StepMemory); c.Samples[0].model <= c.Samples[0].cold-c.Samples[0].init {
		t.Errorf("orderbot's modelled cold start: got %v, want more than its first invocation (%v)", c.Samples[0].model, c.Samples[0].handler)
	}
	md := rep.Markdown()
	for _, want := range []string{"## 7. Lambda-like", "orderbot 256 MB", "floor of the work 256 MB", "### Calibration against published Lambda figures"} {
		if !strings.Contains(md, want) {
			t.Errorf("report: got no %q, want it", want)
		}
	}
}
