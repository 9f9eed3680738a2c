package orderstest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/orders"
)

// Issue #21: a store keeps, per user and round, the requests that set or withdrew the
// user's order (the change set), so that a request delivered again after the user's newer
// ones — a deferred run whose write committed but whose acknowledgement was lost, retried
// by Lambda — is told it was applied, in its round. The set was bounded by dropping its
// oldest entries, and a request whose entry was dropped was told "superseded: this one
// changed nothing" although it had changed the order. These cases make more changes than
// any bound of the set before the first request comes again.

// manyChanges is more of one user's changes in one round than a change set ever keeps.
const manyChanges = 20

// changeMany sets user's order manyChanges times after at, each a new request, and
// returns the last round.
func changeMany(t *testing.T, s orders.Store, user string, at time.Time) orders.Round {
	t.Helper()
	var r orders.Round
	for i := range manyChanges {
		r = mustSet(t, s, ch, order(user, fmt.Sprintf("item %d", i), at.Add(time.Duration(i+1)*time.Second)))
	}
	return r
}

// wantReplayedIn fails unless a request delivered again is Replayed in round rid.
func wantReplayedIn(t *testing.T, what string, res orders.Result, err error, rid string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if res.Outcome != orders.Replayed || res.Round.ID != rid || res.NoChange {
		t.Fatalf("%s: got %v in round %q (no change %v), want replayed in round %q: it was applied there",
			what, res.Outcome, res.Round.ID, res.NoChange, rid)
	}
}

// testAppliedSetOutlivesManyChanges: U1's latte applies, U1 changes the order many more
// times; the latte's request delivered again (same receive time: a Lambda retry; later:
// a replay) is replayed in its round — open, then closed — and given up (Abandon) it
// reports that it applied.
func testAppliedSetOutlivesManyChanges(t *testing.T, s orders.Store) {
	ctx := context.Background()
	latte := req(t0)
	res, err := s.SetOrder(ctx, ch, order("U1", "latte", t0), latte, orders.NewRoundID(t0))
	rid := mustApply(t, "latte", res, err, orders.Applied).ID
	changeMany(t, s, "U1", t0)
	res, err = s.SetOrder(ctx, ch, order("U1", "latte", t0), latte, orders.NewRoundID(t0))
	wantReplayedIn(t, "latte delivered again after many changes", res, err, rid)
	again := later(latte, time.Minute)
	res, err = s.SetOrder(ctx, ch, order("U1", "latte", again.At), again, orders.NewRoundID(again.At))
	wantReplayedIn(t, "latte replayed a minute later", res, err, rid)
	res, err = s.Abandon(ctx, ch, orders.Target{User: "U1"}, latte)
	wantReplayedIn(t, "latte given up after many changes", res, err, rid)
	wantOpen(t, s, "after the latte again", map[string]string{"U1": fmt.Sprintf("item %d", manyChanges-1)})

	if _, err := closeRound(s, ch, t0.Add(time.Hour/2)); err != nil {
		t.Fatal(err)
	}
	res, err = s.SetOrder(ctx, ch, order("U1", "latte", t0), latte, orders.NewRoundID(t0))
	wantReplayedIn(t, "latte delivered again after its round closed", res, err, rid)
}

// testAppliedCancelOutlivesManyChanges: the same for a cancel that withdrew an order.
func testAppliedCancelOutlivesManyChanges(t *testing.T, s orders.Store) {
	ctx := context.Background()
	rid := mustSet(t, s, ch, order("U1", "latte", t0)).ID
	mustSet(t, s, ch, order("U2", "tea", t0)) // keeps the round open after the cancel
	cancel := req(t0.Add(time.Second / 2))
	res, err := s.CancelOrder(ctx, ch, "U1", cancel)
	mustApply(t, "cancel", res, err, orders.Applied)
	changeMany(t, s, "U1", t0)
	res, err = s.CancelOrder(ctx, ch, "U1", cancel)
	wantReplayedIn(t, "cancel delivered again after many changes", res, err, rid)
	wantOpen(t, s, "after the cancel again", map[string]string{"U1": fmt.Sprintf("item %d", manyChanges-1), "U2": "tea"})
}
