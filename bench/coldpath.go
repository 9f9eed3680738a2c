package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/local/gateway"
)

// ColdPathChange is one change to the cold path, a commit to package lambdas/config.
// The Lambda-like suite measures every state side by side at StepMemory: the baseline is
// the current tree with every change reverted, state k has the first k changes, and the
// last state is the current bootstrap. A state is built from the current tree with the
// later changes' diffs reverse-applied to copies of the package's files and handed to
// `go build -overlay`, so that only these changes differ — other work in the package or
// elsewhere is in every state.
type ColdPathChange struct {
	Name   string
	Commit string
	Detail string
}

// ColdPathChanges are the changes, oldest first.
var ColdPathChanges = []ColdPathChange{
	{Name: "secret ‖ DynamoDB connection", Commit: "fe503026aa28ee65a5f6fc74f21ed010a33efab7",
		Detail: "Load opens DynamoDB's connection (GET / on its endpoint, through the HTTP client the SDK clients now share) " +
			"while it reads the secret: the two TLS handshakes and round trips overlap, and the first GetItem finds the connection open"},
	{Name: "Amazon roots only", Commit: "963dfcfcfcbe8d1845d4a74ce17eab539f1f0c05",
		Detail: "the AWS clients trust the five Amazon Trust Services roots (embedded, 5 certificates) instead of the system's: " +
			"Go loads those at the first TLS handshake, and on provided.al2023 (as on this Debian machine) it parses 143 roots " +
			"three times over — " + rootsSourceShort},
	{Name: "GetSecretValue without the SDK client", Commit: "85be9d1e44e1f7f32d30e75250cdb82cf474c2e2",
		Detail: "one SigV4-signed POST instead of the SDK's Secrets Manager client, whose generated schemas and endpoint " +
			"tables every cold start initialised (package init, before main)"},
}

// BaselineDetail describes the state before the changes.
const BaselineDetail = "the secret is read, then the first request opens DynamoDB's connection; the SDK's Secrets Manager " +
	"client; the AWS clients trust the system roots"

// ColdPathStep is a state before the current one: Steps[0] the baseline, Steps[k] the
// first k changes.
type ColdPathStep struct {
	Name   string
	Commit string // the change's commit ("" for the baseline)
	Detail string
	Revert []ColdPathChange // the changes reverted from the current tree, newest first
	Err    string           // why it could not be built
}

// coldPathSteps are the states before the current one.
func coldPathSteps() []ColdPathStep {
	var steps []ColdPathStep
	for k := range ColdPathChanges {
		st := ColdPathStep{Name: "baseline", Detail: BaselineDetail}
		if k > 0 {
			ch := ColdPathChanges[k-1]
			st.Name, st.Commit, st.Detail = "+ "+ch.Name, ch.Commit, ch.Detail
		}
		for j := len(ColdPathChanges) - 1; j >= k; j-- {
			st.Revert = append(st.Revert, ColdPathChanges[j])
		}
		steps = append(steps, st)
	}
	return steps
}

// stepPackage is the package the changes are in.
const stepPackage = "lambdas/config"

// buildStep builds the bootstrap with step's changes reverted from stepPackage.
func buildStep(ctx context.Context, root string, step ColdPathStep, out string) error {
	dir, err := os.MkdirTemp(filepath.Dir(out), "overlay-")
	if err != nil {
		return err
	}
	files, _ := filepath.Glob(filepath.Join(root, stepPackage, "*.go"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dir, stepPackage), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, stepPackage, filepath.Base(f)), b, 0o644); err != nil {
			return err
		}
	}
	for _, c := range step.Revert {
		diff := exec.CommandContext(ctx, "git", "-C", root, "diff", c.Commit+"^", c.Commit, "--", stepPackage+"/*.go", ":!"+stepPackage+"/*_test.go")
		patch, err := diff.Output()
		if err != nil {
			return fmt.Errorf("git diff of %.12s (not in this clone?): %v", c.Commit, err)
		}
		apply := exec.CommandContext(ctx, "git", "apply", "-R", "-")
		apply.Dir, apply.Stdin = dir, bytes.NewReader(patch)
		if b, err := apply.CombinedOutput(); err != nil {
			return fmt.Errorf("reverting %.12s (%s) from the current %s: %v: %s", c.Commit, c.Name, stepPackage, err, tail(string(b)))
		}
	}
	// Every non-test file as the reverse patches left it: changed, deleted (a change added
	// it) or added (a change deleted it).
	replace := map[string]string{}
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") {
			replace[f] = ""
		}
	}
	reverted, _ := filepath.Glob(filepath.Join(dir, stepPackage, "*.go"))
	for _, f := range reverted {
		if !strings.HasSuffix(f, "_test.go") {
			replace[filepath.Join(root, stepPackage, filepath.Base(f))] = f
		}
	}
	overlay := filepath.Join(dir, "overlay.json")
	b, _ := json.Marshal(map[string]any{"Replace": replace})
	if err := os.WriteFile(overlay, b, 0o644); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-overlay", overlay, "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", out, "./cmd/bootstrap")
	cmd.Dir = filepath.Join(root, "lambdas")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build with %s reverted to %s: %v: %s", stepPackage, step.Name, err, tail(string(b)))
	}
	return nil
}

