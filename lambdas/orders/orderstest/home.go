package orderstest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/orders"
)

// homeStore is a store with a Home index (both stores).
type homeStore interface {
	orders.Store
	orders.HomeIndex
}

// runHome runs the App Home part of the suite (Run calls it; every store of this
// repository implements orders.HomeIndex).
func runHome(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		fn   func(*testing.T, homeStore)
	}{
		{"Home/ChannelsMostRecentFirstPerUser", testHomeChannels},
		{"Home/IndexIsBounded", testHomeBounded},
		{"Home/IndexExpiresWithHistory", testHomeExpires},
		{"Home/ShowsOnlyWhatTheRoundsHold", testHomeFromRounds},
		{"Home/RecurringRoundsOfTheUsersChannels", testHomeRecurring},
		{"Home/IndexNotedWhenAnOrderEntersARound", testHomeNotedOnce},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, ok := newStore(t).(homeStore)
			if !ok {
				t.Fatal("the store does not implement orders.HomeIndex")
			}
			tc.fn(t, s)
		})
	}
}

var homeT0 = time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC)

func note(t *testing.T, s homeStore, team, channel, user string, at time.Time) {
	t.Helper()
	if err := s.NoteOrderChannel(context.Background(), orders.Channel{Team: team, Channel: channel}, user, at); err != nil {
		t.Fatalf("NoteOrderChannel(%s/%s, %s): %v", team, channel, user, err)
	}
}

func wantChannels(t *testing.T, s homeStore, team, user string, now time.Time, want []string) {
	t.Helper()
	got, err := s.OrderChannels(context.Background(), team, user, now)
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("OrderChannels(%s, %s): got %v, %v; want %v, nil", team, user, got, err, want)
	}
}

func testHomeChannels(t *testing.T, s homeStore) {
	note(t, s, "T1", "C1", "U1", homeT0)
	note(t, s, "T1", "C2", "U1", homeT0.Add(time.Minute))
	note(t, s, "T1", "C1", "U1", homeT0.Add(2*time.Minute))
	note(t, s, "T1", "C3", "U2", homeT0)
	note(t, s, "T2", "C9", "U1", homeT0)
	wantChannels(t, s, "T1", "U1", homeT0.Add(time.Hour), []string{"C1", "C2"})
	wantChannels(t, s, "T1", "U2", homeT0.Add(time.Hour), []string{"C3"})
	wantChannels(t, s, "T2", "U1", homeT0.Add(time.Hour), []string{"C9"})
	wantChannels(t, s, "T1", "U3", homeT0.Add(time.Hour), []string{})
}

func testHomeBounded(t *testing.T, s homeStore) {
	var want []string
	for i := range orders.MaxHomeChannels + 3 {
		c := fmt.Sprintf("C%02d", i)
		note(t, s, "T1", c, "U1", homeT0.Add(time.Duration(i)*time.Second))
		want = append([]string{c}, want...)
	}
	wantChannels(t, s, "T1", "U1", homeT0.Add(time.Hour), want[:orders.MaxHomeChannels])
}

func testHomeExpires(t *testing.T, s homeStore) {
	note(t, s, "T1", "C1", "U1", homeT0)
	note(t, s, "T1", "C2", "U1", homeT0.Add(orders.DefaultHistoryTTL))
	wantChannels(t, s, "T1", "U1", homeT0.Add(orders.DefaultHistoryTTL+time.Hour), []string{"C2"})
}

