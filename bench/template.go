package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/orderbot/orderbot/lambdas/syncbuf"
	"github.com/orderbot/orderbot/local/devstack"
)

// TemplateWarm compares a warm /order-update through `orderbot dev`'s template mode (the
// template's API, the function's own process behind its Runtime API, DynamoDB in
// dynalite) with the in-process path (gateway.New: the route table's handler inside the
// server, bbolt), both servers running at once and the requests alternating between
// them, so the other work on a shared machine weighs on both alike. It also times a
// function process's cold start under the dev server against a warm request (Cold).
type TemplateWarm struct {
	Skipped             string // why it did not run
	Template, InProcess Stats  // wall clock per request, keep-alive client
	Warmup              int    // requests sent to each before measuring
	// Cold is a /order-list on the template server that finds no idle environment of
	// order-list's function (the dev stack recycled them, as Lambda reclaims idle ones): a
	// new process, its init (the secret through the Secrets Manager stand-in, DynamoDB's
	// first connection) and the request. Warm is the /order-list sent right after it, on
	// the environment it left; Init the Init Duration of each cold start's platform.report.
	Cold, Warm, Init Stats
	// Command is set when the section was measured on its own (TemplateOnly).
	Command string
}

// templateWarmup covers each function's cold start and the first DynamoDB connection.
const templateWarmup = 10

// runTemplateWarm measures n requests to each on the cloud assembly cdkOut.
func runTemplateWarm(ctx context.Context, cfg Config, cdkOut string, n int) (TemplateWarm, error) {
	out := TemplateWarm{Warmup: templateWarmup}
	dir, err := os.MkdirTemp("", "orderbot-bench-template-")
	if err != nil {
		return out, err
	}
	defer os.RemoveAll(dir)
	tmpl, err := startTemplate(ctx, cfg, cdkOut, filepath.Join(dir, "template"))
	if err != nil {
		return out, fmt.Errorf("template mode: %w", err)
	}
	defer tmpl.close()
	if err := os.MkdirAll(filepath.Join(dir, "in-process"), 0o755); err != nil {
		return out, err
	}
	local, err := startLocalGateway(filepath.Join(dir, "in-process"))
	if err != nil {
		return out, fmt.Errorf("in-process: %w", err)
	}
	defer local.close()

	pool := requestPool("/order-update", templateWarmup+n, func(i int) string { return "flat white" })
	client := &http.Client{Timeout: 30 * time.Second}
	lat := map[string][]time.Duration{}
	// The stage's throttling (infra's default 10 requests/s) answers 429 above its rate:
	// pace the pairs at four fifths of it.
	var pace <-chan time.Time
	if rate := tmpl.stack.Stack.API.ThrottleRate; rate > 0 {
		tick := time.NewTicker(time.Duration(1.25 * float64(time.Second) / rate))
		defer tick.Stop()
		pace = tick.C
	}
	for i, r := range pool {
		if pace != nil {
			<-pace
		}
		for _, base := range []string{tmpl.url, local.URL} {
			start := time.Now()
			status, err := post(ctx, client, base, r)
			if err != nil || status != http.StatusOK {
				return out, fmt.Errorf("/order-update on %s: HTTP %d %v", base, status, err)
			}
			if i >= templateWarmup {
				lat[base] = append(lat[base], time.Since(start))
			}
		}
	}
	out.Template, out.InProcess = durationStats(lat[tmpl.url]), durationStats(lat[local.URL])
	cfg.logf("template warm p50 %v, in-process p50 %v", out.Template.Median, out.InProcess.Median)
	if err := measureCold(ctx, tmpl, client, pace, max(n/4, 1), &out); err != nil {
		return out, err
	}
	cfg.logf("template cold /order-list p50 %v (init %v), warm p50 %v", out.Cold.Median, out.Init.Median, out.Warm.Median)
	return out, nil
}

