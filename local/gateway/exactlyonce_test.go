package gateway_test

// Regression tests for the deferred path under a slow or flaky store, end to end: signed
// requests from slacksim through the gateway's templates into the real handlers, the
// gateway's Lambda-style asynchronous invocation (retries, duplicates, queueing delays),
// a fault-injecting store over each real store, and slacksim's response_url endpoint.

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/handler"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/slackio"
	"github.com/orderbot/orderbot/lambdas/store/faulty"
	"github.com/orderbot/orderbot/local/gateway"
	"github.com/orderbot/orderbot/local/slacksim"
)

// offsetClock is the wall clock moved forward by a test ("ten minutes later").
type offsetClock struct{ off atomic.Int64 }

func (c *offsetClock) now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *offsetClock) advance(d time.Duration) { c.off.Add(int64(d)) }

// In-process only, the rig's cases: each injects a fault at one exact store call
// (store/faulty's Plan: the first CloseRound committing while its caller gives up, every
// SetOrder failing), holds one event in the asynchronous queue, or moves the functions'
// clock ten minutes; the template's faults are stack-wide (--store-latency,
// --store-lost-acks, --async-twice) and its functions read the real clock. The same paths
// on the template: TestDeferredReplyThroughGateway/template and TestSlowClickIsAnsweredLater/
// template here, local/devstack TestDeferredRunDeliveredTwice (a deferred order and close
// delivered twice, answered once), cmd/orderbot TestDevLostAck (a lost acknowledgement).

// rig is orderbot on one store with faults, behind the gateway, talking to a simulated
// Slack that issues and records response_urls.
type rig struct {
	t      *testing.T
	inner  orders.Store
	store  *faulty.Store
	gw     *gateway.Gateway
	hooks  *slacksim.ResponseURLs
	hookAt string
	url    string
	clock  *offsetClock

	mu       sync.Mutex
	deferred [][]byte // every event handed to the asynchronous invoke
	dead     []string // functions whose events went to the dead letter
}

type rigOptions struct {
	queueDelay func() time.Duration // gateway.Options.Delay
	duplicate  func() bool          // gateway.Options.Duplicate
}

func newRig(t *testing.T, inner orders.Store, o rigOptions) *rig {
	t.Helper()
	r := &rig{t: t, inner: inner, store: faulty.New(inner), clock: &offsetClock{}}
	r.hooks = &slacksim.ResponseURLs{Now: r.clock.now}
	hookSrv := httptest.NewServer(r.hooks)
	t.Cleanup(hookSrv.Close)
	r.hookAt = hookSrv.URL
	deps := handler.Deps{
		Orders:   &orders.Service{Store: r.store, Now: r.clock.now},
		Verifier: slackio.Verifier{Secret: secret, Now: r.clock.now},
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Budget:   400 * time.Millisecond, // well above a loaded machine's store call, well below the faults' delays
		Deferrer: handler.DeferFunc(func(ctx context.Context, fn string, p []byte) error {
			r.mu.Lock()
			r.deferred = append(r.deferred, p)
			r.mu.Unlock()
			return r.gw.InvokeAsync(ctx, fn, p)
		}),
		LoopbackResponseURLs: true,
	}
	var err error
	r.gw, err = gateway.New(handler.Handlers(deps), gateway.Options{
		Now:         r.clock.now,
		RetryDelays: []time.Duration{50 * time.Millisecond, 100 * time.Millisecond},
		// A 2 s run keeps a 30 s run's shares: it retries the store for 1.4 s, then gives up.
		AsyncTimeout: 2 * time.Second,
		Delay:        o.queueDelay,
		Duplicate:    o.duplicate,
		DeadLetter: func(fn string, _ []byte, err error) {
			r.mu.Lock()
			r.dead = append(r.dead, fn+": "+err.Error())
			r.mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r.gw)
	t.Cleanup(srv.Close)
	r.url = srv.URL
	t.Cleanup(r.gw.Wait)
	return r
}

func (r *rig) client(user string) *slacksim.Client {
	c := slacksim.New(r.url, secret)
	c.Now = r.clock.now
	c.User, c.UserName = user, strings.ToLower(user)
	c.Responses, c.ResponseBase = r.hooks, r.hookAt
	return c
}

// send posts a command and returns the synchronous answer and the command's response_url.
func (r *rig) send(user, command, text string) (*slack.Msg, string) {
	r.t.Helper()
	c := r.client(user)
	form := c.CommandForm(command, text)
	reply, err := c.Post(context.Background(), strings.Replace(command, "/", "/", 1), api.ContentTypeForm, []byte(form.Encode()), nil)
	if err != nil {
		r.t.Fatalf("%s %q: got error %v, want nil", command, text, err)
	}
	if reply.Status != http.StatusOK || reply.Msg == nil {
		r.t.Fatalf("%s %q: got HTTP %d %s, want 200 with a message", command, text, reply.Status, reply.Body)
	}
	return reply.Msg, form.Get("response_url")
}

// answers waits for deferred work to end and returns what reached the response_url.
func (r *rig) answers(url string) []slack.WebhookMessage {
	r.gw.Wait()
	return r.hooks.Messages(url)
}

// only is the one answer a deferred command must get: never none, never two.
func (r *rig) only(url string) slack.WebhookMessage {
	r.t.Helper()
	msgs := r.answers(url)
	if len(msgs) != 1 {
		r.t.Fatalf("got %d answers on response_url %v, want exactly 1", len(msgs), texts(msgs))
	}
	return msgs[0]
}

func texts(msgs []slack.WebhookMessage) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Text
	}
	return out
}

