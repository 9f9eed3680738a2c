// Package orders is the domain: order rounds per channel, at most one order per person in
// a round, grouped into a tally. It knows nothing of Slack, Lambda or a database; a Store
// persists rounds and must keep the rules under concurrency (see Store).
package orders

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxItemRunes bounds an order's item text.
const MaxItemRunes = 200

// Errors the domain reports. Store implementations return ErrNoOpenRound and ErrNoOrder.
var (
	ErrNoOpenRound  = errors.New("no open round")
	ErrNoOrder      = errors.New("no order in the open round")
	ErrEmptyItem    = errors.New("item is empty")
	ErrItemTooLong  = fmt.Errorf("item is longer than %d characters", MaxItemRunes)
	ErrInvalidItem  = errors.New("item holds control characters or invalid UTF-8")
	ErrInvalidInput = errors.New("team, channel and user are required")
)

// Channel identifies where a round lives: one Slack channel of one workspace.
type Channel struct {
	Team    string
	Channel string
}

func (c Channel) String() string { return c.Team + "/" + c.Channel }

func (c Channel) valid() bool { return c.Team != "" && c.Channel != "" }

// Order is one person's order in a round.
type Order struct {
	User     string // stable id (Slack user id)
	UserName string // display name at the time of ordering
	Item     string // as typed, after validation
	At       time.Time
}

// Round is a channel's collection of orders from opening to closing.
type Round struct {
	Channel  Channel
	ID       string // sortable by opening time
	OpenedAt time.Time
	ClosedAt time.Time // zero while open
	Orders   []Order   // sorted by At, then User
}

// Open reports whether the round still takes orders.
func (r Round) Open() bool { return r.ClosedAt.IsZero() }

// Store persists rounds. Implementations must be safe for concurrent use, also across
// processes sharing one database, and keep these guarantees:
//   - SetOrder racing CloseRound lands in exactly one round: either the closed round (and
//     is in the tally CloseRound returns) or the next one, never neither.
//   - Concurrent SetOrder calls by different users all land.
//   - Every returned Round reflects the state right after the operation.
type Store interface {
	// SetOrder puts o into the channel's open round, replacing o.User's previous order,
	// and opens a round (with id newID) if none is open.
	SetOrder(ctx context.Context, ch Channel, o Order, newID string) (Round, error)
	// CancelOrder removes user's order from the open round: ErrNoOpenRound, ErrNoOrder.
	CancelOrder(ctx context.Context, ch Channel, user string) (Round, error)
	// OpenRound returns the open round, or ErrNoOpenRound.
	OpenRound(ctx context.Context, ch Channel) (Round, error)
	// CloseRound closes the open round at the given time and returns its final orders,
	// or ErrNoOpenRound.
	CloseRound(ctx context.Context, ch Channel, at time.Time) (Round, error)
	// MarkEvent records an event id until expires. It reports false when the id was
	// already recorded and had not expired at now: the event is a duplicate.
	MarkEvent(ctx context.Context, id string, now, expires time.Time) (bool, error)
}

// NewRoundID returns an id that sorts by time and does not collide between processes.
func NewRoundID(at time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return at.UTC().Format("20060102T150405.000000000Z") + "-" + hex.EncodeToString(b[:])
}

// CleanItem validates item text and returns it trimmed.
func CleanItem(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", ErrInvalidItem
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ErrEmptyItem
	}
	if utf8.RuneCountInString(s) > MaxItemRunes {
		return "", ErrItemTooLong
	}
	for _, r := range s {
		if r != '\n' && (unicode.IsControl(r) || r == utf8.RuneError) {
			return "", ErrInvalidItem
		}
	}
	return s, nil
}

// ItemKey is what makes two spellings the same item: case-insensitive, whitespace runs
// collapsed.
func ItemKey(item string) string {
	return strings.ToLower(strings.Join(strings.Fields(item), " "))
}

// Group is one item of a tally with everyone who ordered it.
type Group struct {
	Item   string // the first spelling ordered
	Orders []Order
}

// Tally groups a round's orders by item: most ordered first, ties by who ordered first.
func Tally(r Round) []Group {
	orders := append([]Order(nil), r.Orders...)
	SortOrders(orders)
	index := map[string]int{}
	var groups []Group
	for _, o := range orders {
		k := ItemKey(o.Item)
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			groups = append(groups, Group{Item: o.Item})
		}
		groups[i].Orders = append(groups[i].Orders, o)
	}
	sort.SliceStable(groups, func(i, j int) bool { return len(groups[i].Orders) > len(groups[j].Orders) })
	return groups
}

// SortOrders puts orders in the order Round.Orders promises.
func SortOrders(orders []Order) {
	sort.Slice(orders, func(i, j int) bool {
		if !orders[i].At.Equal(orders[j].At) {
			return orders[i].At.Before(orders[j].At)
		}
		return orders[i].User < orders[j].User
	})
}

// Service applies the rules on top of a Store.
type Service struct {
	Store Store
	Now   func() time.Time // injectable clock; time.Now when nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Set validates item and makes it user's order in the channel's open round.
func (s *Service) Set(ctx context.Context, ch Channel, user, userName, item string) (Round, error) {
	if !ch.valid() || user == "" {
		return Round{}, ErrInvalidInput
	}
	item, err := CleanItem(item)
	if err != nil {
		return Round{}, err
	}
	now := s.now()
	r, err := s.Store.SetOrder(ctx, ch, Order{User: user, UserName: userName, Item: item, At: now}, NewRoundID(now))
	if err != nil {
		return Round{}, fmt.Errorf("set order in %s: %w", ch, err)
	}
	return r, nil
}

// Cancel withdraws user's order from the open round.
func (s *Service) Cancel(ctx context.Context, ch Channel, user string) (Round, error) {
	if !ch.valid() || user == "" {
		return Round{}, ErrInvalidInput
	}
	r, err := s.Store.CancelOrder(ctx, ch, user)
	if err != nil {
		return Round{}, fmt.Errorf("cancel order in %s: %w", ch, err)
	}
	return r, nil
}

// Current returns the open round; a channel without one gets an empty, unsaved round.
func (s *Service) Current(ctx context.Context, ch Channel) (Round, error) {
	if !ch.valid() {
		return Round{}, ErrInvalidInput
	}
	r, err := s.Store.OpenRound(ctx, ch)
	if errors.Is(err, ErrNoOpenRound) {
		return Round{Channel: ch}, nil
	}
	if err != nil {
		return Round{}, fmt.Errorf("read round in %s: %w", ch, err)
	}
	return r, nil
}

// Close closes the open round and returns its final tally.
func (s *Service) Close(ctx context.Context, ch Channel) (Round, error) {
	if !ch.valid() {
		return Round{}, ErrInvalidInput
	}
	r, err := s.Store.CloseRound(ctx, ch, s.now())
	if err != nil {
		return Round{}, fmt.Errorf("close round in %s: %w", ch, err)
	}
	return r, nil
}

// FirstDelivery records an event id for ttl and reports whether this is its first
// delivery.
func (s *Service) FirstDelivery(ctx context.Context, eventID string, ttl time.Duration) (bool, error) {
	now := s.now()
	first, err := s.Store.MarkEvent(ctx, eventID, now, now.Add(ttl))
	if err != nil {
		return false, fmt.Errorf("mark event %s: %w", eventID, err)
	}
	return first, nil
}
