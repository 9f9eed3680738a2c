// Package faulty wraps an orders.Store and injects the faults a slow or flaky DynamoDB
// produces, so that tests and `orderbot dev` can rehearse them: latency on every call,
// writes that commit but whose acknowledgement is lost (the SDK gives up with a timeout
// after the server applied the write), failures before anything is written, and
// cancellations that race the commit.
//
// It exists for tests and local rehearsal only; no Lambda function (lambdas/cmd/...)
// imports it, and a test checks that.
package faulty

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orderbot/orderbot/lambdas/orders"
)

// Method names a Store method.
type Method string

// The methods of orders.Store.
const (
	SetOrder      Method = "SetOrder"
	CancelOrder   Method = "CancelOrder"
	OpenRound     Method = "OpenRound"
	CloseRound    Method = "CloseRound"
	Abandon       Method = "Abandon"
	SetDeadline   Method = "SetDeadline"
	ClosedRounds  Method = "ClosedRounds"
	MarkEvent     Method = "MarkEvent"
	ForgetEvent   Method = "ForgetEvent"
	EventRecorded Method = "EventRecorded"
)

// Write reports whether the method changes the store: every method but the reads.
func (m Method) Write() bool { return m != OpenRound && m != EventRecorded && m != ClosedRounds }

// Call describes one call for a Plan.
type Call struct {
	Method Method
	// N numbers the calls to the Store from 1, in the order they arrive.
	N       int
	Channel orders.Channel // zero for MarkEvent and ForgetEvent
	Request orders.Request // zero for OpenRound, ClosedRounds, MarkEvent and ForgetEvent
	Event   string         // the event id of MarkEvent and ForgetEvent
}

// Kind is what a fault does to a call.
type Kind int

const (
	// None: the call runs unchanged (after the Store's latency).
	None Kind = iota
	// FailBeforeCommit: the call fails without reaching the wrapped store; nothing is
	// written.
	FailBeforeCommit
	// LoseAck: the call runs to completion, whatever happens to its context, and then
	// reports a timeout instead of its result: the write took effect but the caller cannot
	// know.
	LoseAck
	// Delay: the call waits Fault.Delay before it runs. If the context ends first, the
	// call returns ctx.Err() and nothing is written, like a request the SDK abandoned
	// before sending it.
	Delay
	// DelayRaced: like Delay, but a context that ends during the delay loses the race
	// against the commit: the call runs anyway (on a context that is not cancelled) and
	// then returns an error wrapping ctx.Err(). The caller saw a cancellation; the write
	// is in the table.
	DelayRaced
	numKinds
)

func (k Kind) String() string {
	switch k {
	case None:
		return "none"
	case FailBeforeCommit:
		return "fail before commit"
	case LoseAck:
		return "lost acknowledgement"
	case Delay:
		return "delay"
	case DelayRaced:
		return "delay racing the commit"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Fault is what a Plan decides for one call. The zero Fault injects nothing.
type Fault struct {
	Kind  Kind
	Delay time.Duration // for Delay and DelayRaced
}

// ErrInjected is wrapped by every error this package makes up, so that a test can tell
// an injected failure from a real one (IsInjected). A call cut short by its own context
// during injected latency returns ctx.Err() itself, as the SDK would, not an injected
// error.
var ErrInjected = errors.New("injected fault")

// IsInjected reports whether err is, or wraps, an error a faulty Store made up.
func IsInjected(err error) bool { return errors.Is(err, ErrInjected) }

// Committed reports whether err is an injected error of a call that nevertheless ran on
// the wrapped store (LoseAck, DelayRaced): its write, if it made one, took effect.
func Committed(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Committed
}

// Error is an injected failure of one call.
type Error struct {
	Method Method
	Kind   Kind
	// Committed: the wrapped store ran the call; whatever it wrote stays written.
	Committed bool
	// cause is what the failure looks like to the caller: context.DeadlineExceeded for a
	// lost acknowledgement, the context's error for a raced cancellation.
	cause error
}

func (e *Error) Error() string {
	switch e.Kind {
	case FailBeforeCommit:
		return fmt.Sprintf("faulty: %s failed before reaching the store (nothing written): %v", e.Method, ErrInjected)
	case LoseAck:
		return fmt.Sprintf("faulty: %s timed out after the store applied it (the write may have committed): %v", e.Method, e.cause)
	case DelayRaced:
		return fmt.Sprintf("faulty: %s cancelled while the store applied it (the write may have committed): %v", e.Method, e.cause)
	}
	return fmt.Sprintf("faulty: %s: %s: %v", e.Method, e.Kind, ErrInjected)
}

// Unwrap lets errors.Is find both ErrInjected and what the failure imitates, such as
// context.DeadlineExceeded.
func (e *Error) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrInjected}
	}
	return []error{ErrInjected, e.cause}
}

