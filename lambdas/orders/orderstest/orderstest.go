// Package orderstest is the conformance suite every orders.Store passes: the rules of
// orders.Store checked through its interface only, including races between updates and
// close.
package orderstest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/orders"
)

// NewStore returns an empty store for one test; the suite never shares one between tests.
type NewStore func(t *testing.T) orders.Store

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// suite is the conformance suite: each case gets a store of its own.
var suite = []struct {
	name string
	fn   func(*testing.T, orders.Store)
}{
	{"NoOpenRound", testNoOpenRound},
	{"SetOpensRound", testSetOpensRound},
	{"SetReplacesOwnOrder", testSetReplaces},
	{"ItemTextSurvives", testItemTextSurvives},
	{"ChannelsAreSeparate", testChannelsSeparate},
	{"Cancel", testCancel},
	{"CloseReturnsTallyAndNextUpdateOpensNewRound", testClose},
	{"CloseWithoutRound", testCloseWithoutRound},
	{"CancelledRoundCanBeClosedEmpty", testCloseEmpty},
	{"MarkEvent", testMarkEvent},
	{"ConcurrentUpdatesAllLand", testConcurrentUpdates},
	{"UpdatesRacingCloseLandExactlyOnce", testRaceClose},
	{"ConcurrentSameUserLastWriteWins", testSameUser},
	{"ConcurrentMarkEventOneWinner", testConcurrentMark},
	{"ForgetEvent", testForgetEvent},
	{"RepeatedSetIsReplayed", testSetReplay},
	{"LatteThenMochaEndsAsMocha", testOlderSetSuperseded},
	{"CommittedThenClosedLeavesNoPhantom", testReplayAfterClose},
	{"OlderRequestAfterCloseOpensNothing", testOlderAfterClose},
	{"CancelWithoutOrderStillOrdersRequests", testCancelRecorded},
	{"RepeatedCancelIsReplayed", testCancelReplay},
	{"RepeatedCloseReturnsTheRoundItClosed", testCloseReplay},
	{"CloseLeavesRoundOpenedAfterTheRequest", testCloseLaterRound},
	{"AbandonFencesTheRequest", testAbandonFences},
	{"AbandonAfterApplyReportsIt", testAbandonAfterApply},
	{"AbandonClose", testAbandonClose},
	{"RoundFullRefusesCleanlyAndStillCloses", testRoundFull},
	{"FullRoundTakesDeadlinesAndCloser", testFullRoundTakesDeadlinesAndCloser},
	{"ConcurrentDeliveriesApplyOnce", testConcurrentDeliveries},
	{"OvertakenRequestIsFoundInItsClosedRound", testOvertaken},
	{"RepeatedEmptyCloseClosesNothingLater", testEmptyCloseRecorded},
	{"EventRecorded", testEventRecorded},
	{"ReplacedRequestIsReplayedInItsRound", testReplacedInRound},
	{"AbandonFindsReplacedRequestInClosedRound", testAbandonReplacedThenClosed},
	{"AbandonRacingDeliveriesNewerRequestAndClose", testAbandonRaces},
	{"ClickOnItsOpenRoundApplies", testClickOnOpenRound},
	{"StaleClicksAfterACloseChangeNothing", testStaleAfterClose},
	{"StaleClicksOnANewerRoundChangeNothing", testStaleOnNewerRound},
	{"AppliedClickIsReplayedAfterItsRoundClosed", testClickReplayAfterClose},
	{"StaleClickIsNotRecordedEvenGivenUp", testStaleNotRecorded},
	{"ClickJoinsRacingACloseNeverOpenARound", testClickRaceClose},
	{"ClosedRoundsNewestFirstWithOrders", testClosedRounds},
	{"OpenedByAndClosedBy", testOpenedClosedBy},
	{"ClosedRoundsLeaveOutExpiredHistory", testHistoryExpiry},
	{"SetReplaceAndRemoveDeadline", testDeadline},
	{"DeadlineWithoutItsRoundChangesNothing", testDeadlineNoRound},
	{"DeadlineRequestReplayedAfterItsRoundClosedAndAbandoned", testDeadlineReplay},
	{"ManyDeadlineChangesKeepWorking", testManyDeadlines},
	{"DeadlineSurvivesOrderUpdates", testDeadlineSurvives},
	{"ScheduleOfAReplacedOrRemovedDeadlineIsStale", testScheduleStale},
	{"ScheduledCloseFiringTwiceClosesOnce", testScheduleTwice},
	{"CloseByHandMakesTheScheduleStale", testScheduleAfterHandClose},
	{"ReplayArrivingLaterNeverChangesState/Set", testLaterReplaySet},
	{"ReplayArrivingLaterNeverChangesState/Cancel", testLaterReplayCancel},
	{"ReplayArrivingLaterNeverChangesState/Click", testLaterReplayClick},
	{"ReplayArrivingLaterNeverChangesState/AfterClose", testLaterReplayAfterClose},
	{"ReplayArrivingLaterNeverChangesState/Abandoned", testLaterReplayAbandoned},
	{"ReplayArrivingLaterNeverChangesState/AfterManyRequests", testLaterReplayAfterMany},
	{"ReplayArrivingLaterNeverChangesState/Deadline", testLaterReplayDeadline},
	{"ReplayArrivingLaterNeverChangesState/Superseded", testLaterReplaySuperseded},
	{"ReplayRacingUndecidedFirstDeliveryIsOrderedBySigning", testReplayRacingUndecidedFirst},
	{"AppliedRequestOutlivesManyChanges/Set", testAppliedSetOutlivesManyChanges},
	{"AppliedRequestOutlivesManyChanges/Cancel", testAppliedCancelOutlivesManyChanges},
	{"GivenUpRequestStaysGivenUp/OpenRound", testGivenUpInOpenRound},
	{"GivenUpRequestStaysGivenUp/NoRound", testGivenUpWithoutRound},
	{"GivenUpRequestStaysGivenUp/Closed", testGivenUpThenClosed},
}

