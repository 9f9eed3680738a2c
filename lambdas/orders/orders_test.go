package orders

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCleanItem(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"iced americano", "iced americano", nil},
		{"  latte \n", "latte", nil},
		{"two\nlines", "two\nlines", nil},
		{"아이스 아메리카노 ☕️", "아이스 아메리카노 ☕️", nil},
		{`'"\+%&=$#`, `'"\+%&=$#`, nil},
		{strings.Repeat("가", MaxItemRunes), strings.Repeat("가", MaxItemRunes), nil},
		{strings.Repeat("가", MaxItemRunes+1), "", ErrItemTooLong},
		{" " + strings.Repeat("a", MaxItemRunes) + " ", strings.Repeat("a", MaxItemRunes), nil},
		{"", "", ErrEmptyItem},
		{" \n\t ", "", ErrEmptyItem},
		{"tab\there", "", ErrInvalidItem},
		{"nul\x00", "", ErrInvalidItem},
		{"cr\rlf", "", ErrInvalidItem},
		{"esc\x1b[31m", "", ErrInvalidItem},
		{"del\x7f", "", ErrInvalidItem},
		{"c1\u0085x", "", ErrInvalidItem},
		{"bad \xff utf8", "", ErrInvalidItem},
		{"literal \uFFFD replacement", "", ErrInvalidItem},
	}
	for _, tc := range tests {
		got, err := CleanItem(tc.in)
		if !errors.Is(err, tc.err) || got != tc.want {
			t.Errorf("CleanItem(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestItemKey(t *testing.T) {
	same := [][]string{
		{"Iced Americano", "iced americano", "  ICED   americano ", "iced\namericano"},
		{"라떼", "라떼 "},
	}
	for _, group := range same {
		for _, s := range group[1:] {
			if ItemKey(s) != ItemKey(group[0]) {
				t.Errorf("ItemKey(%q) = %q, ItemKey(%q) = %q; want equal", s, ItemKey(s), group[0], ItemKey(group[0]))
			}
		}
	}
	if ItemKey("latte") == ItemKey("lattes") {
		t.Error("different items share a key")
	}
}

func TestTally(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	r := Round{Orders: []Order{
		{User: "U3", Item: "latte", At: t0.Add(3)},
		{User: "U1", Item: "Iced Americano", At: t0.Add(1)},
		{User: "U2", Item: "iced  americano", At: t0.Add(2)},
		{User: "U4", Item: "tea", At: t0.Add(4)},
		{User: "U5", Item: "Latte", At: t0.Add(5)},
		{User: "U6", Item: "ICED AMERICANO", At: t0.Add(6)},
	}}
	got := Tally(r)
	want := []struct {
		item  string
		users string
	}{
		{"Iced Americano", "U1 U2 U6"},
		{"latte", "U3 U5"},
		{"tea", "U4"},
	}
	if len(got) != len(want) {
		t.Fatalf("Tally = %+v", got)
	}
	for i, w := range want {
		var users []string
		for _, o := range got[i].Orders {
			users = append(users, o.User)
		}
		if got[i].Item != w.item || strings.Join(users, " ") != w.users {
			t.Errorf("group %d = %q by %v, want %q by %s", i, got[i].Item, users, w.item, w.users)
		}
	}
	if len(Tally(Round{})) != 0 {
		t.Error("empty round has groups")
	}
}

func TestNewRoundIDSortsByTime(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	a, b := NewRoundID(t0), NewRoundID(t0.Add(time.Nanosecond))
	if !(a < b) || NewRoundID(t0) == a {
		t.Fatalf("ids %s, %s: not sortable or not unique", a, b)
	}
}

// recordingStore fails the test if the service reaches the store with invalid input.
type recordingStore struct {
	Store
	calls int
}

func (s *recordingStore) SetOrder(context.Context, Channel, Order, Request, string) (Result, error) {
	s.calls++
	return Result{}, nil
}

func TestServiceRejectsBeforeStore(t *testing.T) {
	st := &recordingStore{}
	svc := &Service{Store: st}
	ctx := context.Background()
	ch := Channel{Team: "T", Channel: "C"}
	req := Request{ID: "r1", At: time.Unix(1_800_000_000, 0)}
	for _, c := range []struct {
		ch         Channel
		user, item string
		err        error
	}{
		{ch, "U", "", ErrEmptyItem},
		{ch, "U", strings.Repeat("x", 201), ErrItemTooLong},
		{ch, "", "latte", ErrInvalidInput},
		{Channel{Team: "T"}, "U", "latte", ErrInvalidInput},
	} {
		if _, err := svc.Set(ctx, c.ch, c.user, "", c.item, req); !errors.Is(err, c.err) {
			t.Errorf("Set(%v, %q, %q) = %v, want %v", c.ch, c.user, c.item, err, c.err)
		}
	}
	if _, err := svc.Set(ctx, ch, "U", "", "latte", Request{}); !errors.Is(err, ErrNoRequest) {
		t.Errorf("Set without a request: got %v, want ErrNoRequest", err)
	}
	if st.calls != 0 {
		t.Fatalf("store called %d times for invalid input", st.calls)
	}
	if _, err := svc.Set(ctx, ch, "U", "", " latte ", req); err != nil || st.calls != 1 {
		t.Fatalf("valid Set: %v, calls %d", err, st.calls)
	}
}

// listingStore answers ClosedRounds with the now it was given.
type listingStore struct {
	Store
	calls int
	now   time.Time
}

func (s *listingStore) ClosedRounds(_ context.Context, _ Channel, _ int, now time.Time) ([]Round, error) {
	s.calls++
	s.now = now
	return []Round{}, nil
}

func (s *listingStore) Abandon(context.Context, Channel, Target, Request) (Result, error) {
	s.calls++
	return Result{}, nil
}

func (s *listingStore) SetDeadline(context.Context, Channel, time.Time, Request) (Result, error) {
	s.calls++
	return Result{}, nil
}

func TestServiceHistoryAndDeadline(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	st := &listingStore{}
	svc := &Service{Store: st, Now: func() time.Time { return t0 }}
	ctx := context.Background()
	ch := Channel{Team: "T", Channel: "C"}
	if _, err := svc.ClosedRounds(ctx, ch, 0); !errors.Is(err, ErrInvalidLimit) {
		t.Errorf("ClosedRounds(limit 0): got %v, want ErrInvalidLimit", err)
	}
	if _, err := svc.ClosedRounds(ctx, Channel{Team: "T"}, 5); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("ClosedRounds(no channel): got %v, want ErrInvalidInput", err)
	}
	if _, err := svc.SetDeadline(ctx, ch, t0, Request{}); !errors.Is(err, ErrNoRequest) {
		t.Errorf("SetDeadline without a request: got %v, want ErrNoRequest", err)
	}
	if st.calls != 0 {
		t.Fatalf("store called %d times for invalid input", st.calls)
	}
	if rs, err := svc.ClosedRounds(ctx, ch, 5); err != nil || rs == nil || !st.now.Equal(t0) {
		t.Fatalf("ClosedRounds: got %v, %v, now %v; want the store asked at the service's now %v", rs, err, st.now, t0)
	}
	if _, err := svc.SetDeadline(ctx, ch, t0, Request{ID: "r", At: t0}); err != nil || st.calls != 2 {
		t.Fatalf("SetDeadline: got %v after %d calls, want it to reach the store", err, st.calls)
	}
	if _, err := svc.Abandon(ctx, ch, Target{Deadline: true}, Request{ID: "r", At: t0}); err != nil || st.calls != 3 {
		t.Fatalf("Abandon of a deadline request: got %v after %d calls, want it to reach the store", err, st.calls)
	}
}

// TestNewerOrdersBySignedSecondFirst: a user's requests are ordered by (signed second,
// receive time, id); either side unsigned falls back to receive time (issue #21).
func TestNewerOrdersBySignedSecondFirst(t *testing.T) {
	t0 := time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC)
	signed := func(id string, sec, recv time.Duration) Request {
		return Request{ID: id, Signed: t0.Add(sec), At: t0.Add(recv)}
	}
	for _, tc := range []struct {
		name string
		r, o Request
		want bool
	}{
		{"a replay received later, signed a second earlier", signed("a", 0, 9*time.Second), signed("b", time.Second, 2*time.Second), false},
		{"signed later, received earlier (skew)", signed("b", time.Second, 0), signed("a", 0, 5*time.Minute), true},
		{"same second: receive time", signed("a", 0, 2*time.Second), signed("b", 0, time.Second), true},
		{"same second and instant: id", signed("b", 0, 0), signed("a", 0, 0), true},
		{"record unsigned: receive time", signed("a", 0, 2*time.Second), Request{ID: "b", At: t0.Add(time.Second)}, true},
		{"request unsigned: receive time", Request{ID: "a", At: t0}, signed("b", -time.Minute, -time.Second), true},
	} {
		if got := tc.r.Newer(tc.o); got != tc.want {
			t.Errorf("%s: got Newer %v, want %v", tc.name, got, tc.want)
		}
	}
}
