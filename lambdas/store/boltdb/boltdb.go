// Package boltdb is the embedded orders.Store for running orderbot on one machine
// (`orderbot dev`): one bbolt file, no server.
//
// bbolt over SQLite: the store needs ordered keys and serialisable read-modify-write, which
// bbolt's single-writer transactions give with a pure-Go package a fraction of SQLite's
// size (modernc.org/sqlite is a transpiled C library of several MB). Every write commits
// with fsync, so an acknowledged order survives a crash; the single writer makes every
// race of the Store contract trivially serialisable.
//
// Layout: bucket "open" maps team\x00channel to the open round (JSON); bucket "closed"
// maps team\x00channel\x00roundID to each closed round; bucket "events" maps an event id
// to its expiry (Unix nanoseconds, 8 bytes big-endian).
package boltdb

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/orderbot/orderbot/lambdas/orders"
)

var (
	bucketOpen   = []byte("open")
	bucketClosed = []byte("closed")
	bucketEvents = []byte("events")
)

// Store is an orders.Store in a bbolt file. It is safe for concurrent use; one process
// holds the file at a time.
type Store struct {
	db *bolt.DB
}

// Open opens or creates the database at path, creating its directory.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("open %s: another process (is orderbot dev already running?) holds it", path)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketOpen, bucketClosed, bucketEvents} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close releases the file.
func (s *Store) Close() error { return s.db.Close() }

// round is the stored form of a round.
type round struct {
	ID       string           `json:"id"`
	OpenedAt time.Time        `json:"opened_at"`
	ClosedAt time.Time        `json:"closed_at,omitzero"`
	Orders   map[string]order `json:"orders"`
}

type order struct {
	UserName string    `json:"user_name"`
	Item     string    `json:"item"`
	At       time.Time `json:"at"`
}

func channelKey(ch orders.Channel) []byte { return []byte(ch.Team + "\x00" + ch.Channel) }

func (r round) domain(ch orders.Channel) orders.Round {
	out := orders.Round{Channel: ch, ID: r.ID, OpenedAt: r.OpenedAt, ClosedAt: r.ClosedAt, Orders: make([]orders.Order, 0, len(r.Orders))}
	for user, o := range r.Orders {
		out.Orders = append(out.Orders, orders.Order{User: user, UserName: o.UserName, Item: o.Item, At: o.At})
	}
	orders.SortOrders(out.Orders)
	return out
}

func getOpen(tx *bolt.Tx, ch orders.Channel) (round, error) {
	v := tx.Bucket(bucketOpen).Get(channelKey(ch))
	if v == nil {
		return round{}, orders.ErrNoOpenRound
	}
	var r round
	if err := json.Unmarshal(v, &r); err != nil {
		return round{}, fmt.Errorf("decode round of %s: %w", ch, err)
	}
	return r, nil
}

func putOpen(tx *bolt.Tx, ch orders.Channel, r round) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketOpen).Put(channelKey(ch), v)
}

// SetOrder implements orders.Store.
func (s *Store) SetOrder(ctx context.Context, ch orders.Channel, o orders.Order, newID string) (orders.Round, error) {
	var out orders.Round
	err := s.update(ctx, func(tx *bolt.Tx) error {
		r, err := getOpen(tx, ch)
		if errors.Is(err, orders.ErrNoOpenRound) {
			r, err = round{ID: newID, OpenedAt: o.At, Orders: map[string]order{}}, nil
		}
		if err != nil {
			return err
		}
		r.Orders[o.User] = order{UserName: o.UserName, Item: o.Item, At: o.At}
		out = r.domain(ch)
		return putOpen(tx, ch, r)
	})
	return out, err
}

// CancelOrder implements orders.Store.
func (s *Store) CancelOrder(ctx context.Context, ch orders.Channel, user string) (orders.Round, error) {
	var out orders.Round
	err := s.update(ctx, func(tx *bolt.Tx) error {
		r, err := getOpen(tx, ch)
		if err != nil {
			return err
		}
		if _, ok := r.Orders[user]; !ok {
			return orders.ErrNoOrder
		}
		delete(r.Orders, user)
		out = r.domain(ch)
		return putOpen(tx, ch, r)
	})
	return out, err
}

// OpenRound implements orders.Store.
func (s *Store) OpenRound(ctx context.Context, ch orders.Channel) (orders.Round, error) {
	if err := ctx.Err(); err != nil {
		return orders.Round{}, err
	}
	var out orders.Round
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := getOpen(tx, ch)
		if err != nil {
			return err
		}
		out = r.domain(ch)
		return nil
	})
	return out, err
}

// CloseRound implements orders.Store: the open round moves to the closed bucket in one
// transaction, so an order is either in it or lands in the next round.
func (s *Store) CloseRound(ctx context.Context, ch orders.Channel, at time.Time) (orders.Round, error) {
	var out orders.Round
	err := s.update(ctx, func(tx *bolt.Tx) error {
		r, err := getOpen(tx, ch)
		if err != nil {
			return err
		}
		r.ClosedAt = at
		v, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketClosed).Put([]byte(string(channelKey(ch))+"\x00"+r.ID), v); err != nil {
			return err
		}
		out = r.domain(ch)
		return tx.Bucket(bucketOpen).Delete(channelKey(ch))
	})
	return out, err
}

// MarkEvent implements orders.Store. Expired records are overwritten and also swept, a
// few per call, so the bucket does not grow without bound.
func (s *Store) MarkEvent(ctx context.Context, id string, now, expires time.Time) (bool, error) {
	first := false
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvents)
		if v := b.Get([]byte(id)); len(v) == 8 && int64(binary.BigEndian.Uint64(v)) > now.UnixNano() {
			return nil
		}
		first = true
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], uint64(expires.UnixNano()))
		if err := b.Put([]byte(id), v[:]); err != nil {
			return err
		}
		return sweep(b, now, 16)
	})
	return first, err
}

func sweep(b *bolt.Bucket, now time.Time, limit int) error {
	var expired [][]byte
	c := b.Cursor()
	for k, v := c.First(); k != nil && len(expired) < limit; k, v = c.Next() {
		if len(v) == 8 && int64(binary.BigEndian.Uint64(v)) <= now.UnixNano() {
			expired = append(expired, append([]byte(nil), k...))
		}
	}
	for _, k := range expired {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(fn)
}
