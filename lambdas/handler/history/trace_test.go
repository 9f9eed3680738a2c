package history

// The store-call trace of a history (issue #21): scheduling is not replayed, so a seed
// fixes the commands, the configuration and the fault draws but not the interleaving, and
// a failing history rarely fails again when rerun. Every history therefore records each
// store call twice — as the handler saw it (world.track, after the injected faults) and as
// the store itself ran it (recorder, under store/faulty: when the real call began and
// ended, so when its write committed) — with the delivery that made it, and a failure
// prints the trace beside the history, in time order. On bbolt the store's calls that
// write are serialised (one writer per file), so their order in the trace is their commit
// order; on DynamoDB each conditional write commits inside its call's interval.

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/orderbot/orderbot/lambdas/orders"
)

// traceEntry is one store call.
type traceEntry struct {
	begin, end int64  // ns since the history started
	layer      string // "handler": what the handler saw; "store": the real store's call
	delivery   int    // the command whose delivery made the call; -1 unknown
	method     string
	req        string // request id, or event id for MarkEvent/EventRecorded/ForgetEvent
	args       string
	result     string
}

// trace collects a history's entries.
type trace struct {
	since   func() int64
	mu      sync.Mutex
	entries []traceEntry
}

// call starts an entry; the returned func completes it with the call's result.
func (t *trace) call(ctx context.Context, layer, method, req, args string) func(result string) {
	e := traceEntry{begin: t.since(), layer: layer, delivery: -1, method: method, req: req, args: args}
	if d, ok := ctx.Value(deliveryKey{}).(int); ok {
		e.delivery = d
	}
	return func(result string) {
		e.end, e.result = t.since(), result
		t.mu.Lock()
		t.entries = append(t.entries, e)
		t.mu.Unlock()
	}
}

// resultString renders a write's result for the trace.
func resultString(res orders.Result, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	s := res.Outcome.String()
	if res.NoChange {
		s += " (no change)"
	}
	if res.Round.ID != "" {
		s += fmt.Sprintf(" round@%s%s", res.Round.ID, roundOrders(res.Round))
	}
	return s
}

func roundOrders(r orders.Round) string {
	var parts []string
	for _, o := range r.Orders {
		parts = append(parts, o.User+"="+o.Item)
	}
	closed := ""
	if !r.Open() {
		closed = " closed"
	}
	return closed + " {" + strings.Join(parts, ", ") + "}"
}

func requestString(req orders.Request) string {
	s := fmt.Sprintf("at=%s signed=%d", req.At.Format("15:04:05.000"), req.Signed.Unix())
	if req.Round != "" {
		s += " on=" + req.Round
	}
	if req.DeadlineBy != "" {
		s += " deadlineBy=" + short(req.DeadlineBy)
	}
	return s
}

func short(id string) string { return id[:min(len(id), 8)] }

func errString(err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return "ok"
}

// format renders the trace in time order, naming each request by its command (cmds by
// request id; reply claims and events by the request they belong to).
func (t *trace) format(cmds []*command) string {
	t.mu.Lock()
	entries := slices.Clone(t.entries)
	t.mu.Unlock()
	slices.SortStableFunc(entries, func(a, b traceEntry) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end))
	})
	byReq := map[string]string{}
	for _, c := range cmds {
		if c.replayOf == nil && c.reqID != "" {
			byReq[c.reqID] = fmt.Sprintf("cmd %d", c.id)
		}
	}
	var b strings.Builder
	b.WriteString("  store-call trace [began – ended, ms] layer delivery: method request (args) → result\n")
	for _, e := range entries {
		who := "?"
		if e.delivery >= 0 {
			who = fmt.Sprintf("by cmd %d", e.delivery)
		}
		req := e.req
		for id, name := range byReq {
			if id != "" && strings.Contains(e.req, id) {
				req = strings.Replace(e.req, id, name, 1)
				break
			}
		}
		fmt.Fprintf(&b, "  [%8.1f – %8.1f] %-7s %-10s %s %s (%s) → %s\n", float64(e.begin)/1e6, float64(e.end)/1e6,
			e.layer, who, e.method, req, e.args, e.result)
	}
	return b.String()
}

// recorder is the store under store/faulty: it records every call the real store ran.
type recorder struct {
	orders.Store
	t *trace
}

func (r recorder) SetOrder(ctx context.Context, ch orders.Channel, o orders.Order, req orders.Request, id string) (orders.Result, error) {
	done := r.t.call(ctx, "store", "SetOrder", req.ID, o.User+" "+o.Item+" "+requestString(req))
	res, err := r.Store.SetOrder(ctx, ch, o, req, id)
	done(resultString(res, err))
	return res, err
}

func (r recorder) CancelOrder(ctx context.Context, ch orders.Channel, user string, req orders.Request) (orders.Result, error) {
	done := r.t.call(ctx, "store", "CancelOrder", req.ID, user+" "+requestString(req))
	res, err := r.Store.CancelOrder(ctx, ch, user, req)
	done(resultString(res, err))
	return res, err
}

func (r recorder) OpenRound(ctx context.Context, ch orders.Channel) (orders.Round, error) {
	done := r.t.call(ctx, "store", "OpenRound", "", "")
	round, err := r.Store.OpenRound(ctx, ch)
	if err == nil {
		done("round@" + round.ID + roundOrders(round))
	} else {
		done(errString(err))
	}
	return round, err
}

func (r recorder) CloseRound(ctx context.Context, ch orders.Channel, req orders.Request, at time.Time) (orders.Result, error) {
	done := r.t.call(ctx, "store", "CloseRound", req.ID, req.User+" "+requestString(req))
	res, err := r.Store.CloseRound(ctx, ch, req, at)
	done(resultString(res, err))
	return res, err
}

func (r recorder) SetDeadline(ctx context.Context, ch orders.Channel, at time.Time, req orders.Request) (orders.Result, error) {
	done := r.t.call(ctx, "store", "SetDeadline", req.ID, fmt.Sprintf("%s deadline=%s %s", req.User, at.Format("15:04:05"), requestString(req)))
	res, err := r.Store.SetDeadline(ctx, ch, at, req)
	done(resultString(res, err))
	return res, err
}

func (r recorder) Abandon(ctx context.Context, ch orders.Channel, tg orders.Target, req orders.Request) (orders.Result, error) {
	done := r.t.call(ctx, "store", "Abandon", req.ID, fmt.Sprintf("%+v %s", tg, requestString(req)))
	res, err := r.Store.Abandon(ctx, ch, tg, req)
	done(resultString(res, err))
	return res, err
}

func (r recorder) MarkEvent(ctx context.Context, id string, now, expires time.Time) (bool, error) {
	done := r.t.call(ctx, "store", "MarkEvent", id, "")
	first, err := r.Store.MarkEvent(ctx, id, now, expires)
	done(fmt.Sprintf("first=%v %s", first, errString(err)))
	return first, err
}

func (r recorder) EventRecorded(ctx context.Context, id string, now time.Time) (bool, error) {
	done := r.t.call(ctx, "store", "EventRecorded", id, "")
	ok, err := r.Store.EventRecorded(ctx, id, now)
	done(fmt.Sprintf("recorded=%v %s", ok, errString(err)))
	return ok, err
}

func (r recorder) ForgetEvent(ctx context.Context, id string) error {
	done := r.t.call(ctx, "store", "ForgetEvent", id, "")
	err := r.Store.ForgetEvent(ctx, id)
	done(errString(err))
	return err
}
