package orderstest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/orders"
)

// Issue #21, finding 1: a request delivered again is recognised by its identity (the id,
// a digest of the signed timestamp and body) before it is ordered. The same signed request
// arriving later carries a later receive time (API Gateway's requestTimeEpoch), which
// once made it "newer" than the user's latest request and applied it again.

// later is r delivered again d after its first delivery: same identity, later receive time.
func later(r orders.Request, d time.Duration) orders.Request {
	r.At = r.At.Add(d)
	return r
}

// wantNoChange fails unless a replay changed nothing: Replayed or Superseded, no error but
// the first delivery's refusal.
func wantNoChange(t *testing.T, what string, res orders.Result, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, orders.ErrNoOrder) && !errors.Is(err, orders.ErrNoOpenRound) && !errors.Is(err, orders.ErrStale) {
		t.Fatalf("%s: %v", what, err)
	}
	if err == nil && res.Outcome == orders.Applied {
		t.Fatalf("%s: got applied (round %s %v), want replayed or superseded: nothing changes", what, res.Round.ID, items(res.Round))
	}
}

func wantOpen(t *testing.T, s orders.Store, what string, want map[string]string) {
	t.Helper()
	r, err := s.OpenRound(context.Background(), ch)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	wantItems(t, r, want)
}

// testLaterReplaySet: latte, then tea, then latte's request again a minute later: tea stays.
func testLaterReplaySet(t *testing.T, s orders.Store) {
	ctx := context.Background()
	latte := req(t0)
	res, err := s.SetOrder(ctx, ch, order("U1", "latte", t0), latte, orders.NewRoundID(t0))
	mustApply(t, "latte", res, err, orders.Applied)
	tea := req(t0.Add(10 * time.Second))
	res, err = s.SetOrder(ctx, ch, order("U1", "tea", tea.At), tea, orders.NewRoundID(tea.At))
	mustApply(t, "tea", res, err, orders.Applied)
	again := later(latte, time.Minute)
	res, err = s.SetOrder(ctx, ch, order("U1", "latte", again.At), again, orders.NewRoundID(again.At))
	wantNoChange(t, "latte again a minute later", res, err)
	if err == nil && res.Outcome == orders.Replayed && res.Round.ID == "" {
		t.Fatalf("latte again: replayed with no round, want the round latte changed")
	}
	wantOpen(t, s, "after the replay", map[string]string{"U1": "tea"})
	// The latest request again (tea) is a replay too, whatever its arrival time.
	res, err = s.SetOrder(ctx, ch, order("U1", "tea", tea.At), later(tea, 2*time.Minute), orders.NewRoundID(tea.At))
	mustApply(t, "tea again", res, err, orders.Replayed)
}

// testLaterReplayCancel: latte, cancel, latte again later: no order; cancel again later
// after a new order: the order stays.
func testLaterReplayCancel(t *testing.T, s orders.Store) {
	ctx := context.Background()
	latte := req(t0)
	res, err := s.SetOrder(ctx, ch, order("U1", "latte", t0), latte, orders.NewRoundID(t0))
	mustApply(t, "latte", res, err, orders.Applied)
	mustSet(t, s, ch, order("U2", "tea", t0.Add(time.Second)))
	cancel := req(t0.Add(5 * time.Second))
	res, err = s.CancelOrder(ctx, ch, "U1", cancel)
	mustApply(t, "cancel", res, err, orders.Applied)
	again := later(latte, time.Minute)
	res, err = s.SetOrder(ctx, ch, order("U1", "latte", again.At), again, orders.NewRoundID(again.At))
	wantNoChange(t, "latte again", res, err)
	wantOpen(t, s, "after latte again", map[string]string{"U2": "tea"})
	mocha := req(t0.Add(2 * time.Minute))
	res, err = s.SetOrder(ctx, ch, order("U1", "mocha", mocha.At), mocha, orders.NewRoundID(mocha.At))
	mustApply(t, "mocha", res, err, orders.Applied)
	res, err = s.CancelOrder(ctx, ch, "U1", later(cancel, 3*time.Minute))
	wantNoChange(t, "cancel again", res, err)
	wantOpen(t, s, "after cancel again", map[string]string{"U1": "mocha", "U2": "tea"})
}

