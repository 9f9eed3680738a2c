package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/store/boltdb"
	"github.com/orderbot/orderbot/lambdas/store/faulty"
)

// TestStoreFaults: without fault flags the handlers get the store itself; with them, a
// faulty.Store configured as asked, and a summary for the startup line.
func TestStoreFaults(t *testing.T) {
	store, err := boltdb.Open(filepath.Join(t.TempDir(), "orders.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()

	if f := storeFaults(store, 0, 0); f.active || f.store != orders.Store(store) {
		t.Errorf("no flags: got active %t, store %T; want inactive, the store itself", f.active, f.store)
	}
	f := storeFaults(store, 800*time.Millisecond, 2)
	fs, ok := f.store.(*faulty.Store)
	if !ok || !f.active {
		t.Fatalf("with flags: got active %t, store %T; want active, *faulty.Store", f.active, f.store)
	}
	if fs.Latency() != 800*time.Millisecond || fs.LostAcksPending() != 2 {
		t.Errorf("got latency %v, %d lost acks pending; want 800ms, 2", fs.Latency(), fs.LostAcksPending())
	}
	for _, want := range []string{"every store call waits 800ms", "the next 2 store writes take effect but report a timeout"} {
		if !strings.Contains(f.summary, want) {
			t.Errorf("summary: got %q, want it to say %q", f.summary, want)
		}
	}
	if f := storeFaults(store, 0, 1); strings.Contains(f.summary, "waits") {
		t.Errorf("lost acks only: got summary %q, want no latency in it", f.summary)
	}
}

// TestDevLostAck runs `orderbot dev --store-lost-acks 1` in both modes: it says the
// faults are active, the first order's write lands although the handler is told it timed
// out, and the same request sent again (as Slack retries it) is not stored a second time.
func TestDevLostAck(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildOrderbot(t)
	startup := map[string]string{
		inProcess.name:    "store faults active: the next 1 store writes take effect but report a timeout",
		templateMode.name: "store faults active: every DynamoDB call waits 0s; the next 1 writes commit but lose their response",
	}
	for _, mode := range bothModes {
		t.Run(mode.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "orders.db")
			p := startDevIn(t, mode, bin, nil, "--db", db, "--store-lost-acks", "1")
			if out := p.stderr.String(); !strings.Contains(out, startup[mode.name]) {
				t.Errorf("startup output: got\n%s\nwant a line saying the store faults are active", out)
			}
			// In-process the write commits but the store reports a timeout: the command
			// answers "working on it", the deferred run finds the order in the store's
			// record, and `send` shows its answer from dev's response_url endpoint. In
			// template mode the DynamoDB connection closes after the write commits, and the
			// function's AWS SDK retries it ("The SDK will now retry all connections error",
			// aws-sdk-go-v2 CHANGELOG, "Update SDK retry behavior"): the retried conditional write
			// finds its own record (logged as outcome replayed), so the answer comes at once.
			// Either way: one order.
			wants := []string{"Your order: *flat white* — 1 order in this round."}
			if mode.name == inProcess.name {
				wants = append(wants, "Working on it")
			}
			s := newSender(t, bin, p)
			s.want([]string{"--user", "U1", "/order-update", "flat white"}, wants...)
			s.want([]string{"/order-list"}, "*1× flat white* — <@U1>")
			if mode.name == templateMode.name && !strings.Contains(p.stderr.String(), `"outcome":"replayed"`) {
				t.Errorf("function log: got\n%s\nwant order-update's write retried and recognized (outcome replayed)", p.stderr.String())
			}
			p.stop(t)
			if mode.name == inProcess.name { // the bolt file: only the in-process mode has one
				r := openRound(t, db)
				if got := byUser(r); len(r.Orders) != 1 || got["U1"] != "flat white" {
					t.Errorf("got round %+v, want U1's flat white once", r.Orders)
				}
			}
		})
	}
}
