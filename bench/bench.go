// Package bench is orderbot's benchmark harness: `make bench` runs it to produce
// docs/BENCHMARKS.md. It measures what decides whether the bot meets Slack's 3-second
// deadline and what it costs:
//
//   - cold request: the order-list bootstrap as a fresh process under a local Lambda
//     Runtime API (spawn → reply), with the signing secret from the environment and from a
//     stub Secrets Manager, next to Bolt for JavaScript and a Python validator started the
//     same way;
//   - warm, in-process: the *_bench_test.go benchmarks next to the code (go test -bench);
//   - local gateway throughput: a keep-alive load generator against the local gateway;
//   - sizes: each bootstrap raw and zipped, and which module its bytes come from;
//   - cdk synth, cold and warm;
//   - an on-paper estimate for AWS built from those numbers and published figures.
//
// Everything runs on one machine without AWS or Docker. Run's Config scales iteration
// counts down, so a test can run the whole harness once (harness_test.go).
package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/orderbot/orderbot/lambdas/api"
)

// Config sizes a run.
type Config struct {
	Root         string        // repository root
	ColdRuns     int           // process starts per cold variant
	BenchTime    string        // go test -benchtime
	BenchCount   int           // go test -count; the report keeps each benchmark's median run
	LoadDuration time.Duration // per load step
	Concurrency  []int         // load-generator workers per step
	Synth        bool          // run npx cdk synth (slow)
	InstallBolt  bool          // npm ci the Bolt fixture when it is missing
	ProfileDir   string        // where the gateway CPU profile goes ("" = no profile)
	Command      string        // the command line, recorded in the report
	Log          io.Writer     // progress; nil = quiet
	// Lambda is the Lambda-like suite (CPU quota, TLS, RTT); Lambda.Runs == 0 leaves it out.
	Lambda LambdaConfig
	// TemplateQemu runs the template mode's functions as the dev server does by default
	// where qemu-user is installed: the arm64 asset under qemu-aarch64. False: a host build
	// (what the template section measures: the stack's overhead, not an emulator's).
	TemplateQemu bool
	// LambdaOnly leaves out the fast sections (cold start on an idle CPU, warm, load,
	// sizes, cdk synth) and runs only the Lambda-like suite.
	LambdaOnly bool
}

// DefaultConfig is what `make bench` runs.
func DefaultConfig(root string) Config {
	return Config{
		Root: root, ColdRuns: 25, BenchTime: "1s", BenchCount: 3, LoadDuration: 5 * time.Second,
		Concurrency: []int{1, 16, 64}, Synth: true, InstallBolt: true,
	}
}

func (c Config) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}

// Report is one run's results.
type Report struct {
	Config   Config
	Machine  Machine
	Started  time.Time
	Duration time.Duration
	Cold     ColdReport
	GoBench  []GoBench
	GoCmds   string
	Load     LoadReport
	Sizes    SizeReport
	Synth    SynthReport
	Lambda   LambdaReport
	Errors   []string // sections that failed; the rest of the report still stands
}

// Machine is where the numbers come from.
type Machine struct {
	OS, Arch, CPU, Go, Node, Python string
	NumCPU                          int
	Kernel                          string
	// LoadBefore and LoadAfter are /proc/loadavg around the run: the machine is shared,
	// and a load average above the core count means other work took CPU from the benchmarks.
	LoadBefore, LoadAfter string
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unavailable"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unavailable"
	}
	return strings.Join(f[:3], " ")
}

func machine(ctx context.Context) Machine {
	m := Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, NumCPU: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	out := func(name string, args ...string) string {
		b, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
		if err != nil {
			return "unavailable"
		}
		return strings.TrimSpace(string(b))
	}
	m.Node = out("node", "--version")
	if p, err := pythonInterpreter(); err == nil {
		m.Python = p + ": " + out(p, "--version")
	}
	m.Kernel = out("uname", "-sr")
	m.LoadBefore = loadavg()
	if v := out("go", "version"); v != "unavailable" {
		m.Go = v
	}
	return m
}

