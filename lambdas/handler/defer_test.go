package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// slowStore delays every write, as a throttled DynamoDB would, and honours cancellation.
type slowStore struct {
	orders.Store
	delay time.Duration
}

func (s *slowStore) wait(ctx context.Context) error {
	select {
	case <-time.After(s.delay):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *slowStore) SetOrder(ctx context.Context, ch orders.Channel, o orders.Order, req orders.Request, id string) (orders.Result, error) {
	if err := s.wait(ctx); err != nil {
		return orders.Result{}, err
	}
	return s.Store.SetOrder(ctx, ch, o, req, id)
}

func (s *slowStore) CloseRound(ctx context.Context, ch orders.Channel, req orders.Request, at time.Time) (orders.Result, error) {
	if err := s.wait(ctx); err != nil {
		return orders.Result{}, err
	}
	return s.Store.CloseRound(ctx, ch, req, at)
}

// responseURL is a fake Slack response_url endpoint.
type responseURL struct {
	srv  *httptest.Server
	mu   sync.Mutex
	msgs []slack.WebhookMessage
	got  chan struct{}
}

func newResponseURL(t *testing.T) *responseURL {
	r := &responseURL{got: make(chan struct{}, 10)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var m slack.WebhookMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("decoding response_url body %s: got error %v, want nil", b, err)
		}
		r.mu.Lock()
		r.msgs = append(r.msgs, m)
		r.mu.Unlock()
		w.Write([]byte("ok"))
		r.got <- struct{}{}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// asyncInvoker plays Lambda's asynchronous invocation: JSON in, handler run later.
func asyncInvoker(t *testing.T, handlers func() map[string]func(context.Context, api.Event) (*slack.Msg, error)) DeferFunc {
	return func(_ context.Context, function string, payload []byte) error {
		var ev api.Event
		if err := json.Unmarshal(payload, &ev); err != nil {
			return err
		}
		go func() {
			if _, err := handlers()[function](context.Background(), ev); err != nil {
				t.Errorf("deferred %s: got error %v, want nil", function, err)
			}
		}()
		return nil
	}
}

func TestSlowStoreDefersAndLosesNothing(t *testing.T) {
	f := newFixture(t)
	// Well past budget + grace, so the first answer is always "working on it".
	slow := &slowStore{Store: f.store, delay: 800 * time.Millisecond}
	f.deps.Orders = &orders.Service{Store: slow, Now: f.deps.Orders.Now}
	f.deps.Budget = 100 * time.Millisecond
	hooks := newResponseURL(t)
	var hs map[string]func(context.Context, api.Event) (*slack.Msg, error)
	f.deps.Deferrer = asyncInvoker(t, func() map[string]func(context.Context, api.Event) (*slack.Msg, error) { return hs })
	hs = map[string]func(context.Context, api.Event) (*slack.Msg, error){"order-update": OrderUpdate(f.deps), "order-list": OrderList(f.deps)}

	send := func(command, user, text string) (*slack.Msg, time.Duration) {
		form := commandBody(command, user, text)
		form = strings.Replace(form, "response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1%2F1%2Fx", "response_url="+hooks.srv.URL, 1)
		start := time.Now()
		fn := strings.TrimPrefix(command, "/")
		msg, err := hs[fn](context.Background(), signed(form, now))
		if err != nil {
			t.Fatalf("%s %q by %s: got error %v, want nil", command, text, user, err)
		}
		return msg, time.Since(start)
	}
	await := func() slack.WebhookMessage {
		t.Helper()
		select {
		case <-hooks.got:
		case <-time.After(5 * time.Second):
			t.Fatal("deferred reply on response_url: got none within 5s, want one")
		}
		hooks.mu.Lock()
		defer hooks.mu.Unlock()
		return hooks.msgs[len(hooks.msgs)-1]
	}

	msg, took := send("/order-update", "U1", "iced americano")
	if !strings.Contains(msg.Text, "Working on it") || msg.ResponseType != slack.ResponseTypeEphemeral {
		t.Fatalf("slow update: got reply %q (%s), want an ephemeral \"Working on it\"", msg.Text, msg.ResponseType)
	}
	if limit := f.deps.Budget + Grace + 250*time.Millisecond; took > limit {
		t.Errorf("answer time: got %v, want at most %v (budget %v + grace %v + 250ms)", took, limit, f.deps.Budget, Grace)
	}
	final := await()
	if !strings.Contains(final.Text, "*iced americano* — 1 order in this round") || !final.ReplaceOriginal {
		t.Fatalf("deferred reply: got %+v, want one replacing the original with \"*iced americano* — 1 order in this round\"", final)
	}
	if r := f.openRound(t); len(r.Orders) != 1 || r.Orders[0].Item != "iced americano" {
		t.Fatalf("orders after deferred update: got %+v, want one iced americano", r.Orders)
	}

	msg, _ = send("/order-list", "U1", "close")
	if !strings.Contains(msg.Text, "Working on it") {
		t.Fatalf("slow close: got reply %q, want \"Working on it\"", msg.Text)
	}
	final = await()
	if !strings.Contains(final.Text, "Round closed") || !strings.Contains(final.Text, "1× iced americano") || final.ResponseType != slack.ResponseTypeInChannel || final.ReplaceOriginal {
		t.Fatalf("deferred close: got %+v, want an in_channel \"Round closed\" tally with 1× iced americano, not replacing the original", final)
	}
	if r := f.openRound(t); r.ID != "" {
		t.Fatalf("open round after deferred close: got %+v, want none", r)
	}

	// A fast store answers directly: nothing goes to response_url.
	slow.delay = 0
	msg, _ = send("/order-update", "U2", "latte")
	if !strings.Contains(msg.Text, "*latte*") {
		t.Fatalf("fast update: got reply %q, want it to contain *latte*", msg.Text)
	}
	select {
	case <-hooks.got:
		t.Fatal("response_url after fast update: got a reply, want none")
	case <-time.After(100 * time.Millisecond):
	}
}

func TestDeferredEventIsVerifiedAgain(t *testing.T) {
	f := newFixture(t)
	ev := signed(commandBody("/order-update", "U1", "latte"), now)
	ev.Deferred = true
	ev.Body = []byte(strings.Replace(string(ev.Body), "latte", "lattf", 1))
	if _, err := OrderUpdate(f.deps)(context.Background(), ev); api.CodeOf(err) != api.CodeUnauthorized {
		t.Fatalf("tampered deferred event: got error %v, want code %q", err, api.CodeUnauthorized)
	}
}

// countingDeferrer records hand-overs without running them.
type countingDeferrer struct{ n atomic.Int32 }

func (c *countingDeferrer) Defer(context.Context, string, []byte) error {
	c.n.Add(1)
	return nil
}

// TestResultInGraceIsKept: a store answer that arrives after the budget but within the
// grace period is the reply — nothing is handed over, nothing thrown away.
func TestResultInGraceIsKept(t *testing.T) {
	f := newFixture(t)
	f.deps.Orders = &orders.Service{Store: &slowStore{Store: f.store, delay: 150 * time.Millisecond}, Now: f.deps.Orders.Now}
	f.deps.Budget = 50 * time.Millisecond
	d := &countingDeferrer{}
	f.deps.Deferrer = d
	msg := f.update(t, "U1", "latte")
	if !strings.Contains(msg.Text, "Your order: *latte*") {
		t.Fatalf("reply: got %q, want the order confirmed", msg.Text)
	}
	if n := d.n.Load(); n != 0 {
		t.Fatalf("hand-overs: got %d, want 0", n)
	}
}

// failingStore fails every order write at once, as a throttled table does.
type failingStore struct{ orders.Store }

func (failingStore) SetOrder(context.Context, orders.Channel, orders.Order, orders.Request, string) (orders.Result, error) {
	return orders.Result{}, errors.New("ProvisionedThroughputExceededException")
}

// TestStoreErrorIsDeferredNot500: a store that fails fast on the synchronous path gets
// the command handed over ("working on it"), not an HTTP 500 in Slack.
func TestStoreErrorIsDeferredNot500(t *testing.T) {
	f := newFixture(t)
	f.deps.Orders = &orders.Service{Store: failingStore{f.store}, Now: f.deps.Orders.Now}
	f.deps.Budget = time.Second
	d := &countingDeferrer{}
	f.deps.Deferrer = d
	msg := f.update(t, "U1", "latte")
	if !strings.Contains(msg.Text, "Working on it") || d.n.Load() != 1 {
		t.Fatalf("got reply %q after %d hand-overs, want \"Working on it\" after 1", msg.Text, d.n.Load())
	}
	// Without a usable response_url nothing can answer later: the error stands.
	f.deps.Deferrer = nil
	_, err := OrderUpdate(f.deps)(context.Background(), signed(commandBody("/order-update", "U1", "latte"), now))
	if api.CodeOf(err) != api.CodeInternal {
		t.Fatalf("without a deferrer: got %v, want an internal error", err)
	}
}

// TestDeferredRunRejectsForeignResponseURL: in AWS only Slack's response_url is answered.
func TestDeferredRunRejectsForeignResponseURL(t *testing.T) {
	for _, c := range []struct {
		url      string
		loopback bool
		ok       bool
	}{
		{"https://hooks.slack.com/commands/T1/1/x", false, true},
		{"http://hooks.slack.com/commands/T1/1/x", false, false},
		{"https://hooks.slack.com.evil.example/commands", false, false},
		{"https://user@hooks.slack.com/commands/T1/1/x", false, false},
		{"https://hooks.slack.com:8443/commands/T1/1/x", false, false},
		{"http://127.0.0.1:3000/x", false, false},
		{"http://127.0.0.1:3000/x", true, true},
		{"http://[::1]:3000/x", true, true},
		{"http://169.254.169.254/latest/meta-data", true, false},
	} {
		err := slackio.CheckResponseURL(c.url, c.loopback)
		if (err == nil) != c.ok {
			t.Errorf("CheckResponseURL(%q, loopback %v): got %v, want ok %v", c.url, c.loopback, err, c.ok)
		}
	}
}

// refusingStore refuses every write outright, as DynamoDB does a role without the action
// (AccessDeniedException: orders.ErrRefused).
type refusingStore struct{ orders.Store }

func (refusingStore) SetOrder(context.Context, orders.Channel, orders.Order, orders.Request, string) (orders.Result, error) {
	return orders.Result{}, fmt.Errorf("put order: %w: AccessDeniedException", orders.ErrRefused)
}

func (refusingStore) Abandon(context.Context, orders.Channel, orders.Target, orders.Request) (orders.Result, error) {
	return orders.Result{}, fmt.Errorf("record abandoned request: %w: AccessDeniedException", orders.ErrRefused)
}

// TestRefusedWriteAnswersNotSaved: a write the store refuses is answered at once — the
// order was not saved, nothing changed — with or without a deferrer, never handed over,
// never a 500.
func TestRefusedWriteAnswersNotSaved(t *testing.T) {
	for _, deferrer := range []bool{true, false} {
		f := newFixture(t)
		f.deps.Orders = &orders.Service{Store: refusingStore{f.store}, Now: f.deps.Orders.Now}
		f.deps.Budget = time.Second
		d := &countingDeferrer{}
		if deferrer {
			f.deps.Deferrer = d
		}
		msg := f.update(t, "U1", "latte")
		if !strings.Contains(msg.Text, "could not save your order *latte*") || !strings.Contains(msg.Text, "Nothing was changed") || d.n.Load() != 0 {
			t.Errorf("deferrer %v: got reply %q after %d hand-overs, want not saved, nothing changed, no hand-over", deferrer, msg.Text, d.n.Load())
		}
	}
}

// slowRefusingStore answers late, and then refuses: the command is handed over first.
// A second, not 300 ms: the hand-over comes at the 50 ms budget plus Grace (200 ms), and on
// a loaded machine (make test runs packages in parallel) 50 ms of margin was not enough.
type slowRefusingStore struct{ refusingStore }

func (s slowRefusingStore) SetOrder(ctx context.Context, ch orders.Channel, o orders.Order, req orders.Request, id string) (orders.Result, error) {
	time.Sleep(time.Second)
	return s.refusingStore.SetOrder(ctx, ch, o, req, id)
}

// TestDeferredRunRefusedAnswersNotSaved: a deferred run whose write the store refuses
// does not retry for its whole run: it answers on response_url at once that the order
// was not saved and nothing changed.
func TestDeferredRunRefusedAnswersNotSaved(t *testing.T) {
	f := newFixture(t)
	f.deps.Orders = &orders.Service{Store: slowRefusingStore{refusingStore{f.store}}, Now: f.deps.Orders.Now}
	f.deps.Budget = 50 * time.Millisecond
	hooks := newResponseURL(t)
	var hs map[string]func(context.Context, api.Event) (*slack.Msg, error)
	f.deps.Deferrer = asyncInvoker(t, func() map[string]func(context.Context, api.Event) (*slack.Msg, error) { return hs })
	hs = map[string]func(context.Context, api.Event) (*slack.Msg, error){"order-update": OrderUpdate(f.deps)}
	form := strings.Replace(commandBody("/order-update", "U1", "latte"), "response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1%2F1%2Fx", "response_url="+hooks.srv.URL, 1)
	msg, err := hs["order-update"](context.Background(), signed(form, now))
	if err != nil || !strings.Contains(msg.Text, "Working on it") {
		t.Fatalf("first answer: got %v, %v; want \"Working on it\"", msg, err)
	}
	start := time.Now()
	select {
	case <-hooks.got:
	case <-time.After(5 * time.Second):
		t.Fatal("deferred answer: got none within 5s, want one")
	}
	hooks.mu.Lock()
	got := hooks.msgs[0].Text
	hooks.mu.Unlock()
	if !strings.Contains(got, "could not save your order *latte*") || !strings.Contains(got, "Nothing was changed") {
		t.Errorf("deferred answer: got %q, want not saved, nothing changed", got)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("deferred answer after %v: want it at once, not after retries", took)
	}
}
