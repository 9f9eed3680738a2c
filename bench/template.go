package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/orderbot/orderbot/local/devstack"
)

// TemplateWarm compares a warm /order-update through `orderbot dev`'s template mode (the
// template's API, the function's own process behind its Runtime API, DynamoDB in
// dynalite) with the in-process path (the route table's handler inside the server, bbolt),
// both servers running at once and the requests alternating between them, so the other
// work on a shared machine weighs on both alike.
type TemplateWarm struct {
	Skipped             string // why it did not run
	Template, InProcess Stats  // wall clock per request, keep-alive client
	Warmup              int    // requests sent to each before measuring
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
	return out, nil
}

// templateServer is what `orderbot dev --cdk-out` serves, without Slack's side: the
// stack's API at / and the AWS stand-ins the functions call.
type templateServer struct {
	url   string
	stack *devstack.Stack
	srv   *http.Server
}

func startTemplate(ctx context.Context, cfg Config, cdkOut, dataDir string) (*templateServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	base := "http://" + ln.Addr().String()
	st, err := devstack.Start(ctx, devstack.Options{
		CDKOut: cdkOut, StackName: "Orderbot", DataDir: dataDir, BaseURL: base,
		SigningSecret: coldSecret, BotToken: "xoxb-bench", ModuleDir: filepath.Join(cfg.Root, "lambdas"),
		AccessLog: io.Discard, Log: io.Discard, ClockSpeed: 1,
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(devstack.AWSPath, st)
	mux.Handle("/", st.Gateway)
	t := &templateServer{url: base, stack: st, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
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
		"own process behind the Lambda Runtime API, DynamoDB in dynalite) and the in-process path (`--in-process`: the handler in "+
		"the server, bbolt on disk).\n\n", t.Template.N, t.Warmup)
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
}