func (r *rig) round() orders.Round {
	r.t.Helper()
	round, err := r.inner.OpenRound(context.Background(), orders.Channel{Team: "T0LOCAL", Channel: "C0LOCAL"})
	if err != nil && err != orders.ErrNoOpenRound {
		r.t.Fatalf("OpenRound: got error %v, want nil or ErrNoOpenRound", err)
	}
	return round
}

// firstCall applies fault to the first call of method and to nothing else.
func firstCall(method faulty.Method, fault faulty.Fault) func(faulty.Call) faulty.Fault {
	var done atomic.Bool
	return func(c faulty.Call) faulty.Fault {
		if c.Method == method && done.CompareAndSwap(false, true) {
			return fault
		}
		return faulty.Fault{}
	}
}

func wantWorking(t *testing.T, msg *slack.Msg) {
	t.Helper()
	if !strings.Contains(msg.Text, "Working on it") {
		t.Fatalf("first answer: got %q, want the working-on-it answer", msg.Text)
	}
}

func wantContains(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Fatalf("%s: got %q, want it to contain %q", what, got, w)
		}
	}
}

// eachStore runs a test on the embedded store and on DynamoDB (dynalite).
func eachStore(t *testing.T, fn func(t *testing.T, s orders.Store)) {
	for name, open := range map[string]func(testing.TB) orders.Store{"bolt": boltStore, "dynamo": dynamoStore} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, open(t))
		})
	}
}

// TestSlowClosePostsTallyOnce: the close commits while its caller gives up (the store call
// is cancelled at the budget but the write lands). The deferred run — delivered twice, as
// Lambda may — finds the close in the store's record and posts the tally to the channel
// exactly once.
func TestSlowClosePostsTallyOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, s orders.Store) {
		r := newRig(t, s, rigOptions{duplicate: func() bool { return true }})
		r.send("U1", "/order-update", "latte")
		r.send("U2", "/order-update", "mocha")
		r.store.Plan = firstCall(faulty.CloseRound, faulty.Fault{Kind: faulty.DelayRaced, Delay: 2 * time.Second})
		msg, url := r.send("U1", "/order-list", "close")
		wantWorking(t, msg)
		tally := r.only(url)
		if tally.ResponseType != slack.ResponseTypeInChannel {
			t.Fatalf("tally response_type: got %q, want in_channel", tally.ResponseType)
		}
		wantContains(t, "tally", tally.Text, "Round closed", "1× latte — <@U1>", "1× mocha — <@U2>")
		if open := r.round(); open.ID != "" {
			t.Fatalf("after the close: got open round %s with %d orders, want none", open.ID, len(open.Orders))
		}
	})
}

// TestLatteThenMochaEndsAsMocha: a deferred latte that runs after the same person's mocha
// changes nothing, and says so.
func TestLatteThenMochaEndsAsMocha(t *testing.T) {
	eachStore(t, func(t *testing.T, s orders.Store) {
		var first atomic.Bool
		r := newRig(t, s, rigOptions{queueDelay: func() time.Duration {
			if first.CompareAndSwap(false, true) {
				return 1500 * time.Millisecond // the latte's deferred run waits in the queue
			}
			return 0
		}})
		r.store.Plan = firstCall(faulty.SetOrder, faulty.Fault{Kind: faulty.Delay, Delay: 2 * time.Second})
		msg, latteURL := r.send("U1", "/order-update", "latte")
		wantWorking(t, msg)
		msg, _ = r.send("U1", "/order-update", "mocha")
		wantContains(t, "mocha", msg.Text, "Your order: *mocha*")
		late := r.only(latteURL)
		wantContains(t, "deferred latte", late.Text, "newer request", "*mocha*")
		if got := r.round(); len(got.Orders) != 1 || got.Orders[0].Item != "mocha" {
			t.Fatalf("stored: got %+v, want U1's mocha only", got.Orders)
		}
	})
}

