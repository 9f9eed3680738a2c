package faulty_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/store/faulty"
)

// memStore is the smallest orders.Store the tests need: one open round per channel and a
// set of event ids, and a record of every call that reached it. It checks no request
// records; that is the real stores' business, not the fault injector's.
type memStore struct {
	mu      sync.Mutex
	rounds  map[orders.Channel]*orders.Round
	events  map[string]bool
	ran     []faulty.Method // calls that reached the store, in order
	ctxErrs []error         // the context's error as each call saw it
}

func newMemStore() *memStore {
	return &memStore{rounds: map[orders.Channel]*orders.Round{}, events: map[string]bool{}}
}

func (m *memStore) enter(ctx context.Context, method faulty.Method) func() {
	m.mu.Lock()
	m.ran = append(m.ran, method)
	m.ctxErrs = append(m.ctxErrs, ctx.Err())
	return m.mu.Unlock
}

func (m *memStore) calls() []faulty.Method {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]faulty.Method(nil), m.ran...)
}

func (m *memStore) SetOrder(ctx context.Context, ch orders.Channel, o orders.Order, req orders.Request, newID string) (orders.Result, error) {
	defer m.enter(ctx, faulty.SetOrder)()
	r := m.rounds[ch]
	if r == nil {
		r = &orders.Round{Channel: ch, ID: newID, OpenedAt: req.At}
		m.rounds[ch] = r
	}
	r.Orders = append(r.Orders, o)
	return orders.Result{Round: *r, Outcome: orders.Applied}, nil
}

func (m *memStore) CancelOrder(ctx context.Context, ch orders.Channel, user string, req orders.Request) (orders.Result, error) {
	defer m.enter(ctx, faulty.CancelOrder)()
	r := m.rounds[ch]
	if r == nil {
		return orders.Result{}, orders.ErrNoOpenRound
	}
	for i, o := range r.Orders {
		if o.User == user {
			r.Orders = append(r.Orders[:i], r.Orders[i+1:]...)
			return orders.Result{Round: *r, Outcome: orders.Applied}, nil
		}
	}
	return orders.Result{}, orders.ErrNoOrder
}

func (m *memStore) OpenRound(ctx context.Context, ch orders.Channel) (orders.Round, error) {
	defer m.enter(ctx, faulty.OpenRound)()
	if r := m.rounds[ch]; r != nil {
		return *r, nil
	}
	return orders.Round{}, orders.ErrNoOpenRound
}

func (m *memStore) CloseRound(ctx context.Context, ch orders.Channel, req orders.Request, at time.Time) (orders.Result, error) {
	defer m.enter(ctx, faulty.CloseRound)()
	r := m.rounds[ch]
	if r == nil {
		return orders.Result{}, orders.ErrNoOpenRound
	}
	delete(m.rounds, ch)
	r.ClosedAt = at
	return orders.Result{Round: *r, Outcome: orders.Applied}, nil
}

func (m *memStore) Abandon(ctx context.Context, ch orders.Channel, t orders.Target, req orders.Request) (orders.Result, error) {
	defer m.enter(ctx, faulty.Abandon)()
	return orders.Result{Outcome: orders.Applied}, nil
}

func (m *memStore) SetDeadline(ctx context.Context, ch orders.Channel, at time.Time, req orders.Request) (orders.Result, error) {
	defer m.enter(ctx, faulty.SetDeadline)()
	r := m.rounds[ch]
	if r == nil {
		return orders.Result{}, orders.ErrNoOpenRound
	}
	r.Deadline, r.DeadlineBy = at, req.ID
	return orders.Result{Round: *r, Outcome: orders.Applied}, nil
}

func (m *memStore) ClosedRounds(ctx context.Context, ch orders.Channel, limit int, now time.Time) ([]orders.Round, error) {
	defer m.enter(ctx, faulty.ClosedRounds)()
	return []orders.Round{}, nil
}