// coldFunction is the function whose cold start measureCold times: /order-list's, as
// section 1 and the Lambda-like mode time a cold /order-list.
const coldFunction = "Orderbot-order-list"

// measureCold times n pairs on the template server: order-list's idle environments
// recycled, then a cold /order-list, then a warm one; and reads each cold start's Init
// Duration from the function's platform.report lines.
func measureCold(ctx context.Context, tmpl *templateServer, client *http.Client, pace <-chan time.Time, n int, out *TemplateWarm) error {
	pool := requestPool("/order-list", 2*n, func(int) string { return "" })
	var cold, warm []time.Duration
	for i := range n {
		tmpl.stack.Recycle(coldFunction)
		for j, lat := range []*[]time.Duration{&cold, &warm} {
			if pace != nil {
				<-pace
			}
			start := time.Now()
			status, err := post(ctx, client, tmpl.url, pool[2*i+j])
			if err != nil || status != http.StatusOK {
				return fmt.Errorf("/order-list on the template server: HTTP %d %v", status, err)
			}
			*lat = append(*lat, time.Since(start))
		}
	}
	inits := initDurations(tmpl.log.String(), coldFunction)
	if len(inits) != n {
		return fmt.Errorf("%s: %d cold starts reported (Init Duration), want %d", coldFunction, len(inits), n)
	}
	out.Cold, out.Warm, out.Init = durationStats(cold), durationStats(warm), durationStats(inits)
	return nil
}

// initDurations are the Init Durations of fn's platform.report lines in log (Lambda's
// JSON log format: "initDurationMs").
func initDurations(log, fn string) []time.Duration {
	var out []time.Duration
	for _, line := range strings.Split(log, "\n") {
		rest, ok := strings.CutPrefix(line, "["+fn+"] ")
		if !ok || !strings.Contains(rest, `"platform.report"`) {
			continue
		}
		var rec struct {
			Record struct {
				Metrics struct {
					InitDurationMs float64 `json:"initDurationMs"`
				} `json:"metrics"`
			} `json:"record"`
		}
		if json.Unmarshal([]byte(rest), &rec) == nil && rec.Record.Metrics.InitDurationMs > 0 {
			out = append(out, time.Duration(rec.Record.Metrics.InitDurationMs*float64(time.Millisecond)))
		}
	}
	return out
}

// templateServer is what `orderbot dev --cdk-out` serves, without Slack's side: the
// stack's API at / and the AWS stand-ins the functions call.
type templateServer struct {
	url   string
	stack *devstack.Stack
	srv   *http.Server
	log   *syncbuf.Buffer // the functions' output
}

