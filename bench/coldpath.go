package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

// ColdPathChange is one change to the cold path, a commit to the lambdas module. The
// Lambda-like suite measures every state side by side: the baseline is the current tree
// with every change reverted, state k has the first k changes, and the last state is the
// current bootstrap. A state is built from the current tree with the later changes'
// diffs reverse-applied to copies of the files they touch and handed to
// `go build -overlay`, so that only these changes differ — other work is in every state.
type ColdPathChange struct {
	Name   string
	Commit string
	Detail string
}

// ColdPathChanges are the changes of issue #24, oldest first: package initialisation a
// cold /order-list does not need. (Issue #14's changes to lambdas/config — the secret
// read beside DynamoDB's connection, Amazon roots only, GetSecretValue without the SDK's
// client — were measured the same way; their tables are in this file's history.)
var ColdPathChanges = []ColdPathChange{
	{Name: "schedule names without a regexp", Commit: "55ca6c573ee8a3dc83c2a90c7ea2d65386afb005",
		Detail: "lambdas/schedule checked a schedule name with `^[0-9a-zA-Z\\-_.]{1,64}$`, compiled at package init: the bounded " +
			"repetition unrolls into 64 copies, 860 allocations and 60 KB before main on every cold start; a loop checks the same"},
	{Name: "deadline patterns compiled on first use", Commit: "9ff2c776d6571e413987416d2cb1b36a0ae094ae",
		Detail: "lambdas/handler compiled its three `close at 11:30` / `in 20m` patterns at package init (396 allocations); " +
			"they compile at the first `close <arg>` now"},
}

// BaselineDetail describes the state before the changes.
const BaselineDetail = "main as of 2026-12-07 (ca578ac): every pattern compiled at package init"

// ColdPathStep is a state before the current one: Steps[0] the baseline, Steps[k] the
// first k changes.
type ColdPathStep struct {
	Name   string
	Commit string // the change's commit ("" for the baseline)
	Detail string
	Revert []ColdPathChange // the changes reverted from the current tree, newest first
	Init   PackageInit      // its package initialisation, unthrottled
	Err    string           // why it could not be built
}

// PackageInit is what a binary's package initialisation costs before main, from
// GODEBUG=inittrace=1 on the idle CPU: allocations and bytes (the same every run) and
// the median total clock of several runs.
type PackageInit struct {
	Allocs, Bytes int64
	Clock         time.Duration
	Runs          int
}

