package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLoad drives `orderbot dev` (the built binary serving the synthesized stack: the
// functions' processes, dynalite) with a mix of /order-update (3 in 4) and /order-list at
// concurrency 8 — below order-update's 10 execution environments, started before the
// measurement (warmUp): no request may fail, and at the end every
// user's stored order is the last one acknowledged to them (each worker owns its users,
// so their requests are serialised). The stage's throttling (10/s) is raised in a copy of
// the template: this measures the stack behind it. ORDERBOT_LOAD=1 runs 20,000 requests;
// otherwise 600 (each goes through a function process, the AWS front's SigV4 and IAM
// checks and dynalite: about 10× the work of a handler called in-process).
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	// 8 × 24 = 192 users: one round, below orders.MaxOrders (250).
	total, workers, usersPerWorker := 600, 8, 24
	if os.Getenv("ORDERBOT_LOAD") == "1" {
		total = 20000
	}
	bin := buildOrderbot(t)
	data := t.TempDir()
	p := startDev(t, bin, nil, "--cdk-out", unthrottled(t), "--db", filepath.Join(data, "orders.db"))
	transport := &http.Transport{MaxIdleConnsPerHost: workers}
	// Warm up: order-update's environments (cold starts are not what this measures), then
	// order-list's.
	warmUp(t, p, 10)
	warm := p.client("UWARM")
	for range 20 {
		if r, err := warm.Command(context.Background(), "/order-list", ""); err != nil || r.Status != 200 {
			t.Fatalf("warm-up /order-list: got error %v, reply %+v; want HTTP 200", err, r)
		}
	}
	rssBefore := p.rssKB()

	var next, errors atomic.Int64
	last := make([]string, workers*usersPerWorker)
	var mu sync.Mutex
	statuses := map[int]int{}
	latencies := make([]time.Duration, 0, total)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := 0; ; i++ {
				n := next.Add(1)
				if n > int64(total) {
					return
				}
				u := w*usersPerWorker + i%usersPerWorker
				c := p.client(fmt.Sprintf("U%03d", u))
				c.HTTP = &http.Client{Timeout: 30 * time.Second, Transport: transport}
				cmd, text := "/order-update", fmt.Sprintf("U%03d item %d", u, n)
				if n%4 == 0 {
					cmd, text = "/order-list", ""
				}
				t0 := time.Now()
				r, err := c.Command(context.Background(), cmd, text)
				d := time.Since(t0)
				mu.Lock()
				latencies = append(latencies, d)
				if err == nil {
					statuses[r.Status]++
				}
				mu.Unlock()
				if err != nil || r.Status != 200 || r.Msg == nil {
					if errors.Add(1) <= 5 {
						t.Errorf("%s %q: got error %v, reply %+v; want HTTP 200 with a message", cmd, text, err, r)
					}
					continue
				}
				if cmd == "/order-update" {
					last[u] = text
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	rssAfter := p.rssKB()
	if n := errors.Load(); n > 0 {
		t.Fatalf("failed requests: got %d of %d, want 0", n, total)
	}
	p.stop(t) // waits for deferred runs, if any answered "working on it"
	stored := byUser(openRound(t, data))
	for u, want := range last {
		if want != "" && stored[fmt.Sprintf("U%03d", u)] != want {
			t.Errorf("U%03d: got %q stored, want the last acknowledged %q", u, stored[fmt.Sprintf("U%03d", u)], want)
		}
	}
	p50, p99 := percentile(latencies, 50), percentile(latencies, 99)
	t.Logf("%d requests at concurrency %d in %v: %.0f req/s, 0 errors, HTTP %v, p50 %v p99 %v; dev server's VmRSS %d kB before, %d kB after; %d execution environments started; %d users' last orders verified",
		total, workers, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds(), statuses,
		p50.Round(time.Microsecond), p99.Round(time.Microsecond), rssBefore, rssAfter,
		strings.Count(p.stderr.String(), `"initDurationMs"`), len(stored))
	if rssBefore == 0 {
		t.Log("VmRSS unavailable (not Linux)")
	}
}

func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}