// Store wraps an orders.Store and injects faults into its calls. Every call first waits
// the latency (SetLatency), then, if it is a write and lost acknowledgements are pending
// (LoseAcks), loses its acknowledgement; otherwise Plan decides. It is safe for concurrent
// use.
type Store struct {
	inner orders.Store

	// Plan, when set, picks the fault for each call that no pending lost acknowledgement
	// took. Calls to it are serialised, so it may draw from a *rand.Rand (see Random): a
	// seeded source gives the same faults for the same sequence of calls. Set it before
	// the Store is used.
	Plan func(Call) Fault

	latency  atomic.Int64 // time.Duration
	lostAcks atomic.Int64
	calls    atomic.Int64
	injected [numKinds]atomic.Int64
	planMu   sync.Mutex
}

var _ orders.Store = (*Store)(nil)

// New wraps inner; it injects nothing until configured.
func New(inner orders.Store) *Store { return &Store{inner: inner} }

// SetLatency makes every later call wait d before it runs, as a throttled or distant table
// does. A call whose context ends during the wait returns ctx.Err() without running.
func (s *Store) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// Latency is the current latency.
func (s *Store) Latency() time.Duration { return time.Duration(s.latency.Load()) }

// LoseAcks makes the next n writes lose their acknowledgement (see LoseAck), replacing
// any count still pending; 0 stops it.
func (s *Store) LoseAcks(n int) { s.lostAcks.Store(int64(max(n, 0))) }

// LostAcksPending is how many of the writes LoseAcks asked for are still to come.
func (s *Store) LostAcksPending() int { return int(s.lostAcks.Load()) }

// Injected counts the faults of kind k injected so far (None: calls that ran unchanged).
// A Delay or DelayRaced counts whether or not the context ended during it.
func (s *Store) Injected(k Kind) int {
	if k < 0 || k >= numKinds {
		return 0
	}
	return int(s.injected[k].Load())
}