func (m *memStore) MarkEvent(ctx context.Context, id string, now, expires time.Time) (bool, error) {
	defer m.enter(ctx, faulty.MarkEvent)()
	first := !m.events[id]
	m.events[id] = true
	return first, nil
}

func (m *memStore) EventRecorded(ctx context.Context, id string, _ time.Time) (bool, error) {
	defer m.enter(ctx, faulty.EventRecorded)()
	return m.events[id], nil
}

func (m *memStore) ForgetEvent(ctx context.Context, id string) error {
	defer m.enter(ctx, faulty.ForgetEvent)()
	delete(m.events, id)
	return nil
}

var (
	ch    = orders.Channel{Team: "T1", Channel: "C1"}
	start = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
)

func req(n int) orders.Request {
	return orders.Request{ID: fmt.Sprintf("req-%d", n), At: start.Add(time.Duration(n) * time.Second)}
}

func setOrder(ctx context.Context, s orders.Store, n int) error {
	o := orders.Order{User: fmt.Sprintf("U%d", n), UserName: "someone", Item: "latte", At: req(n).At, Req: req(n).ID}
	_, err := s.SetOrder(ctx, ch, o, req(n), orders.NewRoundID(req(n).At))
	return err
}

// writes calls every write method once, in a fixed order.
var writes = []struct {
	method faulty.Method
	call   func(context.Context, orders.Store) error
}{
	{faulty.SetOrder, func(ctx context.Context, s orders.Store) error { return setOrder(ctx, s, 1) }},
	{faulty.CancelOrder, func(ctx context.Context, s orders.Store) error {
		_, err := s.CancelOrder(ctx, ch, "U1", req(2))
		return err
	}},
	{faulty.SetDeadline, func(ctx context.Context, s orders.Store) error {
		_, err := s.SetDeadline(ctx, ch, start.Add(time.Hour), req(5))
		return err
	}},
	{faulty.CloseRound, func(ctx context.Context, s orders.Store) error {
		_, err := s.CloseRound(ctx, ch, req(3), start)
		return err
	}},
	{faulty.Abandon, func(ctx context.Context, s orders.Store) error {
		_, err := s.Abandon(ctx, ch, orders.Target{User: "U1"}, req(4))
		return err
	}},
	{faulty.MarkEvent, func(ctx context.Context, s orders.Store) error {
		_, err := s.MarkEvent(ctx, "Ev1", start, start.Add(time.Hour))
		return err
	}},
	{faulty.ForgetEvent, func(ctx context.Context, s orders.Store) error { return s.ForgetEvent(ctx, "Ev1") }},
}

func TestPassThrough(t *testing.T) {
	mem := newMemStore()
	s := faulty.New(mem)
	for _, w := range writes {
		if err := w.call(context.Background(), s); err != nil {
			t.Errorf("%s: got %v, want no error", w.method, err)
		}
	}
	if got := len(mem.calls()); got != len(writes) {
		t.Errorf("got %d calls on the wrapped store, want %d", got, len(writes))
	}
	if got := s.Injected(faulty.None); got != len(writes) {
		t.Errorf("Injected(None) = %d, want %d", got, len(writes))
	}
}