// Run runs the suite.
func Run(t *testing.T, newStore NewStore) {
	for _, tc := range suite {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
	runRecurring(t, newStore) // recurring.go
	runHome(t, newStore)      // home.go
}

var ch = orders.Channel{Team: "T1", Channel: "C1"}

func order(user, item string, at time.Time) orders.Order {
	return orders.Order{User: user, UserName: "name-" + user, Item: item, At: at}
}

var reqSeq atomic.Int64

// req is a new request received at at.
func req(at time.Time) orders.Request {
	return orders.Request{ID: fmt.Sprintf("req-%06d", reqSeq.Add(1)), At: at, Signed: at.Truncate(time.Second)}
}

// set applies o as a new request received at o.At.
func set(s orders.Store, c orders.Channel, o orders.Order) (orders.Result, error) {
	return s.SetOrder(context.Background(), c, o, req(o.At), orders.NewRoundID(o.At))
}

func mustSet(t *testing.T, s orders.Store, c orders.Channel, o orders.Order) orders.Round {
	t.Helper()
	res, err := set(s, c, o)
	if err != nil {
		t.Fatalf("SetOrder(%s, %+v): %v", c, o, err)
	}
	if res.Outcome != orders.Applied {
		t.Fatalf("SetOrder(%s, %+v): got %v, want applied", c, o, res.Outcome)
	}
	return res.Round
}

func mustApply(t *testing.T, what string, res orders.Result, err error, want orders.Outcome) orders.Round {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if res.Outcome != want {
		t.Fatalf("%s: got %v, want %v", what, res.Outcome, want)
	}
	return res.Round
}

func cancelOrder(s orders.Store, user string, at time.Time) (orders.Result, error) {
	return s.CancelOrder(context.Background(), ch, user, req(at))
}

func closeRound(s orders.Store, c orders.Channel, at time.Time) (orders.Round, error) {
	res, err := s.CloseRound(context.Background(), c, req(at), at)
	return res.Round, err
}

func items(r orders.Round) map[string]string {
	m := map[string]string{}
	for _, o := range r.Orders {
		m[o.User] = o.Item
	}
	return m
}

func wantItems(t *testing.T, r orders.Round, want map[string]string) {
	t.Helper()
	got := items(r)
	if len(got) != len(want) || len(r.Orders) != len(want) {
		t.Fatalf("round %s has %d orders %v, want %v", r.ID, len(r.Orders), got, want)
	}
	for u, it := range want {
		if got[u] != it {
			t.Fatalf("round %s: user %s has %q, want %q (all: %v)", r.ID, u, got[u], it, got)
		}
	}
}

func testNoOpenRound(t *testing.T, s orders.Store) {
	ctx := context.Background()
	if _, err := s.OpenRound(ctx, ch); !errors.Is(err, orders.ErrNoOpenRound) {
		t.Fatalf("OpenRound on empty store: %v, want ErrNoOpenRound", err)
	}
	if _, err := s.CancelOrder(ctx, ch, "U1", req(t0)); !errors.Is(err, orders.ErrNoOpenRound) {
		t.Fatalf("CancelOrder on empty store: got %v, want ErrNoOpenRound", err)
	}
}

func testSetOpensRound(t *testing.T, s orders.Store) {
	r := mustSet(t, s, ch, order("U1", "iced americano", t0))
	if r.ID == "" || !r.Open() || r.Channel != ch {
		t.Fatalf("new round = %+v", r)
	}
	wantItems(t, r, map[string]string{"U1": "iced americano"})
	if o := r.Orders[0]; o.UserName != "name-U1" || !o.At.Equal(t0) {
		t.Fatalf("order = %+v", o)
	}
	r2 := mustSet(t, s, ch, order("U2", "latte", t0.Add(time.Second)))
	if r2.ID != r.ID {
		t.Fatalf("second order opened round %s, want %s", r2.ID, r.ID)
	}
	wantItems(t, r2, map[string]string{"U1": "iced americano", "U2": "latte"})
	if r2.Orders[0].User != "U1" || r2.Orders[1].User != "U2" {
		t.Fatalf("orders not sorted by time: %+v", r2.Orders)
	}
	got, err := s.OpenRound(context.Background(), ch)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != r.ID || !got.OpenedAt.Equal(r.OpenedAt) {
		t.Fatalf("OpenRound = %s opened %v, want %s opened %v", got.ID, got.OpenedAt, r.ID, r.OpenedAt)
	}
	wantItems(t, got, map[string]string{"U1": "iced americano", "U2": "latte"})
}

func testSetReplaces(t *testing.T, s orders.Store) {
	mustSet(t, s, ch, order("U1", "latte", t0))
	r := mustSet(t, s, ch, order("U1", "flat white", t0.Add(time.Minute)))
	wantItems(t, r, map[string]string{"U1": "flat white"})
	if !r.Orders[0].At.Equal(t0.Add(time.Minute)) {
		t.Fatalf("replaced order time = %v", r.Orders[0].At)
	}
}

func testItemTextSurvives(t *testing.T, s orders.Store) {
	texts := []string{
		"아이스 아메리카노 ☕️", "it's \"the\" one \\ + % & = $ # \n line two", "🍕🍕🍕",
		"a=b&c=d%20e+f", "<script>&amp;", "ends with space? no: trimmed before",
	}
	want := map[string]string{}
	for i, text := range texts {
		u := fmt.Sprintf("U%d", i)
		mustSet(t, s, ch, order(u, text, t0.Add(time.Duration(i)*time.Second)))
		want[u] = text
	}
	r, err := s.OpenRound(context.Background(), ch)
	if err != nil {
		t.Fatal(err)
	}
	wantItems(t, r, want)
}

func testChannelsSeparate(t *testing.T, s orders.Store) {
	other := orders.Channel{Team: "T1", Channel: "C2"}
	otherTeam := orders.Channel{Team: "T2", Channel: "C1"}
	mustSet(t, s, ch, order("U1", "latte", t0))
	mustSet(t, s, other, order("U1", "tea", t0))
	mustSet(t, s, otherTeam, order("U1", "mocha", t0))
	for c, want := range map[orders.Channel]string{ch: "latte", other: "tea", otherTeam: "mocha"} {
		r, err := s.OpenRound(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		wantItems(t, r, map[string]string{"U1": want})
	}
	if _, err := closeRound(s, other, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenRound(context.Background(), ch); err != nil {
		t.Fatalf("closing %s closed %s: %v", other, ch, err)
	}
}

func testCancel(t *testing.T, s orders.Store) {
	ctx := context.Background()
	mustSet(t, s, ch, order("U1", "latte", t0))
	mustSet(t, s, ch, order("U2", "mocha", t0))
	res, err := cancelOrder(s, "U1", t0.Add(time.Second))
	r := mustApply(t, "cancel", res, err, orders.Applied)
	wantItems(t, r, map[string]string{"U2": "mocha"})
	if _, err := cancelOrder(s, "U1", t0.Add(2*time.Second)); !errors.Is(err, orders.ErrNoOrder) {
		t.Fatalf("second cancel: %v, want ErrNoOrder", err)
	}
	r, err = s.OpenRound(ctx, ch)
	if err != nil {
		t.Fatal(err)
	}
	wantItems(t, r, map[string]string{"U2": "mocha"})
}

func testClose(t *testing.T, s orders.Store) {
	ctx := context.Background()
	first := mustSet(t, s, ch, order("U1", "latte", t0))
	mustSet(t, s, ch, order("U2", "Latte", t0.Add(time.Second)))
	closedAt := t0.Add(time.Hour)
	closed, err := closeRound(s, ch, closedAt)
	if err != nil {
		t.Fatal(err)
	}
	if closed.ID != first.ID || closed.Open() || !closed.ClosedAt.Equal(closedAt) {
		t.Fatalf("closed round = id %s closed %v, want id %s closed %v", closed.ID, closed.ClosedAt, first.ID, closedAt)
	}
	wantItems(t, closed, map[string]string{"U1": "latte", "U2": "Latte"})
	if _, err := s.OpenRound(ctx, ch); !errors.Is(err, orders.ErrNoOpenRound) {
		t.Fatalf("OpenRound after close: %v, want ErrNoOpenRound", err)
	}
	if _, err := closeRound(s, ch, closedAt); !errors.Is(err, orders.ErrNoOpenRound) {
		t.Fatalf("second close: %v, want ErrNoOpenRound", err)
	}
	next := mustSet(t, s, ch, order("U3", "tea", t0.Add(2*time.Hour)))
	if next.ID == first.ID || !next.Open() {
		t.Fatalf("update after close went to round %s (closed %s)", next.ID, first.ID)
	}
	wantItems(t, next, map[string]string{"U3": "tea"})
}

func testCloseWithoutRound(t *testing.T, s orders.Store) {
	if _, err := closeRound(s, ch, t0); !errors.Is(err, orders.ErrNoOpenRound) {
		t.Fatalf("close on empty store: %v, want ErrNoOpenRound", err)
	}
}

func testCloseEmpty(t *testing.T, s orders.Store) {
	mustSet(t, s, ch, order("U1", "latte", t0))
	if _, err := cancelOrder(s, "U1", t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	r, err := closeRound(s, ch, t0.Add(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	wantItems(t, r, map[string]string{})
}

func testMarkEvent(t *testing.T, s orders.Store) {
	ctx := context.Background()
	mark := func(id string, now time.Time) bool {
		t.Helper()
		first, err := s.MarkEvent(ctx, id, now, now.Add(10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		return first
	}
	if !mark("Ev1", t0) {
		t.Fatal("first delivery reported as duplicate")
	}
	if mark("Ev1", t0.Add(time.Minute)) {
		t.Fatal("retry within ttl reported as first delivery")
	}
	if !mark("Ev2", t0) {
		t.Fatal("other event reported as duplicate")
	}
	if !mark("Ev1", t0.Add(11*time.Minute)) {
		t.Fatal("delivery after expiry reported as duplicate")
	}
}

// testConcurrentUpdates: 50 users at once, every order lands.
func testConcurrentUpdates(t *testing.T, s orders.Store) {
	const users = 50
	var wg sync.WaitGroup
	errs := make(chan error, users)
	for i := range users {
		wg.Go(func() {
			_, err := set(s, ch, order(fmt.Sprintf("U%02d", i), fmt.Sprintf("item %d", i%7), t0))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	r, err := s.OpenRound(context.Background(), ch)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for i := range users {
		want[fmt.Sprintf("U%02d", i)] = fmt.Sprintf("item %d", i%7)
	}
	wantItems(t, r, want)
}

// testRaceClose: updates race a close; each acknowledged order is in exactly the round its
// acknowledgement named, and that is the closed round's tally or the next round.
func testRaceClose(t *testing.T, s orders.Store) {
	const users = 60
	ctx := context.Background()
	mustSet(t, s, ch, order("U-first", "opener", t0))
	acks, closed := raceUpdatesWithClose(t, s, users)
	inClosed := items(closed)
	if _, ok := inClosed["U-first"]; !ok {
		t.Fatal("closed tally lost the order placed before the race")
	}
	next, err := s.OpenRound(ctx, ch)
	if errors.Is(err, orders.ErrNoOpenRound) {
		next = orders.Round{}
	} else if err != nil {
		t.Fatal(err)
	}
	inNext := items(next)
	for _, a := range acks {
		_, c := inClosed[a.user]
		_, o := inNext[a.user]
		if c == o {
			t.Errorf("%s: in closed round %v, in next round %v; want exactly one", a.user, c, o)
		}
		if (c && a.round != closed.ID) || (o && a.round != next.ID) {
			t.Errorf("%s acknowledged in round %s but stored in the other", a.user, a.round)
		}
	}
	if len(acks) != users || len(inClosed)+len(inNext) != users+1 {
		t.Fatalf("acks %d, closed %d + next %d orders, want %d acks and %d orders", len(acks), len(inClosed), len(inNext), users, users+1)
	}
	t.Logf("race: %d orders in the closed round, %d in the next", len(inClosed), len(inNext))
}

// raceAck is one acknowledged order of raceUpdatesWithClose: the round it named.
type raceAck struct {
	user, round string
}

// raceUpdatesWithClose starts users' orders and a close of the open round at once and
// returns the orders' acknowledgements and the round the close closed.
func raceUpdatesWithClose(t *testing.T, s orders.Store, users int) ([]raceAck, orders.Round) {
	acks := make(chan raceAck, users)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range users {
		wg.Go(func() {
			<-start
			u := fmt.Sprintf("U%02d", i)
			res, err := set(s, ch, order(u, "item-"+u, t0.Add(time.Second)))
			if err != nil {
				t.Errorf("SetOrder %s: %v", u, err)
				return
			}
			if _, ok := items(res.Round)[u]; !ok {
				t.Errorf("SetOrder %s returned round %s without the order", u, res.Round.ID)
			}
			acks <- raceAck{u, res.Round.ID}
		})
	}
	var closed orders.Round
	var closeErr error
	wg.Go(func() {
		<-start
		closed, closeErr = closeRound(s, ch, t0.Add(time.Second))
	})
	close(start)
	wg.Wait()
	close(acks)
	if closeErr != nil {
		t.Fatal(closeErr)
	}
	var out []raceAck
	for a := range acks {
		out = append(out, a)
	}
	return out, closed
}

// testSameUser: one user's concurrent updates leave exactly one order: the newest request's.
func testSameUser(t *testing.T, s orders.Store) {
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			at := t0.Add(time.Duration(i) * time.Millisecond)
			if _, err := set(s, ch, order("U1", fmt.Sprintf("item %d", i), at)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	r, err := s.OpenRound(context.Background(), ch)
	if err != nil {
		t.Fatal(err)
	}
	wantItems(t, r, map[string]string{"U1": "item 19"})
	mustSet(t, s, ch, order("U1", "final", t0.Add(time.Hour)))
	r, _ = s.OpenRound(context.Background(), ch)
	wantItems(t, r, map[string]string{"U1": "final"})
}

func testConcurrentMark(t *testing.T, s orders.Store) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	firsts := 0
	for range 8 {
		wg.Go(func() {
			first, err := s.MarkEvent(context.Background(), "EvRace", t0, t0.Add(10*time.Minute))
			if err != nil {
				t.Error(err)
				return
			}
			if first {
				mu.Lock()
				firsts++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firsts != 1 {
		t.Fatalf("%d deliveries of one event reported as first, want 1", firsts)
	}
}

func testForgetEvent(t *testing.T, s orders.Store) {
	ctx := context.Background()
	if first, err := s.MarkEvent(ctx, "Claim", t0, t0.Add(time.Hour)); err != nil || !first {
		t.Fatalf("first mark: got %v, %v, want true", first, err)
	}
	if err := s.ForgetEvent(ctx, "Claim"); err != nil {
		t.Fatal(err)
	}
	if first, err := s.MarkEvent(ctx, "Claim", t0, t0.Add(time.Hour)); err != nil || !first {
		t.Fatalf("mark after forget: got %v, %v, want true", first, err)
	}
	if err := s.ForgetEvent(ctx, "Unknown"); err != nil {
		t.Fatalf("forget of an unknown id: %v", err)
	}
}

func testSetReplay(t *testing.T, s orders.Store) {
	ctx := context.Background()
	latte := req(t0)
	res, err := s.SetOrder(ctx, ch, order("U1", "latte", t0), latte, orders.NewRoundID(t0))
	first := mustApply(t, "first delivery", res, err, orders.Applied)
	mustSet(t, s, ch, order("U2", "tea", t0.Add(time.Second)))
	res, err = s.SetOrder(ctx, ch, order("U1", "latte", t0), latte, orders.NewRoundID(t0.Add(time.Minute)))
	again := mustApply(t, "second delivery", res, err, orders.Replayed)
	if again.ID != first.ID {
		t.Fatalf("replay names round %s, want %s", again.ID, first.ID)
	}
	wantItems(t, again, map[string]string{"U1": "latte", "U2": "tea"})
}

// testOlderSetSuperseded: a deferred latte arriving after the user's newer mocha changes
// nothing.
func testOlderSetSuperseded(t *testing.T, s orders.Store) {
	ctx := context.Background()
	latte := req(t0)
	mustSet(t, s, ch, order("U1", "mocha", t0.Add(time.Second)))
	res, err := s.SetOrder(ctx, ch, order("U1", "latte", t0), latte, orders.NewRoundID(t0))
	r := mustApply(t, "late latte", res, err, orders.Superseded)
	wantItems(t, r, map[string]string{"U1": "mocha"})
	r, _ = s.OpenRound(ctx, ch)
	wantItems(t, r, map[string]string{"U1": "mocha"})
}

// testReplayAfterClose: the first attempt committed, the round closed, then the request
// ran again: it must not open the next round with a copy.
func testReplayAfterClose(t *testing.T, s orders.Store) {
	ctx := context.Background()
	latte := req(t0)
	res, err := s.SetOrder(ctx, ch, order("U1", "latte", t0), latte, orders.NewRoundID(t0))
	first := mustApply(t, "first attempt", res, err, orders.Applied)
	if _, err := closeRound(s, ch, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	res, err = s.SetOrder(ctx, ch, order("U1", "latte", t0), latte, orders.NewRoundID(t0.Add(2*time.Minute)))
	r := mustApply(t, "re-run after close", res, err, orders.Replayed)
	if r.ID != first.ID || r.Open() {
		t.Fatalf("replay names round %s (open %v), want closed round %s", r.ID, r.Open(), first.ID)
	}
	wantItems(t, r, map[string]string{"U1": "latte"})
	if got, err := s.OpenRound(ctx, ch); !errors.Is(err, orders.ErrNoOpenRound) {
		t.Fatalf("phantom round %s with %v after the replay (err %v)", got.ID, items(got), err)
	}
}

func testOlderAfterClose(t *testing.T, s orders.Store) {
	ctx := context.Background()
	mustSet(t, s, ch, order("U1", "mocha", t0.Add(time.Second)))
	if _, err := closeRound(s, ch, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	res, err := s.SetOrder(ctx, ch, order("U1", "latte", t0), req(t0), orders.NewRoundID(t0))
	mustApply(t, "older request after close", res, err, orders.Superseded)
	if got, err := s.OpenRound(ctx, ch); !errors.Is(err, orders.ErrNoOpenRound) {
		t.Fatalf("older request opened round %s with %v (err %v)", got.ID, items(got), err)
	}
}

func testCancelRecorded(t *testing.T, s orders.Store) {
	ctx := context.Background()
	mustSet(t, s, ch, order("U2", "tea", t0))
	if _, err := cancelOrder(s, "U1", t0.Add(2*time.Second)); !errors.Is(err, orders.ErrNoOrder) {
		t.Fatalf("cancel without order: got %v, want ErrNoOrder", err)
	}
	res, err := s.SetOrder(ctx, ch, order("U1", "latte", t0.Add(time.Second)), req(t0.Add(time.Second)), orders.NewRoundID(t0))
	r := mustApply(t, "order older than the cancel", res, err, orders.Superseded)
	wantItems(t, r, map[string]string{"U2": "tea"})
}

func testCancelReplay(t *testing.T, s orders.Store) {
	ctx := context.Background()
	first := mustSet(t, s, ch, order("U1", "latte", t0))
	cancel := req(t0.Add(time.Second))
	res, err := s.CancelOrder(ctx, ch, "U1", cancel)
	mustApply(t, "cancel", res, err, orders.Applied)
	res, err = s.CancelOrder(ctx, ch, "U1", cancel)
	r := mustApply(t, "repeated cancel", res, err, orders.Replayed)
	if r.ID != first.ID {
		t.Fatalf("replayed cancel names round %q, want %s", r.ID, first.ID)
	}
	wantItems(t, r, map[string]string{})
	// A cancel that found nothing replays as nothing.
	nothing := req(t0.Add(2 * time.Second))
	if _, err := s.CancelOrder(ctx, ch, "U1", nothing); !errors.Is(err, orders.ErrNoOrder) {
		t.Fatalf("cancel without order: got %v, want ErrNoOrder", err)
	}
	if _, err := s.CancelOrder(ctx, ch, "U1", nothing); !errors.Is(err, orders.ErrNoOrder) {
		t.Fatalf("repeated empty cancel: got %v, want ErrNoOrder as the first time", err)
	}
}

func testCloseReplay(t *testing.T, s orders.Store) {
	ctx := context.Background()
	mustSet(t, s, ch, order("U1", "latte", t0))
	closeReq := req(t0.Add(time.Minute))
	res, err := s.CloseRound(ctx, ch, closeReq, t0.Add(time.Minute))
	closed := mustApply(t, "close", res, err, orders.Applied)
	next := mustSet(t, s, ch, order("U2", "tea", t0.Add(2*time.Minute)))
	res, err = s.CloseRound(ctx, ch, closeReq, t0.Add(3*time.Minute))
	again := mustApply(t, "repeated close", res, err, orders.Replayed)
	if again.ID != closed.ID || again.Open() || !again.ClosedAt.Equal(closed.ClosedAt) {
		t.Fatalf("repeated close: got round %s closed %v, want %s closed %v", again.ID, again.ClosedAt, closed.ID, closed.ClosedAt)
	}
	wantItems(t, again, map[string]string{"U1": "latte"})
	open, err := s.OpenRound(ctx, ch)
	if err != nil || open.ID != next.ID {
		t.Fatalf("the next round: got %s, %v, want %s still open", open.ID, err, next.ID)
	}
}

func testCloseLaterRound(t *testing.T, s orders.Store) {
	ctx := context.Background()
	r := mustSet(t, s, ch, order("U1", "latte", t0.Add(time.Minute)))
	if _, err := s.CloseRound(ctx, ch, req(t0), t0.Add(2*time.Minute)); !errors.Is(err, orders.ErrNoOpenRound) {
		t.Fatalf("close requested before the round opened: got %v, want ErrNoOpenRound", err)
	}
	if open, err := s.OpenRound(ctx, ch); err != nil || open.ID != r.ID {
		t.Fatalf("round %s: got %s, %v, want it still open", r.ID, open.ID, err)
	}
}

func testAbandonFences(t *testing.T, s orders.Store) {
	ctx := context.Background()
	mustSet(t, s, ch, order("U1", "tea", t0))
	latte := req(t0.Add(time.Second))
	res, err := s.Abandon(ctx, ch, orders.Target{User: "U1"}, latte)
	mustApply(t, "abandon", res, err, orders.Applied)
	res, err = s.SetOrder(ctx, ch, order("U1", "latte", latte.At), latte, orders.NewRoundID(latte.At))
	if r := mustApply(t, "late attempt of the abandoned request", res, err, orders.Replayed); r.ID != "" {
		t.Fatalf("abandoned request names round %s, want none", r.ID)
	}
	r, _ := s.OpenRound(ctx, ch)
	wantItems(t, r, map[string]string{"U1": "tea"})
	res, err = s.Abandon(ctx, ch, orders.Target{User: "U1"}, req(t0))
	mustApply(t, "abandon an older request", res, err, orders.Superseded)
}

func testAbandonAfterApply(t *testing.T, s orders.Store) {
	ctx := context.Background()
	latte := req(t0)
	res, err := s.SetOrder(ctx, ch, order("U1", "latte", t0), latte, orders.NewRoundID(t0))
	first := mustApply(t, "set", res, err, orders.Applied)
	res, err = s.Abandon(ctx, ch, orders.Target{User: "U1"}, latte)
	r := mustApply(t, "abandon after it applied", res, err, orders.Replayed)
	if r.ID != first.ID {
		t.Fatalf("abandon names round %s, want %s", r.ID, first.ID)
	}
	wantItems(t, r, map[string]string{"U1": "latte"})
	closeReq := req(t0.Add(time.Minute))
	res, err = s.CloseRound(ctx, ch, closeReq, closeReq.At)
	mustApply(t, "close", res, err, orders.Applied)
	res, err = s.Abandon(ctx, ch, orders.Target{Close: true}, closeReq)
	if r := mustApply(t, "abandon an applied close", res, err, orders.Replayed); r.ID != first.ID || r.Open() {
		t.Fatalf("abandoned close names round %s (open %v), want closed %s", r.ID, r.Open(), first.ID)
	}
}

func testAbandonClose(t *testing.T, s orders.Store) {
	ctx := context.Background()
	open := mustSet(t, s, ch, order("U1", "latte", t0))
	closeReq := req(t0.Add(time.Minute))
	res, err := s.Abandon(ctx, ch, orders.Target{Close: true}, closeReq)
	mustApply(t, "abandon close", res, err, orders.Applied)
	res, err = s.CloseRound(ctx, ch, closeReq, closeReq.At)
	if r := mustApply(t, "late close attempt", res, err, orders.Replayed); r.ID != "" {
		t.Fatalf("abandoned close names round %s, want none", r.ID)
	}
	if r, err := s.OpenRound(ctx, ch); err != nil || r.ID != open.ID {
		t.Fatalf("round after abandoned close: got %s, %v, want %s open", r.ID, err, open.ID)
	}
}

// testRoundFull fills a round with the longest items (4-byte UTF-8): the cap refuses the
// next person cleanly, a member can still change their order, and the round closes.
func testRoundFull(t *testing.T, s orders.Store) {
	long := strings.Repeat("𝄞", orders.MaxItemRunes)
	for i := range orders.MaxOrders {
		mustSet(t, s, ch, order(fmt.Sprintf("U%04d", i), long, t0.Add(time.Duration(i)*time.Millisecond)))
	}
	at := t0.Add(time.Minute)
	if _, err := set(s, ch, order("U-late", "tea", at)); !errors.Is(err, orders.ErrRoundFull) {
		t.Fatalf("order %d: got %v, want ErrRoundFull", orders.MaxOrders+1, err)
	}
	r := mustSet(t, s, ch, order("U0000", "tea", at))
	if len(r.Orders) != orders.MaxOrders {
		t.Fatalf("round has %d orders, want %d", len(r.Orders), orders.MaxOrders)
	}
	closed, err := closeRound(s, ch, at.Add(time.Second))
	if err != nil {
		t.Fatalf("close a full round: %v", err)
	}
	if len(closed.Orders) != orders.MaxOrders {
		t.Fatalf("closed round has %d orders, want %d", len(closed.Orders), orders.MaxOrders)
	}
	r = mustSet(t, s, ch, order("U-late", "tea", at.Add(2*time.Second)))
	wantItems(t, r, map[string]string{"U-late": "tea"})
	listed, err := s.ClosedRounds(context.Background(), ch, 1, at.Add(time.Hour))
	if err != nil || len(listed) != 1 || listed[0].ID != closed.ID || len(listed[0].Orders) != orders.MaxOrders {
		t.Fatalf("the full round listed: got %d rounds, %v; want %s with %d orders", len(listed), err, closed.ID, orders.MaxOrders)
	}
}

// testFullRoundTakesDeadlinesAndCloser: a full round of the longest items still takes
// more deadline changes than the store keeps records of, and a close that names its
// closer; the round keeps all of it.
func testFullRoundTakesDeadlinesAndCloser(t *testing.T, s orders.Store) {
	ctx := context.Background()
	long := strings.Repeat("𝄞", orders.MaxItemRunes)
	for i := range orders.MaxOrders {
		mustSet(t, s, ch, order(fmt.Sprintf("U%04d", i), long, t0.Add(time.Duration(i)*time.Millisecond)))
	}
	var last orders.Request
	for i := range 40 {
		last = req(t0.Add(time.Minute + time.Duration(i)*time.Millisecond))
		res, err := s.SetDeadline(ctx, ch, t0.Add(time.Duration(i+2)*time.Hour), last)
		mustApply(t, fmt.Sprintf("deadline %d", i), res, err, orders.Applied)
	}
	closeReq := req(t0.Add(2 * time.Minute))
	closeReq.User = strings.Repeat("W", 20)
	res, err := s.CloseRound(ctx, ch, closeReq, closeReq.At)
	r := mustApply(t, "close the full round", res, err, orders.Applied)
	if len(r.Orders) != orders.MaxOrders || r.ClosedBy != closeReq.User || r.DeadlineBy != last.ID || !r.Deadline.Equal(t0.Add(41*time.Hour)) {
		t.Fatalf("closed: got %d orders, closed by %q, deadline %v by %q; want %d, %q, %v by %q",
			len(r.Orders), r.ClosedBy, r.Deadline, r.DeadlineBy, orders.MaxOrders, closeReq.User, t0.Add(41*time.Hour), last.ID)
	}
}

// testConcurrentDeliveries: eight deliveries of one request at once apply it once.
func testConcurrentDeliveries(t *testing.T, s orders.Store) {
	latte := req(t0)
	var wg sync.WaitGroup
	var applied atomic.Int32
	for range 8 {
		wg.Go(func() {
			res, err := s.SetOrder(context.Background(), ch, order("U1", "latte", t0), latte, orders.NewRoundID(t0))
			if err != nil {
				t.Error(err)
				return
			}
			if res.Outcome == orders.Applied {
				applied.Add(1)
			} else if res.Outcome != orders.Replayed {
				t.Errorf("delivery: got %v, want applied or replayed", res.Outcome)
			}
			wantItems(t, res.Round, map[string]string{"U1": "latte"})
		})
	}
	wg.Wait()
	if n := applied.Load(); n != 1 {
		t.Fatalf("got %d deliveries applied, want 1", n)
	}
}

// testOvertaken: the latte took effect (its acknowledgement lost), the round closed, and
// the user's newer mocha opened the next round. Another delivery of the latte is a
// repeat — it is in the closed round's tally — not an older request that changed nothing.
func testOvertaken(t *testing.T, s orders.Store) {
	ctx := context.Background()
	latte := req(t0)
	res, err := s.SetOrder(ctx, ch, order("U1", "latte", t0), latte, orders.NewRoundID(t0))
	first := mustApply(t, "latte", res, err, orders.Applied)
	if _, err := closeRound(s, ch, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	mustSet(t, s, ch, order("U1", "mocha", t0.Add(2*time.Minute)))
	res, err = s.SetOrder(ctx, ch, order("U1", "latte", t0), latte, orders.NewRoundID(t0))
	r := mustApply(t, "latte again", res, err, orders.Replayed)
	if r.ID != first.ID || r.Open() {
		t.Fatalf("latte again names round %s (open %v), want the closed %s", r.ID, r.Open(), first.ID)
	}
	wantItems(t, r, map[string]string{"U1": "latte"})
	open, _ := s.OpenRound(ctx, ch)
	wantItems(t, open, map[string]string{"U1": "mocha"})
	// A request older than the mocha that never took effect is still superseded.
	res, err = s.SetOrder(ctx, ch, order("U1", "tea", t0.Add(30*time.Second)), req(t0.Add(30*time.Second)), orders.NewRoundID(t0))
	mustApply(t, "tea, never applied", res, err, orders.Superseded)
}

// testEmptyCloseRecorded: a close that found no round answers the same when delivered
// again, even after a late order (older than the close) opened a round.
func testEmptyCloseRecorded(t *testing.T, s orders.Store) {
	ctx := context.Background()
	closeReq := req(t0.Add(time.Minute))
	if _, err := s.CloseRound(ctx, ch, closeReq, closeReq.At); !errors.Is(err, orders.ErrNoOpenRound) {
		t.Fatalf("close without a round: got %v, want ErrNoOpenRound", err)
	}
	late := mustSet(t, s, ch, order("U1", "latte", t0))
	if _, err := s.CloseRound(ctx, ch, closeReq, closeReq.At.Add(time.Second)); !errors.Is(err, orders.ErrNoOpenRound) {
		t.Fatalf("the close delivered again: got %v, want ErrNoOpenRound as the first time", err)
	}
	if r, err := s.OpenRound(ctx, ch); err != nil || r.ID != late.ID {
		t.Fatalf("round %s: got %s, %v, want it still open", late.ID, r.ID, err)
	}
	res, err := s.Abandon(ctx, ch, orders.Target{Close: true}, closeReq)
	if err != nil || res.Outcome != orders.Replayed || !res.NoChange {
		t.Fatalf("abandon the empty close: got %+v, %v, want replayed with no change", res, err)
	}
}

func testEventRecorded(t *testing.T, s orders.Store) {
	ctx := context.Background()
	if ok, err := s.EventRecorded(ctx, "Ev", t0); err != nil || ok {
		t.Fatalf("before marking: got %v, %v, want false", ok, err)
	}
	if _, err := s.MarkEvent(ctx, "Ev", t0, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.EventRecorded(ctx, "Ev", t0.Add(30*time.Second)); err != nil || !ok {
		t.Fatalf("within its time: got %v, %v, want true", ok, err)
	}
	if ok, err := s.EventRecorded(ctx, "Ev", t0.Add(2*time.Minute)); err != nil || ok {
		t.Fatalf("after it expired: got %v, %v, want false", ok, err)
	}
}

// testReplacedInRound: the latte took effect, then the same person's newer mocha replaced
// it in the same round (and later a cancel withdrew that). Another delivery of the latte
// is a repeat — in the open round, and after the round closed — never "changed nothing";
// a long run of changes by one person keeps working.
func testReplacedInRound(t *testing.T, s orders.Store) {
	ctx := context.Background()
	latte := req(t0)
	res, err := s.SetOrder(ctx, ch, order("U1", "latte", t0), latte, orders.NewRoundID(t0))
	first := mustApply(t, "latte", res, err, orders.Applied)
	mustSet(t, s, ch, order("U1", "mocha", t0.Add(time.Second)))
	again := func(what string) orders.Round {
		t.Helper()
		res, err := s.SetOrder(ctx, ch, order("U1", "latte", t0), latte, orders.NewRoundID(t0))
		r := mustApply(t, what, res, err, orders.Replayed)
		if r.ID != first.ID {
			t.Fatalf("%s names round %s, want %s", what, r.ID, first.ID)
		}
		return r
	}
	wantItems(t, again("latte after mocha"), map[string]string{"U1": "mocha"})
	if _, err := cancelOrder(s, "U1", t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	wantItems(t, again("latte after the cancel"), map[string]string{})
	for i := range 40 { // more changes than a change set holds
		mustSet(t, s, ch, order("U2", fmt.Sprintf("tea %d", i), t0.Add(time.Duration(3+i)*time.Second)))
	}
	last := req(t0.Add(time.Minute))
	if _, err := s.SetOrder(ctx, ch, order("U2", "coffee", last.At), last, orders.NewRoundID(t0)); err != nil {
		t.Fatal(err)
	}
	mustSet(t, s, ch, order("U2", "cocoa", t0.Add(2*time.Minute)))
	res, err = s.SetOrder(ctx, ch, order("U2", "coffee", last.At), last, orders.NewRoundID(t0))
	mustApply(t, "U2's recent coffee", res, err, orders.Replayed)
	if _, err := closeRound(s, ch, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	r := again("latte after the close")
	if r.Open() {
		t.Fatalf("latte after the close: got open round %s, want the closed one", r.ID)
	}
}

// testAbandonReplacedThenClosed (issue #10): the latte took effect (its acknowledgement
// lost), the same person's newer mocha replaced it, and the round closed. The latte's
// deferred run gives up: Abandon must report the latte's round — it was saved, and
// replaced — never Applied ("not saved, nothing changed"), and never a round-less Replayed
// (which reads as "an earlier run gave it up"). The same for a withdrawal that a newer
// order overtook, and for another delivery of either. It holds from the instant the round
// closed: a store that moves a closed round elsewhere in a second step must answer the
// same before that step as after.
func testAbandonReplacedThenClosed(t *testing.T, s orders.Store) {
	ctx := context.Background()
	latte := req(t0)
	res, err := s.SetOrder(ctx, ch, order("U1", "latte", t0), latte, orders.NewRoundID(t0))
	first := mustApply(t, "latte", res, err, orders.Applied)
	mustSet(t, s, ch, order("U1", "mocha", t0.Add(time.Second)))
	mustSet(t, s, ch, order("U2", "tea", t0.Add(time.Second)))
	withdraw := req(t0.Add(2 * time.Second))
	res, err = s.CancelOrder(ctx, ch, "U2", withdraw)
	mustApply(t, "U2's withdrawal", res, err, orders.Applied)
	mustSet(t, s, ch, order("U2", "coffee", t0.Add(3*time.Second)))
	if _, err := closeRound(s, ch, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	inFirst := func(what string, res orders.Result, err error) {
		t.Helper()
		r := mustApply(t, what, res, err, orders.Replayed)
		if r.ID != first.ID || r.Open() || res.NoChange {
			t.Fatalf("%s: got round %q (open %v, no change %v), want the closed %s", what, r.ID, r.Open(), res.NoChange, first.ID)
		}
		wantItems(t, r, map[string]string{"U1": "mocha", "U2": "coffee"})
	}
	res, err = s.Abandon(ctx, ch, orders.Target{User: "U1"}, latte)
	inFirst("abandon the replaced latte", res, err)
	res, err = s.Abandon(ctx, ch, orders.Target{User: "U2"}, withdraw)
	inFirst("abandon the overtaken withdrawal", res, err)
	res, err = s.SetOrder(ctx, ch, order("U1", "latte", t0), latte, orders.NewRoundID(t0))
	inFirst("the latte delivered again", res, err)
	res, err = s.CancelOrder(ctx, ch, "U2", withdraw)
	inFirst("the withdrawal delivered again", res, err)
	if _, err := s.OpenRound(ctx, ch); !errors.Is(err, orders.ErrNoOpenRound) {
		t.Fatalf("after the close: %v, want no open round", err)
	}
}

// testAbandonRaces (issue #10) gives up on U1's latte (Abandon) while it races other
// deliveries of the latte, U1's newer mocha and a close, in many channels at once and in
// three arrangements: the latte already took effect (its acknowledgement lost) and the
// mocha replaced it, then the close meets the deliveries and Abandon; the latte races its
// own abandonment, then the mocha and the close follow; everything at once. While the
// racing calls run, the latte is delivered and abandoned over and over, as Lambda's
// duplicate deliveries and retries would. Whatever the order: the latte applies at most
// once; if it applied, every answer about it names the round it applied in, and if it did
// not, no answer names a round and no round holds it.
func testAbandonRaces(t *testing.T, s orders.Store) {
	const channels = 24
	var wg sync.WaitGroup
	for i := range channels {
		wg.Go(func() { abandonRace(t, s, i) })
	}
	wg.Wait()
}

func abandonRace(t *testing.T, s orders.Store, i int) {
	c := orders.Channel{Team: "T1", Channel: fmt.Sprintf("C-race-%02d", i)}
	if _, err := s.SetOrder(context.Background(), c, order("U2", "opener", t0), req(t0), orders.NewRoundID(t0)); err != nil {
		t.Error(err)
		return
	}
	a := &abandonRacer{t: t, s: s, c: c, i: i,
		latte: req(t0.Add(time.Second)), mocha: req(t0.Add(2 * time.Second)), closeReq: req(t0.Add(3 * time.Second))}
	// race runs fns at once and, until they have all returned, delivers the latte and
	// abandons it over and over.
	race := func(fns ...func()) { raceWhile(fns, a.setLatte, a.abandon) }
	switch i % 3 {
	case 0:
		a.setLatte()
		a.setMocha()
		race(a.closeIt)
	case 1:
		race(a.setLatte)
		a.setMocha()
		a.closeIt()
	default:
		race(a.setMocha, a.closeIt)
	}
	a.abandon() // a last delivery gives up
	open, err := s.OpenRound(context.Background(), c)
	if err != nil && !errors.Is(err, orders.ErrNoOpenRound) {
		t.Error(err)
		return
	}
	if a.failed {
		return
	}
	checkAbandonRace(t, i, a.sets, a.abandons, a.closed.Round, open)
}

// abandonRacer is one channel of testAbandonRaces: U1's latte (delivered and abandoned
// over and over), U1's newer mocha and a close, each a step the arrangements order.
type abandonRacer struct {
	t                      *testing.T
	s                      orders.Store
	c                      orders.Channel
	i                      int
	latte, mocha, closeReq orders.Request

	mu             sync.Mutex
	sets, abandons []orders.Result // every answer to a delivery of the latte, to Abandon
	closed         orders.Result
	failed         bool
}

// call records f's answer in into (nil: nowhere), an error as the channel's failure.
func (a *abandonRacer) call(what string, f func() (orders.Result, error), into *[]orders.Result) orders.Result {
	res, err := f()
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		a.t.Errorf("channel %d: %s: %v", a.i, what, err)
		a.failed = true
	} else if into != nil {
		*into = append(*into, res)
	}
	return res
}

func (a *abandonRacer) setLatte() {
	a.call("latte", func() (orders.Result, error) {
		return a.s.SetOrder(context.Background(), a.c, order("U1", "latte", a.latte.At), a.latte, orders.NewRoundID(a.latte.At))
	}, &a.sets)
}

func (a *abandonRacer) abandon() {
	a.call("abandon", func() (orders.Result, error) {
		return a.s.Abandon(context.Background(), a.c, orders.Target{User: "U1"}, a.latte)
	}, &a.abandons)
}

func (a *abandonRacer) setMocha() {
	a.call("mocha", func() (orders.Result, error) {
		return a.s.SetOrder(context.Background(), a.c, order("U1", "mocha", a.mocha.At), a.mocha, orders.NewRoundID(a.mocha.At))
	}, nil)
}

func (a *abandonRacer) closeIt() {
	a.closed = a.call("close", func() (orders.Result, error) {
		return a.s.CloseRound(context.Background(), a.c, a.closeReq, a.closeReq.At)
	}, nil)
}

// raceWhile runs fns at once and, until they have all returned, each of polls over and
// over.
func raceWhile(fns []func(), polls ...func()) {
	var racers, pollers sync.WaitGroup
	done := make(chan struct{})
	for _, fn := range fns {
		racers.Go(fn)
	}
	for _, poll := range polls {
		pollers.Go(func() {
			for {
				poll()
				select {
				case <-done:
					return
				default:
				}
			}
		})
	}
	racers.Wait()
	close(done)
	pollers.Wait()
}

// checkAbandonRace checks the answers of one channel of testAbandonRaces: every answer to
// a delivery of the latte (sets) and to Abandon (abandons), the round the close returned
// and the round open at the end.
func checkAbandonRace(t *testing.T, i int, sets, abandons []orders.Result, closed, open orders.Round) {
	t.Helper()
	appliedIn, applied := "", 0
	for _, res := range sets {
		if res.Outcome == orders.Applied {
			applied++
			appliedIn = res.Round.ID
		}
	}
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("channel %d (arrangement %d, the latte applied %d times, in %q): %s", i, i%3, applied, appliedIn, fmt.Sprintf(format, args...))
	}
	checkLatteAnswers(fail, applied, appliedIn, sets, abandons)
	mochaIn := 0
	for _, r := range []orders.Round{closed, open} {
		switch items(r)["U1"] {
		case "latte":
			if r.ID != appliedIn {
				fail("round %s holds the latte", r.ID)
			}
		case "mocha":
			mochaIn++
		}
	}
	if mochaIn != 1 {
		fail("the mocha is in %d rounds (closed %v, open %v), want 1", mochaIn, items(closed), items(open))
	}
}

// checkLatteAnswers checks every answer about the latte of checkAbandonRace: applied at
// most once, and every other answer says so — replayed in its round — or, when it never
// applied, fenced at most once and never replayed.
func checkLatteAnswers(fail func(string, ...any), applied int, appliedIn string, sets, abandons []orders.Result) {
	describe := func(res orders.Result) string {
		return fmt.Sprintf("%v in round %q (no change %v)", res.Outcome, res.Round.ID, res.NoChange)
	}
	switch {
	case applied > 1:
		fail("applied more than once")
	case applied == 1:
		for _, res := range abandons {
			if res.Outcome != orders.Replayed || res.Round.ID != appliedIn || res.NoChange {
				fail("abandon: got %s, want replayed in the latte's round", describe(res))
			}
		}
		for _, res := range sets {
			if res.Outcome != orders.Applied && (res.Outcome != orders.Replayed || res.Round.ID != appliedIn || res.NoChange) {
				fail("a delivery of the latte: got %s, want replayed in its round", describe(res))
			}
		}
	default:
		fenced := 0
		for _, res := range abandons {
			if res.Outcome == orders.Applied {
				fenced++
			}
		}
		if fenced > 1 {
			fail("abandoned %d times", fenced)
		}
		for _, res := range append(sets, abandons...) {
			if res.Outcome == orders.Replayed && (res.Round.ID != "" || res.NoChange) {
				fail("an answer about a latte that never applied: got %s", describe(res))
			}
		}
	}
}

// click is a new request made on round id's message (Request.Round), received at at.
func click(round string, at time.Time) orders.Request {
	r := req(at)
	r.Round = round
	return r
}

func wantStale(t *testing.T, what string, res orders.Result, err error) {
	t.Helper()
	if !errors.Is(err, orders.ErrStale) {
		t.Fatalf("%s: got %+v, %v; want ErrStale", what, res, err)
	}
}

func wantNoOpenRound(t *testing.T, s orders.Store, what string) {
	t.Helper()
	if r, err := s.OpenRound(context.Background(), ch); !errors.Is(err, orders.ErrNoOpenRound) {
		t.Fatalf("%s: got round %s open with %v (%v), want no open round", what, r.ID, items(r), err)
	}
}

// testClickOnOpenRound: a click on the open round's message joins, withdraws and closes
// it like a typed command; a withdrawal without an order is ErrNoOrder, not stale.
func testClickOnOpenRound(t *testing.T, s orders.Store) {
	ctx := context.Background()
	r := mustSet(t, s, ch, order("U1", "latte", t0))
	res, err := s.SetOrder(ctx, ch, order("U2", "latte", t0.Add(time.Second)), click(r.ID, t0.Add(time.Second)), orders.NewRoundID(t0))
	wantItems(t, mustApply(t, "join", res, err, orders.Applied), map[string]string{"U1": "latte", "U2": "latte"})
	res, err = s.SetOrder(ctx, ch, order("U2", "mocha", t0.Add(2*time.Second)), click(r.ID, t0.Add(2*time.Second)), orders.NewRoundID(t0))
	wantItems(t, mustApply(t, "join another item", res, err, orders.Applied), map[string]string{"U1": "latte", "U2": "mocha"})
	res, err = s.CancelOrder(ctx, ch, "U2", click(r.ID, t0.Add(3*time.Second)))
	wantItems(t, mustApply(t, "cancel mine", res, err, orders.Applied), map[string]string{"U1": "latte"})
	if _, err := s.CancelOrder(ctx, ch, "U3", click(r.ID, t0.Add(3*time.Second))); !errors.Is(err, orders.ErrNoOrder) {
		t.Fatalf("cancel mine without an order: got %v, want ErrNoOrder", err)
	}
	res, err = s.CloseRound(ctx, ch, click(r.ID, t0.Add(4*time.Second)), t0.Add(4*time.Second))
	closed := mustApply(t, "close round", res, err, orders.Applied)
	if closed.ID != r.ID || closed.Open() {
		t.Fatalf("close round: got round %s (open %v), want %s closed", closed.ID, closed.Open(), r.ID)
	}
	wantItems(t, closed, map[string]string{"U1": "latte"})
}

// testStaleAfterClose: clicks on a closed round's message — join, cancel mine, close —
// are ErrStale and change nothing: no round opens, no order goes.
func testStaleAfterClose(t *testing.T, s orders.Store) {
	ctx := context.Background()
	r := mustSet(t, s, ch, order("U1", "mocha", t0))
	if _, err := closeRound(s, ch, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(2 * time.Minute)
	for range 2 { // every delivery of a stale click is stale
		join := click(r.ID, at)
		res, err := s.SetOrder(ctx, ch, order("U2", "mocha", at), join, orders.NewRoundID(at))
		wantStale(t, "join a closed round", res, err)
		res, err = s.SetOrder(ctx, ch, order("U2", "mocha", at), join, orders.NewRoundID(at))
		wantStale(t, "the join delivered again", res, err)
		res, err = s.CancelOrder(ctx, ch, "U1", click(r.ID, at))
		wantStale(t, "cancel mine in a closed round", res, err)
		res, err = s.CloseRound(ctx, ch, click(r.ID, at), at)
		wantStale(t, "close a closed round", res, err)
		wantNoOpenRound(t, s, "after stale clicks")
		at = at.Add(time.Second)
	}
}

// testStaleOnNewerRound: a round has opened since the clicked one closed: the clicks
// leave it alone — no order joins it, none leaves it, it stays open.
func testStaleOnNewerRound(t *testing.T, s orders.Store) {
	ctx := context.Background()
	old := mustSet(t, s, ch, order("U1", "mocha", t0))
	if _, err := closeRound(s, ch, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	next := mustSet(t, s, ch, order("U1", "tea", t0.Add(2*time.Minute)))
	at := t0.Add(3 * time.Minute)
	res, err := s.SetOrder(ctx, ch, order("U2", "mocha", at), click(old.ID, at), orders.NewRoundID(at))
	wantStale(t, "join the old round", res, err)
	res, err = s.CancelOrder(ctx, ch, "U1", click(old.ID, at))
	wantStale(t, "cancel mine on the old round", res, err)
	res, err = s.CloseRound(ctx, ch, click(old.ID, at), at)
	wantStale(t, "close the old round", res, err)
	open, err := s.OpenRound(ctx, ch)
	if err != nil || open.ID != next.ID {
		t.Fatalf("after stale clicks: got round %s, %v, want %s open", open.ID, err, next.ID)
	}
	wantItems(t, open, map[string]string{"U1": "tea"})
	// A round that never was is not the open one either.
	res, err = s.SetOrder(ctx, ch, order("U2", "tea", at), click("no-such-round", at), orders.NewRoundID(at))
	wantStale(t, "join a round that never was", res, err)
	// The newer round's own clicks apply.
	res, err = s.SetOrder(ctx, ch, order("U2", "tea", at), click(next.ID, at), orders.NewRoundID(at))
	wantItems(t, mustApply(t, "join the open round", res, err, orders.Applied), map[string]string{"U1": "tea", "U2": "tea"})
}

// testClickReplayAfterClose: a click that took effect, delivered again after its round
// closed (and a newer one opened), is replayed with its round — never stale, never
// applied to the newer round.
func testClickReplayAfterClose(t *testing.T, s orders.Store) {
	ctx := context.Background()
	r := mustSet(t, s, ch, order("U1", "mocha", t0))
	join := click(r.ID, t0.Add(time.Second))
	res, err := s.SetOrder(ctx, ch, order("U2", "mocha", join.At), join, orders.NewRoundID(join.At))
	mustApply(t, "join", res, err, orders.Applied)
	mustSet(t, s, ch, order("U3", "tea", t0.Add(2*time.Second)))
	cancel := click(r.ID, t0.Add(3*time.Second))
	res, err = s.CancelOrder(ctx, ch, "U3", cancel)
	mustApply(t, "cancel mine", res, err, orders.Applied)
	closeReq := click(r.ID, t0.Add(time.Minute))
	res, err = s.CloseRound(ctx, ch, closeReq, closeReq.At)
	mustApply(t, "close round", res, err, orders.Applied)
	inClosed := func(what string, res orders.Result, err error) {
		t.Helper()
		got := mustApply(t, what, res, err, orders.Replayed)
		if got.ID != r.ID || got.Open() || res.NoChange {
			t.Fatalf("%s: got round %q (open %v, no change %v), want the closed %s", what, got.ID, got.Open(), res.NoChange, r.ID)
		}
		wantItems(t, got, map[string]string{"U1": "mocha", "U2": "mocha"})
	}
	for _, when := range []string{"after the close", "after a newer round opened"} {
		res, err = s.SetOrder(ctx, ch, order("U2", "mocha", join.At), join, orders.NewRoundID(join.At))
		inClosed("the join delivered again "+when, res, err)
		res, err = s.CancelOrder(ctx, ch, "U3", cancel)
		inClosed("the cancel delivered again "+when, res, err)
		res, err = s.CloseRound(ctx, ch, closeReq, closeReq.At)
		inClosed("the close delivered again "+when, res, err)
		if when == "after the close" {
			wantNoOpenRound(t, s, "after the repeats")
			mustSet(t, s, ch, order("U4", "chai", t0.Add(2*time.Minute)))
		}
	}
	open, err := s.OpenRound(ctx, ch)
	if err != nil {
		t.Fatal(err)
	}
	wantItems(t, open, map[string]string{"U4": "chai"})
}

// testStaleNotRecorded: a stale click writes no request record — a request of the same
// user older than it, without a precondition, still applies — and neither does Abandon
// of it (issue #21): it is ErrStale there too, since the round it names never reopens and
// it can never apply. A stale close click given up was recorded and told "could not close:
// the round is still open", while another delivery of it said "already closed".
func testStaleNotRecorded(t *testing.T, s orders.Store) {
	ctx := context.Background()
	r := mustSet(t, s, ch, order("U1", "mocha", t0))
	if _, err := closeRound(s, ch, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	stale := click(r.ID, t0.Add(3*time.Minute))
	res, err := s.SetOrder(ctx, ch, order("U2", "mocha", stale.At), stale, orders.NewRoundID(stale.At))
	wantStale(t, "join a closed round", res, err)
	closeClick := click(r.ID, t0.Add(3*time.Minute))
	res, err = s.CloseRound(ctx, ch, closeClick, closeClick.At)
	wantStale(t, "close a closed round", res, err)
	// U2's typed order, sent before the click, arrives late: the click decided nothing.
	typed := req(t0.Add(2 * time.Minute))
	res, err = s.SetOrder(ctx, ch, order("U2", "tea", typed.At), typed, orders.NewRoundID(typed.At))
	next := mustApply(t, "an older typed order after the stale click", res, err, orders.Applied)
	wantItems(t, next, map[string]string{"U2": "tea"})
	// Given up, the stale close and a stale join are stale still, and write nothing: a
	// later delivery is told the same.
	res, err = s.Abandon(ctx, ch, orders.Target{Close: true}, closeClick)
	wantStale(t, "abandon the stale close", res, err)
	res, err = s.CloseRound(ctx, ch, closeClick, closeClick.At)
	wantStale(t, "the stale close delivered again after it was given up", res, err)
	later := click(r.ID, t0.Add(4*time.Minute))
	res, err = s.Abandon(ctx, ch, orders.Target{User: "U2"}, later)
	wantStale(t, "abandon a stale join", res, err)
	res, err = s.SetOrder(ctx, ch, order("U2", "mocha", later.At), later, orders.NewRoundID(later.At))
	wantStale(t, "the stale join delivered again after it was given up", res, err)
	// Not recorded: U2's typed order sent between the two clicks still applies.
	between := req(t0.Add(3*time.Minute + time.Second))
	res, err = s.SetOrder(ctx, ch, order("U2", "chai", between.At), between, orders.NewRoundID(between.At))
	mustApply(t, "a typed order older than the given-up stale join", res, err, orders.Applied)
	open, err := s.OpenRound(ctx, ch)
	if err != nil || open.ID != next.ID {
		t.Fatalf("got round %s, %v, want %s open", open.ID, err, next.ID)
	}
	wantItems(t, open, map[string]string{"U2": "chai"})
}

// testClickRaceClose: joins made on a round's message race its close, in many channels:
// each join is in the closed round's tally (Applied, or Replayed for another delivery of
// it) or ErrStale, and no join opens a round.
func testClickRaceClose(t *testing.T, s orders.Store) {
	const channels, users = 8, 12
	var wg sync.WaitGroup
	for i := range channels {
		wg.Go(func() { clickRace(t, s, orders.Channel{Team: "T1", Channel: fmt.Sprintf("C-click-%02d", i)}, users) })
	}
	wg.Wait()
}

func clickRace(t *testing.T, s orders.Store, c orders.Channel, users int) {
	r := mustSet(t, s, c, order("U-first", "opener", t0))
	answers, closed, closeErr := raceClicksWithClose(s, c, r.ID, users)
	if closeErr != nil {
		t.Errorf("%s: close: %v", c, closeErr)
		return
	}
	tally := items(closed.Round)
	joined := map[string]bool{}
	for _, a := range answers {
		switch {
		case errors.Is(a.err, orders.ErrStale):
		case a.err != nil:
			t.Errorf("%s: join of %s: %v", c, a.user, a.err)
		case a.res.Round.ID != r.ID || (a.res.Outcome != orders.Applied && a.res.Outcome != orders.Replayed):
			t.Errorf("%s: join of %s: got %v in round %s, want applied or replayed in %s", c, a.user, a.res.Outcome, a.res.Round.ID, r.ID)
		default:
			joined[a.user] = true
		}
	}
	for u := range joined {
		if _, ok := tally[u]; !ok {
			t.Errorf("%s: %s's join was acknowledged in %s but is not in its final tally %v", c, u, r.ID, tally)
		}
	}
	if len(tally) != len(joined)+1 {
		t.Errorf("%s: the final tally holds %d orders, want the opener and the %d acknowledged joins", c, len(tally), len(joined))
	}
	if open, err := s.OpenRound(context.Background(), c); !errors.Is(err, orders.ErrNoOpenRound) {
		t.Errorf("%s: a join opened round %s with %v (%v)", c, open.ID, items(open), err)
	}
}

// clickAnswer is the store's answer to one delivery of a user's join click.
type clickAnswer struct {
	user string
	res  orders.Result
	err  error
}

// raceClicksWithClose delivers users' join clicks on round rid twice each and a close
// made on it, all at once, and returns every answer.
func raceClicksWithClose(s orders.Store, c orders.Channel, rid string, users int) ([]clickAnswer, orders.Result, error) {
	ctx := context.Background()
	at := t0.Add(time.Second)
	answers := make(chan clickAnswer, 2*users)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range users {
		u := fmt.Sprintf("U%02d", i)
		join := click(rid, at)
		for range 2 { // two deliveries of each click
			wg.Go(func() {
				<-start
				res, err := s.SetOrder(ctx, c, order(u, "opener", at), join, orders.NewRoundID(at))
				answers <- clickAnswer{u, res, err}
			})
		}
	}
	var closed orders.Result
	var closeErr error
	wg.Go(func() {
		<-start
		closed, closeErr = s.CloseRound(ctx, c, click(rid, at), at)
	})
	close(start)
	wg.Wait()
	close(answers)
	var out []clickAnswer
	for a := range answers {
		out = append(out, a)
	}
	return out, closed, closeErr
}

// closeBy closes the open round of c at at on behalf of user.
func closeBy(t *testing.T, s orders.Store, c orders.Channel, user string, at time.Time) orders.Round {
	t.Helper()
	r := req(at)
	r.User = user
	res, err := s.CloseRound(context.Background(), c, r, at)
	return mustApply(t, "close by "+user, res, err, orders.Applied)
}

func listed(t *testing.T, s orders.Store, c orders.Channel, limit int, now time.Time) []orders.Round {
	t.Helper()
	rs, err := s.ClosedRounds(context.Background(), c, limit, now)
	if err != nil {
		t.Fatalf("ClosedRounds(%s, %d): %v", c, limit, err)
	}
	if rs == nil {
		t.Fatalf("ClosedRounds(%s, %d): got nil, want a slice", c, limit)
	}
	return rs
}

func ids(rs []orders.Round) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func wantIDs(t *testing.T, what string, rs []orders.Round, want ...orders.Round) {
	t.Helper()
	if fmt.Sprint(ids(rs)) != fmt.Sprint(ids(want)) {
		t.Fatalf("%s: got rounds %v, want %v", what, ids(rs), ids(want))
	}
}

// testClosedRounds: the last rounds closed, newest first, each with its orders, times
// and who opened and closed it; never the open round, never another channel's.
func testClosedRounds(t *testing.T, s orders.Store) {
	now := t0.Add(24 * time.Hour)
	if rs := listed(t, s, ch, 5, now); len(rs) != 0 {
		t.Fatalf("a channel without rounds: got %v, want none", ids(rs))
	}
	mustSet(t, s, ch, order("U1", "latte", t0))
	mustSet(t, s, ch, order("U2", "tea", t0.Add(time.Second)))
	r1 := closeBy(t, s, ch, "U9", t0.Add(time.Minute))
	mustSet(t, s, ch, order("U3", "mocha", t0.Add(2*time.Minute)))
	r2 := closeBy(t, s, ch, "U3", t0.Add(3*time.Minute))
	mustSet(t, s, ch, order("U1", "chai", t0.Add(4*time.Minute)))
	r3 := closeBy(t, s, ch, "U1", t0.Add(5*time.Minute))
	open := mustSet(t, s, ch, order("U2", "cocoa", t0.Add(6*time.Minute)))
	other := orders.Channel{Team: "T1", Channel: "C-other"}
	mustSet(t, s, other, order("U1", "water", t0))
	closeBy(t, s, other, "U1", t0.Add(time.Minute))

	wantIDs(t, "the last one", listed(t, s, ch, 1, now), r3)
	wantIDs(t, "the last two", listed(t, s, ch, 2, now), r3, r2)
	all := listed(t, s, ch, 10, now)
	wantIDs(t, "all", all, r3, r2, r1)
	for i, want := range []orders.Round{r3, r2, r1} {
		got := all[i]
		if got.Open() || !got.ClosedAt.Equal(want.ClosedAt) || !got.OpenedAt.Equal(want.OpenedAt) ||
			got.OpenedBy != want.OpenedBy || got.ClosedBy != want.ClosedBy || got.Channel != ch {
			t.Errorf("round %s: got %+v, want %+v", got.ID, got, want)
		}
		wantItems(t, got, items(want))
	}
	if r, err := s.OpenRound(context.Background(), ch); err != nil || r.ID != open.ID {
		t.Fatalf("the open round: got %s, %v, want %s", r.ID, err, open.ID)
	}
	if rs := listed(t, s, other, 10, now); len(rs) != 1 || rs[0].Orders[0].Item != "water" {
		t.Fatalf("the other channel: got %v, want its one round", ids(rs))
	}
}

// testOpenedClosedBy: a round names the user whose order opened it and the user who
// closed it — in the close's answer, its repeat, and the listing.
func testOpenedClosedBy(t *testing.T, s orders.Store) {
	ctx := context.Background()
	r := mustSet(t, s, ch, order("U1", "latte", t0))
	if r.OpenedBy != "U1" || r.ClosedBy != "" {
		t.Fatalf("opened: got opened by %q, closed by %q; want U1 and nobody", r.OpenedBy, r.ClosedBy)
	}
	mustSet(t, s, ch, order("U2", "tea", t0.Add(time.Second)))
	if _, err := cancelOrder(s, "U1", t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if open, _ := s.OpenRound(ctx, ch); open.OpenedBy != "U1" {
		t.Fatalf("after the opener withdrew: got opened by %q, want U1", open.OpenedBy)
	}
	closeReq := req(t0.Add(time.Minute))
	closeReq.User = "U7"
	res, err := s.CloseRound(ctx, ch, closeReq, closeReq.At)
	if got := mustApply(t, "close", res, err, orders.Applied); got.OpenedBy != "U1" || got.ClosedBy != "U7" {
		t.Fatalf("close: got opened by %q, closed by %q; want U1, U7", got.OpenedBy, got.ClosedBy)
	}
	next := mustSet(t, s, ch, order("U2", "mocha", t0.Add(2*time.Minute)))
	if next.OpenedBy != "U2" {
		t.Fatalf("the next round: got opened by %q, want U2", next.OpenedBy)
	}
	res, err = s.CloseRound(ctx, ch, closeReq, closeReq.At)
	if got := mustApply(t, "the close again", res, err, orders.Replayed); got.ClosedBy != "U7" || got.ID != r.ID {
		t.Fatalf("the close again: got round %s closed by %q, want %s by U7", got.ID, got.ClosedBy, r.ID)
	}
	if rs := listed(t, s, ch, 1, t0.Add(time.Hour)); len(rs) != 1 || rs[0].OpenedBy != "U1" || rs[0].ClosedBy != "U7" {
		t.Fatalf("listed: got opened by %q, closed by %q; want U1, U7", rs[0].OpenedBy, rs[0].ClosedBy)
	}
}

// testHistoryExpiry: a closed round is listed until orders.DefaultHistoryTTL after its
// close, and not after (a fake clock: the listing's now).
func testHistoryExpiry(t *testing.T, s orders.Store) {
	mustSet(t, s, ch, order("U1", "latte", t0))
	old := closeBy(t, s, ch, "U1", t0.Add(time.Minute))
	mustSet(t, s, ch, order("U1", "tea", t0.Add(10*24*time.Hour)))
	recent := closeBy(t, s, ch, "U1", t0.Add(10*24*time.Hour+time.Minute))
	expires := old.ClosedAt.Add(orders.DefaultHistoryTTL)
	wantIDs(t, "a second before the old round expires", listed(t, s, ch, 5, expires.Add(-time.Second)), recent, old)
	wantIDs(t, "a second after", listed(t, s, ch, 5, expires.Add(time.Second)), recent)
	wantIDs(t, "one asked for, a second after", listed(t, s, ch, 1, expires.Add(time.Second)), recent)
	wantIDs(t, "after both expired", listed(t, s, ch, 5, recent.ClosedAt.Add(orders.DefaultHistoryTTL+time.Second)))
}

func setDeadline(t *testing.T, s orders.Store, at time.Time, r orders.Request, want orders.Outcome) orders.Round {
	t.Helper()
	res, err := s.SetDeadline(context.Background(), ch, at, r)
	return mustApply(t, fmt.Sprintf("deadline %v by %s", at, r.ID), res, err, want)
}

func wantDeadline(t *testing.T, what string, r orders.Round, at time.Time, by string) {
	t.Helper()
	if !r.Deadline.Equal(at) || r.DeadlineBy != by {
		t.Fatalf("%s: got deadline %v by %q, want %v by %q", what, r.Deadline, r.DeadlineBy, at, by)
	}
}

// testDeadline: a deadline is set, replaced by a newer request, not by an older one,
// and removed; repeats are replayed; a click's precondition holds for deadlines too.
func testDeadline(t *testing.T, s orders.Store) {
	ctx := context.Background()
	open := mustSet(t, s, ch, order("U1", "latte", t0))
	noon, one := t0.Add(3*time.Hour), t0.Add(4*time.Hour)
	d1 := req(t0.Add(time.Minute))
	wantDeadline(t, "set", setDeadline(t, s, noon, d1, orders.Applied), noon, d1.ID)
	r, _ := s.OpenRound(ctx, ch)
	wantDeadline(t, "the open round", r, noon, d1.ID)
	wantDeadline(t, "an older request", setDeadline(t, s, one, req(t0.Add(30*time.Second)), orders.Superseded), noon, d1.ID)
	d2 := req(t0.Add(2 * time.Minute))
	wantDeadline(t, "replaced", setDeadline(t, s, one, d2, orders.Applied), one, d2.ID)
	wantDeadline(t, "the first again: as the round is now", setDeadline(t, s, noon, d1, orders.Replayed), one, d2.ID)
	d3 := req(t0.Add(3 * time.Minute))
	wantDeadline(t, "removed", setDeadline(t, s, time.Time{}, d3, orders.Applied), time.Time{}, "")
	wantDeadline(t, "the replacement again", setDeadline(t, s, one, d2, orders.Replayed), time.Time{}, "")
	wantDeadline(t, "a request older than the removal", setDeadline(t, s, noon, req(t0.Add(150*time.Second)), orders.Superseded), time.Time{}, "")
	res, err := s.SetDeadline(ctx, ch, noon, click("no-such-round", t0.Add(4*time.Minute)))
	wantStale(t, "a deadline on another round", res, err)
	d4 := click(open.ID, t0.Add(5*time.Minute))
	if got := setDeadline(t, s, noon, d4, orders.Applied); got.ID != open.ID {
		t.Fatalf("a deadline on its round: got round %s, want %s", got.ID, open.ID)
	}
	r, _ = s.OpenRound(ctx, ch)
	wantDeadline(t, "at the end", r, noon, d4.ID)
	wantItems(t, r, map[string]string{"U1": "latte"})
}

// testDeadlineNoRound: without an open round a deadline is ErrNoOpenRound, and stays so
// for every delivery, even once a late order older than the request opened a round; a
// round opened after the request is not the one it meant.
func testDeadlineNoRound(t *testing.T, s orders.Store) {
	ctx := context.Background()
	d1 := req(t0.Add(time.Minute))
	if _, err := s.SetDeadline(ctx, ch, t0.Add(time.Hour), d1); !errors.Is(err, orders.ErrNoOpenRound) {
		t.Fatalf("no round: got %v, want ErrNoOpenRound", err)
	}
	mustSet(t, s, ch, order("U1", "latte", t0)) // older than d1: the round opened before it
	if _, err := s.SetDeadline(ctx, ch, t0.Add(time.Hour), d1); !errors.Is(err, orders.ErrNoOpenRound) {
		t.Fatalf("the same request again: got %v, want ErrNoOpenRound as the first time", err)
	}
	closeBy(t, s, ch, "U1", t0.Add(2*time.Minute))
	mustSet(t, s, ch, order("U2", "tea", t0.Add(time.Hour)))
	if _, err := s.SetDeadline(ctx, ch, t0.Add(2*time.Hour), req(t0.Add(30*time.Minute))); !errors.Is(err, orders.ErrNoOpenRound) {
		t.Fatalf("a round opened after the request: got %v, want ErrNoOpenRound", err)
	}
	res, err := s.Abandon(ctx, ch, orders.Target{Deadline: true}, d1)
	if err != nil || res.Outcome != orders.Replayed || !res.NoChange {
		t.Fatalf("abandon the recorded request: got %+v, %v; want replayed with no change", res, err)
	}
	r, _ := s.OpenRound(ctx, ch)
	wantDeadline(t, "the open round", r, time.Time{}, "")
}

// testDeadlineReplay: a deadline request that took effect is replayed with its round
// after the round closed and another opened — it never sets the new round's deadline —
// and Abandon fences one that did not.
func testDeadlineReplay(t *testing.T, s orders.Store) {
	ctx := context.Background()
	mustSet(t, s, ch, order("U1", "latte", t0))
	d1 := req(t0.Add(time.Minute))
	first := setDeadline(t, s, t0.Add(time.Hour), d1, orders.Applied)
	closeBy(t, s, ch, "U1", t0.Add(2*time.Minute))
	next := mustSet(t, s, ch, order("U2", "tea", t0.Add(3*time.Minute)))
	again := setDeadline(t, s, t0.Add(time.Hour), d1, orders.Replayed)
	if again.ID != first.ID || again.Open() {
		t.Fatalf("the request again: got round %s (open %v), want the closed %s", again.ID, again.Open(), first.ID)
	}
	wantDeadline(t, "its closed round", again, t0.Add(time.Hour), d1.ID)
	res, err := s.Abandon(ctx, ch, orders.Target{Deadline: true}, d1)
	if r := mustApply(t, "abandon it", res, err, orders.Replayed); r.ID != first.ID {
		t.Fatalf("abandon it: got round %s, want %s", r.ID, first.ID)
	}
	d2 := req(t0.Add(4 * time.Minute))
	res, err = s.Abandon(ctx, ch, orders.Target{Deadline: true}, d2)
	mustApply(t, "abandon a deadline", res, err, orders.Applied)
	if r := setDeadline(t, s, t0.Add(time.Hour), d2, orders.Replayed); r.ID != "" {
		t.Fatalf("the abandoned request: got round %s, want none", r.ID)
	}
	r, _ := s.OpenRound(ctx, ch)
	if r.ID != next.ID {
		t.Fatalf("got round %s open, want %s", r.ID, next.ID)
	}
	wantDeadline(t, "the next round", r, time.Time{}, "")
}

// testManyDeadlines: more deadline changes than a store keeps records of all apply, the
// latest ones are recognised when delivered again, and an old one changes nothing.
func testManyDeadlines(t *testing.T, s orders.Store) {
	mustSet(t, s, ch, order("U1", "latte", t0))
	var reqs []orders.Request
	for i := range 40 {
		reqs = append(reqs, req(t0.Add(time.Duration(i+1)*time.Second)))
		setDeadline(t, s, t0.Add(time.Duration(i+1)*time.Hour), reqs[i], orders.Applied)
	}
	last := reqs[len(reqs)-1]
	wantDeadline(t, "the last again", setDeadline(t, s, t0.Add(40*time.Hour), last, orders.Replayed), t0.Add(40*time.Hour), last.ID)
	res, err := s.SetDeadline(context.Background(), ch, t0.Add(time.Hour), reqs[0])
	if err != nil || res.Outcome == orders.Applied {
		t.Fatalf("the first again: got %+v, %v; want replayed or superseded", res, err)
	}
	wantDeadline(t, "the first again", res.Round, t0.Add(40*time.Hour), last.ID)
}

// testDeadlineSurvives: orders set, replaced and withdrawn leave the deadline alone, and
// the closed round keeps it; the next round starts without one.
func testDeadlineSurvives(t *testing.T, s orders.Store) {
	mustSet(t, s, ch, order("U1", "latte", t0))
	d := req(t0.Add(time.Minute))
	noon := t0.Add(3 * time.Hour)
	setDeadline(t, s, noon, d, orders.Applied)
	wantDeadline(t, "after an order", mustSet(t, s, ch, order("U2", "tea", t0.Add(2*time.Minute))), noon, d.ID)
	wantDeadline(t, "after a replaced order", mustSet(t, s, ch, order("U1", "mocha", t0.Add(3*time.Minute))), noon, d.ID)
	res, err := cancelOrder(s, "U2", t0.Add(4*time.Minute))
	wantDeadline(t, "after a withdrawal", mustApply(t, "cancel", res, err, orders.Applied), noon, d.ID)
	closed := closeBy(t, s, ch, "U1", t0.Add(5*time.Minute))
	wantDeadline(t, "the closed round", closed, noon, d.ID)
	rs := listed(t, s, ch, 1, t0.Add(time.Hour))
	wantIDs(t, "listed", rs, closed)
	wantDeadline(t, "listed", rs[0], noon, d.ID)
	wantDeadline(t, "the next round", mustSet(t, s, ch, order("U1", "tea", t0.Add(6*time.Minute))), time.Time{}, "")
}

// schedule is the close a scheduler fires for the deadline request deadline set.
func schedule(deadline orders.Request, at time.Time) orders.Request {
	return orders.Request{ID: "sched-" + deadline.ID, At: at, DeadlineBy: deadline.ID}
}

// testScheduleStale: the schedule of a replaced or removed deadline (or of a request
// that never set one) closes nothing; the current deadline's schedule closes the round,
// which names the deadline as its closer.
func testScheduleStale(t *testing.T, s orders.Store) {
	ctx := context.Background()
	r := mustSet(t, s, ch, order("U1", "latte", t0))
	d1, d2 := req(t0.Add(time.Minute)), req(t0.Add(2*time.Minute))
	setDeadline(t, s, t0.Add(time.Hour), d1, orders.Applied)
	setDeadline(t, s, t0.Add(2*time.Hour), d2, orders.Applied)
	for _, sched := range []orders.Request{schedule(d1, t0.Add(time.Hour)), schedule(req(t0), t0.Add(time.Hour))} {
		res, err := s.CloseRound(ctx, ch, sched, sched.At)
		wantStale(t, "the schedule of "+sched.DeadlineBy, res, err)
	}
	if open, err := s.OpenRound(ctx, ch); err != nil || open.ID != r.ID {
		t.Fatalf("after stale schedules: got %s, %v, want %s open", open.ID, err, r.ID)
	}
	sched := schedule(d2, t0.Add(2*time.Hour))
	res, err := s.CloseRound(ctx, ch, sched, sched.At)
	closed := mustApply(t, "the current deadline's schedule", res, err, orders.Applied)
	if closed.ID != r.ID || closed.ClosedBy != orders.ClosedByDeadline || !closed.ClosedAt.Equal(sched.At) {
		t.Fatalf("scheduled close: got round %s closed by %q at %v, want %s by %q at %v", closed.ID, closed.ClosedBy, closed.ClosedAt, r.ID, orders.ClosedByDeadline, sched.At)
	}

	mustSet(t, s, ch, order("U1", "tea", t0.Add(3*time.Hour)))
	d3, d4 := req(t0.Add(3*time.Hour+time.Minute)), req(t0.Add(3*time.Hour+2*time.Minute))
	setDeadline(t, s, t0.Add(4*time.Hour), d3, orders.Applied)
	setDeadline(t, s, time.Time{}, d4, orders.Applied)
	res, err = s.CloseRound(ctx, ch, schedule(d3, t0.Add(4*time.Hour)), t0.Add(4*time.Hour))
	wantStale(t, "the schedule of a removed deadline", res, err)
	if _, err := s.OpenRound(ctx, ch); err != nil {
		t.Fatalf("after the schedule of a removed deadline: %v, want the round open", err)
	}
}

// testScheduleTwice: a scheduler fires at least once: every firing of one schedule
// closes the round once — the others are Replayed with it — also when they race, and
// also after the next round opened.
func testScheduleTwice(t *testing.T, s orders.Store) {
	ctx := context.Background()
	r := mustSet(t, s, ch, order("U1", "latte", t0))
	d := req(t0.Add(time.Minute))
	setDeadline(t, s, t0.Add(time.Hour), d, orders.Applied)
	sched := schedule(d, t0.Add(time.Hour))
	var wg sync.WaitGroup
	var applied atomic.Int32
	for range 8 {
		wg.Go(func() {
			res, err := s.CloseRound(ctx, ch, sched, sched.At)
			switch {
			case err != nil:
				t.Errorf("a firing: %v", err)
			case res.Round.ID != r.ID || res.Round.Open() || res.Round.ClosedBy != orders.ClosedByDeadline:
				t.Errorf("a firing: got round %s (open %v, closed by %q), want %s closed by the deadline", res.Round.ID, res.Round.Open(), res.Round.ClosedBy, r.ID)
			case res.Outcome == orders.Applied:
				applied.Add(1)
			case res.Outcome != orders.Replayed:
				t.Errorf("a firing: got %v, want applied or replayed", res.Outcome)
			}
		})
	}
	wg.Wait()
	if n := applied.Load(); n != 1 {
		t.Fatalf("got %d firings applied, want 1", n)
	}
	next := mustSet(t, s, ch, order("U2", "tea", t0.Add(2*time.Hour)))
	res, err := s.CloseRound(ctx, ch, sched, t0.Add(2*time.Hour))
	if got := mustApply(t, "a firing after the next round opened", res, err, orders.Replayed); got.ID != r.ID {
		t.Fatalf("a late firing: got round %s, want %s", got.ID, r.ID)
	}
	if open, err := s.OpenRound(ctx, ch); err != nil || open.ID != next.ID {
		t.Fatalf("after a late firing: got %s, %v, want %s open", open.ID, err, next.ID)
	}
}

// testScheduleAfterHandClose: a round closed by hand before its deadline: the deadline's
// schedule is ErrStale (not ErrNoOpenRound) and changes nothing, also once a new round is
// open; the round names who closed it.
func testScheduleAfterHandClose(t *testing.T, s orders.Store) {
	ctx := context.Background()
	mustSet(t, s, ch, order("U1", "latte", t0))
	d := req(t0.Add(time.Minute))
	setDeadline(t, s, t0.Add(time.Hour), d, orders.Applied)
	byHand := closeBy(t, s, ch, "U9", t0.Add(30*time.Minute))
	sched := schedule(d, t0.Add(time.Hour))
	res, err := s.CloseRound(ctx, ch, sched, sched.At)
	wantStale(t, "the schedule after a close by hand", res, err)
	wantNoOpenRound(t, s, "after the schedule")
	next := mustSet(t, s, ch, order("U2", "tea", t0.Add(40*time.Minute)))
	res, err = s.CloseRound(ctx, ch, sched, sched.At)
	wantStale(t, "the schedule fired again, with a new round open", res, err)
	if open, err := s.OpenRound(ctx, ch); err != nil || open.ID != next.ID {
		t.Fatalf("after the schedule: got %s, %v, want %s open", open.ID, err, next.ID)
	}
	rs := listed(t, s, ch, 5, t0.Add(2*time.Hour))
	wantIDs(t, "closed rounds", rs, byHand)
	if rs[0].ClosedBy != "U9" || !rs[0].ClosedAt.Equal(byHand.ClosedAt) {
		t.Fatalf("closed rounds: got %s closed by %q at %v, want by U9 at %v", rs[0].ID, rs[0].ClosedBy, rs[0].ClosedAt, byHand.ClosedAt)
	}
}
