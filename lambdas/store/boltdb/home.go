package boltdb

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/orderbot/orderbot/lambdas/orders"
)

// bucketHome holds each user's Home index (orders.HomeIndex): key team\x00user, value the
// JSON of []orders.HomeChannel, most recent first, trimmed by orders.TrimHomeChannels on
// every write (bounded, and entries older than the history TTL dropped).
var bucketHome = []byte("home")

func homeKey(team, user string) []byte { return []byte(team + "\x00" + user) }

func getHome(tx *bolt.Tx, team, user string) ([]orders.HomeChannel, error) {
	var out []orders.HomeChannel
	b := tx.Bucket(bucketHome)
	if b == nil {
		return out, nil
	}
	if v := b.Get(homeKey(team, user)); v != nil {
		if err := json.Unmarshal(v, &out); err != nil {
			return nil, fmt.Errorf("decode the Home index of %s: %w", user, err)
		}
	}
	return out, nil
}

// NoteOrderChannel implements orders.HomeIndex.
func (s *Store) NoteOrderChannel(ctx context.Context, ch orders.Channel, user string, at time.Time) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		entries, err := getHome(tx, ch.Team, user)
		if err != nil {
			return err
		}
		entries = orders.TrimHomeChannels(append(entries, orders.HomeChannel{Channel: ch.Channel, At: at}), at.Add(-s.historyTTL))
		b, err := tx.CreateBucketIfNotExists(bucketHome)
		if err != nil {
			return err
		}
		v, err := json.Marshal(entries)
		if err != nil {
			return err
		}
		return b.Put(homeKey(ch.Team, user), v)
	})
}

// OrderChannels implements orders.HomeIndex.
func (s *Store) OrderChannels(ctx context.Context, team, user string, now time.Time) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var entries []orders.HomeChannel
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		entries, err = getHome(tx, team, user)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, e := range orders.TrimHomeChannels(entries, now.Add(-s.historyTTL)) {
		out = append(out, e.Channel)
	}
	return out, nil
}