// TestLatencyHonoursCancellation: a call whose context ends during the latency returns
// the context's error and never reaches the store, like a request the SDK abandoned
// before sending it; reads wait as well as writes.
func TestLatencyHonoursCancellation(t *testing.T) {
	mem := newMemStore()
	s := faulty.New(mem)
	s.SetLatency(time.Hour)
	for _, call := range []struct {
		name string
		do   func(context.Context) error
	}{
		{"SetOrder", func(ctx context.Context) error { return setOrder(ctx, s, 1) }},
		{"OpenRound", func(ctx context.Context) error { _, err := s.OpenRound(ctx, ch); return err }},
		{"ClosedRounds", func(ctx context.Context) error { _, err := s.ClosedRounds(ctx, ch, 5, start); return err }},
		{"ForgetEvent", func(ctx context.Context) error { return s.ForgetEvent(ctx, "Ev1") }},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		began := time.Now()
		err := call.do(ctx)
		cancel()
		if err != context.DeadlineExceeded {
			t.Errorf("%s: got %v, want context.DeadlineExceeded itself", call.name, err)
		}
		if faulty.IsInjected(err) {
			t.Errorf("%s: IsInjected(%v) = true, want false: the caller's own deadline ended it", call.name, err)
		}
		if took := time.Since(began); took > 5*time.Second {
			t.Errorf("%s: returned after %v, want soon after the 20ms deadline", call.name, took)
		}
	}
	if got := mem.calls(); len(got) != 0 {
		t.Errorf("wrapped store ran %v, want nothing", got)
	}

	s.SetLatency(30 * time.Millisecond)
	began := time.Now()
	if err := setOrder(context.Background(), s, 1); err != nil {
		t.Fatalf("got %v, want no error", err)
	}
	if took := time.Since(began); took < 30*time.Millisecond {
		t.Errorf("call took %v, want at least the latency 30ms", took)
	}
	if got := mem.calls(); len(got) != 1 || got[0] != faulty.SetOrder {
		t.Errorf("wrapped store ran %v, want [SetOrder]", got)
	}
}

// TestLostAckAppliesAndErrors: every write method takes effect — even on a context the
// caller already cancelled — and then reports a timeout that says it may have committed.
func TestLostAckAppliesAndErrors(t *testing.T) {
	for _, w := range writes {
		t.Run(string(w.method), func(t *testing.T) {
			mem := newMemStore()
			s := faulty.New(mem)
			s.LoseAcks(1)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			err := w.call(ctx, s)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("got %v, want an error wrapping context.DeadlineExceeded", err)
			}
			if !faulty.IsInjected(err) || !faulty.Committed(err) {
				t.Errorf("IsInjected, Committed = %t, %t for %v; want true, true", faulty.IsInjected(err), faulty.Committed(err), err)
			}
			if err != nil && !strings.Contains(err.Error(), "may have committed") {
				t.Errorf("got message %q, want it to say the write may have committed", err)
			}
			if got := mem.calls(); len(got) != 1 || got[0] != w.method {
				t.Fatalf("wrapped store ran %v, want [%s]", got, w.method)
			}
			if mem.ctxErrs[0] != nil {
				t.Errorf("the write ran on a context with error %v, want one that is not cancelled", mem.ctxErrs[0])
			}
		})
	}

	// The write is really there.
	mem := newMemStore()
	s := faulty.New(mem)
	s.LoseAcks(1)
	if err := setOrder(context.Background(), s, 7); !faulty.Committed(err) {
		t.Fatalf("got %v, want a lost acknowledgement", err)
	}
	r, err := s.OpenRound(context.Background(), ch)
	if err != nil || len(r.Orders) != 1 || r.Orders[0].User != "U7" {
		t.Errorf("open round after the lost acknowledgement: got %+v, %v; want U7's order", r.Orders, err)
	}
}

