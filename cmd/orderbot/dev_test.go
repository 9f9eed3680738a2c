package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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

// TestDevLostAck runs `orderbot dev --store-lost-acks 1`: it says the faults are active,
// the first order's write lands although the handler is told it timed out, and the same
// request sent again (as Slack retries it) is not stored a second time.
func TestDevLostAck(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildOrderbot(t)
	db := filepath.Join(t.TempDir(), "orders.db")
	port := freePort(t)
	cmd := exec.Command(bin, "dev", "--in-process", "--port", strconv.Itoa(port), "--db", db, "--quiet", "--store-lost-acks", "1")
	cmd.Env = append(os.Environ(), "SLACK_SIGNING_SECRET="+procSecret, "SLACK_BOT_TOKEN=")
	cmd.Dir = t.TempDir()
	p := &devProcess{cmd: cmd, url: "http://127.0.0.1:" + strconv.Itoa(port), stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(p.kill)
	waitServing(t, p)
	if out := p.stderr.String(); !strings.Contains(out, "store faults active: the next 1 store writes take effect but report a timeout") {
		t.Errorf("startup output: got\n%s\nwant a line saying the store faults are active", out)
	}

	// The write commits but reports a timeout: the command answers "working on it", the
	// deferred run finds the order in the store's record, and `send` shows its answer,
	// which dev's response_url endpoint received.
	send := exec.Command(bin, "send", "--url", p.url, "--user", "U1", "/order-update", "flat white")
	send.Env = append(os.Environ(), "SLACK_SIGNING_SECRET="+procSecret)
	out, err := send.CombinedOutput()
	if err != nil {
		t.Fatalf("orderbot send: got error %v, want nil\n%s", err, out)
	}
	if !strings.Contains(string(out), "Working on it") || !strings.Contains(string(out), "Your order: *flat white* — 1 order in this round.") {
		t.Fatalf("orderbot send: got\n%s\nwant the working-on-it answer, then the deferred one", out)
	}
	p.stop(t)
	r := openRound(t, db)
	if got := byUser(r); len(r.Orders) != 1 || got["U1"] != "flat white" {
		t.Errorf("got round %+v, want U1's flat white once", r.Orders)
	}
}

// waitServing waits until p answers HTTP.
func waitServing(t *testing.T, p *devProcess) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(p.url + "/"); err == nil {
			resp.Body.Close()
			return
		}
		select {
		case <-p.exited:
			t.Fatalf("orderbot dev: got an exit before serving, want it serving; stderr:\n%s", p.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("orderbot dev: got no HTTP answer within 30s, want it serving; stderr:\n%s", p.stderr.String())
}