func runOut(ctx context.Context, name string, args ...string) string {
	b, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return "unavailable"
	}
	return strings.TrimSpace(string(b))
}

// Run runs every section. A failing section is recorded in Report.Errors and the others
// still run; the error is for failures that make the report meaningless.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Root == "" {
		return nil, fmt.Errorf("bench: Config.Root is empty")
	}
	rep := &Report{Config: cfg, Started: time.Now(), Machine: machine(ctx)}
	mark := time.Now()
	done := func(section string) {
		cfg.logf("   (%s took %v)", section, time.Since(mark).Round(time.Millisecond))
		mark = time.Now()
	}
	fail := func(section string, err error) {
		cfg.logf("%s: %v", section, err)
		rep.Errors = append(rep.Errors, section+": "+err.Error())
	}

	if !cfg.LambdaOnly {
		runFast(ctx, cfg, rep, done, fail)
	}
	if cfg.Lambda.Runs > 0 {
		cfg.logf("== Lambda-like cold start (%d runs per contender, RTT %v)", cfg.Lambda.Runs, cfg.Lambda.RTT)
		var err error
		if rep.Lambda, err = runLambdaSuite(ctx, cfg); err != nil {
			fail("lambda-like", err)
		}
		for _, e := range rep.Lambda.Errors {
			rep.Errors = append(rep.Errors, "lambda-like "+e)
		}
		done("lambda-like")
	}
	rep.Duration = time.Since(rep.Started)
	rep.Machine.LoadAfter = loadavg()
	return rep, ctx.Err()
}

// runFast runs the sections of the fast mode: every process on an idle, full CPU and
// every dependency on plain-HTTP loopback.
func runFast(ctx context.Context, cfg Config, rep *Report, done func(string), fail func(string, error)) {
	cfg.logf("== sizes")
	var err error
	if rep.Sizes, err = runSizes(ctx, cfg); err != nil {
		fail("sizes", err)
	}
	done("sizes")
	cfg.logf("== cold start (%d runs per variant)", cfg.ColdRuns)
	if rep.Cold, err = runColdSuite(ctx, cfg); err != nil {
		fail("cold start", err)
	}
	done("cold start")
	cfg.logf("== go test -bench (benchtime %s)", cfg.BenchTime)
	if rep.GoBench, rep.GoCmds, err = runGoBenches(ctx, cfg); err != nil {
		fail("go benchmarks", err)
	}
	done("go benchmarks")
	cfg.logf("== local gateway load (%v per step)", cfg.LoadDuration)
	if rep.Load, err = runLoadSuite(ctx, cfg); err != nil {
		fail("load", err)
	}
	done("load")
	if cfg.Synth {
		cfg.logf("== cdk synth")
		rep.Synth = runSynth(ctx, cfg)
	} else {
		rep.Synth.Skipped = "not run (Config.Synth is off)"
	}
}

// ColdReport is the cold-request section.
type ColdReport struct {
	Runs      int
	Variants  []ColdVariant
	BuildTime time.Duration
	InitTrace []InitCost // orderbot's package inits, slowest first
}

// ColdVariant is one way of serving the request, started Runs times.
type ColdVariant struct {
	Name    string
	Detail  string
	Samples []coldSample
	Err     string // why it has no samples
}

// Stats are a variant's spawn → reply durations.
func (v ColdVariant) Stats() Stats {
	return statsOf(v.Samples, func(s coldSample) time.Duration { return s.total })
}

// InitStats and HandlerStats split orderbot's samples at its first GET /next.
func (v ColdVariant) InitStats() Stats {
	return statsOf(v.Samples, func(s coldSample) time.Duration { return s.init })
}
func (v ColdVariant) HandlerStats() Stats {
	return statsOf(v.Samples, func(s coldSample) time.Duration { return s.handler })
}

