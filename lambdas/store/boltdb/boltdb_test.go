package boltdb

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/orders/orderstest"
)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	orderstest.Run(t, func(t *testing.T) orders.Store {
		s := open(t, filepath.Join(t.TempDir(), "orders.db"))
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestReopenKeepsOrders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "orders.db")
	ch := orders.Channel{Team: "T", Channel: "C"}
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	s := open(t, path)
	if _, err := s.SetOrder(context.Background(), ch, orders.Order{User: "U1", Item: "라떼", At: at}, orders.Request{ID: "q1", At: at}, "R1"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, path)
	defer s.Close()
	r, err := s.OpenRound(context.Background(), ch)
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != "R1" || len(r.Orders) != 1 || r.Orders[0].Item != "라떼" || !r.Orders[0].At.Equal(at) {
		t.Fatalf("after reopen: %+v", r)
	}
}

func TestSecondProcessGetsClearError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "orders.db")
	s := open(t, path)
	defer s.Close()
	if _, err := Open(path); err == nil {
		t.Fatal("second Open of a held file succeeded")
	}
}

func TestExpiredEventsAreSwept(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "orders.db"))
	defer s.Close()
	ctx := context.Background()
	t0 := time.Unix(1_800_000_000, 0)
	for _, id := range []string{"a", "b", "c"} {
		if _, err := s.MarkEvent(ctx, id, t0, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.MarkEvent(ctx, "d", t0.Add(time.Hour), t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	n := 0
	s.db.View(func(tx *bolt.Tx) error { n = tx.Bucket(bucketEvents).Stats().KeyN; return nil })
	if n != 1 {
		t.Fatalf("%d event records left, want 1", n)
	}
}