// takeLostAck consumes one pending lost acknowledgement, never going below zero even when
// writes race for the last one.
func (s *Store) takeLostAck() bool {
	for {
		n := s.lostAcks.Load()
		if n <= 0 {
			return false
		}
		if s.lostAcks.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

func (s *Store) fault(c Call) Fault {
	if c.Method.Write() && s.takeLostAck() {
		return Fault{Kind: LoseAck}
	}
	if s.Plan == nil {
		return Fault{}
	}
	s.planMu.Lock()
	defer s.planMu.Unlock()
	return s.Plan(c)
}

// wait sleeps d unless ctx ends first.
func wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// do runs one call of the wrapped store with the faults that apply to it.
func do[T any](s *Store, ctx context.Context, c Call, run func(context.Context) (T, error)) (T, error) {
	var zero T
	c.N = int(s.calls.Add(1))
	if err := wait(ctx, s.Latency()); err != nil {
		return zero, err
	}
	f := s.fault(c)
	if f.Kind < None || f.Kind >= numKinds {
		panic(fmt.Sprintf("faulty: plan returned unknown fault kind %d for %s", int(f.Kind), c.Method))
	}
	s.injected[f.Kind].Add(1)
	switch f.Kind {
	case FailBeforeCommit:
		return zero, &Error{Method: c.Method, Kind: f.Kind}
	case LoseAck:
		// The server applies the write whatever the client does meanwhile.
		_, _ = run(context.WithoutCancel(ctx))
		return zero, &Error{Method: c.Method, Kind: f.Kind, Committed: true, cause: context.DeadlineExceeded}
	case Delay:
		if err := wait(ctx, f.Delay); err != nil {
			return zero, err
		}
	case DelayRaced:
		if err := wait(ctx, f.Delay); err != nil {
			// The request was already on its way: it commits, and only then does the
			// caller hear of the cancellation, so a test sees the write once it returns.
			_, _ = run(context.WithoutCancel(ctx))
			return zero, &Error{Method: c.Method, Kind: f.Kind, Committed: true, cause: err}
		}
	}
	return run(ctx)
}

// SetOrder implements orders.Store.
func (s *Store) SetOrder(ctx context.Context, ch orders.Channel, o orders.Order, req orders.Request, newID string) (orders.Result, error) {
	return do(s, ctx, Call{Method: SetOrder, Channel: ch, Request: req}, func(ctx context.Context) (orders.Result, error) {
		return s.inner.SetOrder(ctx, ch, o, req, newID)
	})
}

// CancelOrder implements orders.Store.
func (s *Store) CancelOrder(ctx context.Context, ch orders.Channel, user string, req orders.Request) (orders.Result, error) {
	return do(s, ctx, Call{Method: CancelOrder, Channel: ch, Request: req}, func(ctx context.Context) (orders.Result, error) {
		return s.inner.CancelOrder(ctx, ch, user, req)
	})
}

// OpenRound implements orders.Store.
func (s *Store) OpenRound(ctx context.Context, ch orders.Channel) (orders.Round, error) {
	return do(s, ctx, Call{Method: OpenRound, Channel: ch}, func(ctx context.Context) (orders.Round, error) {
		return s.inner.OpenRound(ctx, ch)
	})
}

// EventRecorded implements orders.Store.
func (s *Store) EventRecorded(ctx context.Context, id string, now time.Time) (bool, error) {
	return do(s, ctx, Call{Method: EventRecorded, Event: id}, func(ctx context.Context) (bool, error) {
		return s.inner.EventRecorded(ctx, id, now)
	})
}

// CloseRound implements orders.Store.
func (s *Store) CloseRound(ctx context.Context, ch orders.Channel, req orders.Request, at time.Time) (orders.Result, error) {
	return do(s, ctx, Call{Method: CloseRound, Channel: ch, Request: req}, func(ctx context.Context) (orders.Result, error) {
		return s.inner.CloseRound(ctx, ch, req, at)
	})
}

// SetDeadline implements orders.Store.
func (s *Store) SetDeadline(ctx context.Context, ch orders.Channel, at time.Time, req orders.Request) (orders.Result, error) {
	return do(s, ctx, Call{Method: SetDeadline, Channel: ch, Request: req}, func(ctx context.Context) (orders.Result, error) {
		return s.inner.SetDeadline(ctx, ch, at, req)
	})
}

// ClosedRounds implements orders.Store.
func (s *Store) ClosedRounds(ctx context.Context, ch orders.Channel, limit int, now time.Time) ([]orders.Round, error) {
	return do(s, ctx, Call{Method: ClosedRounds, Channel: ch}, func(ctx context.Context) ([]orders.Round, error) {
		return s.inner.ClosedRounds(ctx, ch, limit, now)
	})
}

// Abandon implements orders.Store.
func (s *Store) Abandon(ctx context.Context, ch orders.Channel, t orders.Target, req orders.Request) (orders.Result, error) {
	return do(s, ctx, Call{Method: Abandon, Channel: ch, Request: req}, func(ctx context.Context) (orders.Result, error) {
		return s.inner.Abandon(ctx, ch, t, req)
	})
}

// MarkEvent implements orders.Store.
func (s *Store) MarkEvent(ctx context.Context, id string, now, expires time.Time) (bool, error) {
	return do(s, ctx, Call{Method: MarkEvent, Event: id}, func(ctx context.Context) (bool, error) {
		return s.inner.MarkEvent(ctx, id, now, expires)
	})
}

// ForgetEvent implements orders.Store.
func (s *Store) ForgetEvent(ctx context.Context, id string) error {
	_, err := do(s, ctx, Call{Method: ForgetEvent, Event: id}, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.inner.ForgetEvent(ctx, id)
	})
	return err
}

// Mix is how likely Random makes each fault, per call; the rest of the calls run
// unchanged. The probabilities should add up to at most 1.
type Mix struct {
	FailBeforeCommit, LoseAck, Delay, DelayRaced float64
	// MaxDelay bounds Delay and DelayRaced: each waits a uniform duration in [0, MaxDelay).
	MaxDelay time.Duration
	// Writes: inject faults into writes only; reads run unchanged.
	Writes bool
}

// Random returns a Plan that draws every call's fault from rng. It draws the same
// numbers whatever it picks, so a seeded rng gives the same faults for the same sequence
// of calls. rng is used only by the plan; Store serialises calls to it.
func Random(rng *rand.Rand, m Mix) func(Call) Fault {
	return func(c Call) Fault {
		p := rng.Float64()
		var d time.Duration
		if m.MaxDelay > 0 {
			d = time.Duration(rng.Int64N(int64(m.MaxDelay)))
		} else {
			_ = rng.Uint64() // keep the draws per call constant
		}
		if m.Writes && !c.Method.Write() {
			return Fault{}
		}
		for _, k := range []struct {
			kind Kind
			p    float64
		}{{FailBeforeCommit, m.FailBeforeCommit}, {LoseAck, m.LoseAck}, {Delay, m.Delay}, {DelayRaced, m.DelayRaced}} {
			if p < k.p {
				f := Fault{Kind: k.kind}
				if k.kind == Delay || k.kind == DelayRaced {
					f.Delay = d
				}
				return f
			}
			p -= k.p
		}
		return Fault{}
	}
}