// testLaterReplayClick: a click joining a round, then the clicker's cancel, then the join
// click again: no order; and after the round closed, a replay opens no round.
func testLaterReplayClick(t *testing.T, s orders.Store) {
	ctx := context.Background()
	r := mustSet(t, s, ch, order("U1", "latte", t0))
	join := click(r.ID, t0.Add(time.Second))
	res, err := s.SetOrder(ctx, ch, order("U2", "latte", join.At), join, orders.NewRoundID(join.At))
	mustApply(t, "join", res, err, orders.Applied)
	res, err = s.CancelOrder(ctx, ch, "U2", click(r.ID, t0.Add(2*time.Second)))
	mustApply(t, "cancel mine", res, err, orders.Applied)
	again := later(join, time.Minute)
	res, err = s.SetOrder(ctx, ch, order("U2", "latte", again.At), again, orders.NewRoundID(again.At))
	wantNoChange(t, "join again", res, err)
	wantOpen(t, s, "after join again", map[string]string{"U1": "latte"})
}

// testLaterReplayAfterClose: an order (replaced or not) delivered again after its round
// closed opens no round.
func testLaterReplayAfterClose(t *testing.T, s orders.Store) {
	ctx := context.Background()
	latte := req(t0)
	res, err := s.SetOrder(ctx, ch, order("U1", "latte", t0), latte, orders.NewRoundID(t0))
	mustApply(t, "latte", res, err, orders.Applied)
	tea := req(t0.Add(time.Second))
	res, err = s.SetOrder(ctx, ch, order("U1", "tea", tea.At), tea, orders.NewRoundID(tea.At))
	mustApply(t, "tea", res, err, orders.Applied)
	if _, err := closeRound(s, ch, t0.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, r := range []orders.Request{later(latte, time.Minute), later(tea, 2*time.Minute)} {
		res, err = s.SetOrder(ctx, ch, order("U1", "x", r.At), r, orders.NewRoundID(r.At))
		wantNoChange(t, "a request of the closed round again", res, err)
		wantNoOpenRound(t, s, "after the replay")
	}
}

// testLaterReplayAbandoned: a request given up (Abandon) and then overtaken never applies
// when delivered again later.
func testLaterReplayAbandoned(t *testing.T, s orders.Store) {
	ctx := context.Background()
	mustSet(t, s, ch, order("U2", "tea", t0))
	latte := req(t0.Add(time.Second))
	res, err := s.Abandon(ctx, ch, orders.Target{User: "U1"}, latte)
	mustApply(t, "abandon latte", res, err, orders.Applied)
	mocha := req(t0.Add(2 * time.Second))
	res, err = s.SetOrder(ctx, ch, order("U1", "mocha", mocha.At), mocha, orders.NewRoundID(mocha.At))
	mustApply(t, "mocha", res, err, orders.Applied)
	again := later(latte, time.Minute)
	res, err = s.SetOrder(ctx, ch, order("U1", "latte", again.At), again, orders.NewRoundID(again.At))
	wantNoChange(t, "abandoned latte again", res, err)
	wantOpen(t, s, "after it", map[string]string{"U1": "mocha", "U2": "tea"})
}

// testLaterReplayAfterMany: a request delivered again after many newer requests of its
// user — more than any store keeps the identities of — still changes nothing.
func testLaterReplayAfterMany(t *testing.T, s orders.Store) {
	ctx := context.Background()
	first := req(t0)
	res, err := s.SetOrder(ctx, ch, order("U1", "latte", t0), first, orders.NewRoundID(t0))
	mustApply(t, "latte", res, err, orders.Applied)
	var all []orders.Request
	for i := range 40 {
		r := req(t0.Add(time.Duration(i+1) * time.Second))
		all = append(all, r)
		if i%3 == 2 {
			res, err = s.CancelOrder(ctx, ch, "U1", r)
		} else {
			res, err = s.SetOrder(ctx, ch, order("U1", "mocha", r.At), r, orders.NewRoundID(r.At))
		}
		if err != nil && !errors.Is(err, orders.ErrNoOrder) {
			t.Fatal(err)
		}
		if err == nil && res.Outcome != orders.Applied {
			t.Fatalf("request %d: got %v, want applied", i, res.Outcome)
		}
	}
	want := map[string]string{"U1": "mocha"} // the 40th (i=39) is a set
	wantOpen(t, s, "after 41 requests", want)
	for i, r := range append([]orders.Request{first}, all[:30]...) {
		again := later(r, 4*time.Minute)
		res, err = s.SetOrder(ctx, ch, order("U1", "latte", again.At), again, orders.NewRoundID(again.At))
		wantNoChange(t, "an old request again", res, err)
		if i%2 == 0 {
			res, err = s.CancelOrder(ctx, ch, "U1", later(r, 4*time.Minute+time.Millisecond))
			wantNoChange(t, "an old request again, as a cancel", res, err)
		}
	}
	wantOpen(t, s, "after the replays", want)
}

// testLaterReplayDeadline: a deadline request delivered again after a newer one changes
// nothing, also after more deadline changes than the store keeps records of.
func testLaterReplayDeadline(t *testing.T, s orders.Store) {
	mustSet(t, s, ch, order("U1", "latte", t0))
	var reqs []orders.Request
	for i := range 40 {
		reqs = append(reqs, req(t0.Add(time.Duration(i+1)*time.Second)))
		setDeadline(t, s, t0.Add(time.Duration(i+1)*time.Hour), reqs[i], orders.Applied)
	}
	last := reqs[len(reqs)-1]
	for _, r := range reqs[:len(reqs)-1] {
		res, err := s.SetDeadline(context.Background(), ch, t0.Add(time.Hour), later(r, 4*time.Minute))
		wantNoChange(t, "an old deadline request again", res, err)
	}
	r, err := s.OpenRound(context.Background(), ch)
	if err != nil {
		t.Fatal(err)
	}
	wantDeadline(t, "after the replays", r, t0.Add(40*time.Hour), last.ID)
}

// testLaterReplaySuperseded: a request found superseded (it arrived after a newer one of
// its user) changes nothing when delivered again later, stamped after that newer one.
func testLaterReplaySuperseded(t *testing.T, s orders.Store) {
	ctx := context.Background()
	mocha := req(t0.Add(2 * time.Second))
	res, err := s.SetOrder(ctx, ch, order("U1", "mocha", mocha.At), mocha, orders.NewRoundID(mocha.At))
	mustApply(t, "mocha", res, err, orders.Applied)
	latte := req(t0.Add(time.Second))
	res, err = s.SetOrder(ctx, ch, order("U1", "latte", latte.At), latte, orders.NewRoundID(latte.At))
	mustApply(t, "latte, late", res, err, orders.Superseded)
	again := later(latte, time.Minute)
	res, err = s.SetOrder(ctx, ch, order("U1", "latte", again.At), again, orders.NewRoundID(again.At))
	wantNoChange(t, "latte again", res, err)
	wantOpen(t, s, "after latte again", map[string]string{"U1": "mocha"})
	d2 := req(t0.Add(4 * time.Second))
	setDeadline(t, s, t0.Add(time.Hour), d2, orders.Applied)
	d1 := req(t0.Add(3 * time.Second))
	setDeadline(t, s, t0.Add(2*time.Hour), d1, orders.Superseded)
	res, err = s.SetDeadline(ctx, ch, t0.Add(2*time.Hour), later(d1, time.Minute))
	wantNoChange(t, "the superseded deadline again", res, err)
	r, _ := s.OpenRound(ctx, ch)
	wantDeadline(t, "after it", r, t0.Add(time.Hour), d2.ID)
}

// testReplayRacingUndecidedFirst: latte is received at t0 but its first delivery is still
// undecided (its deferred run in flight); tea, signed a second later, is received and
// applied; latte's replay arrives after tea, stamped later than it. A user's requests are
// ordered by signed second first (orders.Request.Newer), so the replay is older than tea
// and is superseded, and so is the first delivery when it decides at last: tea stays.
func testReplayRacingUndecidedFirst(t *testing.T, s orders.Store) {
	mocha := req(t0)
	res, err := mustSetReq(s, "mocha", mocha)
	mustApply(t, "mocha", res, err, orders.Applied)
	latte := req(t0.Add(time.Second)) // received, undecided
	tea := req(t0.Add(2 * time.Second))
	res, err = mustSetReq(s, "tea", tea)
	mustApply(t, "tea", res, err, orders.Applied)
	again := later(latte, 2*time.Second) // received after tea, signed before it
	res, err = mustSetReq(s, "latte", again)
	mustApply(t, "latte's replay", res, err, orders.Superseded)
	wantOpen(t, s, "after latte's replay", map[string]string{"U1": "tea"})
	res, err = mustSetReq(s, "latte", latte)
	mustApply(t, "latte's first delivery, deciding last", res, err, orders.Superseded)
	wantOpen(t, s, "after latte's first delivery", map[string]string{"U1": "tea"})
	// A request without a signed second is ordered by receive time alone, and so is the
	// next one after its record.
	plain := orders.Request{ID: "plain-" + tea.ID, At: t0.Add(3 * time.Second)}
	res, err = mustSetReq(s, "mocha", plain)
	mustApply(t, "an unsigned request received after tea", res, err, orders.Applied)
	old := req(t0.Add(4 * time.Second))
	old.Signed = t0.Add(-time.Minute).Truncate(time.Second)
	res, err = mustSetReq(s, "juice", old)
	mustApply(t, "a request received after the unsigned one, signed before it", res, err, orders.Applied)
	wantOpen(t, s, "at last", map[string]string{"U1": "juice"})
}

func mustSetReq(s orders.Store, item string, r orders.Request) (orders.Result, error) {
	return s.SetOrder(context.Background(), ch, order("U1", item, r.At), r, orders.NewRoundID(r.At))
}
