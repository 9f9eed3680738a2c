package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/handler"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/slackio"
	"github.com/orderbot/orderbot/lambdas/store/boltdb"
	"github.com/orderbot/orderbot/local/gateway"
	"github.com/orderbot/orderbot/local/slacksim"
)

// LoadResult is one load step against the local gateway.
type LoadResult struct {
	Route       string
	Store       string // where the bbolt file lives: disk or tmpfs
	Concurrency int
	Requests    int
	Errors      int
	Elapsed     time.Duration
	P50, P99    time.Duration
	// CPU is the process's user+system CPU time during the step: server and load
	// generator together. On a shared machine req/s depends on what else runs; CPU per
	// request does much less.
	CPU time.Duration
}

// CPUPerRequest is the CPU time (server + load generator) one request costs.
func (r LoadResult) CPUPerRequest() time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Requests)
}

// Capacity is the req/s cores idle cores would sustain at CPUPerRequest, a lower bound
// for the server alone since it also pays for the load generator.
func (r LoadResult) Capacity(cores int) float64 {
	if r.CPUPerRequest() == 0 {
		return 0
	}
	return float64(cores) * float64(time.Second) / float64(r.CPUPerRequest())
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// RPS is completed requests per second (errors included: they were answered too).
func (r LoadResult) RPS() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// localGateway is the in-process harness (gateway.New, what `orderbot dev --in-process`
// served): the gateway, the handlers and a bbolt store, served by net/http on a real
// loopback port, with the access log rendered (to io.Discard instead of a terminal) and
// handler logs at WARN, as dev had them.
type localGateway struct {
	URL   string
	srv   *http.Server
	store *boltdb.Store
	dir   string
}

func startLocalGateway(dir string) (*localGateway, error) {
	store, err := boltdb.Open(filepath.Join(dir, "orders.db"))
	if err != nil {
		return nil, err
	}
	deps := handler.Deps{
		Orders:   &orders.Service{Store: store},
		Verifier: slackio.Verifier{Secret: []byte(coldSecret)},
		Log:      slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	gw, err := gateway.New(handler.Handlers(deps), gateway.Options{Stage: "local", AccessLog: io.Discard})
	if err != nil {
		store.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		store.Close()
		return nil, err
	}
	g := &localGateway{URL: "http://" + ln.Addr().String(), store: store, dir: dir,
		srv: &http.Server{Handler: gw, ReadHeaderTimeout: 5 * time.Second}}
	go g.srv.Serve(ln)
	return g, nil
}

func (g *localGateway) close() {
	g.srv.Close()
	g.store.Close()
}

// loadRequest is a pre-signed request: signing in the workers would put the load
// generator's HMACs on the same two cores as the server.
type loadRequest struct {
	path   string
	body   []byte
	header http.Header
}

// requestPool signs n /command requests from n users, valid for five minutes.
func requestPool(command string, n int, text func(i int) string) []loadRequest {
	pool := make([]loadRequest, n)
	for i := range pool {
		sim := slacksim.New("", []byte(coldSecret))
		sim.User, sim.UserName = fmt.Sprintf("U%05d", i), fmt.Sprintf("user%d", i)
		body := []byte(sim.CommandForm(command, text(i)).Encode())
		h := sim.Headers(body)
		h.Set("Content-Type", api.ContentTypeForm)
		h.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
		pool[i] = loadRequest{path: command, body: body, header: h}
	}
	return pool
}

// seedRound opens a round of ten orders in the channel slacksim uses, so /order-list
// renders a realistic reply rather than "no open round".
func seedRound(ctx context.Context, base string) error {
	items := []string{"flat white", "iced americano", "oat latte ☕"}
	pool := requestPool("/order-update", 10, func(i int) string { return items[i%len(items)] })
	client := &http.Client{Timeout: 10 * time.Second}
	for _, r := range pool {
		status, err := post(ctx, client, base, r)
		if err != nil || status != http.StatusOK {
			return fmt.Errorf("seeding the round: HTTP %d %v", status, err)
		}
	}
	return nil
}

func post(ctx context.Context, client *http.Client, base string, r loadRequest) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+r.path, bytes.NewReader(r.body))
	if err != nil {
		return 0, err
	}
	req.Header = r.header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err
}

