package history

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/store/faulty"
)

// Scripted scenarios: a few commands in a fixed order, deferred work delivered by hand
// (config.Manual), faults placed on particular calls. They prove that the checker can
// fail (TestCheckerRejectsBrokenStores) and pin down each violation the random histories
// found (findings_test.go).

// scripted is the configuration of a scenario: nothing random, a budget no store call
// comes near, so that only the planned faults defer a command.
func scripted(users int, plan func(faulty.Call) faulty.Fault) config {
	if plan == nil {
		plan = func(faulty.Call) faulty.Fault { return faulty.Fault{} }
	}
	return config{Users: users, Budget: 5 * time.Second, Manual: true, Plan: plan}
}

// failFirst is a plan that fails, before commit, the first call of each given method.
func failFirst(methods ...faulty.Method) func(faulty.Call) faulty.Fault {
	failed := map[faulty.Method]bool{}
	return func(c faulty.Call) faulty.Fault {
		for _, m := range methods {
			if c.Method == m && !failed[m] {
				failed[m] = true
				return faulty.Fault{Kind: faulty.FailBeforeCommit}
			}
		}
		return faulty.Fault{}
	}
}

// scenario plays script on a fresh bbolt store, wrapped by wrap when set.
func scenario(t *testing.T, cfg config, wrap func(orders.Store) orders.Store, script func(*world)) result {
	t.Helper()
	r := playAndCheck(boltBackend(t.TempDir()), 0, 0, cfg, wrap, script)
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r
}

// deferred sends a command the plan makes fail, and checks that it was handed over.
func deferred(t *testing.T, w *world, user int, k kind, item string) *command {
	t.Helper()
	c := w.send(user, k, item)
	if got := syncText(c); !strings.HasPrefix(got, "Working on it") {
		t.Fatalf("%s %q by %s: got %q, want \"Working on it…\"", k, item, userID(user), got)
	}
	return c
}

// answered sends a command that must be answered at once.
func answered(t *testing.T, w *world, user int, k kind, item string) *command {
	t.Helper()
	c := w.send(user, k, item)
	if got := syncText(c); c.syncErr != nil || strings.HasPrefix(got, "Working on it") {
		t.Fatalf("%s %q by %s: got %q, want an answer at once", k, item, userID(user), got)
	}
	return c
}

// syncText is the synchronous reply of c, or its error.
func syncText(c *command) string {
	if c.syncErr != nil {
		return "error: " + c.syncErr.Error()
	}
	return c.sync.Text
}

// replayIntoNextRound is a store that recognises a repeated request only within a round:
// a delivery replayed after its round closed lands again, in the next round — as a store
// keying request records by round would do.
type replayIntoNextRound struct{ orders.Store }

func (s replayIntoNextRound) SetOrder(ctx context.Context, ch orders.Channel, o orders.Order, req orders.Request, id string) (orders.Result, error) {
	res, err := s.Store.SetOrder(ctx, ch, o, req, id)
	if err == nil && res.Outcome == orders.Replayed && res.Round.ID != "" && !res.Round.Open() {
		// A nanosecond later, so the copy is this user's newest request whatever the ids:
		// at the same instant requests are ordered by id, and a random id could place the
		// copy before the original (it then changed nothing, and the test flaked).
		again := orders.Request{ID: "again-" + req.ID, At: req.At.Add(time.Nanosecond)}
		if _, err := s.Store.SetOrder(ctx, ch, o, again, id+"-again"); err != nil {
			return orders.Result{}, err
		}
	}
	return res, err
}

// arrivalOrder is a store that orders a user's requests by when they reach it, not by
// when Slack sent them: a late deferred run overwrites the user's newer order.
type arrivalOrder struct{ orders.Store }

func (s arrivalOrder) SetOrder(ctx context.Context, ch orders.Channel, o orders.Order, req orders.Request, id string) (orders.Result, error) {
	req.At = time.Now()
	return s.Store.SetOrder(ctx, ch, o, req, id)
}

func TestCheckerRejectsBrokenStores(t *testing.T) {
	tests := []struct {
		name   string
		broken func(orders.Store) orders.Store
		fail   []faulty.Method // the first call of each fails before commit
		script func(*testing.T, *world)
	}{
		{
			// U1's latte commits but its acknowledgement is lost; U2 orders and closes the
			// round, latte in it; the deferred run of latte then only replays it.
			name:   "order replayed after its round closed lands again",
			broken: func(s orders.Store) orders.Store { return replayIntoNextRound{s} },
			script: func(t *testing.T, w *world) {
				w.faults.LoseAcks(1)
				latte := deferred(t, w, 0, opSet, "latte 1.0")
				answered(t, w, 1, opSet, "mocha 2.0")
				answered(t, w, 1, opClose, "")
				w.deliver(latte)
			},
		},
		{
			// U1's latte fails before commit and is deferred; U1 changes it to mocha; the
			// deferred latte then arrives, older than mocha.
			name:   "older order overwrites a newer one",
			broken: func(s orders.Store) orders.Store { return arrivalOrder{s} },
			fail:   []faulty.Method{faulty.SetOrder},
			script: func(t *testing.T, w *world) {
				latte := deferred(t, w, 0, opSet, "latte 1.0")
				answered(t, w, 0, opSet, "mocha 1.1")
				w.deliver(latte)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The same script must pass on the real store, so that the broken one is what
			// the checker rejects — not the scenario.
			good := scenario(t, scripted(2, failFirst(tc.fail...)), nil, func(w *world) { tc.script(t, w) })
			if good.check != porcupine.Ok || good.failure() != "" {
				t.Fatalf("real store: porcupine got %s, want %s\n%s", good.check, porcupine.Ok, good.failure()+dump(good.ops))
			}
			bad := scenario(t, scripted(2, failFirst(tc.fail...)), tc.broken, func(w *world) { tc.script(t, w) })
			if bad.check != porcupine.Illegal {
				t.Fatalf("broken store: porcupine got %s, want %s\n%s", bad.check, porcupine.Illegal, dump(bad.ops))
			}
			// The report carries the store-call trace, each call named by its command.
			if !strings.Contains(bad.trace, "store   by cmd 0   SetOrder cmd 0 (U1 latte 1.0 at=") {
				t.Errorf("broken store's report: got no store call of cmd 0 in its trace, want one:\n%s", bad.trace)
			}
			t.Logf("rejected, as it should be:\n%s", bad.failure())
		})
	}
}
