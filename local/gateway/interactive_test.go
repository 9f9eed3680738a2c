package gateway_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/handler"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say"
	"github.com/orderbot/orderbot/lambdas/slackio"
	"github.com/orderbot/orderbot/lambdas/store/faulty"
	"github.com/orderbot/orderbot/local/gateway"
	"github.com/orderbot/orderbot/local/slacksim"
)

// slackSide is everything of Slack a round run by clicks meets: the gateway with the real
// handlers, Slack's response_url endpoint and its Web API (both strict stand-ins that
// refuse what Slack would), and a client that signs what it sends.
type slackSide struct {
	gw       *gateway.Gateway // in-process only
	client   *slacksim.Client
	urls     *slacksim.ResponseURLs
	web      *slacksim.WebAPI
	store    orders.Store // the table the side's handlers write, read back by the test
	statuses map[int]int
	mu       sync.Mutex
	posted   []string // in-process only: every URL a handler posted a response_url answer to
	// counting counts the store's writes (in-process only; nil on the template).
	counting *countingStore
	// wait waits for the deferred runs (the gateway's or the stack's asynchronous invokes).
	wait func()
	// slow makes every store call wait d from now on (in-process: store/faulty; on the
	// template: the dev server's --store-latency, devstack.Stack.SetStoreFaults).
	slow func(d time.Duration)
	// loseAcks makes the next n writes commit but lose their acknowledgement (in-process:
	// store/faulty; on the template: --store-lost-acks, the DynamoDB connection closed after
	// the write).
	loseAcks func(n int)
	// stack and logFrom: the template's shared stack and where this side's function logs
	// begin in its log (nil, 0 in-process).
	stack   *sharedStack
	logFrom int
}

const botToken = "xoxb-interactive-test"

func newSlackSide(t *testing.T, store orders.Store, budget time.Duration) *slackSide {
	t.Helper()
	faults := faulty.New(store)
	s := &slackSide{urls: &slacksim.ResponseURLs{}, web: slacksim.NewWebAPI(botToken), store: store, statuses: map[int]int{},
		counting: newCountingStore(faults), slow: faults.SetLatency, loseAcks: faults.LoseAcks}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	hooks := httptest.NewServer(s.urls)
	t.Cleanup(hooks.Close)
	deps := handler.Deps{
		Orders:               &orders.Service{Store: s.counting},
		Verifier:             slackio.Verifier{Secret: secret},
		Poster:               slackio.NewPoster(botToken, srv.URL+"/api/"),
		Log:                  slog.New(slog.NewTextHandler(io.Discard, nil)),
		LoopbackResponseURLs: true,
		Respond: func(ctx context.Context, u string, msg *slack.Msg) error {
			s.mu.Lock()
			s.posted = append(s.posted, u)
			s.mu.Unlock()
			return slackio.Respond(ctx, &http.Client{Timeout: 5 * time.Second}, u, msg)
		},
	}
	if budget > 0 {
		deps.Budget = budget
		deps.Deferrer = handler.DeferFunc(func(ctx context.Context, fn string, payload []byte) error {
			return s.gw.InvokeAsync(ctx, fn, payload)
		})
	}
	gw, err := gateway.New(handler.Handlers(deps), gateway.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.gw, s.wait = gw, gw.Wait
	t.Cleanup(gw.Wait)
	mux.Handle("/api/", http.StripPrefix("/api", s.web))
	mux.Handle("/", gw)
	s.client = slacksim.New(srv.URL, secret)
	s.client.Responses, s.client.ResponseBase, s.client.Triggers = s.urls, hooks.URL, s.web
	return s
}

func (s *slackSide) as(user string) *slacksim.Client {
	c := *s.client
	c.User, c.UserName = user, strings.ToLower(user)
	return &c
}

// count returns a function that counts an answer's status (failing t on a transport
// error): s.count(t)(client.Command(…)).
func (s *slackSide) count(t *testing.T) func(*slacksim.Reply, error) *slacksim.Reply {
	return func(r *slacksim.Reply, err error) *slacksim.Reply {
		t.Helper()
		if err != nil {
			t.Fatalf("request: got error %v, want an answer", err)
		}
		s.mu.Lock()
		s.statuses[r.Status]++
		s.mu.Unlock()
		return r
	}
}

// click clicks actionID (value, when several share it) of p as user and returns what
// Slack then shows on the click's response_url: the round message's update (nil when
// none) and the clicker's answer.
func (s *slackSide) click(t *testing.T, user string, p slacksim.Posted, actionID, value string) (update, answer *slack.WebhookMessage) {
	t.Helper()
	c := s.as(user)
	payload, err := c.BlockActions(p, actionID, value)
	if err != nil {
		t.Fatalf("%s clicks %s: got error %v, want the payload", user, actionID, err)
	}
	var sent slack.InteractionCallback
	if err := sent.UnmarshalJSON(payload); err != nil {
		t.Fatalf("payload: got error %v, want slack-go to read it", err)
	}
	r := s.count(t)(c.Post(context.Background(), "/interactive", api.ContentTypeForm, slacksim.InteractionBody(payload), nil))
	if r.Status != http.StatusOK || len(strings.TrimSpace(string(r.Body))) > 2 {
		t.Fatalf("%s clicks %s: got HTTP %d %q, want an empty 200", user, actionID, r.Status, r.Body)
	}
	return s.answers(t, sent.ResponseURL)
}

// answers waits for a response_url's answers: the clicker's own (ephemeral, new) one is
// last; a replace_original before it is the message's update.
func (s *slackSide) answers(t *testing.T, responseURL string) (update, answer *slack.WebhookMessage) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// The round message's update, when there is one, comes before the clicker's answer.
	for n := 1; answer == nil; n++ {
		msgs, err := s.urls.Wait(ctx, responseURL, n)
		if err != nil {
			t.Fatalf("answers on %s: got %+v (%v), want the clicker's answer", responseURL, msgs, err)
		}
		for i := range msgs {
			if msgs[i].ReplaceOriginal {
				update = &msgs[i]
			} else {
				answer = &msgs[i]
			}
		}
	}
	return update, answer
}

