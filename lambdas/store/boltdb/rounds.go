package boltdb

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/orderbot/orderbot/lambdas/orders"
)

// maxRecords bounds a slot's deadline records; at this many the older half goes, as in
// store/dynamo.
const maxRecords = 16

// SetDeadline implements orders.Store.
func (s *Store) SetDeadline(ctx context.Context, ch orders.Channel, at time.Time, req orders.Request) (orders.Result, error) {
	return s.change(ctx, ch, orders.Target{Deadline: true}, req, orders.ErrNoOpenRound, slot.stale, func(_ *bolt.Tx, sl *slot) (outcome, error) {
		var out outcome
		rec := requestRec{Req: req.ID, At: req.At, Round: orders.NoChange, Signed: req.SignedAt().Unix()}
		switch r := sl.Round; {
		case r == nil || (req.Round == "" && r.OpenedAt.After(req.At)):
			out.refused = orders.ErrNoOpenRound // recorded, as a close that found no round is
		case r.DeadlineReq.Req != "" && !req.Newer(r.DeadlineReq.request()),
			sl.DeadlineFloor > 0 && req.SignedAt().Unix() <= sl.DeadlineFloor:
			// Older than the round's deadline request, or signed no later than a deadline
			// request whose record was dropped (it may be that one, delivered again). It is
			// recorded all the same: a delivery of it arriving later is stamped later.
			out.res = orders.Result{Round: sl.open(ch), Outcome: orders.Superseded}
			rec.Round = r.ID
		default:
			r.Deadline, r.DeadlineReq, rec.Round = at, requestRec{Req: req.ID, At: req.At}, r.ID
			out.res = orders.Result{Round: sl.open(ch), Outcome: orders.Applied}
		}
		sl.Deadlines[req.ID] = rec
		sl.DeadlineFloor = max(sl.DeadlineFloor, trimRecords(sl.Deadlines))
		return out, nil
	})
}

// trimRecords drops the older half of records once they number maxRecords — never one
// signed in the newest second, which a floor could not tell from a new request — and
// returns the latest signed second among those dropped (0 for none): the deadline floor.
func trimRecords(records map[string]requestRec) int64 {
	if len(records) < maxRecords {
		return 0
	}
	all := make([]requestRec, 0, len(records))
	for _, rec := range records {
		all = append(all, rec)
	}
	slices.SortFunc(all, func(a, b requestRec) int {
		if a.Signed != b.Signed {
			return cmp.Compare(a.Signed, b.Signed)
		}
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.Req, b.Req)
	})
	newest := all[len(all)-1].Signed
	var floor int64
	for _, rec := range all[:len(all)-maxRecords/2] {
		if rec.Signed >= newest {
			break
		}
		delete(records, rec.Req)
		floor = max(floor, rec.Signed)
	}
	return floor
}

// ClosedRounds implements orders.Store: the channel's closed rounds, newest first by key
// (team\x00channel\x00roundID), leaving out those expired at now.
func (s *Store) ClosedRounds(ctx context.Context, ch orders.Channel, limit int, now time.Time) ([]orders.Round, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := []orders.Round{}
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := append(channelKey(ch), 0)
		c := tx.Bucket(bucketClosed).Cursor()
		var k, v []byte
		if k, _ = c.Seek(append(append([]byte(nil), prefix...), 0xff)); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = c.Prev() {
			var r round
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode round %s of %s: %w", k, ch, err)
			}
			if !s.expired(r, now) {
				out = append(out, r.domain(ch))
			}
		}
		return nil
	})
	return out, err
}

// expired reports whether a closed round has left history at now.
func (s *Store) expired(r round, now time.Time) bool {
	exp := r.ExpiresAt
	if exp.IsZero() {
		exp = r.ClosedAt.Add(s.historyTTL)
	}
	return !exp.After(now)
}

// sweepClosed deletes the channel's expired closed rounds among its limit oldest, so that
// history does not grow without bound; every close calls it.
func (s *Store) sweepClosed(tx *bolt.Tx, ch orders.Channel, now time.Time, limit int) error {
	prefix := append(channelKey(ch), 0)
	b := tx.Bucket(bucketClosed)
	var expired [][]byte
	c := b.Cursor()
	n := 0
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && n < limit; k, v = c.Next() {
		n++
		var r round
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("decode round %s of %s: %w", k, ch, err)
		}
		if s.expired(r, now) {
			expired = append(expired, append([]byte(nil), k...))
		}
	}
	for _, k := range expired {
		if err := b.Delete(k); err != nil {
			return err
		}
		if err := deletePrefix(tx.Bucket(bucketChanges), append(k, 0)); err != nil {
			return err // the round's trimmed change-set entries go with it
		}
	}
	return nil
}

func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
