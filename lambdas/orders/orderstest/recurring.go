package orderstest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/orders"
)

// recurringStore is a store with recurring rounds (both stores).
type recurringStore interface {
	orders.Store
	orders.RecurringStore
}

// runRecurring runs the recurring-round part of the suite on stores that implement
// orders.RecurringStore (Run calls it; every store of this repository does).
func runRecurring(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		fn   func(*testing.T, recurringStore)
	}{
		{"Recurring/AddListStopSkip", testRecurringAddListStopSkip},
		{"Recurring/AtMostFivePerChannel", testRecurringCap},
		{"Recurring/StoppedOnesAreBounded", testRecurringStoppedBounded},
		{"Recurring/OccurrenceOpensARound", testOccurrenceOpens},
		{"Recurring/OccurrenceFiredTwiceOpensOnce", testOccurrenceTwice},
		{"Recurring/OccurrenceWhileARoundIsOpenKeepsIt", testOccurrenceKeepsOpenRound},
		{"Recurring/OccurrenceDeliveredConcurrentlyOpensOnce", testOccurrenceConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, ok := newStore(t).(recurringStore)
			if !ok {
				t.Fatal("the store does not implement orders.RecurringStore")
			}
			tc.fn(t, s)
		})
	}
}

func recurring(id, by string, at time.Time) orders.Recurring {
	return orders.Recurring{ID: id, Rec: orders.Recurrence{Days: orders.WorkingDays, Open: 11 * 60, Length: 30 * time.Minute},
		Zone: "Asia/Seoul", SetBy: by, SetAt: at}
}

func recurringIDs(rs []orders.Recurring) string {
	out := ""
	for _, r := range rs {
		mark := ""
		if !r.Active() {
			mark = "(stopped by " + r.StoppedBy + ")"
		}
		out += r.ID + mark + " "
	}
	return out
}

func testRecurringAddListStopSkip(t *testing.T, s recurringStore) {
	ctx := context.Background()
	for i, id := range []string{"rec-b", "rec-a"} {
		r := recurring(id, "U1", t0.Add(time.Duration(i)*time.Minute))
		if got, err := s.AddRecurring(ctx, ch, r); err != nil || got.ID != id {
			t.Fatalf("AddRecurring(%s): got %+v, %v", id, got, err)
		}
	}
	again, err := s.AddRecurring(ctx, ch, recurring("rec-b", "U9", t0.Add(time.Hour)))
	if err != nil || again.SetBy != "U1" {
		t.Errorf("AddRecurring of an id again: got %+v, %v, want the stored one (set by U1)", again, err)
	}
	other := orders.Channel{Team: "T1", Channel: "C2"}
	if rs, _ := s.ListRecurring(ctx, other); len(rs) != 0 {
		t.Errorf("another channel: got %s, want none", recurringIDs(rs))
	}
	stopped, err := s.StopRecurring(ctx, ch, "rec-b", "U2", t0.Add(2*time.Hour))
	if err != nil || stopped.StoppedBy != "U2" || stopped.Active() {
		t.Fatalf("StopRecurring: got %+v, %v, want stopped by U2", stopped, err)
	}
	if again, _ := s.StopRecurring(ctx, ch, "rec-b", "U3", t0.Add(3*time.Hour)); again.StoppedBy != "U2" {
		t.Errorf("stopping it again: got stopped by %s, want still U2", again.StoppedBy)
	}
	if _, err := s.StopRecurring(ctx, ch, "rec-x", "U2", t0); !errors.Is(err, orders.ErrNoRecurring) {
		t.Errorf("StopRecurring of an unknown id: got %v, want ErrNoRecurring", err)
	}
	if err := s.MarkLive(ctx, ch, "rec-a", "round-9", "1700000000.000100"); err != nil {
		t.Fatalf("MarkLive: %v", err)
	}
	if err := s.MarkLive(ctx, ch, "rec-x", "round-9", "1"); !errors.Is(err, orders.ErrNoRecurring) {
		t.Errorf("MarkLive of an unknown id: got %v, want ErrNoRecurring", err)
	}
	skip := t0.Add(26 * time.Hour)
	if got, err := s.SkipRecurring(ctx, ch, "rec-a", skip); err != nil || !got.Skip.Equal(skip) {
		t.Errorf("SkipRecurring: got %+v, %v, want Skip %v", got, err, skip)
	}
	if _, err := s.SkipRecurring(ctx, ch, "rec-b", skip); !errors.Is(err, orders.ErrNoRecurring) {
		t.Errorf("SkipRecurring of a stopped one: got %v, want ErrNoRecurring", err)
	}
	rs, err := s.ListRecurring(ctx, ch)
	if err != nil || recurringIDs(rs) != "rec-b(stopped by U2) rec-a " || !rs[1].Skip.Equal(skip) || rs[1].Rec != recurring("", "", t0).Rec ||
		rs[1].LiveRound != "round-9" || rs[1].LiveTS != "1700000000.000100" {
		t.Errorf("ListRecurring: got %s (%+v), %v, want rec-b stopped by U2, then rec-a with its skip", recurringIDs(rs), rs, err)
	}
}

