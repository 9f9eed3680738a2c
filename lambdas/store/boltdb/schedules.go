package boltdb

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/orderbot/orderbot/lambdas/orders"
)

// bucketRecurring holds each channel's recurring rounds: key team\x00channel, value the
// JSON of map[id]orders.Recurring (one value per channel: the cap of MaxRecurring is
// checked in the same transaction that adds one, as store/dynamo checks it in one write).
var bucketRecurring = []byte("recurring")

func getRecurring(tx *bolt.Tx, ch orders.Channel) (map[string]orders.Recurring, error) {
	out := map[string]orders.Recurring{}
	b := tx.Bucket(bucketRecurring)
	if b == nil {
		return out, nil
	}
	if v := b.Get(channelKey(ch)); v != nil {
		if err := json.Unmarshal(v, &out); err != nil {
			return nil, fmt.Errorf("decode recurring rounds of %s: %w", ch, err)
		}
	}
	return out, nil
}

func putRecurring(tx *bolt.Tx, ch orders.Channel, rs map[string]orders.Recurring) error {
	b, err := tx.CreateBucketIfNotExists(bucketRecurring)
	if err != nil {
		return err
	}
	v, err := json.Marshal(rs)
	if err != nil {
		return err
	}
	return b.Put(channelKey(ch), v)
}

// changeRecurring runs fn on ch's recurring rounds in one write transaction and writes
// them back unless fn fails.
func (s *Store) changeRecurring(ctx context.Context, ch orders.Channel, fn func(map[string]orders.Recurring) (orders.Recurring, error)) (orders.Recurring, error) {
	var out orders.Recurring
	err := s.update(ctx, func(tx *bolt.Tx) error {
		rs, err := getRecurring(tx, ch)
		if err != nil {
			return err
		}
		if out, err = fn(rs); err != nil {
			return err
		}
		return putRecurring(tx, ch, rs)
	})
	return out, err
}

// AddRecurring implements orders.RecurringStore.
func (s *Store) AddRecurring(ctx context.Context, ch orders.Channel, r orders.Recurring) (orders.Recurring, error) {
	return s.changeRecurring(ctx, ch, func(rs map[string]orders.Recurring) (orders.Recurring, error) {
		if old, ok := rs[r.ID]; ok {
			return old, nil
		}
		active := 0
		for _, x := range rs {
			if x.Active() {
				active++
			}
		}
		if active >= orders.MaxRecurring {
			return orders.Recurring{}, orders.ErrTooManyRecurring
		}
		rs[r.ID] = r
		return r, nil
	})
}

// ListRecurring implements orders.RecurringStore.
func (s *Store) ListRecurring(ctx context.Context, ch orders.Channel) ([]orders.Recurring, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []orders.Recurring
	err := s.db.View(func(tx *bolt.Tx) error {
		rs, err := getRecurring(tx, ch)
		for _, r := range rs {
			out = append(out, r)
		}
		return err
	})
	orders.SortRecurring(out)
	return out, err
}

// StopRecurring implements orders.RecurringStore.
func (s *Store) StopRecurring(ctx context.Context, ch orders.Channel, id, by string, at time.Time) (orders.Recurring, error) {
	return s.changeRecurring(ctx, ch, func(rs map[string]orders.Recurring) (orders.Recurring, error) {
		r, ok := rs[id]
		switch {
		case !ok:
			return orders.Recurring{}, orders.ErrNoRecurring
		case !r.Active():
			return r, nil
		}
		r.StoppedBy, r.StoppedAt = by, at
		rs[id] = r
		all := make([]orders.Recurring, 0, len(rs))
		for _, x := range rs {
			all = append(all, x)
		}
		for _, drop := range orders.TrimStopped(all) {
			delete(rs, drop)
		}
		return r, nil
	})
}

// SkipRecurring implements orders.RecurringStore.
func (s *Store) SkipRecurring(ctx context.Context, ch orders.Channel, id string, occurrence time.Time) (orders.Recurring, error) {
	return s.changeRecurring(ctx, ch, func(rs map[string]orders.Recurring) (orders.Recurring, error) {
		r, ok := rs[id]
		if !ok || !r.Active() {
			return orders.Recurring{}, orders.ErrNoRecurring
		}
		r.Skip = occurrence
		rs[id] = r
		return r, nil
	})
}

// StartRound implements orders.RecurringStore: recorded as a deadline request, so the
// records that make SetDeadline exactly-once make an occurrence open once.
func (s *Store) StartRound(ctx context.Context, ch orders.Channel, deadline time.Time, req orders.Request, newID string) (orders.Result, error) {
	return s.change(ctx, ch, orders.Target{Deadline: true}, req, orders.ErrNoOpenRound, slot.stale, func(_ *bolt.Tx, sl *slot) (outcome, error) {
		if sl.Round == nil {
			sl.Round = &round{ID: newID, OpenedAt: req.At, Orders: map[string]order{}, OpenedBy: req.User}
		}
		r := sl.Round
		rec := requestRec{Req: req.ID, At: req.At, Round: r.ID, Signed: req.SignedAt().Unix()}
		out := outcome{res: orders.Result{Round: sl.open(ch), Outcome: orders.Superseded}}
		if (r.DeadlineReq.Req == "" || req.Newer(r.DeadlineReq.request())) && req.SignedAt().Unix() > sl.DeadlineFloor {
			r.Deadline, r.DeadlineReq = deadline, requestRec{Req: req.ID, At: req.At}
			out.res = orders.Result{Round: sl.open(ch), Outcome: orders.Applied}
		}
		sl.Deadlines[req.ID] = rec
		sl.DeadlineFloor = max(sl.DeadlineFloor, trimRecords(sl.Deadlines))
		return out, nil
	})
}

// MarkLive implements orders.RecurringStore.
func (s *Store) MarkLive(ctx context.Context, ch orders.Channel, id, round, ts string) error {
	_, err := s.changeRecurring(ctx, ch, func(rs map[string]orders.Recurring) (orders.Recurring, error) {
		r, ok := rs[id]
		if !ok {
			return orders.Recurring{}, orders.ErrNoRecurring
		}
		r.LiveRound, r.LiveTS = round, ts
		rs[id] = r
		return r, nil
	})
	return err
}