// TestCommittedThenClosedLeavesNoPhantom: the latte committed but its acknowledgement was
// lost; the round closed before the deferred run. The run finds the latte in the closed
// round and opens no next round with a copy.
func TestCommittedThenClosedLeavesNoPhantom(t *testing.T) {
	eachStore(t, func(t *testing.T, s orders.Store) {
		var first atomic.Bool
		r := newRig(t, s, rigOptions{queueDelay: func() time.Duration {
			if first.CompareAndSwap(false, true) {
				return 1500 * time.Millisecond
			}
			return 0
		}})
		r.store.LoseAcks(1)
		msg, url := r.send("U1", "/order-update", "latte")
		wantWorking(t, msg)
		closed, _ := r.send("U2", "/order-list", "close")
		wantContains(t, "close", closed.Text, "Round closed", "1× latte — <@U1>")
		late := r.only(url)
		wantContains(t, "deferred latte", late.Text, "was saved", "closed since")
		if open := r.round(); open.ID != "" {
			t.Fatalf("phantom: got open round %s with %+v, want none", open.ID, open.Orders)
		}
	})
}

// TestDeferredCancelWithoutOrderSaysSo: a cancel handed to its deferred run (a slow store)
// by someone without an order says there was nothing to cancel; one whose write committed
// but lost its acknowledgement says the order was withdrawn — in-process, where the store
// reports the lost write as a failure and the deferred run finds it, and on the template,
// where the function's SDK retries the write and the store recognises it.
func TestDeferredCancelWithoutOrderSaysSo(t *testing.T) {
	eachDeferredSide(t, func(t *testing.T, s *slackSide) {
		s.send(t, "U2", "/order-update", "tea")
		s.slow(400 * time.Millisecond)
		msg, url := s.send(t, "U1", "/order-update", "cancel")
		wantWorking(t, msg)
		wantContains(t, "deferred cancel without an order", s.finalAnswer(t, msg, url), "nothing to cancel")
		s.slow(0)

		s.send(t, "U3", "/order-update", "latte")
		s.loseAcks(1) // the cancel commits; its caller hears an error
		msg, url = s.send(t, "U3", "/order-update", "cancel")
		wantContains(t, "cancel that committed", s.finalAnswer(t, msg, url), "withdrawn", "1 order left")
		if got := s.open(t); len(got.Orders) != 1 || got.Orders[0].User != "U2" {
			t.Fatalf("stored: got %+v, want U2's tea only", got.Orders)
		}
	})
}

// TestRetryTenMinutesLaterSucceeds: the deferred run's answer fails to reach Slack, and
// Lambda's retry comes ten minutes later — past Slack's 5-minute signature window, well
// inside response_url's 30 minutes. The retry is accepted, applies nothing twice and
// answers.
func TestRetryTenMinutesLaterSucceeds(t *testing.T) {
	eachStore(t, func(t *testing.T, s orders.Store) {
		r := newRig(t, s, rigOptions{})
		r.hooks.Fail = func(_ string, n int) int {
			if n == 1 {
				r.clock.advance(10 * time.Minute)
				return http.StatusServiceUnavailable
			}
			return 0
		}
		r.store.Plan = firstCall(faulty.SetOrder, faulty.Fault{Kind: faulty.Delay, Delay: 2 * time.Second})
		msg, url := r.send("U1", "/order-update", "latte")
		wantWorking(t, msg)
		wantContains(t, "answer of the retry", r.only(url).Text, "Your order: *latte*", "1 order")
		if got := r.round(); len(got.Orders) != 1 || got.Orders[0].Item != "latte" {
			t.Fatalf("stored: got %+v, want one latte", got.Orders)
		}
		if len(r.dead) != 0 {
			t.Fatalf("dead letters: got %v, want none", r.dead)
		}
	})
}

