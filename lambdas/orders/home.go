package orders

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// MaxHomeChannels bounds a user's Home index: the channels they ordered in most recently.
const MaxHomeChannels = 10

// MaxHomeOrders is how many of a user's latest orders the Home lists.
const MaxHomeOrders = 10

// HomeIndex keeps, per user, the channels they ordered in: what the App Home needs to
// find their rounds, since rounds are kept per channel. It holds channel ids only, never
// orders, so it cannot disagree with a round about one: the Home reads the rounds.
// Both stores implement it next to Store.
type HomeIndex interface {
	// NoteOrderChannel records that user ordered in ch at `at`. An entry lives as long as
	// closed rounds stay in history after `at`; the MaxHomeChannels most recent are kept.
	NoteOrderChannel(ctx context.Context, ch Channel, user string, at time.Time) error
	// OrderChannels returns the channels of team user ordered in, most recent first,
	// those noted longer than the history TTL before now left out.
	OrderChannels(ctx context.Context, team, user string, now time.Time) ([]string, error)
}

// HomeChannel is one entry of a Home index.
type HomeChannel struct {
	Channel string
	At      time.Time
}

// TrimHomeChannels sorts entries most recent first, keeps one per channel (its latest),
// drops those noted before floor, and keeps at most MaxHomeChannels: the stores' shared
// rule.
func TrimHomeChannels(entries []HomeChannel, floor time.Time) []HomeChannel {
	slices.SortStableFunc(entries, func(a, b HomeChannel) int { return b.At.Compare(a.At) })
	out := entries[:0:0]
	seen := map[string]bool{}
	for _, e := range entries {
		if seen[e.Channel] || e.At.Before(floor) {
			continue
		}
		seen[e.Channel] = true
		out = append(out, e)
	}
	return out[:min(len(out), MaxHomeChannels)]
}

// HomeOrder is one of a user's orders as the Home shows it: the round holding it.
type HomeOrder struct {
	Round Round
	Order Order
}

// Home is what a user's App Home shows, read from the rounds themselves.
type Home struct {
	Open []HomeOrder // the open rounds holding an order of the user, latest order first
	// Waiting are the open rounds of the user's channels that hold no order of theirs
	// (withdrawn, or opened since they ordered there): Order is their latest order in
	// that channel's closed rounds still in history — what "Order again" orders — and
	// zero when there is none.
	Waiting []HomeOrder
	Last    []HomeOrder // the user's latest orders in closed rounds, newest first, ≤ MaxHomeOrders
	// Recurring are the active recurring rounds of the user's channels: at most
	// MaxHomeChannels × MaxRecurring.
	Recurring []HomeRecurring
}

// HomeRecurring is a recurring round of one of the user's channels.
type HomeRecurring struct {
	Channel   Channel
	Recurring Recurring
}

// ErrNoHomeIndex is returned by Home when the store keeps no Home index.
var ErrNoHomeIndex = errors.New("the store keeps no Home index")

// noteHome writes the user's Home index entry after the order res took effect (Set). Its
// failure fails the Set, so the request runs again (deferred, retried): the order is then
// Replayed and the entry written — an idempotent SET — so a channel holding an order of
// the user ends up in the index. Stores without an index skip it.
//
// Only an order that entered the round is noted (res.NewOrder), or a Replayed one (the
// rerun of a Set whose note failed): an order replacing theirs in the same round finds
// the channel noted when the order it replaces was added, and a Superseded one changed
// nothing. That is one DynamoDB write fewer per changed order (BenchmarkOrderPathHomeIndex;
// docs/BENCHMARKS.md). The entry's time stays the round's first order of theirs: its
// expiry is counted from there, as the entry of a channel they ordered in once.
func (s *Service) noteHome(ctx context.Context, ch Channel, user string, at time.Time, res Result) error {
	idx, ok := s.Store.(HomeIndex)
	if !ok || res.Outcome == Superseded || (res.Outcome == Applied && !res.NewOrder) {
		return nil
	}
	if err := idx.NoteOrderChannel(ctx, ch, user, at); err != nil {
		return fmt.Errorf("note %s's order channel %s: %w", user, ch, err)
	}
	return nil
}

// Home reads user's Home: for each channel of their index, the open round (holding
// their order, or not), their orders in the channel's closed rounds still in history and
// the channel's active recurring rounds.
func (s *Service) Home(ctx context.Context, team, user string) (Home, error) {
	idx, ok := s.Store.(HomeIndex)
	if !ok {
		return Home{}, ErrNoHomeIndex
	}
	now := s.now()
	channels, err := idx.OrderChannels(ctx, team, user, now)
	if err != nil {
		return Home{}, fmt.Errorf("home of %s: %w", user, err)
	}
	var h Home
	for _, c := range channels {
		if err := s.homeChannel(ctx, Channel{Team: team, Channel: c}, user, now, &h); err != nil {
			return Home{}, fmt.Errorf("home of %s: %w", user, err)
		}
	}
	newest := func(a, b HomeOrder) int { return b.Order.At.Compare(a.Order.At) }
	slices.SortStableFunc(h.Open, newest)
	slices.SortStableFunc(h.Last, newest)
	h.Last = h.Last[:min(len(h.Last), MaxHomeOrders)]
	return h, nil
}

// homeChannel adds what ch holds for user to h.
func (s *Service) homeChannel(ctx context.Context, ch Channel, user string, now time.Time, h *Home) error {
	open, err := s.Store.OpenRound(ctx, ch)
	if err != nil && !errors.Is(err, ErrNoOpenRound) {
		return err
	}
	closed, err := s.Store.ClosedRounds(ctx, ch, MaxHomeOrders, now)
	if err != nil {
		return err
	}
	var latest HomeOrder
	for _, r := range closed {
		if o, ok := orderOf(r, user); ok {
			h.Last = append(h.Last, HomeOrder{Round: r, Order: o})
			if o.At.After(latest.Order.At) {
				latest = HomeOrder{Round: r, Order: o}
			}
		}
	}
	if open.ID != "" {
		if o, ok := orderOf(open, user); ok {
			h.Open = append(h.Open, HomeOrder{Round: open, Order: o})
		} else {
			h.Waiting = append(h.Waiting, HomeOrder{Round: open, Order: latest.Order})
		}
	}
	rs, ok := s.Store.(RecurringStore)
	if !ok {
		return nil
	}
	list, err := rs.ListRecurring(ctx, ch)
	if err != nil {
		return err
	}
	for _, r := range list {
		if r.Active() {
			h.Recurring = append(h.Recurring, HomeRecurring{Channel: ch, Recurring: r})
		}
	}
	return nil
}

func orderOf(r Round, user string) (Order, bool) {
	for _, o := range r.Orders {
		if o.User == user {
			return o, true
		}
	}
	return Order{}, false
}
