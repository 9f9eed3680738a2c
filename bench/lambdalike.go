package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orderbot/orderbot/lambdas/api"
)

// LambdaConfig sizes the Lambda-like suite: cold starts as Lambda runs them, with a CPU
// quota in proportion to the memory size and Secrets Manager and DynamoDB behind TLS
// with an injected round-trip time. Runs == 0 leaves the suite out.
type LambdaConfig struct {
	Runs      int           // cold starts per contender, interleaved round by round
	Warm      int           // warm invocations after each cold start
	RTT       time.Duration // injected network round trip to Secrets Manager and DynamoDB
	Period    time.Duration // CFS period of the CPU quota
	Sizes     []int         // memory sizes (MB) of orderbot and the Go floor
	Foreign   bool          // the peers doing orderbot's I/O: Python + boto3 at 256 and 1,024 MB, Bolt + AWS SDK at 512 and 1,024 MB
	Calibrate bool          // the hello functions of Go, Python and Node at CalibrationSizes
	Whole     bool          // the whole-process-throttled shape and the cold-path steps at StepMemory
	Profile   int           // profiled cold starts of orderbot at StepMemory (0: none)
	InitTrace int           // GODEBUG=inittrace=1 cold starts of orderbot at StepMemory (0: none)
}

// DefaultLambdaConfig is what `make bench` runs.
func DefaultLambdaConfig() LambdaConfig {
	return LambdaConfig{Runs: 12, Warm: 8, RTT: DefaultRTT, Period: DefaultCPUPeriod, Sizes: []int{128, 256, 512, 1024},
		Foreign: true, Calibrate: true, Whole: true, Profile: 20, InitTrace: 5}
}

const (
	// DefaultRTT is a same-region round trip from a function to a regional endpoint. AWS
	// places a Region's Availability Zones "close enough to use synchronous replication with
	// single-digit millisecond latency" (whitepaper "AWS Fault Isolation Boundaries");
	// measured EC2 pings are ≈0.45 ms within an AZ and 1.3–2.1 ms across AZs (us-east-1,
	// gist josephmisiti/10312241), and cloudping.co's same-region figures are ≈1 ms.
	DefaultRTT = time.Millisecond
	// DefaultCPUPeriod is the period Lambda enforces a function's CPU share over: observed
	// as 20 ms (pwrdrvr/lambda-dispatch issue #246; pwrdrvr/lambda-throttling): a function
	// that uses its share early in a 20 ms slice pauses until the slice ends.
	DefaultCPUPeriod = 20 * time.Millisecond
	// WholePeriod is the CFS period of the whole-process shape: the independent harness's
	// (issue #24: 14 % of a core, 10 ms period).
	WholePeriod = 10 * time.Millisecond
	// initRuns is how many times packageInit runs a binary.
	initRuns = 9
	// StepMemory is the size the targets, the profile and the init trace are measured at.
	StepMemory = 256
)

// Contender kinds.
const (
	KindOrderbot      = "orderbot"
	KindFloor         = "floor" // the floor of the work: orderbot's I/O and nothing else
	KindPython        = "python"
	KindBolt          = "bolt"
	KindStep          = "step"
	KindHello         = "hello" // Go hello, a calibration point
	KindPythonHello   = "python-hello"
	KindNodeHello     = "node-hello"
	KindWholeHello    = "whole-hello" // init throttled too: the independent harness's shape
	KindWholeOrderbot = "whole-orderbot"
)

// CalibrationSizes are the sizes the hello functions run at, as published.
var CalibrationSizes = []int{128, 1024}

// LambdaContender is one function at one memory size.
type LambdaContender struct {
	Kind     string
	Name     string
	MemoryMB int
	Detail   string
	Step     int // index in LambdaReport.Steps for KindStep
	Samples  []lambdaSample
	Err      string
	run      func(*signedRequest) (lambdaSample, error)
}

// lambdaSample is one cold start and the warm invocations that followed it.
type lambdaSample struct {
	cold, init, handler time.Duration // spawn → reply, spawn → first GET /next, the rest
	cpu                 time.Duration // CPU the process had used when it replied
	initCPU             time.Duration // CPU it had used when its init ended
	initDelay           time.Duration // time it had waited on a run queue by then (the shared machine)
	model, modelInit    time.Duration // the calibrated model's cold start and Init Duration (0: not modelled)
	warm                []time.Duration
	warmCPU             []time.Duration // CPU each warm invocation used
	logBytes            int             // stderr written during the warm invocations
	calls               proxyCounts     // TLS connections and AWS requests up to the cold reply
	stderr              string          // what the process wrote up to the cold reply
}

