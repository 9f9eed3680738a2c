package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orderbot/orderbot/lambdas/orders"
)

// conditional is one request's change of the slot: a conditional UpdateItem whose
// condition holds only on the slot it was decided on, and what decides the request
// without a write. When the condition fails another writer moved first, and retry settles
// — in the same order for every change — what the slot alone decides before the write is
// tried again.
type conditional struct {
	what string // what the write does, for errors: "put order of U1"
	// blind makes the first attempt write without reading the slot (a nil item; an empty
	// slot that was read is an empty map): the common case of an order needs no read.
	blind bool
	// decided is what the request's records decide: a repeat (Replayed) or an older
	// request (Superseded).
	decided func(item map[string]types.AttributeValue) (orders.Result, bool, error)
	// gone reports a precondition that failed for good (orders.ErrStale; nil: none).
	// Checked after decided, so an applied request is still replayed.
	gone func(item map[string]types.AttributeValue) bool
	// write makes the change on the slot as read — an open round or none: a closed one was
	// moved to history first. A failed condition, or errAgain, tries again.
	write func(item map[string]types.AttributeValue) (orders.Result, error)
}

// errAgain is what a write returns when it only tidied the slot (trimmed a full change
// set): the change itself is tried again on the slot as it is now.
var errAgain = errors.New("slot tidied first")

// retry runs c until it is decided: read the slot → decided by the request's records? →
// precondition gone? → closed round in the slot: move it to history and read again →
// write; a write whose condition failed starts over. maxAttempts bounds the loop.
func (s *Store) retry(ctx context.Context, ch orders.Channel, c conditional) (orders.Result, error) {
	var item map[string]types.AttributeValue
	last := errAgain
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		if attempt > 1 || !c.blind {
			var err error
			if item, err = s.slot(ctx, ch); err != nil {
				return orders.Result{}, err
			}
			if item == nil {
				item = map[string]types.AttributeValue{} // an empty slot, read: nil is a blind attempt's
			}
			if res, done, err := c.decided(item); done || err != nil {
				return res, err
			}
			if c.gone != nil && c.gone(item) {
				return orders.Result{}, orders.ErrStale // written: nothing, not even a record
			}
			if closed(item) {
				if err := s.retire(ctx, item); err != nil {
					return orders.Result{}, err
				}
				last = errAgain
				continue
			}
		}
		res, err := c.write(item)
		if !conditionFailed(err) && !errors.Is(err, errAgain) {
			return res, err
		}
		last = err
	}
	return orders.Result{}, fmt.Errorf("%s: round changed under it %d times in a row: %w", c.what, maxAttempts, last)
}

// decidedAs is decided for a request whose first delivery changed nothing and answered
// noChange (orders.ErrNoOrder, orders.ErrNoOpenRound): a repeat answers the same.
func decidedAs(noChange error, decided func(map[string]types.AttributeValue) (orders.Result, bool, error)) func(map[string]types.AttributeValue) (orders.Result, bool, error) {
	return func(item map[string]types.AttributeValue) (orders.Result, bool, error) {
		res, done, err := decided(item)
		if done && err == nil && res.NoChange {
			return orders.Result{}, true, noChange // as the first delivery answered
		}
		return res, done, err
	}
}

// byRecord is the conditional of a close or deadline request: decided by its own record
// (prefix), a repeat of one that found no round answers orders.ErrNoOpenRound.
func (s *Store) byRecord(ctx context.Context, ch orders.Channel, prefix string, req orders.Request,
	gone func(map[string]types.AttributeValue) bool, write func(map[string]types.AttributeValue) (orders.Result, error)) conditional {
	return conditional{
		what: map[string]string{closePrefix: "close ", deadlinePrefix: "set deadline "}[prefix] + req.ID,
		decided: decidedAs(orders.ErrNoOpenRound, func(item map[string]types.AttributeValue) (orders.Result, bool, error) {
			return s.recordDecided(ctx, ch, item, prefix, req)
		}),
		gone:  gone,
		write: write,
	}
}