// TestLoseAcksCountsWritesExactly: LoseAcks(n) takes exactly the next n writes; reads
// neither count nor fail.
func TestLoseAcksCountsWritesExactly(t *testing.T) {
	mem := newMemStore()
	s := faulty.New(mem)
	s.LoseAcks(4)
	for i, w := range writes {
		if _, err := s.OpenRound(context.Background(), ch); faulty.IsInjected(err) {
			t.Errorf("read before write %d: got %v, want no injected error", i, err)
		}
		err := w.call(context.Background(), s)
		if lost := i < 4; faulty.Committed(err) != lost {
			t.Errorf("write %d (%s): got %v, want lost acknowledgement %t", i, w.method, err, lost)
		}
		if got, want := s.LostAcksPending(), max(4-i-1, 0); got != want {
			t.Errorf("after write %d: LostAcksPending() = %d, want %d", i, got, want)
		}
	}
	if got := s.Injected(faulty.LoseAck); got != 4 {
		t.Errorf("Injected(LoseAck) = %d, want 4", got)
	}
	if got := len(mem.calls()); got != 2*len(writes) {
		t.Errorf("wrapped store ran %d calls, want %d: every call, lost or not, reaches it", got, 2*len(writes))
	}

	// Writes racing for the last lost acknowledgements take exactly n of them.
	s = faulty.New(newMemStore())
	s.LoseAcks(50)
	var wg sync.WaitGroup
	var mu sync.Mutex
	lost := 0
	for i := range 200 {
		wg.Go(func() {
			_, err := s.MarkEvent(context.Background(), fmt.Sprint("Ev", i), start, start.Add(time.Hour))
			if faulty.Committed(err) {
				mu.Lock()
				lost++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if lost != 50 || s.LostAcksPending() != 0 {
		t.Errorf("concurrent writes: got %d lost acknowledgements and %d pending, want 50 and 0", lost, s.LostAcksPending())
	}

	s.LoseAcks(3)
	s.LoseAcks(0)
	if err := s.ForgetEvent(context.Background(), "Ev1"); err != nil {
		t.Errorf("after LoseAcks(0): got %v, want no error", err)
	}
}

// TestFailBeforeCommitDoesNotApply: the call fails with an injected error that is not a
// timeout, and the wrapped store never sees it.
func TestFailBeforeCommitDoesNotApply(t *testing.T) {
	mem := newMemStore()
	s := faulty.New(mem)
	s.Plan = func(c faulty.Call) faulty.Fault {
		if c.Method == faulty.SetOrder {
			return faulty.Fault{Kind: faulty.FailBeforeCommit}
		}
		return faulty.Fault{}
	}
	err := setOrder(context.Background(), s, 1)
	if !faulty.IsInjected(err) || faulty.Committed(err) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want an injected error, not committed, not a timeout", err)
	}
	var fe *faulty.Error
	if !errors.As(err, &fe) || fe.Method != faulty.SetOrder || fe.Kind != faulty.FailBeforeCommit {
		t.Errorf("got %#v, want a *faulty.Error for SetOrder, FailBeforeCommit", err)
	}
	if _, err := s.OpenRound(context.Background(), ch); !errors.Is(err, orders.ErrNoOpenRound) {
		t.Errorf("OpenRound after the failed SetOrder: got %v, want %v", err, orders.ErrNoOpenRound)
	}
	if got := mem.calls(); len(got) != 1 || got[0] != faulty.OpenRound {
		t.Errorf("wrapped store ran %v, want only [OpenRound]", got)
	}
}

// TestDelay: a Delay that outlasts the context writes nothing; a DelayRaced one writes
// and reports the cancellation; either runs normally when the context lasts.
func TestDelay(t *testing.T) {
	for _, tc := range []struct {
		kind    faulty.Kind
		applied bool
	}{{faulty.Delay, false}, {faulty.DelayRaced, true}} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			mem := newMemStore()
			s := faulty.New(mem)
			delay := time.Hour
			s.Plan = func(faulty.Call) faulty.Fault { return faulty.Fault{Kind: tc.kind, Delay: delay} }
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel()
			err := setOrder(ctx, s, 1)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("got %v, want an error wrapping context.DeadlineExceeded", err)
			}
			if faulty.Committed(err) != tc.applied || faulty.IsInjected(err) != tc.applied {
				t.Errorf("Committed, IsInjected = %t, %t for %v; want %t, %t", faulty.Committed(err), faulty.IsInjected(err), err, tc.applied, tc.applied)
			}
			if got := len(mem.calls()); got != map[bool]int{false: 0, true: 1}[tc.applied] {
				t.Errorf("wrapped store ran %d calls, want applied %t", got, tc.applied)
			}

			delay = 20 * time.Millisecond
			began := time.Now()
			if err := setOrder(context.Background(), s, 2); err != nil {
				t.Errorf("with a context that lasts: got %v, want no error", err)
			}
			if took := time.Since(began); took < delay {
				t.Errorf("call took %v, want at least the delay %v", took, delay)
			}
			if got := s.Injected(tc.kind); got != 2 {
				t.Errorf("Injected(%s) = %d, want 2", tc.kind, got)
			}
		})
	}
}