// LambdaReport is the Lambda-like suite's results.
type LambdaReport struct {
	Config       LambdaConfig
	Quota        string // how processes were throttled, or "no CPU quota: <reason>"
	QuotaVersion int
	Quotas       map[int]time.Duration // CPU per period, by memory size
	Throttle     map[int]throttleStats // cgroup counters over the suite, by memory size
	Contenders   []*LambdaContender
	Steps        []ColdPathStep
	LateP50      time.Duration // how late the proxies delivered bytes
	LateP95      time.Duration
	InitTrace    []InitCost // orderbot's package inits under the quota (median clock)
	InitTotal    time.Duration
	Profile      ProfileSummary
	AccessLog    int    // bytes of one API Gateway access-log line
	Model        *Model // the calibrated init phase; nil when the hello functions did not run
	CurrentInit  PackageInit
	HelloInit    PackageInit
	Errors       []string
}

// lambdaWorld is what the functions of the Lambda-like suite run against.
type lambdaWorld struct {
	quotas  *cpuQuotas
	db      *dynalite
	sm, ddb *tlsProxy
	arn     string
	bundle  string
	tmp     string
}

// orderbotEnv is what the orderbot contenders run with: the production log level, and
// Secrets Manager and DynamoDB reached through the proxies.
func (w *lambdaWorld) orderbotEnv(extra ...string) []string {
	env := lambdaEnv(api.EnvFunction+"=order-list", api.EnvTableName+"="+w.db.Table,
		"SECRET_ARN="+w.arn, "AWS_ENDPOINT_URL_SECRETS_MANAGER="+w.sm.URL, "AWS_ENDPOINT_URL_DYNAMODB="+w.ddb.URL,
		"AWS_CA_BUNDLE="+w.bundle, "AWS_LAMBDA_LOG_LEVEL=INFO")
	return append(env, extra...)
}

func (w *lambdaWorld) counts() proxyCounts {
	a, b := w.sm.counts(), w.ddb.counts()
	for k, v := range b.Requests {
		a.Requests[k] += v
	}
	a.Conns += b.Conns
	return a
}

func (w *lambdaWorld) close() {
	if w.sm != nil {
		w.sm.close()
	}
	if w.ddb != nil {
		w.ddb.close()
	}
	if w.db != nil {
		w.db.stop()
	}
	if w.quotas != nil {
		w.quotas.close()
	}
}

