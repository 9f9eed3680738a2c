package boltdb

import (
	"context"
	"fmt"
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

// TestExpiredRoundsAreDeleted: a close deletes the channel's closed rounds whose history
// expired (its close time is now), and only those; HistoryTTL sets how long they live.
func TestExpiredRoundsAreDeleted(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "orders.db"), HistoryTTL(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	ch := orders.Channel{Team: "T", Channel: "C"}
	other := orders.Channel{Team: "T", Channel: "C2"}
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	n := 0
	round := func(c orders.Channel, at time.Time) {
		t.Helper()
		n++
		req := orders.Request{ID: fmt.Sprint("q", n), At: at}
		if _, err := s.SetOrder(ctx, c, orders.Order{User: "U1", Item: "latte"}, req, orders.NewRoundID(at)); err != nil {
			t.Fatal(err)
		}
		n++
		if _, err := s.CloseRound(ctx, c, orders.Request{ID: fmt.Sprint("q", n), At: at}, at); err != nil {
			t.Fatal(err)
		}
	}
	round(ch, t0)
	round(ch, t0.Add(time.Hour))
	round(other, t0)
	round(ch, t0.Add(48*time.Hour+30*time.Minute)) // the first has expired, the second not yet
	keys := 0
	s.db.View(func(tx *bolt.Tx) error { keys = tx.Bucket(bucketClosed).Stats().KeyN; return nil })
	if keys != 3 {
		t.Fatalf("%d closed rounds kept, want 3 (the expired one deleted, the other channel's kept)", keys)
	}
	rs, err := s.ClosedRounds(ctx, ch, 10, t0.Add(48*time.Hour+45*time.Minute))
	if err != nil || len(rs) != 2 {
		t.Fatalf("listed: got %d, %v, want 2", len(rs), err)
	}
	rs, err = s.ClosedRounds(ctx, ch, 10, t0.Add(49*time.Hour+time.Second))
	if err != nil || len(rs) != 1 {
		t.Fatalf("listed an hour later: got %d, %v, want 1 (the second expired on read, not yet deleted)", len(rs), err)
	}
}