func posted(t *testing.T, m *slack.WebhookMessage, channel string) slacksim.Posted {
	t.Helper()
	msg := slack.Msg{Text: m.Text, ResponseType: m.ResponseType}
	if m.Blocks != nil {
		msg.Blocks = *m.Blocks
	}
	return slacksim.Posted{Msg: msg, Channel: channel, Ephemeral: m.ResponseType != slack.ResponseTypeInChannel}
}

func wantHas(t *testing.T, what string, m *slack.WebhookMessage, parts ...string) {
	t.Helper()
	if m == nil {
		t.Fatalf("%s: got no message, want one containing %q", what, parts)
	}
	for _, p := range parts {
		if !strings.Contains(m.Text, p) {
			t.Errorf("%s: got %q, want it to contain %q", what, m.Text, p)
		}
	}
}

func orderOf(t *testing.T, s *slackSide, user string) string {
	t.Helper()
	r, err := s.store.OpenRound(context.Background(), orders.Channel{Team: s.client.Team, Channel: s.client.Channel})
	if errors.Is(err, orders.ErrNoOpenRound) {
		return ""
	}
	if err != nil {
		t.Fatalf("OpenRound: got error %v, want nil", err)
	}
	for _, o := range r.Orders {
		if o.User == user {
			return o.Item
		}
	}
	return ""
}

// A round run with clicks alone after the first order: join by click, an order through
// the modal, a double click, cancel by click, close with the confirm dialog, and a click
// on the closed round's message — on both stores and on the synthesized template, every
// message checked by Slack's stand-ins, no answer ≥ 500.
func TestRoundRunByClicks(t *testing.T) {
	eachSide(t, func(t *testing.T, s *slackSide) {
		ch := s.client.Channel
		s.count(t)(s.as("U1").Command(context.Background(), "/order-update", "Iced Latte"))
		shared := s.count(t)(s.as("U1").Command(context.Background(), "/order-list", "share"))
		live, err := slacksim.PostedReply(shared)
		if err != nil {
			t.Fatalf("shared round: got error %v, want a message", err)
		}

		update, answer := s.click(t, "U2", live, say.ActionJoin+".0", "")
		wantHas(t, "round after U2's +1", update, "2 orders", "<@U2>")
		wantHas(t, "U2's answer", answer, "*Iced Latte*")
		if got := orderOf(t, s, "U2"); got != "Iced Latte" {
			t.Fatalf("U2's order: got %q, want %q", got, "Iced Latte")
		}
		live = posted(t, update, ch)

		// A double click: the same button again changes nothing.
		s.click(t, "U2", live, say.ActionJoin+".0", "")
		if r := s.count(t)(s.as("U1").Command(context.Background(), "/order-list", "")); !strings.Contains(r.Msg.Text, "2 orders") {
			t.Fatalf("round after a double click: got %q, want 2 orders", r.Msg.Text)
		}

		// U3 orders through the modal.
		if r := s.count(t)(s.as("U3").Command(context.Background(), "/order-update", "")); r.Status != http.StatusOK || r.Msg != nil {
			t.Fatalf("/order-update alone: got HTTP %d %q, want an empty 200 (a modal)", r.Status, r.Body)
		}
		views := s.web.Views()
		if len(views) != 1 {
			t.Fatalf("modals opened: got %d, want 1", len(views))
		}
		sub := s.count(t)(s.as("U3").Submit(context.Background(), "", views[0].View, slacksim.Input{BlockID: say.BlockText, ActionID: "text", Value: "mocha"}))
		if resp, err := slacksim.ViewResponse(sub, views[0].View); err != nil || resp != nil {
			t.Fatalf("modal submission: got %+v, %v; want the modal closed", resp, err)
		}
		if got := orderOf(t, s, "U3"); got != "mocha" {
			t.Fatalf("U3's order through the modal: got %q, want %q", got, "mocha")
		}

		update, answer = s.click(t, "U2", live, say.ActionCancel, "")
		wantHas(t, "round after U2's cancel", update, "2 orders")
		wantHas(t, "U2's cancel answer", answer, "withdrawn")
		live = posted(t, update, ch)

		update, answer = s.click(t, "U1", live, say.ActionClose, "")
		wantHas(t, "final tally", update, "final tally", "Iced Latte", "mocha")
		wantHas(t, "U1's close answer", answer, "You closed the round")
		if update.ResponseType != slack.ResponseTypeInChannel || len(slacksim.Buttons(&slack.Msg{Blocks: *update.Blocks})) != 0 {
			t.Errorf("final tally: got %s with buttons %v, want in_channel without buttons", update.ResponseType, slacksim.Buttons(&slack.Msg{Blocks: *update.Blocks}))
		}

		// The message of the closed round: answered, nothing changed, no round opened.
		update, answer = s.click(t, "U4", live, say.ActionJoin+".0", "")
		wantHas(t, "stale click answer", answer, "already closed")
		if update != nil || orderOf(t, s, "U4") != "" {
			t.Errorf("stale click: got update %v and U4's order %q, want neither", update, orderOf(t, s, "U4"))
		}
		for status := range s.statuses {
			if status >= 500 {
				t.Errorf("statuses: got %s, want none ≥ 500", histogram(s.statuses))
			}
		}
	})
}