// accessLogBytes is the length of the access-log line API Gateway writes for one
// /order-list, rendered by the local gateway in the stage's format.
func accessLogBytes(ctx context.Context) (int, error) {
	sr, err := newSignedRequest(ctx)
	if err != nil {
		return 0, err
	}
	var log bytes.Buffer
	handlers := map[string]any{}
	for _, r := range api.Routes {
		handlers[r.Function] = func(context.Context, json.RawMessage) (map[string]string, error) {
			return map[string]string{"response_type": "ephemeral", "text": "No open round in this channel."}, nil
		}
	}
	gw, err := gateway.New(handlers, gateway.Options{AccessLog: &log})
	if err != nil {
		return 0, err
	}
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/order-list", bytes.NewReader(sr.body))
	req.Header = sr.header.Clone()
	gw.ServeHTTP(httptest.NewRecorder(), req)
	if log.Len() == 0 {
		return 0, fmt.Errorf("the gateway wrote no access log")
	}
	return log.Len(), nil
}

// lambdaInitTrace runs orderbot runs times at StepMemory with GODEBUG=inittrace=1 and
// returns each package's median init clock (what the throttled process waited), slowest
// first, and the median total.
func lambdaInitTrace(ctx context.Context, w *lambdaWorld, bin string, runs int) ([]InitCost, time.Duration) {
	byPkg := map[string][]time.Duration{}
	bytesOf := map[string]int64{}
	var totals []time.Duration
	for range runs {
		sr, err := newSignedRequest(ctx)
		if err != nil {
			return nil, 0
		}
		s, err := runGoLambda(ctx, w, StepMemory, bin, w.orderbotEnv("GODEBUG=inittrace=1"), sr, 0)
		if err != nil {
			continue
		}
		var total time.Duration
		for _, x := range parseInitTrace(s.stderr) {
			byPkg[x.Package] = append(byPkg[x.Package], x.Clock)
			bytesOf[x.Package] = x.Bytes
			total += x.Clock
		}
		totals = append(totals, total)
	}
	var res []InitCost
	for pkg, d := range byPkg {
		slices.Sort(d)
		res = append(res, InitCost{Package: pkg, Clock: d[len(d)/2], Bytes: bytesOf[pkg]})
	}
	sort.SliceStable(res, func(i, j int) bool { return res[i].Clock > res[j].Clock })
	slices.Sort(totals)
	if len(totals) == 0 {
		return nil, 0
	}
	return res, totals[len(totals)/2]
}

// ProfileSummary is the merged CPU profile of orderbot's cold starts under the quota:
// from main to the reply (package init runs before main: see the init trace).
type ProfileSummary struct {
	Runs     int
	Total    time.Duration  // CPU samples, all runs
	Packages []ProfileShare // flat CPU by package, largest first
	Top      string         // go tool pprof -top, cumulative
}

// ProfileShare is one package's flat share of the profile.
type ProfileShare struct {
	Package string
	Flat    time.Duration
}

var topLine = regexp.MustCompile(`^\s*([0-9.]+)(ms|s|us|µs)\s+[0-9.]+%\s+[0-9.]+%\s+[0-9.]+(?:ms|s|us|µs)\s+[0-9.]+%\s+(.+)$`)

// lambdaProfile runs the profiled bootstrap runs times at StepMemory and merges the
// profiles with go tool pprof.
func lambdaProfile(ctx context.Context, cfg Config, w *lambdaWorld, bin string, runs int, tmp string) (ProfileSummary, error) {
	var files []string
	for i := range runs {
		sr, err := newSignedRequest(ctx)
		if err != nil {
			return ProfileSummary{}, err
		}
		f := filepath.Join(tmp, "cold-"+strconv.Itoa(i)+".pprof")
		if _, err := runGoLambda(ctx, w, StepMemory, bin, w.orderbotEnv("BENCH_CPUPROFILE="+f), sr, 0); err != nil {
			return ProfileSummary{}, err
		}
		if fi, err := os.Stat(f); err == nil && fi.Size() > 0 {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return ProfileSummary{}, fmt.Errorf("no profile was written")
	}
	flat, err := pprofRun(ctx, cfg.Root, append([]string{"-top", "-nodecount=100000", bin}, files...))
	if err != nil {
		return ProfileSummary{}, err
	}
	sum := ProfileSummary{Runs: len(files)}
	byPkg := map[string]time.Duration{}
	for _, l := range strings.Split(flat, "\n") {
		m := topLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		d := parseProfDur(m[1], m[2])
		byPkg[funcPackage(m[3])] += d
		sum.Total += d
	}
	for p, d := range byPkg {
		sum.Packages = append(sum.Packages, ProfileShare{p, d})
	}
	sort.Slice(sum.Packages, func(i, j int) bool { return sum.Packages[i].Flat > sum.Packages[j].Flat })
	cum, err := pprofRun(ctx, cfg.Root, append([]string{"-top", "-cum", "-nodecount=30", bin}, files...))
	if err == nil {
		// Drop the header lines that name the temporary files.
		if i := strings.Index(cum, "      flat"); i >= 0 {
			cum = cum[i:]
		}
		sum.Top = cum
	}
	return sum, nil
}

func pprofRun(ctx context.Context, root string, args []string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", append([]string{"tool", "pprof"}, args...)...)
	cmd.Dir = root
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go tool pprof: %v", err)
	}
	return strings.TrimSpace(string(b)), nil
}

func parseProfDur(v, unit string) time.Duration {
	f, _ := strconv.ParseFloat(v, 64)
	switch unit {
	case "s":
		return time.Duration(f * float64(time.Second))
	case "ms":
		return time.Duration(f * float64(time.Millisecond))
	}
	return time.Duration(f * float64(time.Microsecond))
}

// funcPackage is the import path of a symbol pprof prints: "crypto/x509.(*CertPool).X"
// is crypto/x509, "runtime.gcDrain" runtime.
func funcPackage(sym string) string {
	slash := strings.LastIndex(sym, "/")
	if dot := strings.Index(sym[slash+1:], "."); dot >= 0 {
		return sym[:slash+1+dot]
	}
	return sym
}