func startTemplate(ctx context.Context, cfg Config, cdkOut, dataDir string) (*templateServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	base := "http://" + ln.Addr().String()
	log := &syncbuf.Buffer{}
	st, err := devstack.Start(ctx, devstack.Options{
		CDKOut: cdkOut, StackName: "Orderbot", DataDir: dataDir, BaseURL: base,
		SigningSecret: coldSecret, BotToken: "xoxb-bench", ModuleDir: filepath.Join(cfg.Root, "lambdas"),
		AccessLog: io.Discard, Log: log, ClockSpeed: 1, HostBuild: !cfg.TemplateQemu,
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(devstack.AWSPath, st)
	mux.Handle("/", st.Gateway)
	t := &templateServer{url: base, stack: st, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}, log: log}
	go t.srv.Serve(ln)
	return t, nil
}

func (t *templateServer) close() {
	t.srv.Close()
	t.stack.Close()
}

// durationStats are the statistics of d (any order).
func durationStats(d []time.Duration) Stats {
	samples := make([]coldSample, len(d))
	for i, x := range d {
		samples[i].total = x
	}
	return statsOf(samples, func(s coldSample) time.Duration { return s.total })
}

// templateWarmSection is the side-by-side line of section 2.
func (r *Report) templateWarmSection(w writer) {
	t := r.Synth.Template
	w("**Template mode vs in-process (`orderbot dev`).** ")
	if r.Synth.Skipped != "" && t.Template.N == 0 {
		t.Skipped = "needs the synthesized template: " + r.Synth.Skipped
	}
	if t.Skipped != "" {
		w("Not measured: %s.\n\n", t.Skipped)
		return
	}
	w("A warm `/order-update` over loopback HTTP, %d requests to each after %d of warm-up, alternating between two servers "+
		"(paced below the stage's throttling rate) "+
		"running at once: the template mode (`orderbot dev --cdk-out`: the synthesized template's API, the order-update function's "+
		"own process behind the Lambda Runtime API, DynamoDB in dynalite) and the in-process path (`gateway.New`, the harness "+
		"`orderbot dev` no longer serves: the handler in the server, bbolt on disk).\n\n", t.Template.N, t.Warmup)
	w("| mode | p50 | p95 | mean | min |\n|---|---|---|---|---|\n")
	for _, row := range []struct {
		name string
		s    Stats
	}{{"template (function process + dynalite)", t.Template}, {"in-process (handler + bbolt)", t.InProcess}} {
		w("| %s | %s | %s | %s | %s |\n", row.name, ms(row.s.Median), ms(row.s.P95), ms(row.s.Mean), ms(row.s.Min))
	}
	if t.InProcess.Median > 0 {
		w("\nThe template mode's p50 is %.1f× the in-process one: the Runtime API hop and dynalite (a Node.js DynamoDB) cost "+
			"what the local run of the deployed shape adds.\n", float64(t.Template.Median)/float64(t.InProcess.Median))
	}
	w("\n")
	t.coldSection(w)
}

// coldSection is the cold start of a function process under the dev server, side by
// side with a warm request of the same run.
func (t TemplateWarm) coldSection(w writer) {
	if t.Cold.N == 0 {
		return
	}
	w("**A function process's cold start under the dev server.** On the same template server, %d times: order-list's idle "+
		"execution environments recycled (`devstack.Stack.Recycle`, as Lambda reclaims idle ones), then a `/order-list` that "+
		"starts a new process — its init (the secret through the Secrets Manager stand-in, DynamoDB's first connection through "+
		"the AWS front) and the request — and right after it a warm `/order-list` on the environment it left.", t.Cold.N)
	if t.Command != "" {
		w(" Measured on its own: `%s`.", t.Command)
	}
	w("\n\n| request | p50 | p95 | mean | min |\n|---|---|---|---|---|\n")
	for _, row := range []struct {
		name string
		s    Stats
	}{{"cold `/order-list` (new process)", t.Cold}, {"its Init Duration (platform.report)", t.Init}, {"warm `/order-list` right after", t.Warm}} {
		w("| %s | %s | %s | %s | %s |\n", row.name, ms(row.s.Median), ms(row.s.P95), ms(row.s.Mean), ms(row.s.Min))
	}
	if t.Warm.Median > 0 && t.Cold.Median > 0 {
		w("\nA cold request's p50 is %.1f× a warm one's; the process's init is %.0f%% of it.\n", float64(t.Cold.Median)/float64(t.Warm.Median),
			100*float64(t.Init.Median)/float64(t.Cold.Median))
	}
	w("\n")
}

// TemplateOnly measures the template mode's section on its own — n warm requests to each
// mode and n/4 cold starts — on the cloud assembly cdkOut, and returns the section as
// make bench writes it (command: how it was run).
func TemplateOnly(ctx context.Context, cfg Config, cdkOut string, n int, command string) (string, error) {
	t, err := runTemplateWarm(ctx, cfg, cdkOut, n)
	if err != nil {
		return "", err
	}
	t.Command = command
	var b strings.Builder
	(&Report{Synth: SynthReport{Template: t}}).templateWarmSection(func(format string, args ...any) { fmt.Fprintf(&b, format, args...) })
	return b.String(), nil
}