// runLambdaSuite runs every contender Runs times, interleaved, then the untimed init
// trace and profile runs.
func runLambdaSuite(ctx context.Context, cfg Config) (LambdaReport, error) {
	lc := cfg.Lambda
	rep := LambdaReport{Config: lc, Quotas: map[int]time.Duration{}, Throttle: map[int]throttleStats{}}
	tmp, err := os.MkdirTemp("", "orderbot-bench-lambda-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(tmp)
	w, err := startLambdaWorld(ctx, cfg, tmp, &rep)
	if err != nil {
		return rep, err
	}
	defer w.close()
	bins, err := buildLambdaBinaries(ctx, cfg, tmp, &rep)
	if err != nil {
		return rep, err
	}
	rep.Contenders = lambdaContenders(ctx, cfg, w, bins, &rep)
	if err := interleaveLambda(ctx, rep.Contenders, lc.Runs, cfg); err != nil {
		return rep, err
	}
	rep.applyModel()
	for _, mb := range quotaSizes(lc) {
		rep.Throttle[mb] = w.quotas.Stats(mb)
	}
	rep.LateP50, rep.LateP95 = lateness(w.sm, w.ddb)
	if lc.InitTrace > 0 {
		rep.InitTrace, rep.InitTotal = lambdaInitTrace(ctx, w, bins.orderbot, lc.InitTrace)
	}
	if lc.Profile > 0 && bins.profiled != "" {
		if rep.Profile, err = lambdaProfile(ctx, cfg, w, bins.profiled, lc.Profile, tmp); err != nil {
			rep.Errors = append(rep.Errors, "profile: "+err.Error())
		}
	}
	for _, c := range rep.Contenders {
		s := c.ColdStats()
		cfg.logf("lambda %-44s cold median %8v p95 %8v warm p99 %8v %s", c.Name, s.Median.Round(10*time.Microsecond),
			s.P95.Round(10*time.Microsecond), c.WarmStats().P99.Round(10*time.Microsecond), c.Err)
	}
	return rep, nil
}

// quotaSizes is every memory size a contender runs at.
func quotaSizes(lc LambdaConfig) []int {
	sizes := slices.Clone(lc.Sizes)
	if lc.Foreign {
		sizes = append(sizes, 256, 512, 1024)
	}
	if lc.Calibrate {
		sizes = append(sizes, CalibrationSizes...)
	}
	if lc.Whole {
		sizes = append(sizes, StepMemory)
	}
	if lc.Profile > 0 || lc.InitTrace > 0 {
		sizes = append(sizes, StepMemory)
	}
	slices.Sort(sizes)
	return slices.Compact(sizes)
}

// startLambdaWorld starts what the functions talk to: dynalite and the Secrets Manager
// stub, each behind a TLS proxy with the injected RTT, and the cgroups.
func startLambdaWorld(ctx context.Context, cfg Config, tmp string, rep *LambdaReport) (*lambdaWorld, error) {
	lc := cfg.Lambda
	w := &lambdaWorld{tmp: tmp}
	w.quotas = newCPUQuotas(lc.Period)
	w.quotas.WholePeriod = WholePeriod
	rep.QuotaVersion = w.quotas.Version
	if w.quotas.Reason != "" {
		rep.Quota = "no CPU quota: " + w.quotas.Reason
	} else {
		rep.Quota = fmt.Sprintf("cgroup v%d CPU quota, %v period", w.quotas.Version, lc.Period)
		for _, mb := range quotaSizes(lc) {
			rep.Quotas[mb] = w.quotas.Quota(mb)
		}
	}
	cfg.logf("lambda-like: %s; RTT %v", rep.Quota, lc.RTT)
	ca, err := newProxyCA()
	if err != nil {
		w.close()
		return nil, err
	}
	if w.bundle, err = ca.writeBundle(tmp); err != nil {
		w.close()
		return nil, err
	}
	if w.db, err = startDynalite(ctx, cfg.Root); err != nil {
		w.close()
		return nil, err
	}
	sm, arn := secretsStub()
	go func() { <-ctx.Done(); sm.Close() }()
	w.arn = arn
	if w.sm, err = startTLSProxy(sm.URL, ca, lc.RTT); err != nil {
		w.close()
		return nil, err
	}
	if w.ddb, err = startTLSProxy(w.db.Endpoint, ca, lc.RTT); err != nil {
		w.close()
		return nil, err
	}
	if rep.AccessLog, err = accessLogBytes(ctx); err != nil {
		rep.Errors = append(rep.Errors, "access log: "+err.Error())
	}
	return w, nil
}

func lateness(ps ...*tlsProxy) (p50, p95 time.Duration) {
	for _, p := range ps {
		a, b := p.Lateness()
		p50, p95 = max(p50, a), max(p95, b)
	}
	return p50, p95
}

// lambdaBinaries are the programs the suite runs.
type lambdaBinaries struct {
	orderbot, hello, floor, profiled string
	steps                            []string // per LambdaReport.Steps; "" when it could not be built
}

func buildLambdaBinaries(ctx context.Context, cfg Config, tmp string, rep *LambdaReport) (lambdaBinaries, error) {
	b := lambdaBinaries{orderbot: filepath.Join(tmp, "bootstrap"), hello: filepath.Join(tmp, "hello")}
	if err := buildHostBootstrap(ctx, filepath.Join(cfg.Root, "lambdas"), "./cmd/bootstrap", b.orderbot); err != nil {
		return b, err
	}
	if err := buildHostBootstrap(ctx, cfg.Root, "./bench/fixtures/hello", b.hello); err != nil {
		return b, err
	}
	b.floor = filepath.Join(tmp, "floor")
	if err := buildHostBootstrap(ctx, cfg.Root, "./bench/fixtures/floor", b.floor); err != nil {
		return b, err
	}
	if cfg.Lambda.Profile > 0 {
		b.profiled = filepath.Join(tmp, "profiled")
		if err := buildHostBootstrap(ctx, cfg.Root, "./bench/fixtures/profiled", b.profiled); err != nil {
			rep.Errors = append(rep.Errors, "profiled bootstrap: "+err.Error())
			b.profiled = ""
		}
	}
	if cfg.Lambda.Whole {
		rep.CurrentInit, rep.HelloInit = packageInit(ctx, b.orderbot, initRuns), packageInit(ctx, b.hello, initRuns)
		rep.Steps = coldPathSteps()
		for i := range rep.Steps {
			out := filepath.Join(tmp, "step-"+strconv.Itoa(i))
			if err := buildStep(ctx, cfg.Root, rep.Steps[i], out); err != nil {
				rep.Steps[i].Err = err.Error()
				out = ""
			} else {
				rep.Steps[i].Init = packageInit(ctx, out, initRuns)
			}
			b.steps = append(b.steps, out)
		}
	}
	return b, nil
}

// lambdaContenders lists the contenders: orderbot and the floor of the work at every
// size, the calibration functions (hello in Go, Python and Node at 128 and 1,024 MB), the
// peers doing the same I/O at the sizes their users run, the whole-process shape of the
// independent harness and the cold-path steps.
func lambdaContenders(ctx context.Context, cfg Config, w *lambdaWorld, bins lambdaBinaries, rep *LambdaReport) []*LambdaContender {
	lc := cfg.Lambda
	var cs []*LambdaContender
	goRun := func(bin string, mb int, env []string, warm int, whole bool) func(*signedRequest) (lambdaSample, error) {
		return func(sr *signedRequest) (lambdaSample, error) {
			return runGoLambda(ctx, w, mb, bin, env, sr, warm, whole)
		}
	}
	add := func(kind, name string, mb int, detail string, run func(*signedRequest) (lambdaSample, error)) *LambdaContender {
		c := &LambdaContender{Kind: kind, Name: fmt.Sprintf("%s %d MB", name, mb), MemoryMB: mb, Detail: detail, run: run}
		cs = append(cs, c)
		return c
	}
	for _, mb := range lc.Sizes {
		add(KindOrderbot, "orderbot", mb, "the bootstrap as built now: GetSecretValue and GetItem over TLS", goRun(bins.orderbot, mb, w.orderbotEnv(), lc.Warm, false))
		add(KindFloor, "floor of the work", mb, "GetSecretValue and one GetItem over the same TLS, stdlib + the SDK's signer (bench/fixtures/floor)",
			goRun(bins.floor, mb, w.orderbotEnv(), lc.Warm, false))
	}
	if lc.Calibrate {
		for _, mb := range CalibrationSizes {
			add(KindHello, "Go hello", mb, "aws-lambda-go only, fixed reply (bench/fixtures/hello)", goRun(bins.hello, mb, lambdaEnv(), 0, false))
		}
		cs = append(cs, helloLambda(ctx, cfg, w)...)
	}
	if lc.Foreign {
		cs = append(cs, foreignLambda(ctx, cfg, w)...)
	}
	if lc.Whole {
		env := w.wholeEnv()
		add(KindWholeHello, "Go hello, whole process throttled,", StepMemory, "the independent harness's shape: init under the quota too",
			goRun(bins.hello, StepMemory, lambdaEnv(), 0, true))
		add(KindWholeOrderbot, "orderbot, whole process throttled,", StepMemory,
			"the independent harness's shape: init under the quota too; secret from the environment, dynalite on loopback",
			goRun(bins.orderbot, StepMemory, env, 0, true))
		for i, st := range rep.Steps {
			c := add(KindStep, fmt.Sprintf("step %d: %s,", i, st.Name), StepMemory, st.Detail, nil)
			c.Step, c.Err = i, st.Err
			if st.Err == "" {
				c.run = goRun(bins.steps[i], StepMemory, env, 0, true)
			}
		}
	}
	return cs
}

// wholeEnv is orderbot as the independent harness runs it: the signing secret from the
// environment and dynalite on loopback, without TLS or an injected RTT.
func (w *lambdaWorld) wholeEnv() []string {
	return lambdaEnv(api.EnvFunction+"=order-list", api.EnvTableName+"="+w.db.Table, "AWS_ENDPOINT_URL_DYNAMODB="+w.db.Endpoint,
		"SLACK_SIGNING_SECRET="+coldSecret, "AWS_LAMBDA_LOG_LEVEL=INFO")
}

// foreignEnv is what a peer doing orderbot's I/O runs with: the secret's ARN, the table
// and both endpoints behind the TLS proxies, whose CA Python reads from AWS_CA_BUNDLE and
// Node from NODE_EXTRA_CA_CERTS.
func (w *lambdaWorld) foreignEnv() []string {
	return lambdaEnv("SECRET_ARN="+w.arn, api.EnvTableName+"="+w.db.Table, "AWS_ENDPOINT_URL_SECRETS_MANAGER="+w.sm.URL,
		"AWS_ENDPOINT_URL_DYNAMODB="+w.ddb.URL, "AWS_CA_BUNDLE="+w.bundle, "NODE_EXTRA_CA_CERTS="+w.bundle, "NODE_ENV=production")
}

// helloLambda is the smallest Python and Node handlers at the calibration sizes.
func helloLambda(ctx context.Context, cfg Config, w *lambdaWorld) []*LambdaContender {
	var cs []*LambdaContender
	fx := filepath.Join(cfg.Root, "bench", "fixtures")
	python, perr := pythonInterpreter()
	_, nerr := exec.LookPath("node")
	for _, h := range []struct {
		kind, name string
		spec       stdioSpec
		err        error
	}{
		{KindPythonHello, "Python hello", stdioSpec{dir: filepath.Join(fx, "python"), name: python, args: []string{"hello.py"}, env: lambdaEnv()}, perr},
		{KindNodeHello, "Node hello", stdioSpec{dir: filepath.Join(fx, "node"), name: "node", args: []string{"hello.js"}, env: lambdaEnv()}, nerr},
	} {
		for _, mb := range CalibrationSizes {
			c := &LambdaContender{Kind: h.kind, Name: fmt.Sprintf("%s %d MB", h.name, mb), MemoryMB: mb, Detail: "fixed reply (bench/fixtures)"}
			if h.err != nil {
				c.Err = h.err.Error()
			} else {
				spec := h.spec
				c.run = func(sr *signedRequest) (lambdaSample, error) { return runStdioLambda(ctx, w, mb, spec, sr, 0) }
			}
			cs = append(cs, c)
		}
	}
	return cs
}

// foreignLambda is the Python handler with boto3 at 256 and 1,024 MB and Bolt for
// JavaScript with the AWS SDK at 512 and 1,024 MB, both doing orderbot's I/O, or each
// marked with why it cannot run.
func foreignLambda(ctx context.Context, cfg Config, w *lambdaWorld) []*LambdaContender {
	var cs []*LambdaContender
	fx := filepath.Join(cfg.Root, "bench", "fixtures")
	python, perr := pythonInterpreter()
	pyDetail := "boto3: GetSecretValue at init, HMAC check + GetItem per command (bench/fixtures/python/boto3_handler.py)"
	if perr == nil {
		if err := exec.CommandContext(ctx, python, "-c", "import boto3").Run(); err != nil {
			perr = fmt.Errorf("%s cannot import boto3 (Debian: apt-get install python3-boto3)", python)
		} else {
			pyDetail += "; " + python + " " + strings.TrimPrefix(runOut(ctx, python, "--version"), "Python ") + ", boto3 " +
				runOut(ctx, python, "-c", "import boto3; print(boto3.__version__)")
		}
	}
	boltDir := filepath.Join(fx, "bolt")
	_, berr := exec.LookPath("node")
	if berr == nil {
		berr = ensureBolt(ctx, boltDir, cfg.InstallBolt)
	}
	for _, f := range []struct {
		kind, name, detail string
		sizes              []int
		spec               stdioSpec
		err                error
	}{
		{KindPython, "Python + boto3", pyDetail, []int{256, 1024},
			stdioSpec{dir: filepath.Join(fx, "python"), name: python, args: []string{"boto3_handler.py"}, env: w.foreignEnv()}, perr},
		{KindBolt, VariantBolt + " + AWS SDK", "App + AwsLambdaReceiver; GetSecretValue at init, GetItem in the command (@aws-sdk v3; bench/fixtures/bolt/handler_io.js)",
			[]int{512, 1024}, stdioSpec{dir: boltDir, name: "node", args: []string{"handler_io.js"}, env: w.foreignEnv()}, berr},
	} {
		for _, mb := range f.sizes {
			c := &LambdaContender{Kind: f.kind, Name: fmt.Sprintf("%s %d MB", f.name, mb), MemoryMB: mb, Detail: f.detail}
			if f.err != nil {
				c.Err = f.err.Error()
			} else {
				spec := f.spec
				c.run = func(sr *signedRequest) (lambdaSample, error) {
					return runStdioLambda(ctx, w, mb, spec, sr, cfg.Lambda.Warm)
				}
			}
			cs = append(cs, c)
		}
	}
	return cs
}

// interleaveLambda runs every contender once per round, after one untimed round, with
// the order rotated from round to round.
func interleaveLambda(ctx context.Context, cs []*LambdaContender, runs int, cfg Config) error {
	for round := -1; round < runs; round++ {
		for k := range cs {
			c := cs[(k+max(round, 0))%len(cs)]
			if c.run == nil || c.Err != "" {
				continue
			}
			sr, err := newSignedRequest(ctx)
			if err != nil {
				return err
			}
			s, err := c.run(sr)
			if err != nil {
				c.Err, c.Samples = err.Error(), nil
				cfg.logf("lambda %s: %v", c.Name, err)
				continue
			}
			if round >= 0 {
				c.Samples = append(c.Samples, s)
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// ColdStats are the contender's cold starts as the calibrated model has Lambda run them
// (modelled Init Duration + the first invocation), or spawn → reply where not modelled.
func (c *LambdaContender) ColdStats() Stats {
	return c.stat(func(s lambdaSample) time.Duration {
		if s.model > 0 {
			return s.model
		}
		return s.cold
	})
}

// LocalColdStats are the contender's spawn → reply durations on this machine.
func (c *LambdaContender) LocalColdStats() Stats {
	return c.stat(func(s lambdaSample) time.Duration { return s.cold })
}

// InitStats and HandlerStats split a Go contender's cold start at its first GET /next.
func (c *LambdaContender) InitStats() Stats {
	return c.stat(func(s lambdaSample) time.Duration { return s.init })
}
func (c *LambdaContender) HandlerStats() Stats {
	return c.stat(func(s lambdaSample) time.Duration { return s.handler })
}

// CPUStats is the CPU a cold start used up to its reply.
func (c *LambdaContender) CPUStats() Stats {
	return c.stat(func(s lambdaSample) time.Duration { return s.cpu })
}

func (c *LambdaContender) stat(f func(lambdaSample) time.Duration) Stats {
	cs := make([]coldSample, len(c.Samples))
	for i, s := range c.Samples {
		cs[i] = coldSample{total: f(s)}
	}
	return statsOf(cs, func(s coldSample) time.Duration { return s.total })
}

// WarmStats are the warm invocations' durations (event handed out → reply), all runs.
func (c *LambdaContender) WarmStats() Percentiles {
	var d []time.Duration
	for _, s := range c.Samples {
		d = append(d, s.warm...)
	}
	return percentiles(d)
}

// WarmCPU is the CPU a warm invocation used, median over all.
func (c *LambdaContender) WarmCPU() time.Duration {
	return c.WarmCPUStats().P50
}

// WarmCPUStats are the percentiles of the CPU each warm invocation used: the function's
// own work, without the waits for its quota or for this shared machine.
func (c *LambdaContender) WarmCPUStats() Percentiles {
	var d []time.Duration
	for _, s := range c.Samples {
		d = append(d, s.warmCPU...)
	}
	return percentiles(d)
}

// LogBytesPerWarm is what the function writes to its log per warm invocation.
func (c *LambdaContender) LogBytesPerWarm() float64 {
	var bytes, n int
	for _, s := range c.Samples {
		bytes += s.logBytes
		n += len(s.warm)
	}
	if n == 0 {
		return 0
	}
	return float64(bytes) / float64(n)
}

// Calls is the median cold start's TLS connections and AWS requests.
func (c *LambdaContender) Calls() proxyCounts {
	if len(c.Samples) == 0 {
		return proxyCounts{}
	}
	return c.Samples[len(c.Samples)/2].calls
}

// Percentiles of a set of durations.
type Percentiles struct {
	N             int
	P50, P99, Max time.Duration
}

func percentiles(d []time.Duration) Percentiles {
	if len(d) == 0 {
		return Percentiles{}
	}
	d = slices.Clone(d)
	slices.Sort(d)
	// p99 by nearest rank.
	return Percentiles{N: len(d), P50: median(d), P99: d[min(len(d)-1, (99*len(d)+99)/100-1)], Max: d[len(d)-1]}
}

// Contender returns the contender of a kind and size, or nil.
func (r LambdaReport) Contender(kind string, mb int) *LambdaContender {
	for _, c := range r.Contenders {
		if c.Kind == kind && c.MemoryMB == mb {
			return c
		}
	}
	return nil
}

func (r LambdaReport) ok(kind string, mb int) (*LambdaContender, bool) {
	c := r.Contender(kind, mb)
	return c, c != nil && len(c.Samples) > 0
}

// stepContender is step i's contender at size mb.
func (r LambdaReport) stepContender(i, mb int) (*LambdaContender, bool) {
	for _, c := range r.Contenders {
		if c.Kind == KindStep && c.Step == i && c.MemoryMB == mb {
			return c, len(c.Samples) > 0
		}
	}
	return nil, false
}
