package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestAcknowledgedOrdersSurviveSIGKILL: many users stream updates into `orderbot dev`, the
// dev server is SIGKILLed mid-stream — its function processes lose their Runtime API and
// its dynalite dies with it (dynamotest: Pdeathsig) — and every update that got a 200 is
// in the table: read from dynalite's files with the DynamoDB store after the stack is
// gone, and again through a restarted `orderbot dev` on the same data directory. An update
// in flight at the kill may or may not have landed (its reply was lost), so a user's
// stored order is their last acknowledged one or the one they had in flight, nothing else.
func TestAcknowledgedOrdersSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	// 20 users: twice the execution environments order-update may have (10), so requests
	// also wait for one, as they would for Lambda's concurrency.
	const users, killAfter = 20, 200
	bin := buildOrderbot(t)
	data := t.TempDir()
	db := filepath.Join(data, "orders.db")
	assembly := unthrottled(t) // the stage's 10/s would answer most of the stream 429
	p := startDev(t, bin, nil, "--cdk-out", assembly, "--db", db)

	type state struct {
		acked, inflight string
		n               int
	}
	states := make([]state, users)
	var total atomic.Int64
	killed := make(chan struct{})
	var killOnce sync.Once
	var wg sync.WaitGroup
	for u := range users {
		wg.Go(func() {
			c := p.client(fmt.Sprintf("U%02d", u))
			for k := 0; ; k++ {
				select {
				case <-killed:
					return
				default:
				}
				item := fmt.Sprintf("U%02d order %d", u, k)
				states[u].inflight = item
				r, err := c.Command(context.Background(), "/order-update", item)
				if err != nil {
					select {
					case <-killed:
						return // the connection died with the process: not acknowledged
					default:
						t.Errorf("U%02d before the kill: got error %v, want nil", u, err)
						return
					}
				}
				if r.Status != 200 || r.Msg == nil || !strings.Contains(r.Msg.Text, item) {
					t.Errorf("U%02d: got HTTP %d %s, want 200 with a reply naming %q", u, r.Status, r.Body, item)
					return
				}
				states[u].acked, states[u].inflight = item, ""
				states[u].n++
				if total.Add(1) == killAfter {
					killOnce.Do(func() {
						close(killed) // first: requests failing from now on died with the process
						p.kill()      // SIGKILL: no shutdown, no Close, no flush
					})
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	acked, inflight := 0, 0
	for _, s := range states {
		acked += s.n
		if s.inflight != "" {
			inflight++
		}
	}

	check := func(where string, got map[string]string) (landedInFlight int) {
		t.Helper()
		for u, s := range states {
			user := fmt.Sprintf("U%02d", u)
			switch stored := got[user]; {
			case s.acked == "" && s.inflight == "" && stored != "":
				t.Errorf("%s: %s: got %q stored, want nothing (it sent nothing)", where, user, stored)
			case stored == s.acked && stored != "":
			case stored == s.inflight && stored != "":
				landedInFlight++
			case s.acked == "" && stored == "":
			default:
				t.Errorf("%s: %s: got %q stored, want the last acknowledged %q or the one in flight %q", where, user, stored, s.acked, s.inflight)
			}
		}
		return landedInFlight
	}
	// 1. The table as the dead stack left it.
	landed := check("table after SIGKILL", byUser(openRound(t, data)))

	// 2. A restarted stack on the same data serves the same round and keeps taking orders.
	p2 := startDev(t, bin, nil, "--cdk-out", assembly, "--db", db)
	list, err := p2.client("UCHECK").Command(context.Background(), "/order-list", "")
	if err != nil || list.Status != 200 || list.Msg == nil {
		t.Fatalf("/order-list after restart: got error %v, reply %+v; want HTTP 200 with a message", err, list)
	}
	want := 0
	for _, s := range states {
		if s.acked != "" || s.inflight != "" {
			want++
		}
	}
	if !strings.Contains(list.Msg.Text, fmt.Sprintf("%d orders,", want)) {
		t.Errorf("/order-list after restart: got %.200q, want %d orders", list.Msg.Text, want)
	}
	after, err := p2.client("U00").Command(context.Background(), "/order-update", "after restart")
	if err != nil || after.Status != 200 {
		t.Fatalf("update after restart: got error %v, reply %+v; want HTTP 200", err, after)
	}
	p2.stop(t)
	states[0].acked, states[0].inflight = "after restart", ""
	check("table after restart", byUser(openRound(t, data)))

	t.Logf("SIGKILL after %d acknowledged updates from %d users; %d updates in flight at the kill, %d of them landed; "+
		"every user's last acknowledged order (or a later in-flight one) found after the kill, via /order-list after a restart (%d orders), and after a clean stop",
		acked, users, inflight, landed, want)
}