// TestFinalFailureTellsTheUser: every write fails until the run gives up. The person is
// told the order was not saved — and it never will be: the request is recorded as
// abandoned, so a late delivery of it changes nothing.
func TestFinalFailureTellsTheUser(t *testing.T) {
	eachStore(t, func(t *testing.T, s orders.Store) {
		r := newRig(t, s, rigOptions{})
		r.send("U1", "/order-update", "tea")
		r.store.Plan = func(c faulty.Call) faulty.Fault {
			if c.Method == faulty.SetOrder {
				return faulty.Fault{Kind: faulty.FailBeforeCommit}
			}
			return faulty.Fault{}
		}
		msg, url := r.send("U1", "/order-update", "latte")
		wantWorking(t, msg)
		wantContains(t, "final answer", r.only(url).Text, "could not save your order *latte*", "Nothing was changed")
		if got := r.round(); len(got.Orders) != 1 || got.Orders[0].Item != "tea" {
			t.Fatalf("stored: got %+v, want U1's tea", got.Orders)
		}

		// The store recovers and Lambda delivers the event once more: still not applied.
		r.store.Plan = nil
		r.mu.Lock()
		event := r.deferred[len(r.deferred)-1]
		r.mu.Unlock()
		if err := r.gw.InvokeAsync(context.Background(), "order-update", event); err != nil {
			t.Fatalf("late delivery: InvokeAsync(order-update): got error %v, want nil", err)
		}
		r.gw.Wait()
		if got := r.round(); len(got.Orders) != 1 || got.Orders[0].Item != "tea" {
			t.Fatalf("after a late delivery: got %+v, want U1's tea", got.Orders)
		}
		if msgs := r.answers(url); len(msgs) != 1 {
			t.Fatalf("after a late delivery: got %d answers %v, want the one already sent", len(msgs), texts(msgs))
		}
	})
}

// TestUnknownOutcomeIsNeverSilent: when even giving up fails, the person still hears
// that the outcome is unknown.
func TestUnknownOutcomeIsNeverSilent(t *testing.T) {
	r := newRig(t, boltStore(t), rigOptions{})
	r.store.Plan = func(c faulty.Call) faulty.Fault {
		if c.Method == faulty.CloseRound || c.Method == faulty.Abandon {
			return faulty.Fault{Kind: faulty.FailBeforeCommit}
		}
		return faulty.Fault{}
	}
	r.send("U1", "/order-update", "tea")
	msg, url := r.send("U1", "/order-list", "close")
	wantWorking(t, msg)
	wantContains(t, "final answer", r.only(url).Text, "cannot tell")
}

// TestTemplateCannotProduceDeferredEvents: whatever a client sends — a body, headers or a
// query naming "deferred" — the request template's event is never a deferred one, so the
// relaxed signature window is reachable only by the function's own asynchronous invoke.
func TestTemplateCannotProduceDeferredEvents(t *testing.T) {
	var mu sync.Mutex
	var got []api.Event
	record := func(_ context.Context, ev api.Event) (*slack.Msg, error) {
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
		return &slack.Msg{Text: "ok"}, nil
	}
	handlers := map[string]any{}
	for _, rt := range api.Routes {
		handlers[rt.Function] = record
	}
	gw, err := gateway.New(handlers, gateway.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	defer srv.Close()
	c := slacksim.New(srv.URL, secret)
	hostile := http.Header{
		"Deferred": {"true"}, "X-Deferred": {"true"}, "DeferredAt": {"2026-01-01T00:00:00Z"},
		"X-Slack-Retry-Reason": {`","deferred":true,"x":"`},
	}
	bodies := []struct{ path, ctype, body string }{
		{"/order-update", api.ContentTypeForm, `text=latte&deferred=true&%22deferred%22%3Atrue`},
		{"/order-update", api.ContentTypeForm, `"},"deferred":true,"deferredAt":"2026-01-01T00:00:00Z","x":{"`},
		{"/", api.ContentTypeJSON, `{"type":"url_verification","deferred":true,"deferredAt":"2026-01-01T00:00:00Z"}`},
	}
	for _, b := range bodies {
		if _, err := c.Post(context.Background(), b.path+"?deferred=true", b.ctype, []byte(b.body), hostile); err != nil {
			t.Fatalf("POST %s %s: got error %v, want nil", b.path, b.body, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(bodies) {
		t.Fatalf("got %d events, want %d", len(got), len(bodies))
	}
	for i, ev := range got {
		if ev.Deferred || !ev.DeferredAt.IsZero() {
			t.Errorf("request %d: got a deferred event %+v, want none", i, ev)
		}
		raw, _ := json.Marshal(ev)
		if strings.Contains(string(raw), `"deferred"`) {
			t.Errorf("request %d: got event JSON %s, want no \"deferred\" in it", i, raw)
		}
	}
}