// A click that the store makes slow is acknowledged in time and answered by the deferred
// run; the round message is still updated, once the order is in.
func TestSlowClickIsAnsweredLater(t *testing.T) {
	eachDeferredSide(t, func(t *testing.T, s *slackSide) {
		s.count(t)(s.as("U1").Command(context.Background(), "/order-update", "chai"))
		live, err := slacksim.PostedReply(s.count(t)(s.as("U1").Command(context.Background(), "/order-list", "share")))
		if err != nil {
			t.Fatal(err)
		}
		s.slow(400 * time.Millisecond)
		start := time.Now()
		update, answer := s.click(t, "U2", live, say.ActionJoin+".0", "")
		s.slow(0)
		wantHas(t, "U2's deferred answer", answer, "*chai*")
		wantHas(t, "round after U2's deferred +1", update, "2 orders")
		t.Logf("deferred click answered after %v", time.Since(start).Round(time.Millisecond))
	})
}

// Requests to the interactivity route that Slack did not sign, or that are not what
// Slack sends, are refused with 401 and 400 and change nothing.
func TestRefusedClicks(t *testing.T) {
	eachSide(t, testRefusedClicks)
}

func testRefusedClicks(t *testing.T, s *slackSide) {
	s.count(t)(s.as("U1").Command(context.Background(), "/order-update", "latte"))
	live, _ := slacksim.PostedReply(s.count(t)(s.as("U1").Command(context.Background(), "/order-list", "share")))
	payload, err := s.as("U2").BlockActions(live, say.ActionJoin+".0", "")
	if err != nil {
		t.Fatal(err)
	}
	body := slacksim.InteractionBody(payload)
	forged := slacksim.New(s.client.BaseURL, []byte("not-the-secret"))
	stale := *s.client
	stale.Now = func() time.Time { return time.Now().Add(-6 * time.Minute) }
	for _, tc := range []struct {
		name string
		send func() (*slacksim.Reply, error)
		want int
	}{
		{"forged", func() (*slacksim.Reply, error) {
			return forged.Post(context.Background(), "/interactive", api.ContentTypeForm, body, nil)
		}, http.StatusUnauthorized},
		{"stale", func() (*slacksim.Reply, error) {
			return stale.Post(context.Background(), "/interactive", api.ContentTypeForm, body, nil)
		}, http.StatusUnauthorized},
		{"tampered", func() (*slacksim.Reply, error) {
			h := s.client.Headers(body)
			tampered := []byte(strings.Replace(string(body), "U2", "U9", 1))
			return s.client.Post(context.Background(), "/interactive", api.ContentTypeForm, tampered, h)
		}, http.StatusUnauthorized},
		{"payload not JSON", func() (*slacksim.Reply, error) {
			return s.client.Post(context.Background(), "/interactive", api.ContentTypeForm, []byte("payload="+url.QueryEscape("{nope")), nil)
		}, http.StatusBadRequest},
		{"not a form", func() (*slacksim.Reply, error) {
			return s.client.Post(context.Background(), "/interactive", api.ContentTypeForm, payload, nil)
		}, http.StatusBadRequest},
	} {
		r := s.count(t)(tc.send())
		if r.Status != tc.want {
			t.Errorf("%s: got HTTP %d %s, want %d", tc.name, r.Status, r.Body, tc.want)
		}
	}
	if got := orderOf(t, s, "U2"); got != "" {
		t.Errorf("U2's order after refused clicks: got %q, want none", got)
	}
}