// runLoad drives base+route with c keep-alive workers for d (after a warm-up of d/5) and
// records every request's latency.
func runLoad(ctx context.Context, base string, pool []loadRequest, c int, d time.Duration) LoadResult {
	transport := &http.Transport{MaxIdleConns: c, MaxIdleConnsPerHost: c, MaxConnsPerHost: c, IdleConnTimeout: time.Minute}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}

	step := func(d time.Duration) (lat [][]time.Duration, errs []int, elapsed time.Duration) {
		lat, errs = make([][]time.Duration, c), make([]int, c)
		var wg sync.WaitGroup
		start := time.Now()
		deadline := start.Add(d)
		for w := range c {
			wg.Add(1)
			go func() {
				defer wg.Done()
				own := make([]time.Duration, 0, 4096)
				for i := w; time.Now().Before(deadline) && ctx.Err() == nil; i += c {
					t0 := time.Now()
					status, err := post(ctx, client, base, pool[i%len(pool)])
					own = append(own, time.Since(t0))
					if err != nil || status != http.StatusOK {
						errs[w]++
					}
				}
				lat[w] = own
			}()
		}
		wg.Wait()
		return lat, errs, time.Since(start)
	}
	step(max(d/5, 100*time.Millisecond))
	cpu0 := processCPU()
	lat, errs, elapsed := step(d)
	var all []time.Duration
	res := LoadResult{Concurrency: c, Elapsed: elapsed, CPU: processCPU() - cpu0}
	for w := range lat {
		all = append(all, lat[w]...)
		res.Errors += errs[w]
	}
	slices.Sort(all)
	res.Requests = len(all)
	res.P50, res.P99 = percentile(all, 0.50), percentile(all, 0.99)
	return res
}

// LoadReport is the throughput section: the steps and, when asked for, a CPU profile of
// the /order-list step at the highest concurrency.
type LoadReport struct {
	Results     []LoadResult
	Duration    time.Duration
	ProfileTop  string // go tool pprof -top of the profiled step
	ProfilePath string
	Notes       []string
}

func runLoadSuite(ctx context.Context, cfg Config) (LoadReport, error) {
	rep := LoadReport{Duration: cfg.LoadDuration}
	type storeDir struct{ name, parent string }
	stores := []storeDir{{"disk", ""}}
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		stores = append(stores, storeDir{"tmpfs", "/dev/shm"})
	}
	for _, sd := range stores {
		dir, err := os.MkdirTemp(sd.parent, "orderbot-bench-gw-")
		if err != nil {
			return rep, err
		}
		defer os.RemoveAll(dir)
		gw, err := startLocalGateway(dir)
		if err != nil {
			return rep, err
		}
		defer gw.close()
		if err := seedRound(ctx, gw.URL); err != nil {
			return rep, err
		}
		routes := []string{"/order-list", "/order-update"}
		if sd.name == "tmpfs" {
			// /order-list only reads (no fsync), so the store's medium only matters for
			// writes; skip the duplicate.
			routes = []string{"/order-update"}
		}
		for _, route := range routes {
			var pool []loadRequest
			if route == "/order-list" {
				pool = requestPool(route, 64, func(int) string { return "" })
			} else {
				pool = requestPool(route, 64, func(i int) string { return "double espresso #" + strconv.Itoa(i%7) })
			}
			for _, c := range cfg.Concurrency {
				profile := cfg.ProfileDir != "" && route == "/order-list" && c == cfg.Concurrency[len(cfg.Concurrency)-1]
				var pf *os.File
				if profile {
					rep.ProfilePath = filepath.Join(cfg.ProfileDir, "gateway-order-list.cpu.pprof")
					if pf, err = os.Create(rep.ProfilePath); err == nil {
						err = pprof.StartCPUProfile(pf)
					}
					if err != nil {
						return rep, err
					}
				}
				r := runLoad(ctx, gw.URL, pool, c, cfg.LoadDuration)
				if profile {
					pprof.StopCPUProfile()
					pf.Close()
					rep.ProfileTop = pprofTop(ctx, rep.ProfilePath)
				}
				r.Route, r.Store = route, sd.name
				cfg.logf("load %-13s store=%-5s c=%-3d %8.0f req/s p50 %v p99 %v errors %d cpu/req %v", route, sd.name, c, r.RPS(), r.P50, r.P99, r.Errors, r.CPUPerRequest())
				rep.Results = append(rep.Results, r)
			}
		}
	}
	return rep, nil
}

// pprofTop summarises a CPU profile by cumulative time, the functions to look at first.
func pprofTop(ctx context.Context, path string) string {
	out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-cum", "-nodecount=30", path).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("go tool pprof failed: %v\n%s", err, out)
	}
	// Drop the header lines that name the temporary file and the build.
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "flat") {
			return strings.Join(lines[i:], "\n")
		}
	}
	return strings.Join(lines, "\n")
}

func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}