// Stats summarise durations.
type Stats struct {
	N                      int
	Min, Median, P95, Mean time.Duration
}

func statsOf(samples []coldSample, f func(coldSample) time.Duration) Stats {
	d := make([]time.Duration, len(samples))
	var sum time.Duration
	for i, s := range samples {
		d[i] = f(s)
		sum += d[i]
	}
	slices.Sort(d)
	if len(d) == 0 {
		return Stats{}
	}
	// p95 by nearest rank: with 25 runs it is the 24th.
	p95 := d[min(len(d)-1, (95*len(d)+99)/100-1)]
	return Stats{N: len(d), Min: d[0], Median: median(d), P95: p95, Mean: sum / time.Duration(len(d))}
}

func median(sorted []time.Duration) time.Duration {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// Variant names, used by the report to compute ratios.
const (
	VariantHello  = "Go hello world (aws-lambda-go)"
	VariantEnv    = "orderbot (Go), secret from env"
	VariantSecret = "orderbot (Go), secret from Secrets Manager"
	VariantBolt   = "Bolt for JavaScript 5.1.0"
	VariantPython = "Python validator"
)

func runColdSuite(ctx context.Context, cfg Config) (ColdReport, error) {
	rep := ColdReport{Runs: cfg.ColdRuns}
	tmp, err := os.MkdirTemp("", "orderbot-bench-cold-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(tmp)
	t0 := time.Now()
	bootstrap := filepath.Join(tmp, "bootstrap")
	if err := buildHostBootstrap(ctx, filepath.Join(cfg.Root, "lambdas"), "./cmd/bootstrap", bootstrap); err != nil {
		return rep, err
	}
	rep.BuildTime = time.Since(t0)
	hello := filepath.Join(tmp, "hello")
	if err := buildHostBootstrap(ctx, cfg.Root, "./bench/fixtures/hello", hello); err != nil {
		return rep, err
	}
	db, err := startDynalite(ctx, cfg.Root)
	if err != nil {
		return rep, err
	}
	defer db.stop()
	sm, arn := secretsStub()
	defer sm.Close()

	store := []string{api.EnvFunction + "=order-list", api.EnvTableName + "=" + db.Table, "AWS_ENDPOINT_URL_DYNAMODB=" + db.Endpoint}
	vs := []*coldContender{
		{ColdVariant: ColdVariant{Name: VariantHello, Detail: "baseline: aws-lambda-go only, fixed reply (bench/fixtures/hello)"},
			run: func(sr *signedRequest) (coldSample, error) {
				return runOrderbotCold(ctx, hello, lambdaEnv(), sr)
			}},
		{ColdVariant: ColdVariant{Name: VariantEnv, Detail: "SLACK_SIGNING_SECRET in the environment; GetItem on dynalite"},
			run: func(sr *signedRequest) (coldSample, error) {
				return runOrderbotCold(ctx, bootstrap, lambdaEnv(append(store, "SLACK_SIGNING_SECRET="+coldSecret)...), sr)
			}},
		{ColdVariant: ColdVariant{Name: VariantSecret, Detail: "SECRET_ARN, GetSecretValue from a loopback stub; GetItem on dynalite"},
			run: func(sr *signedRequest) (coldSample, error) {
				return runOrderbotCold(ctx, bootstrap, lambdaEnv(append(store, "SECRET_ARN="+arn, "AWS_ENDPOINT_URL_SECRETS_MANAGER="+sm.URL)...), sr)
			}},
	}
	vs = append(vs, foreignVariants(ctx, cfg)...)
	if err := interleaveCold(ctx, vs, cfg.ColdRuns); err != nil {
		return rep, err
	}
	// One more, untimed run with the runtime's init trace: where orderbot's init goes.
	if sr, err := newSignedRequest(ctx); err == nil {
		env := lambdaEnv(append(store, "SLACK_SIGNING_SECRET="+coldSecret, "GODEBUG=inittrace=1")...)
		if _, stderr, err := runOrderbotColdStderr(ctx, bootstrap, env, sr); err == nil {
			rep.InitTrace = parseInitTrace(stderr)
		}
	}
	for _, v := range vs {
		st := v.Stats()
		cfg.logf("cold %-45s median %8v p95 %8v %s", v.Name, st.Median.Round(10*time.Microsecond), st.P95.Round(10*time.Microsecond), v.Err)
		rep.Variants = append(rep.Variants, v.ColdVariant)
	}
	return rep, nil
}

// coldContender is one variant of the cold-start suite and how to start it once.
type coldContender struct {
	ColdVariant
	run   func(*signedRequest) (coldSample, error) // nil when Err says why it cannot run
	stdio stdioSpec                                // how to start Bolt and Python
}

// stdioSpec is a handler process that reads one API Gateway proxy event per line on stdin
// and prints one reply line per event.
type stdioSpec struct {
	dir  string
	env  []string
	name string
	args []string
}

// foreignVariants are the other stacks' handlers: Bolt for JavaScript and a Python
// validator, each marked with the reason when its runtime is missing.
func foreignVariants(ctx context.Context, cfg Config) []*coldContender {
	boltDir := filepath.Join(cfg.Root, "bench", "fixtures", "bolt")
	bolt := &coldContender{ColdVariant: ColdVariant{Name: VariantBolt, Detail: "App + AwsLambdaReceiver, /order-list acks a text reply; no store"}}
	if _, err := exec.LookPath("node"); err != nil {
		bolt.Err = "node is not on PATH"
	} else if err := ensureBolt(ctx, boltDir, cfg.InstallBolt); err != nil {
		bolt.Err = err.Error()
	} else {
		bolt.stdio = stdioSpec{dir: boltDir, name: "node", args: []string{"handler.js"},
			env: []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "NODE_ENV=production", "SLACK_SIGNING_SECRET=" + coldSecret}}
		bolt.run = func(sr *signedRequest) (coldSample, error) { return runStdioCold(ctx, bolt.stdio, sr) }
	}
	py := &coldContender{ColdVariant: ColdVariant{Name: VariantPython, Detail: "HMAC-SHA256 check + url_verification echo + text reply; stdlib only; no store"}}
	if python, err := pythonInterpreter(); err != nil {
		py.Err = "no python3: " + err.Error()
	} else {
		py.Detail += "; " + python + " " + strings.TrimPrefix(runOut(ctx, python, "--version"), "Python ")
		py.stdio = stdioSpec{dir: filepath.Join(cfg.Root, "bench", "fixtures", "python"), name: python, args: []string{"handler.py"},
			env: []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "LANG=C.UTF-8", "SLACK_SIGNING_SECRET=" + coldSecret}}
		py.run = func(sr *signedRequest) (coldSample, error) { return runStdioCold(ctx, py.stdio, sr) }
	}
	return []*coldContender{bolt, py}
}

// interleaveCold starts each contender runs times, round by round. One untimed round
// first loads every binary and module into the page cache, so all variants are measured
// with a warm disk cache and a cold process; interleaving makes background noise on a
// shared machine hit them alike. A contender that fails once is marked and skipped.
func interleaveCold(ctx context.Context, vs []*coldContender, runs int) error {
	for round := -1; round < runs; round++ {
		for _, v := range vs {
			if v.run == nil || v.Err != "" {
				continue
			}
			sr, err := newSignedRequest(ctx)
			if err != nil {
				return err
			}
			s, err := v.run(sr)
			if err != nil {
				v.Err = err.Error()
				v.Samples = nil
				continue
			}
			if round >= 0 {
				v.Samples = append(v.Samples, s)
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Variant returns the named variant, or nil.
func (c ColdReport) Variant(name string) *ColdVariant {
	for i := range c.Variants {
		if c.Variants[i].Name == name {
			return &c.Variants[i]
		}
	}
	return nil
}