// packageInit runs bin runs times with GODEBUG=inittrace=1 and no function named, so it
// exits right after package initialisation (wire.Start refuses an empty ORDERBOT_FUNCTION).
func packageInit(ctx context.Context, bin string, runs int) PackageInit {
	var p PackageInit
	var clocks []time.Duration
	for range runs {
		cmd := exec.CommandContext(ctx, bin)
		cmd.Env = lambdaEnv("GODEBUG=inittrace=1", api.EnvFunction+"=")
		out, _ := cmd.CombinedOutput() // exits 1 by design
		var clock time.Duration
		p.Allocs, p.Bytes = 0, 0
		for _, x := range parseInitTrace(string(out)) {
			clock += x.Clock
			p.Allocs += x.Allocs
			p.Bytes += x.Bytes
		}
		if clock > 0 {
			clocks = append(clocks, clock)
		}
	}
	if len(clocks) > 0 {
		slices.Sort(clocks)
		p.Clock, p.Runs = median(clocks), len(clocks)
	}
	return p
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

// stepModule is where the changes are: the module the bootstrap is built from.
const stepModule = "lambdas"

// buildStep builds the bootstrap with step's changes reverted.
func buildStep(ctx context.Context, root string, step ColdPathStep, out string) error {
	dir, err := os.MkdirTemp(filepath.Dir(out), "overlay-")
	if err != nil {
		return err
	}
	files, patches, err := stepDiffs(ctx, root, step)
	if err != nil {
		return err
	}
	if err := copyInto(root, dir, files); err != nil {
		return err
	}
	for i, patch := range patches {
		if err := revert(ctx, root, dir, step.Revert[i], patch); err != nil {
			// Later work rewrote the change's own lines, so it cannot be taken out of the
			// current tree: build the state as it was committed instead. The changes landed
			// as consecutive commits, so neighbouring rows still differ by one change alone.
			fmt.Fprintf(os.Stderr, "cold-path step %q: %v; built at its commit instead\n", step.Name, err)
			return buildAt(ctx, root, stepCommit(step), out)
		}
	}
	// Every touched file as the reverse patches left it: changed, deleted (a change added
	// it: "" in the overlay) or added back (a change deleted it).
	replace := map[string]string{}
	for f := range files {
		replace[filepath.Join(root, f)] = ""
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			replace[filepath.Join(root, f)] = filepath.Join(dir, f)
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
		return fmt.Errorf("go build with the changes reverted to %s: %v: %s", step.Name, err, tail(string(b)))
	}
	return nil
}

// stepDiffs are the non-test Go files of the lambdas module that step's changes touch
// (repository-relative) and each change's patch.
func stepDiffs(ctx context.Context, root string, step ColdPathStep) (files map[string]bool, patches [][]byte, err error) {
	files = map[string]bool{}
	for _, c := range step.Revert {
		spec := []string{"--", stepModule + "/**.go", ":!" + stepModule + "/**_test.go"}
		names, err := exec.CommandContext(ctx, "git", append([]string{"-C", root, "diff", "--name-only", c.Commit + "^", c.Commit}, spec...)...).Output()
		if err != nil {
			return nil, nil, fmt.Errorf("git diff of %.12s (not in this clone?): %v", c.Commit, err)
		}
		for _, f := range strings.Fields(string(names)) {
			files[f] = true
		}
		patch, err := exec.CommandContext(ctx, "git", append([]string{"-C", root, "diff", c.Commit + "^", c.Commit}, spec...)...).Output()
		if err != nil {
			return nil, nil, fmt.Errorf("git diff of %.12s: %v", c.Commit, err)
		}
		patches = append(patches, patch)
	}
	return files, patches, nil
}

// copyInto copies the files (repository-relative) that exist under root to dir.
func copyInto(root, dir string, files map[string]bool) error {
	for f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if errors.Is(err, os.ErrNotExist) {
			continue // a later change deleted it; its reverse patch brings it back
		} else if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// stepCommit is the commit whose tree is step's state: the change's own commit, or for
// the baseline the parent of the first change.
func stepCommit(step ColdPathStep) string {
	if step.Commit != "" {
		return step.Commit
	}
	return ColdPathChanges[0].Commit + "^"
}

// buildAt builds the bootstrap from the lambdas module as it is at commit (git archive
// into a temporary directory), with the flags the current build uses.
func buildAt(ctx context.Context, root, commit, out string) error {
	dir, err := os.MkdirTemp(filepath.Dir(out), "at-")
	if err != nil {
		return err
	}
	archive := exec.CommandContext(ctx, "git", "-C", root, "archive", commit, stepModule)
	extract := exec.CommandContext(ctx, "tar", "-x", "-C", dir)
	if extract.Stdin, err = archive.StdoutPipe(); err != nil {
		return err
	}
	if err := archive.Start(); err != nil {
		return fmt.Errorf("git archive %s: %w", commit, err)
	}
	if b, err := extract.CombinedOutput(); err != nil {
		return fmt.Errorf("extract %s: %v: %s", commit, err, tail(string(b)))
	}
	if err := archive.Wait(); err != nil {
		return fmt.Errorf("git archive %s: %w", commit, err)
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", out, "./cmd/bootstrap")
	cmd.Dir = filepath.Join(dir, stepModule)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build at %.12s: %v: %s", commit, err, tail(string(b)))
	}
	return nil
}

// revert reverse-applies a change's patch in dir. When later work changed the lines
// around it, the patch is made again without context (git diff -U0) and applied by its
// changed lines alone; the build that follows checks the result.
func revert(ctx context.Context, root, dir string, c ColdPathChange, patch []byte) error {
	apply := exec.CommandContext(ctx, "git", "apply", "-R", "-")
	apply.Dir, apply.Stdin = dir, bytes.NewReader(patch)
	b, err := apply.CombinedOutput()
	if err == nil {
		return nil
	}
	zero, zerr := exec.CommandContext(ctx, "git", "-C", root, "diff", "-U0", c.Commit+"^", c.Commit, "--",
		stepModule+"/**.go", ":!"+stepModule+"/**_test.go").Output()
	if zerr == nil {
		apply = exec.CommandContext(ctx, "git", "apply", "-R", "--unidiff-zero", "-")
		apply.Dir, apply.Stdin = dir, bytes.NewReader(zero)
		var zb []byte
		if zb, zerr = apply.CombinedOutput(); zerr == nil {
			return nil
		}
		b = append(b, zb...)
	}
	return fmt.Errorf("reverting %.12s (%s) from the current tree: %v: %s", c.Commit, c.Name, err, tail(string(b)))
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
		s, err := runGoLambda(ctx, w, StepMemory, bin, w.orderbotEnv("GODEBUG=inittrace=1"), sr, 0, true)
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
		if _, err := runGoLambda(ctx, w, StepMemory, bin, w.orderbotEnv("BENCH_CPUPROFILE="+f), sr, 0, false); err != nil {
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