func testRecurringCap(t *testing.T, s recurringStore) {
	ctx := context.Background()
	for i := range orders.MaxRecurring {
		if _, err := s.AddRecurring(ctx, ch, recurring(fmt.Sprintf("rec-%d", i), "U1", t0.Add(time.Duration(i)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AddRecurring(ctx, ch, recurring("rec-6th", "U1", t0.Add(time.Minute))); !errors.Is(err, orders.ErrTooManyRecurring) {
		t.Fatalf("the sixth: got %v, want ErrTooManyRecurring", err)
	}
	if got, err := s.AddRecurring(ctx, ch, recurring("rec-0", "U1", t0)); err != nil || got.ID != "rec-0" {
		t.Errorf("a repeat while full: got %+v, %v, want the stored one", got, err)
	}
	if _, err := s.StopRecurring(ctx, ch, "rec-2", "U3", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddRecurring(ctx, ch, recurring("rec-6th", "U1", t0.Add(2*time.Hour))); err != nil {
		t.Errorf("after one stopped: got %v, want the sixth added", err)
	}
	if rs, _ := s.ListRecurring(ctx, ch); len(rs) != orders.MaxRecurring+1 {
		t.Errorf("listed: got %s, want 5 active and the stopped one", recurringIDs(rs))
	}
}

func testRecurringStoppedBounded(t *testing.T, s recurringStore) {
	ctx := context.Background()
	for i := range orders.MaxStopped + 2 {
		id := fmt.Sprintf("rec-%d", i)
		if _, err := s.AddRecurring(ctx, ch, recurring(id, "U1", t0.Add(time.Duration(i)*time.Second))); err != nil {
			t.Fatal(err)
		}
		if _, err := s.StopRecurring(ctx, ch, id, "U2", t0.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	rs, _ := s.ListRecurring(ctx, ch)
	if len(rs) != orders.MaxStopped || rs[0].ID != "rec-2" {
		t.Errorf("after %d stopped: got %s, want the last %d", orders.MaxStopped+2, recurringIDs(rs), orders.MaxStopped)
	}
}

// occurrence is the request of recurring round id's occurrence at `at`, delivered at
// `received`: its id and signed time are the occurrence's, the same on every delivery.
func occurrence(id string, at, received time.Time) orders.Request {
	return orders.Request{ID: "occ-" + id + "-" + at.UTC().Format("20060102T1504"), At: received, Signed: at, User: "!recurring"}
}

func testOccurrenceOpens(t *testing.T, s recurringStore) {
	ctx := context.Background()
	at := t0.Add(2 * time.Hour)
	req := occurrence("rec-1", at, at.Add(time.Second))
	res, err := s.StartRound(ctx, ch, at.Add(30*time.Minute), req, "round-occ")
	r := mustApply(t, "StartRound", res, err, orders.Applied)
	if r.ID != "round-occ" || len(r.Orders) != 0 || !r.Deadline.Equal(at.Add(30*time.Minute)) || r.DeadlineBy != req.ID || !r.Open() {
		t.Fatalf("StartRound: got %+v, want round-occ open, empty, deadline 30 min on", r)
	}
	mustSet(t, s, ch, order("U1", "latte", at.Add(time.Minute)))
	closeReq := orders.Request{ID: "close-" + req.ID, At: at.Add(31 * time.Minute), DeadlineBy: req.ID}
	closed, err := s.CloseRound(ctx, ch, closeReq, at.Add(31*time.Minute))
	r = mustApply(t, "the scheduled close", closed, err, orders.Applied)
	if r.ID != "round-occ" || r.ClosedBy != orders.ClosedByDeadline || len(r.Orders) != 1 {
		t.Errorf("the scheduled close: got %+v, want round-occ closed by its deadline with the latte", r)
	}
}

func testOccurrenceTwice(t *testing.T, s recurringStore) {
	ctx := context.Background()
	at := t0.Add(2 * time.Hour)
	first := occurrence("rec-1", at, at.Add(time.Second))
	res, err := s.StartRound(ctx, ch, at.Add(time.Hour), first, "round-1")
	mustApply(t, "first delivery", res, err, orders.Applied)
	mustSet(t, s, ch, order("U1", "latte", at.Add(2*time.Second)))
	second := occurrence("rec-1", at, at.Add(90*time.Second)) // Scheduler's second delivery, later
	res, err = s.StartRound(ctx, ch, at.Add(time.Hour), second, "round-2")
	r := mustApply(t, "second delivery", res, err, orders.Replayed)
	if r.ID != "round-1" || len(r.Orders) != 1 {
		t.Errorf("second delivery: got round %s with %d orders, want round-1 with the latte", r.ID, len(r.Orders))
	}
	if open, _ := s.OpenRound(ctx, ch); open.ID != "round-1" {
		t.Errorf("open round: got %s, want round-1 (opened once)", open.ID)
	}
}

func testOccurrenceKeepsOpenRound(t *testing.T, s recurringStore) {
	ctx := context.Background()
	open := mustSet(t, s, ch, order("U1", "mocha", t0))
	at := t0.Add(time.Hour)
	req := occurrence("rec-1", at, at)
	res, err := s.StartRound(ctx, ch, at.Add(20*time.Minute), req, "round-new")
	r := mustApply(t, "StartRound on an open round", res, err, orders.Applied)
	if r.ID != open.ID || len(r.Orders) != 1 || !r.Deadline.Equal(at.Add(20*time.Minute)) || r.DeadlineBy != req.ID {
		t.Errorf("StartRound on an open round: got %+v, want %s kept with its order and the deadline", r, open.ID)
	}
}

func testOccurrenceConcurrent(t *testing.T, s recurringStore) {
	ctx := context.Background()
	at := t0.Add(5 * time.Hour)
	var wg sync.WaitGroup
	results := make([]orders.Result, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := occurrence("rec-9", at, at.Add(time.Duration(i)*time.Second))
			results[i], errs[i] = s.StartRound(ctx, ch, at.Add(time.Hour), req, fmt.Sprintf("round-%d", i))
		}()
	}
	wg.Wait()
	applied, round := 0, ""
	for i, res := range results {
		if errs[i] != nil {
			t.Fatalf("delivery %d: %v", i, errs[i])
		}
		if res.Outcome == orders.Applied {
			applied++
		}
		if round != "" && res.Round.ID != round {
			t.Errorf("delivery %d: got round %s, want %s like the others", i, res.Round.ID, round)
		}
		round = res.Round.ID
	}
	if applied != 1 {
		t.Errorf("4 concurrent deliveries of one occurrence: got %d applied, want 1", applied)
	}
}
