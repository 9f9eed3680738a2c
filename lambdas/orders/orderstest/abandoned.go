package orderstest

import (
	"context"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/orders"
)

// Issue #21 (found by the histories, lambdas/handler/history): a request given up
// (Abandon: a join click whose item had gone, a run out of time) is recorded as its user's
// latest so that it never applies. When the run that gave up could not answer (its
// response_url post failed) Lambda ran it again; by then a newer request of the user had
// replaced the record, and the retry was told "superseded: a newer request of yours
// arrived first" — though the request had been decided, given up, before the newer one
// was received, and an older request of the user's had meanwhile been told superseded by
// the given-up one. A given-up request stays given up: every later delivery, and Abandon
// again, finds it so (Replayed, no round), with a round open, with none, and after its
// round closed.

// wantGivenUp fails unless res reports a request that was given up: Replayed, no round.
func wantGivenUp(t *testing.T, what string, res orders.Result, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if res.Outcome != orders.Replayed || res.Round.ID != "" || res.NoChange {
		t.Fatalf("%s: got %v in round %q (no change %v), want replayed with no round: it was given up before the newer request came",
			what, res.Outcome, res.Round.ID, res.NoChange)
	}
}

// givenUpThenOvertaken abandons U1's latte at t0+1s, then applies U1's newer mocha at
// t0+2s, and checks that latte's deliveries (the same receive time: Lambda's retry; a
// minute later: a replay) and Abandon are still told it was given up.
func givenUpThenOvertaken(t *testing.T, s orders.Store) orders.Request {
	t.Helper()
	ctx := context.Background()
	latte := req(t0.Add(time.Second))
	res, err := s.Abandon(ctx, ch, orders.Target{User: "U1"}, latte)
	mustApply(t, "abandon latte", res, err, orders.Applied)
	mocha := req(t0.Add(2 * time.Second))
	res, err = s.SetOrder(ctx, ch, order("U1", "mocha", mocha.At), mocha, orders.NewRoundID(mocha.At))
	mustApply(t, "mocha", res, err, orders.Applied)
	checkGivenUp(t, s, latte, "after a newer request")
	return latte
}

// checkGivenUp checks every way latte may come again.
func checkGivenUp(t *testing.T, s orders.Store, latte orders.Request, when string) {
	t.Helper()
	ctx := context.Background()
	for _, r := range []orders.Request{latte, later(latte, time.Minute)} {
		res, err := s.SetOrder(ctx, ch, order("U1", "latte", r.At), r, orders.NewRoundID(r.At))
		wantGivenUp(t, "given-up latte delivered again "+when, res, err)
		res, err = s.Abandon(ctx, ch, orders.Target{User: "U1"}, r)
		wantGivenUp(t, "given-up latte abandoned again "+when, res, err)
	}
	res, err := s.CancelOrder(ctx, ch, "U1", latte) // the same request as a cancel: one id, one record
	wantGivenUp(t, "given-up request delivered as a cancel "+when, res, err)
}

// testGivenUpInOpenRound: latte is given up while U2's tea keeps a round open.
func testGivenUpInOpenRound(t *testing.T, s orders.Store) {
	mustSet(t, s, ch, order("U2", "tea", t0))
	givenUpThenOvertaken(t, s)
	wantOpen(t, s, "after the given-up latte came again", map[string]string{"U1": "mocha", "U2": "tea"})
}

// testGivenUpWithoutRound: latte is given up while no round is open; mocha opens one.
func testGivenUpWithoutRound(t *testing.T, s orders.Store) {
	givenUpThenOvertaken(t, s)
	wantOpen(t, s, "after the given-up latte came again", map[string]string{"U1": "mocha"})
}

// testGivenUpThenClosed: latte is given up in a round that then closes.
func testGivenUpThenClosed(t *testing.T, s orders.Store) {
	mustSet(t, s, ch, order("U2", "tea", t0))
	latte := givenUpThenOvertaken(t, s)
	if _, err := closeRound(s, ch, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	checkGivenUp(t, s, latte, "after its round closed")
}
