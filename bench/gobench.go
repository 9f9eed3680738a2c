package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// GoBench is one line of `go test -bench` output.
type GoBench struct {
	Package string
	Name    string // without the Benchmark prefix and the -GOMAXPROCS suffix
	N       int
	Runs    int                // how many -count runs the median was taken from
	Metrics map[string]float64 // "ns/op", "B/op", "allocs/op", "p50-ns", "p99-ns", …
}

// goBenchSuites are the warm, in-process benchmarks: the *_bench_test.go files next to the
// code. dir is relative to the repository root (each module runs its own go test).
// The GOGC=800 run (collections eight times rarer; GOGC=off would instead grow the heap
// without bound and measure page faults) of the handlers that do not fsync tells how much
// of their tail is garbage collection.
var goBenchSuites = []struct{ dir, pkg, pattern, env string }{
	{"lambdas", "./slackio", ".", ""},
	{"lambdas", "./handler", ".", ""},
	{"lambdas", "./handler", "OrderList/store=tmpfs|OrderUpdate/store=tmpfs|Events/url_verification", "GOGC=800"},
	{".", "./local/vtl", "Template", ""},
}

var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

func runGoBenches(ctx context.Context, cfg Config) ([]GoBench, string, error) {
	var all []GoBench
	var cmds []string
	for _, s := range goBenchSuites {
		args := []string{"test", "-run", "^$", "-bench", s.pattern, "-benchmem", "-count", strconv.Itoa(max(cfg.BenchCount, 1)), "-benchtime", cfg.BenchTime, s.pkg}
		line := strings.Join(strings.Fields(fmt.Sprintf("(cd %s && %s go %s)", s.dir, s.env, strings.Join(quoteArgs(args), " "))), " ")
		cmds = append(cmds, line)
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = filepath.Join(cfg.Root, s.dir)
		cmd.Env = os.Environ()
		if s.env != "" {
			cmd.Env = append(cmd.Env, s.env)
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			return all, strings.Join(cmds, "\n"), fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, tail(string(out)))
		}
		res := medianRuns(parseGoBench(string(out)))
		for i := range res {
			res[i].Package = strings.TrimPrefix(filepath.Join(s.dir, s.pkg), "./")
			if s.env != "" {
				res[i].Name += " " + s.env
			}
			cfg.logf("go bench %-45s %12.0f ns/op", res[i].Name, res[i].Metrics["ns/op"])
		}
		all = append(all, res...)
	}
	return all, strings.Join(cmds, "\n"), nil
}

// quoteArgs quotes the arguments a shell would mangle, so the recorded commands can be
// pasted.
func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, "^$|* ") {
			a = "'" + a + "'"
		}
		out[i] = a
	}
	return out
}

// medianRuns keeps, for each benchmark run several times (-count), the run with the
// median ns/op: on a shared machine one run can catch a burst of someone else's work, and
// the median run is less sensitive to it than the mean, without the optimism of the best.
func medianRuns(runs []GoBench) []GoBench {
	var order []string
	by := map[string][]GoBench{}
	for _, r := range runs {
		if _, ok := by[r.Name]; !ok {
			order = append(order, r.Name)
		}
		by[r.Name] = append(by[r.Name], r)
	}
	out := make([]GoBench, 0, len(order))
	for _, name := range order {
		rs := by[name]
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].Metrics["ns/op"] < rs[j].Metrics["ns/op"] })
		m := rs[(len(rs)-1)/2]
		m.Runs = len(rs)
		out = append(out, m)
	}
	return out
}

// parseGoBench reads the benchmark lines of go test output: "<value> <unit>" pairs.
func parseGoBench(out string) []GoBench {
	var res []GoBench
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		b := GoBench{Name: m[1], N: n, Metrics: map[string]float64{}}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				b.Metrics[f[i+1]] = v
			}
		}
		res = append(res, b)
	}
	return res
}