// TestPlanSeesCalls: a plan learns the method, its sequence number and what it is about;
// a write taken by a pending lost acknowledgement does not reach the plan.
func TestPlanSeesCalls(t *testing.T) {
	s := faulty.New(newMemStore())
	var seen []faulty.Call
	s.Plan = func(c faulty.Call) faulty.Fault {
		seen = append(seen, c)
		return faulty.Fault{}
	}
	ctx := context.Background()
	setOrder(ctx, s, 1)
	s.OpenRound(ctx, ch)
	s.LoseAcks(1)
	s.CloseRound(ctx, ch, req(3), start)
	s.MarkEvent(ctx, "Ev9", start, start.Add(time.Hour))
	want := []faulty.Call{
		{Method: faulty.SetOrder, N: 1, Channel: ch, Request: req(1)},
		{Method: faulty.OpenRound, N: 2, Channel: ch},
		{Method: faulty.MarkEvent, N: 4, Event: "Ev9"},
	}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("plan saw\n%v\nwant\n%v", seen, want)
	}
}

// TestRandomIsDeterministic: the same seed and the same calls give the same faults, and
// Writes keeps reads clean.
func TestRandomIsDeterministic(t *testing.T) {
	mix := faulty.Mix{FailBeforeCommit: 0.2, LoseAck: 0.2, Delay: 0.2, DelayRaced: 0.2, MaxDelay: time.Millisecond, Writes: true}
	run := func(seed uint64) []faulty.Fault {
		s := faulty.New(newMemStore())
		plan := faulty.Random(rand.New(rand.NewPCG(seed, 1)), mix)
		var faults []faulty.Fault
		s.Plan = func(c faulty.Call) faulty.Fault {
			f := plan(c)
			if !c.Method.Write() && f != (faulty.Fault{}) {
				t.Errorf("read %s got fault %+v, want none with Mix.Writes", c.Method, f)
			}
			faults = append(faults, f)
			return f
		}
		for i := range 100 {
			setOrder(context.Background(), s, i)
			s.OpenRound(context.Background(), ch)
		}
		return faults
	}
	a, b, c := run(1), run(1), run(2)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("seed 1 twice: got different faults\n%v\n%v", a, b)
	}
	if fmt.Sprint(a) == fmt.Sprint(c) {
		t.Errorf("seeds 1 and 2: got the same faults, want different")
	}
	kinds := map[faulty.Kind]int{}
	for _, f := range a {
		kinds[f.Kind]++
		if f.Delay != 0 && f.Kind != faulty.Delay && f.Kind != faulty.DelayRaced {
			t.Errorf("fault %+v: got a delay on a kind that does not wait", f)
		}
	}
	for k := faulty.None; k <= faulty.DelayRaced; k++ {
		if kinds[k] == 0 {
			t.Errorf("100 writes with a 20%% chance each: got no %s, want some", k)
		}
	}
}

// TestNotInLambdas: the deployed functions never carry the fault injector.
func TestNotInLambdas(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found:", err)
	}
	// go list reads imports only, so this holds even while a function does not compile.
	out, err := exec.Command(goTool, "list", "-e", "-deps", "-f", "{{.ImportPath}}", "../../cmd/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	if strings.Contains(string(out), "/store/faulty") {
		t.Error("a package under lambdas/cmd depends on lambdas/store/faulty, want none")
	}
	if !strings.Contains(string(out), "github.com/orderbot/orderbot/lambdas/handler") {
		t.Errorf("go list found no handler among the functions' dependencies, want it there:\n%s", out)
	}
}
