package orders

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
)

// MaxRecurring caps a channel's recurring rounds (those not stopped).
const MaxRecurring = 5

// MaxStopped bounds the stopped recurring rounds a channel keeps listed ("stopped by …");
// the oldest go first.
const MaxStopped = 5

// Errors of recurring rounds.
var (
	ErrTooManyRecurring = fmt.Errorf("the channel has %d recurring rounds, the most it takes", MaxRecurring)
	ErrNoRecurring      = errors.New("no such recurring round")
)

// Recurring is one of a channel's recurring rounds: a Recurrence on the team's clock
// (Zone), who set it and when, the one occurrence to skip, and — once stopped — who
// stopped it. ID is also its schedule's name (RecurringScheduleName).
type Recurring struct {
	ID    string
	Rec   Recurrence
	Zone  string // IANA zone the Recurrence is read in
	SetBy string
	SetAt time.Time
	// Skip is the opening time of the one occurrence that does not open a round (zero:
	// none).
	Skip      time.Time
	StoppedBy string
	StoppedAt time.Time // zero while active
	// LiveRound and LiveTS are the round the latest occurrence opened (or kept) and the
	// ts of the live round message it posted in the channel, which changes keep current
	// (chat.update) and the deadline turns into the final tally.
	LiveRound, LiveTS string
}

// Active reports whether the recurring round still opens rounds.
func (r Recurring) Active() bool { return r.StoppedAt.IsZero() }

// SortRecurring puts a channel's recurring rounds in the order they are listed and
// numbered: by when they were set, then by id.
func SortRecurring(rs []Recurring) {
	sort.Slice(rs, func(i, j int) bool {
		if !rs[i].SetAt.Equal(rs[j].SetAt) {
			return rs[i].SetAt.Before(rs[j].SetAt)
		}
		return rs[i].ID < rs[j].ID
	})
}

// RecurringStore keeps a channel's recurring rounds and opens their occurrences. Both
// stores implement it next to Store.
type RecurringStore interface {
	// AddRecurring adds r. The same ID again (a repeated request: ids derive from the
	// request) returns the stored one unchanged. ErrTooManyRecurring when the channel has
	// MaxRecurring active ones.
	AddRecurring(ctx context.Context, ch Channel, r Recurring) (Recurring, error)
	// ListRecurring returns the channel's recurring rounds, active and stopped, in
	// SortRecurring's order.
	ListRecurring(ctx context.Context, ch Channel) ([]Recurring, error)
	// StopRecurring stops id, recording by and at; stopping a stopped one again returns
	// it unchanged. ErrNoRecurring when there is no such id. Stopped ones beyond
	// MaxStopped are forgotten, oldest first.
	StopRecurring(ctx context.Context, ch Channel, id, by string, at time.Time) (Recurring, error)
	// SkipRecurring marks the occurrence opening at `occurrence` skipped.
	// ErrNoRecurring when there is no such active id.
	SkipRecurring(ctx context.Context, ch Channel, id string, occurrence time.Time) (Recurring, error)
	// StartRound is an occurrence: it opens a round (newID, opened by req.User) when none
	// is open, and gives the open round the deadline `deadline`, in one step recorded as
	// the deadline request req — so every delivery of one occurrence (the same req.ID) is
	// Replayed: fired twice, it opens once. A round already open is kept (Result.Round.ID
	// is not newID) and given the deadline. Deadline requests are ordered as SetDeadline
	// orders them.
	StartRound(ctx context.Context, ch Channel, deadline time.Time, req Request, newID string) (Result, error)
	// MarkLive records the live round message (ts) an occurrence of id posted for round.
	// ErrNoRecurring when there is no such id.
	MarkLive(ctx context.Context, ch Channel, id, round, ts string) error
}

// TrimStopped is rs (a channel's recurring rounds) without the stopped ones beyond
// MaxStopped, oldest stop first; it returns the ids dropped.
func TrimStopped(rs []Recurring) []string {
	var stopped []Recurring
	for _, r := range rs {
		if !r.Active() {
			stopped = append(stopped, r)
		}
	}
	sort.Slice(stopped, func(i, j int) bool { return stopped[i].StoppedAt.Before(stopped[j].StoppedAt) })
	var drop []string
	for i := 0; i < len(stopped)-MaxStopped; i++ {
		drop = append(drop, stopped[i].ID)
	}
	return drop
}
