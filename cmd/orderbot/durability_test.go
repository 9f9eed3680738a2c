package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/orderbot/orderbot/local/slacksim"
)

// TestAcknowledgedOrdersSurviveSIGKILL: many users stream updates into `orderbot dev`, the
// dev server is SIGKILLed mid-stream — its function processes lose their Runtime API and
// its dynalite dies with it (dynamotest: Pdeathsig) — and every update that was
// acknowledged (a reply naming its item) is in the table: read from dynalite's files with
// the DynamoDB store after the stack is gone, and again through a restarted `orderbot dev`
// on the same data directory. An update whose outcome its client does not know — in
// flight at the kill, answered "working on it" (a deferred run the kill may cut), or
// API Gateway's 504 on a busy machine — may or may not have landed, so a user's stored
// order is their last acknowledged one or one they sent after it, nothing else.
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
	warmUp(t, p, 10)
	states := streamUntilKilled(t, p, users, killAfter)

	// 1. The table as the dead stack left it.
	stored := byUser(openRound(t, data))
	checkSurvivors(t, "table after SIGKILL", states, stored, userID)

	// 2. A restarted stack on the same data serves the same round and keeps taking orders.
	p2 := startDev(t, bin, nil, "--cdk-out", assembly, "--db", db)
	list, err := p2.client("UCHECK").Command(context.Background(), "/order-list", "")
	if err != nil || list.Status != 200 || list.Msg == nil {
		t.Fatalf("/order-list after restart: got error %v, reply %+v; want HTTP 200 with a message", err, list)
	}
	if !strings.Contains(list.Msg.Text, fmt.Sprintf("%d orders,", len(stored))) {
		t.Errorf("/order-list after restart: got %.200q, want the %d orders in the table", list.Msg.Text, len(stored))
	}
	after, err := p2.client("U00").Command(context.Background(), "/order-update", "after restart")
	if err != nil || after.Status != 200 {
		t.Fatalf("update after restart: got error %v, reply %+v; want HTTP 200", err, after)
	}
	p2.stop(t)
	states[0].acked, states[0].uncertain = "after restart", nil
	checkSurvivors(t, "table after restart", states, byUser(openRound(t, data)), userID)

	acked, uncertain := 0, 0
	for _, s := range states {
		acked, uncertain = acked+s.n, uncertain+len(s.uncertain)
	}
	t.Logf("SIGKILL after %d acknowledged updates from %d users (%d sent after their last acknowledgement, outcome unknown); "+
		"every user's last acknowledged order (or a later one) found after the kill, via /order-list after a restart (%d orders), and after a clean stop",
		acked, users, uncertain, len(stored))
}

// userID is the id of the durability test's user u.
func userID(u int) string { return fmt.Sprintf("U%02d", u) }

// streamer is one user's stream as the client saw it: the last update acknowledged with
// its item named, and the updates sent after it whose outcome is unknown (any of them may
// have landed; a later one supersedes an earlier one, never the reverse).
type streamer struct {
	acked     string
	uncertain []string
	n         int // acknowledged updates
}

// streamUntilKilled has users stream updates until killAfter are acknowledged, then
// SIGKILLs the dev server; it fails the test if the kill never came.
func streamUntilKilled(t *testing.T, p *devProcess, users int, killAfter int64) []streamer {
	t.Helper()
	states := make([]streamer, users)
	var total atomic.Int64
	killed := make(chan struct{})
	var killOnce sync.Once
	onAck := func() {
		if total.Add(1) == killAfter {
			killOnce.Do(func() {
				close(killed) // first: requests failing from now on died with the process
				p.kill()      // SIGKILL: no shutdown, no Close, no flush
			})
		}
	}
	var wg sync.WaitGroup
	for u := range users {
		wg.Go(func() { stream(t, p.client(fmt.Sprintf("U%02d", u)), &states[u], killed, onAck) })
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	select {
	case <-killed:
	default:
		t.Fatalf("acknowledged updates: got %d before the streams gave up, want %d (then the kill)", total.Load(), killAfter)
	}
	return states
}

// stream sends c's updates (at most 100) until killed.
func stream(t *testing.T, c *slacksim.Client, s *streamer, killed <-chan struct{}, onAck func()) {
	for k := range 100 {
		select {
		case <-killed:
			return
		default:
		}
		item := fmt.Sprintf("%s order %d", c.User, k)
		s.uncertain = append(s.uncertain, item)
		r, err := c.Command(context.Background(), "/order-update", item)
		switch {
		case err != nil:
			select {
			case <-killed: // the connection died with the process: not acknowledged
			default:
				t.Errorf("%s before the kill: got error %v, want nil", c.User, err)
			}
			return
		case r.Status == 200 && r.Msg != nil && strings.Contains(r.Msg.Text, item):
			s.acked, s.uncertain = item, nil
			s.n++
			onAck()
		case r.Status == 504 || (r.Msg != nil && strings.Contains(r.Msg.Text, "Working on it")):
			// Outcome unknown: it stays uncertain.
		default:
			t.Errorf("%s: got HTTP %d %s, want 200 with a reply naming %q", c.User, r.Status, r.Body, item)
			return
		}
	}
}

// checkSurvivors holds the orders stored by user against what each user's client saw;
// name is the user id of states[u].
func checkSurvivors(t *testing.T, where string, states []streamer, stored map[string]string, name func(int) string) {
	t.Helper()
	for u, s := range states {
		user := name(u)
		got := stored[user]
		switch {
		case got == s.acked:
		case got != "" && slices.Contains(s.uncertain, got):
		default:
			t.Errorf("%s: %s: got %q stored, want the last acknowledged %q or one sent after it %q", where, user, got, s.acked, s.uncertain)
		}
	}
}