// The Home reads the rounds: an order withdrawn is gone from it, an order in a closed
// round is among the last orders, the open round holding one is listed with it.
func testHomeFromRounds(t *testing.T, s homeStore) {
	svc := &orders.Service{Store: s, Now: func() time.Time { return homeT0.Add(time.Hour) }}
	ctx := context.Background()
	c1, c2, c3 := orders.Channel{Team: "T1", Channel: "C1"}, orders.Channel{Team: "T1", Channel: "C2"}, orders.Channel{Team: "T1", Channel: "C3"}
	for i, c := range []orders.Channel{c1, c2, c3} {
		at := homeT0.Add(time.Duration(i) * time.Minute)
		if _, err := svc.Set(ctx, c, "U1", "kim", fmt.Sprintf("latte %d", i+1), req(at)); err != nil {
			t.Fatalf("Set in %s: %v", c, err)
		}
	}
	if _, err := svc.Set(ctx, c1, "U2", "park", "tea", req(homeT0.Add(3*time.Minute))); err != nil {
		t.Fatal(err)
	}
	if _, err := closeRound(s, c2, homeT0.Add(4*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Cancel(ctx, c3, "U1", req(homeT0.Add(5*time.Minute))); err != nil {
		t.Fatal(err)
	}
	h, err := svc.Home(ctx, "T1", "U1")
	if err != nil {
		t.Fatalf("Home: %v", err)
	}
	var open, last []string
	for _, o := range h.Open {
		open = append(open, fmt.Sprintf("%s:%s:%d", o.Round.Channel.Channel, o.Order.Item, len(o.Round.Orders)))
	}
	for _, o := range h.Last {
		last = append(last, o.Round.Channel.Channel+":"+o.Order.Item)
	}
	if want := []string{"C1:latte 1:2"}; !slices.Equal(open, want) {
		t.Errorf("Home open rounds: got %v, want %v (C3's order was withdrawn, C2's round closed)", open, want)
	}
	if want := []string{"C2:latte 2"}; !slices.Equal(last, want) {
		t.Errorf("Home last orders: got %v, want %v", last, want)
	}
}

// testHomeRecurring: the Home lists the active recurring rounds of the user's channels —
// not a stopped one, not one of a channel they never ordered in — and an open round of
// their channel without their order is among Waiting with their last order there.
func testHomeRecurring(t *testing.T, s homeStore) {
	rs, ok := s.(orders.RecurringStore)
	if !ok {
		t.Fatal("the store does not implement orders.RecurringStore")
	}
	svc := &orders.Service{Store: s, Now: func() time.Time { return homeT0.Add(time.Hour) }}
	ctx := context.Background()
	c1, c2 := orders.Channel{Team: "T1", Channel: "C1"}, orders.Channel{Team: "T1", Channel: "C2"}
	if _, err := svc.Set(ctx, c1, "U1", "kim", "latte", req(homeT0)); err != nil {
		t.Fatal(err)
	}
	if _, err := closeRound(s, c1, homeT0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Set(ctx, c1, "U2", "park", "tea", req(homeT0.Add(2*time.Minute))); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		ch orders.Channel
		id string
	}{{c1, "rec-a"}, {c1, "rec-b"}, {c2, "rec-c"}} {
		if _, err := rs.AddRecurring(ctx, r.ch, recurring(r.id, "U2", homeT0)); err != nil {
			t.Fatalf("AddRecurring %s: %v", r.id, err)
		}
	}
	if _, err := rs.StopRecurring(ctx, c1, "rec-b", "U2", homeT0.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	h, err := svc.Home(ctx, "T1", "U1")
	if err != nil {
		t.Fatalf("Home: %v", err)
	}
	var got []string
	for _, r := range h.Recurring {
		got = append(got, r.Channel.Channel+":"+r.Recurring.ID)
	}
	if want := []string{"C1:rec-a"}; !slices.Equal(got, want) {
		t.Errorf("Home recurring rounds: got %v, want %v (rec-b stopped, C2 not U1's channel)", got, want)
	}
	if len(h.Open) != 0 || len(h.Waiting) != 1 || h.Waiting[0].Order.Item != "latte" || len(h.Waiting[0].Round.Orders) != 1 {
		t.Errorf("Home open rounds: got open %+v waiting %+v, want none open and C1's round waiting with U1's last order latte", h.Open, h.Waiting)
	}
}

// countingHome counts the Home index writes of the store it wraps.
type countingHome struct {
	homeStore
	notes int
}

func (c *countingHome) NoteOrderChannel(ctx context.Context, ch orders.Channel, user string, at time.Time) error {
	c.notes++
	return c.homeStore.NoteOrderChannel(ctx, ch, user, at)
}

// testHomeNotedOnce: the order path writes the Home index only when an order enters a
// round (SetOrder's NewOrder) or a Set is Replayed (the rerun of one whose note failed) —
// not when someone changes their order — and the Home still shows the order the round
// holds.
func testHomeNotedOnce(t *testing.T, s homeStore) {
	c := &countingHome{homeStore: s}
	svc := &orders.Service{Store: c, Now: func() time.Time { return homeT0.Add(time.Hour) }}
	ctx, c1 := context.Background(), orders.Channel{Team: "T1", Channel: "C1"}
	var news []bool
	var last orders.Request
	for i, step := range []struct{ user, item string }{{"U1", "latte"}, {"U1", "mocha"}, {"U1", "tea"}, {"U2", "juice"}, {"U1", ""}, {"U1", "green tea"}} {
		r := req(homeT0.Add(time.Duration(i) * time.Second))
		last = r
		var res orders.Result
		var err error
		if step.item == "" {
			_, err = svc.Cancel(ctx, c1, step.user, r)
		} else {
			res, err = svc.Set(ctx, c1, step.user, step.user, step.item, r)
			news = append(news, res.NewOrder)
		}
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if want := []bool{true, false, false, true, true}; !slices.Equal(news, want) {
		t.Errorf("SetOrder NewOrder: got %v, want %v (added, replaced, replaced, added, added after a cancel)", news, want)
	}
	if c.notes != 3 {
		t.Errorf("Home index writes: got %d, want 3 (U1's first order, U2's, U1's after the cancel)", c.notes)
	}
	if res, err := svc.Set(ctx, c1, "U1", "U1", "green tea", last); err != nil || res.Outcome != orders.Replayed || c.notes != 4 {
		t.Errorf("the last Set delivered again: got %v, %v and %d writes; want Replayed, noted again (4)", res.Outcome, err, c.notes)
	}
	h, err := svc.Home(ctx, "T1", "U1")
	if err != nil || len(h.Open) != 1 || h.Open[0].Order.Item != "green tea" {
		t.Errorf("Home: got %+v, %v; want C1's round with U1's green tea", h.Open, err)
	}
}
