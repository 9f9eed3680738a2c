package handler

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/slackio"
	"github.com/orderbot/orderbot/lambdas/store/boltdb"
)

var (
	secret = []byte("test-signing-secret")
	now    = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
)

type fixture struct {
	deps   Deps
	store  *boltdb.Store
	poster *fakePoster
}

type fakePoster struct {
	mu    sync.Mutex
	posts []string
	// modals opens views when set; otherwise views.open fails (no modal in the test).
	modals bool
	views  []slack.ModalViewRequest
}

func (p *fakePoster) OpenView(_ context.Context, triggerID string, v slack.ModalViewRequest) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.modals {
		return errors.New("views.open: not_allowed_token_type")
	}
	p.views = append(p.views, v)
	return nil
}

func (p *fakePoster) PostThread(_ context.Context, channel, ts, text string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.posts = append(p.posts, channel+"|"+ts+"|"+text)
	return nil
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	s, err := boltdb.Open(filepath.Join(t.TempDir(), "orders.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	clock := func() time.Time { return now }
	p := &fakePoster{}
	return &fixture{
		store:  s,
		poster: p,
		deps: Deps{
			Orders:   &orders.Service{Store: s, Now: clock},
			Verifier: slackio.Verifier{Secret: secret, Now: clock},
			Poster:   p,
			Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
			// Tests answer deferred work on an httptest server.
			LoopbackResponseURLs: true,
		},
	}
}

// received plays API Gateway's request time: one millisecond apart per request, so that
// a test's requests are ordered as sent.
var received atomic.Int64

// signed builds the event the request template produces for body, signed at ts.
func signed(body string, ts time.Time) api.Event {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	return api.Event{
		Body: []byte(body),
		Headers: api.Headers{
			Signature: []byte(slackio.Sign(secret, stamp, []byte(body))),
			Timestamp: []byte(stamp),
		},
		Context: api.Context{RequestID: "req-1", RequestTimeEpoch: strconv.FormatInt(ts.UnixMilli()+received.Add(1), 10)},
	}
}

// commandBody is the form Slack posts; like Slack's, every body is unique (trigger_id).
func commandBody(command, user, text string) string {
	return url.Values{
		"token": {"legacy"}, "team_id": {"T1"}, "team_domain": {"acme"}, "channel_id": {"C1"},
		"channel_name": {"coffee"}, "user_id": {user}, "user_name": {strings.ToLower(user)},
		"command": {command}, "text": {text}, "api_app_id": {"A1"}, "is_enterprise_install": {"false"},
		"response_url": {"https://hooks.slack.com/commands/T1/1/x"}, "trigger_id": {"1.2." + strconv.FormatInt(received.Add(1), 10)},
	}.Encode()
}

func (f *fixture) update(t *testing.T, user, text string) *slack.Msg {
	t.Helper()
	msg, err := OrderUpdate(f.deps)(context.Background(), signed(commandBody("/order-update", user, text), now))
	if err != nil {
		t.Fatalf("/order-update %q: got error %v, want nil", text, err)
	}
	return msg
}

func (f *fixture) list(t *testing.T, user, text string) *slack.Msg {
	t.Helper()
	msg, err := OrderList(f.deps)(context.Background(), signed(commandBody("/order-list", user, text), now))
	if err != nil {
		t.Fatalf("/order-list %q: got error %v, want nil", text, err)
	}
	return msg
}

func (f *fixture) openRound(t *testing.T) orders.Round {
	t.Helper()
	r, err := f.store.OpenRound(context.Background(), orders.Channel{Team: "T1", Channel: "C1"})
	if errors.Is(err, orders.ErrNoOpenRound) {
		return orders.Round{}
	}
	if err != nil {
		t.Fatalf("OpenRound: got error %v, want nil", err)
	}
	return r
}

func wantText(t *testing.T, msg *slack.Msg, responseType string, parts ...string) {
	t.Helper()
	if msg.ResponseType != responseType {
		t.Errorf("response_type: got %q, want %q (text %q)", msg.ResponseType, responseType, msg.Text)
	}
	if len(msg.Blocks.BlockSet) == 0 {
		t.Errorf("blocks of reply %q: got none, want at least one", msg.Text)
	}
	for _, p := range parts {
		if !strings.Contains(msg.Text, p) {
			t.Errorf("reply text: got %q, want it to contain %q", msg.Text, p)
		}
	}
}

func TestHandlersCoverRouteTable(t *testing.T) {
	h := Handlers(newFixture(t).deps)
	for _, r := range api.Routes {
		if h[r.Function] == nil {
			t.Errorf("route %s %s: handler for function %q: got nil, want one", r.Method, r.Path, r.Function)
		}
	}
	if len(h) != len(api.Routes) {
		t.Errorf("handlers: got %d, want %d (one per route)", len(h), len(api.Routes))
	}
}

// TestCommandsHaveTables: every slash command of the route table has its table of
// keywords, and nothing else has one.
func TestCommandsHaveTables(t *testing.T) {
	n := 0
	for _, r := range api.RoutesOf(api.KindCommand) {
		if _, ok := commands[r.Function]; !ok {
			t.Errorf("command %s (function %s): got no table in commands, want one", r.Command, r.Function)
		}
		n++
	}
	if len(commands) != n {
		t.Errorf("commands: got %d tables, want %d (one per command route)", len(commands), n)
	}
}

func TestOrderRound(t *testing.T) {
	f := newFixture(t)
	wantText(t, f.update(t, "U1", "iced americano"), slack.ResponseTypeEphemeral, "*iced americano*", "1 order in this round")
	wantText(t, f.update(t, "U2", "  Iced   Americano "), slack.ResponseTypeEphemeral, "2 orders")
	wantText(t, f.update(t, "U3", "<b>&tea</b>"), slack.ResponseTypeEphemeral, "&lt;b&gt;&amp;tea&lt;/b&gt;", "3 orders")
	wantText(t, f.update(t, "U3", "latte"), slack.ResponseTypeEphemeral, "*latte*", "3 orders")

	wantText(t, f.list(t, "U1", ""), slack.ResponseTypeEphemeral,
		"3 orders, 2 items", "2× iced americano — <@U1>, <@U2>", "1× latte — <@U3>")
	wantText(t, f.list(t, "U1", "share"), slack.ResponseTypeInChannel, "2× iced americano")

	wantText(t, f.update(t, "U2", "cancel"), slack.ResponseTypeEphemeral, "withdrawn", "2 orders left")
	wantText(t, f.update(t, "U2", "CANCEL"), slack.ResponseTypeEphemeral, "nothing to cancel")

	wantText(t, f.list(t, "U1", "close"), slack.ResponseTypeInChannel, "Round closed", "1× iced americano — <@U1>", "1× latte — <@U3>")
	if r := f.openRound(t); r.ID != "" {
		t.Fatalf("open round after close: got %+v, want none", r)
	}
	wantText(t, f.list(t, "U1", "close"), slack.ResponseTypeEphemeral, "No open round")
	wantText(t, f.list(t, "U1", ""), slack.ResponseTypeEphemeral, "No orders yet")
	wantText(t, f.update(t, "U4", "mocha"), slack.ResponseTypeEphemeral, "1 order in this round")
}

func TestUsageRepliesStoreNothing(t *testing.T) {
	f := newFixture(t)
	for _, text := range []string{"", "   ", "help", "HELP", strings.Repeat("가", orders.MaxItemRunes+1), "bell\a", "tab\there"} {
		msg := f.update(t, "U1", text)
		wantText(t, msg, slack.ResponseTypeEphemeral, "/order-update <item>")
	}
	if r := f.openRound(t); r.ID != "" {
		t.Fatalf("open round after usage replies: got %+v, want none", r)
	}
	wantText(t, f.list(t, "U1", "bogus <x>"), slack.ResponseTypeEphemeral, "I don't know `bogus &lt;x&gt;`", "/order-list close")
	wantText(t, f.update(t, "U1", strings.Repeat("가", orders.MaxItemRunes)), slack.ResponseTypeEphemeral, "1 order")
}

func TestItemTextArrivesIntact(t *testing.T) {
	f := newFixture(t)
	text := "아이스 아메리카노 ☕️ 'x' \"y\" \\ + % & = $ # \nline two"
	f.update(t, "U1", text)
	r := f.openRound(t)
	if len(r.Orders) != 1 || r.Orders[0].Item != text || r.Orders[0].UserName != "u1" {
		t.Fatalf("stored orders: got %+v, want one order of %q by u1", r.Orders, text)
	}
}

func TestRejectedRequestsChangeNothing(t *testing.T) {
	f := newFixture(t)
	body := commandBody("/order-update", "U1", "latte")
	good := signed(body, now)
	tampered := good
	tampered.Body = []byte(strings.Replace(body, "latte", "lattf", 1))
	stale := signed(body, now.Add(-5*time.Minute-time.Second))
	future := signed(body, now.Add(5*time.Minute+time.Second))
	noSig := good
	noSig.Headers.Signature = nil
	malformed := signed("team_id=T1&channel_id=%zz", now)
	missing := signed("team_id=T1&text=latte", now)
	tests := []struct {
		name string
		ev   api.Event
		code api.Code
	}{
		{"tampered", tampered, api.CodeUnauthorized},
		{"stale", stale, api.CodeUnauthorized},
		{"future", future, api.CodeUnauthorized},
		{"no signature", noSig, api.CodeUnauthorized},
		{"bad percent-encoding", malformed, api.CodeBadRequest},
		{"missing fields", missing, api.CodeBadRequest},
	}
	for _, tc := range tests {
		for name, h := range map[string]func(context.Context, api.Event) (*slack.Msg, error){"update": OrderUpdate(f.deps), "list": OrderList(f.deps)} {
			_, err := h(context.Background(), tc.ev)
			if api.CodeOf(err) != tc.code || err == nil {
				t.Errorf("%s %s: got error %v (code %q), want code %q", name, tc.name, err, api.CodeOf(err), tc.code)
			}
			if err != nil && strings.Contains(err.Error(), "latte") {
				t.Errorf("%s %s: got error %v, want one that does not quote the body", name, tc.name, err)
			}
		}
		if _, err := Events(f.deps)(context.Background(), tc.ev); api.CodeOf(err) != tc.code && tc.code == api.CodeUnauthorized {
			t.Errorf("events %s: got error %v (code %q), want code %q", tc.name, err, api.CodeOf(err), tc.code)
		}
	}
	if r := f.openRound(t); r.ID != "" {
		t.Fatalf("open round after rejected requests: got %+v, want none", r)
	}
}

func TestMissingSecretIsInternal(t *testing.T) {
	f := newFixture(t)
	f.deps.Verifier.Secret = nil
	_, err := OrderUpdate(f.deps)(context.Background(), signed(commandBody("/order-update", "U1", "x"), now))
	if api.CodeOf(err) != api.CodeInternal {
		t.Fatalf("no secret: got error %v (code %q), want code %q", err, api.CodeOf(err), api.CodeInternal)
	}
}

func TestEvents(t *testing.T) {
	f := newFixture(t)
	h := Events(f.deps)
	ctx := context.Background()
	const challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
	reply, err := h(ctx, signed(`{"token":"x","challenge":"`+challenge+`","type":"url_verification"}`, now))
	if err != nil || reply.Challenge != challenge {
		t.Fatalf("url_verification: got %+v, error %v; want challenge %q, nil", reply, err, challenge)
	}
	if b, _ := json.Marshal(reply); string(b) != `{"challenge":"`+challenge+`"}` {
		t.Fatalf("url_verification JSON: got %s, want %s", b, `{"challenge":"`+challenge+`"}`)
	}
	mention := `{"token":"x","team_id":"T1","api_app_id":"A1","type":"event_callback","event_id":"Ev1","event_time":1,
		"event":{"type":"app_mention","user":"U1","text":"<@B1> help","ts":"1700000000.000100","channel":"C1","event_ts":"1700000000.000100"}}`
	for retry := range 4 {
		ev := signed(mention, now)
		if retry > 0 {
			ev.Headers.RetryNum = []byte(strconv.Itoa(retry))
			ev.Headers.RetryReason = []byte("http_timeout")
		}
		reply, err := h(ctx, ev)
		if err != nil || reply.Challenge != "" {
			t.Fatalf("app_mention delivery %d: got %+v, error %v; want no challenge, nil", retry, reply, err)
		}
	}
	if len(f.poster.posts) != 1 || !strings.HasPrefix(f.poster.posts[0], "C1|1700000000.000100|Hi!") {
		t.Fatalf("posts after 4 deliveries: got %q, want one help reply in thread C1|1700000000.000100", f.poster.posts)
	}
	other := `{"type":"event_callback","team_id":"T1","event_id":"Ev2","event":{"type":"reaction_added","user":"U1"}}`
	if _, err := h(ctx, signed(other, now)); err != nil {
		t.Fatalf("unknown event type: got error %v, want nil", err)
	}
	for _, bad := range []string{"", "{", `{"type":"event_callback","event":{"type":"app_mention"}}`, `{"type":"url_verification"}`, "token=x"} {
		if _, err := h(ctx, signed(bad, now)); api.CodeOf(err) != api.CodeBadRequest {
			t.Errorf("malformed event %q: got error %v (code %q), want code %q", bad, err, api.CodeOf(err), api.CodeBadRequest)
		}
	}
	f.deps.Poster = nil
	mention2 := strings.Replace(mention, "Ev1", "Ev3", 1)
	if _, err := Events(f.deps)(ctx, signed(mention2, now)); err != nil {
		t.Fatalf("mention without bot token: got error %v, want nil", err)
	}
}

func TestConcurrentUpdatesThroughHandler(t *testing.T) {
	f := newFixture(t)
	h := OrderUpdate(f.deps)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			user := "U" + strconv.Itoa(i)
			if _, err := h(context.Background(), signed(commandBody("/order-update", user, "item "+user), now)); err != nil {
				t.Errorf("/order-update by %s: got error %v, want nil", user, err)
			}
		})
	}
	wg.Wait()
	if n := len(f.openRound(t).Orders); n != 40 {
		t.Fatalf("orders after 40 concurrent updates: got %d, want 40", n)
	}
}
