package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/handler"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/slackio"
	"github.com/orderbot/orderbot/lambdas/store/boltdb"
	"github.com/orderbot/orderbot/lambdas/syncbuf"
	"github.com/orderbot/orderbot/local/gateway"
	"github.com/orderbot/orderbot/local/slacksim"
)

var secret = []byte("e2e-signing-secret")

type env struct {
	client *slacksim.Client
	store  *boltdb.Store
	log    *syncbuf.Buffer
	url    string
}

func start(t *testing.T, override map[string]any) *env {
	t.Helper()
	store, err := boltdb.Open(filepath.Join(t.TempDir(), "orders.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	handlers := handler.Handlers(handler.Deps{
		Orders:   &orders.Service{Store: store},
		Verifier: slackio.Verifier{Secret: secret},
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	for k, v := range override {
		handlers[k] = v
	}
	log := &syncbuf.Buffer{}
	gw, err := gateway.New(handlers, gateway.Options{AccessLog: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	return &env{client: slacksim.New(srv.URL, secret), store: store, log: log, url: srv.URL}
}

func (e *env) as(user string) *slacksim.Client {
	c := *e.client
	c.User, c.UserName = user, strings.ToLower(user)
	return &c
}

func (e *env) round(t *testing.T) orders.Round {
	t.Helper()
	r, err := e.store.OpenRound(context.Background(), orders.Channel{Team: e.client.Team, Channel: e.client.Channel})
	if errors.Is(err, orders.ErrNoOpenRound) {
		return orders.Round{}
	}
	if err != nil {
		t.Fatalf("OpenRound: got error %v, want nil", err)
	}
	return r
}

func command(t *testing.T, c *slacksim.Client, cmd, text string) *slacksim.Reply {
	t.Helper()
	r, err := c.Command(context.Background(), cmd, text)
	if err != nil {
		t.Fatalf("%s %q: got error %v, want nil", cmd, text, err)
	}
	if r.Status != 200 || r.Msg == nil {
		t.Fatalf("%s %q: got HTTP %d %s, want 200 with a message", cmd, text, r.Status, r.Body)
	}
	return r
}

func contains(t *testing.T, r *slacksim.Reply, responseType string, parts ...string) {
	t.Helper()
	if r.Msg.ResponseType != responseType {
		t.Errorf("response_type: got %q, want %q: %s", r.Msg.ResponseType, responseType, r.Msg.Text)
	}
	for _, p := range parts {
		if !strings.Contains(r.Msg.Text, p) {
			t.Errorf("reply text: got %q, want it to contain %q", r.Msg.Text, p)
		}
	}
}

// TestRoundEndToEnd: a round with hostile and Korean items, listed, shared, closed and
// the next one begun; in-process on both stores and on the synthesized template.
func TestRoundEndToEnd(t *testing.T) {
	eachSide(t, testRoundEndToEnd)
}

func testRoundEndToEnd(t *testing.T, e *slackSide) {
	items := map[string]string{
		"U1": "아이스 아메리카노 ☕️",
		"U2": `it's "the" \ one + 50% & a=b $HOME #hash`,
		"U3": "🍕 two\nlines",
		"U4": "  아이스   아메리카노 ☕️",
	}
	for _, u := range []string{"U1", "U2", "U3", "U4"} {
		command(t, e.as(u), "/order-update", items[u])
	}
	r := e.open(t)
	if len(r.Orders) != 4 {
		t.Fatalf("orders in the round: got %d, want 4", len(r.Orders))
	}
	for _, o := range r.Orders {
		if want, _ := orders.CleanItem(items[o.User]); o.Item != want {
			t.Errorf("%s: got %q stored, want %q (sent %q)", o.User, o.Item, want, items[o.User])
		}
	}
	list := command(t, e.as("U1"), "/order-list", "")
	contains(t, list, "ephemeral", "4 orders, 3 items", "1× it's \"the\" \\ one + 50% &amp; a=b $HOME #hash — <@U2>")
	command(t, e.as("U4"), "/order-update", "cancel")
	contains(t, command(t, e.as("U1"), "/order-list", "share"), "in_channel", "3 orders, 3 items")
	closed := command(t, e.as("U1"), "/order-list", "close")
	contains(t, closed, "in_channel", "Round closed", "1× 아이스 아메리카노 ☕️ — <@U1>", "1× 🍕 two\nlines — <@U3>")
	if r := e.open(t); r.ID != "" {
		t.Fatalf("open round after close: got %+v, want none", r)
	}
	contains(t, command(t, e.as("U2"), "/order-update", "latte"), "ephemeral", "1 order in this round")
	contains(t, command(t, e.as("U1"), "/order-list", ""), "ephemeral", "1× latte — <@U2>")
}

func TestURLVerification(t *testing.T) {
	eachSide(t, testURLVerification)
}

func testURLVerification(t *testing.T, e *slackSide) {
	r, body, err := e.client.Event(context.Background(), "url_verification")
	if err != nil {
		t.Fatalf("url_verification: got error %v, want nil", err)
	}
	var sent struct{ Challenge string }
	json.Unmarshal(body, &sent)
	if r.Status != 200 || strings.TrimSpace(string(r.Body)) != `{"challenge":"`+sent.Challenge+`"}` {
		t.Fatalf("url_verification: got HTTP %d %s, want 200 {\"challenge\":%q}", r.Status, r.Body, sent.Challenge)
	}
	r, _, err = e.client.Event(context.Background(), "app_mention")
	if err != nil || r.Status != 200 || strings.TrimSpace(string(r.Body)) != "{}" {
		t.Fatalf("app_mention: got error %v, HTTP %d %s; want nil, 200 {}", err, r.Status, r.Body)
	}
}

// TestRefusals (in-process; on the template: TestHostileInputMatrixTemplate): each bad request gets API Gateway's status and leaves the store empty.
func TestRefusals(t *testing.T) {
	e := start(t, nil)
	ctx := context.Background()
	c := e.client
	form := []byte(c.CommandForm("/order-update", "latte").Encode())
	tampered := bytes.Replace(form, []byte("latte"), []byte("lattf"), 1)
	stale := *c
	stale.Now = func() time.Time { return time.Now().Add(-5*time.Minute - 2*time.Second) }
	future := *c
	future.Now = func() time.Time { return time.Now().Add(5*time.Minute + 2*time.Second) }
	staleHeaders := stale.Headers(form)
	futureHeaders := future.Headers(form)
	cases := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        []byte
		headers     http.Header
		status      int
		reply       string
	}{
		{"one byte tampered", "POST", "/order-update", api.ContentTypeForm, tampered, c.Headers(form), 401, `{"error":"unauthorized"}`},
		{"stale timestamp", "POST", "/order-update", api.ContentTypeForm, form, staleHeaders, 401, `{"error":"unauthorized"}`},
		{"future timestamp", "POST", "/order-update", api.ContentTypeForm, form, futureHeaders, 401, `{"error":"unauthorized"}`},
		{"no signature", "POST", "/order-update", api.ContentTypeForm, form, http.Header{"X-Slack-Signature": nil}, 401, `{"error":"unauthorized"}`},
		{"unknown content type", "POST", "/order-update", "text/plain", form, nil, 415, `{"message": "Unsupported Media Type"}`},
		{"json to a command route", "POST", "/order-update", api.ContentTypeJSON, form, nil, 415, `{"message": "Unsupported Media Type"}`},
		{"no content type counts as JSON", "POST", "/order-list", "", form, nil, 415, `{"message": "Unsupported Media Type"}`},
		{"form with charset", "POST", "/order-list", api.ContentTypeForm + "; charset=utf-8", []byte("team_id=T&text=%zz"), nil, 400, `{"error":"bad_request"}`},
		{"malformed form", "POST", "/order-update", api.ContentTypeForm, []byte("team_id=T0LOCAL&channel_id=%zz&text=latte"), nil, 400, `{"error":"bad_request"}`},
		{"empty body arrives as {}", "POST", "/order-update", api.ContentTypeForm, nil, nil, 401, `{"error":"unauthorized"}`},
		{"malformed event", "POST", "/", api.ContentTypeJSON, []byte(`{"type":`), nil, 400, `{"error":"bad_request"}`},
		{"unknown path", "POST", "/order-delete", api.ContentTypeForm, form, nil, 403, `{"message":"Missing Authentication Token"}`},
		{"wrong method", "GET", "/order-update", "", nil, nil, 403, `{"message":"Missing Authentication Token"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body
			req, _ := http.NewRequestWithContext(ctx, tc.method, e.url+tc.path, bytes.NewReader(body))
			req.Header = c.Headers(body)
			for k, v := range tc.headers {
				req.Header[k] = v
			}
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s %s: got error %v, want nil", tc.method, tc.path, err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || strings.TrimSpace(string(got)) != tc.reply {
				t.Fatalf("got HTTP %d %s, want %d %s", resp.StatusCode, got, tc.status, tc.reply)
			}
		})
	}
	if r := e.round(t); r.ID != "" {
		t.Fatalf("open round after refused requests: got %+v, want none", r)
	}
}

func TestAccessLog(t *testing.T) {
	e := start(t, nil)
	command(t, e.client, "/order-update", "latte")
	resp, err := http.Post(e.url+"/order-update", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatalf("POST /order-update as text/plain: got error %v, want nil", err)
	}
	resp.Body.Close()
	lines := e.log.Lines()
	if len(lines) != 2 {
		t.Fatalf("access-log lines: got %d, want 2: %q", len(lines), lines)
	}
	var ok, refused map[string]string
	if err := json.Unmarshal([]byte(lines[0]), &ok); err != nil {
		t.Fatalf("decoding access-log line %s: got error %v, want nil (JSON)", lines[0], err)
	}
	json.Unmarshal([]byte(lines[1]), &refused)
	if ok["status"] != "200" || ok["resourcePath"] != "/order-update" || ok["httpMethod"] != "POST" || ok["ip"] != "127.0.0.1" || ok["requestId"] == "" || ok["integrationStatus"] != "200" {
		t.Errorf("access log of the command: got %v, want status 200, resourcePath /order-update, httpMethod POST, ip 127.0.0.1, a requestId, integrationStatus 200", ok)
	}
	if refused["status"] != "415" || refused["errorMessage"] != "Unsupported Media Type" {
		t.Errorf("access log of the refusal: got %v, want status 415, errorMessage Unsupported Media Type", refused)
	}
}

func TestIntegrationFailures(t *testing.T) {
	e := start(t, map[string]any{
		"order-update": func(ctx context.Context, ev api.Event) (map[string]string, error) {
			return nil, errors.New("dynamodb: connection refused to internal-host:8000")
		},
		"order-list": func(ctx context.Context, ev api.Event) (map[string]string, error) {
			panic("nil map write in handler")
		},
		"events": func(ctx context.Context, ev api.Event) (map[string]string, error) {
			select {
			case <-time.After(api.IntegrationTimeout + time.Second):
			case <-ctx.Done():
			}
			return map[string]string{}, nil
		},
	})
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		send   func() (*slacksim.Reply, error)
		status int
		body   string
	}{
		{"unmapped error answers 500 without internals", func() (*slacksim.Reply, error) { return e.client.Command(ctx, "/order-update", "x") }, 500, `{"error":"internal"}`},
		{"panic answers 500 without internals", func() (*slacksim.Reply, error) { return e.client.Command(ctx, "/order-list", "") }, 500, `{"error":"internal"}`},
		{"timeout answers 504", func() (*slacksim.Reply, error) {
			r, _, err := e.client.Event(ctx, "url_verification")
			return r, err
		}, 504, `{"message": "Endpoint request timed out"}`},
	} {
		r, err := tc.send()
		if err != nil {
			t.Fatalf("%s: got error %v, want nil", tc.name, err)
		}
		if r.Status != tc.status || strings.TrimSpace(string(r.Body)) != tc.body {
			t.Errorf("%s: got HTTP %d %s, want %d %s", tc.name, r.Status, r.Body, tc.status, tc.body)
		}
	}
}

func TestNewRefusesIncompleteHandlers(t *testing.T) {
	if _, err := gateway.New(map[string]any{"events": func() {}}, gateway.Options{}); err == nil {
		t.Fatal("gateway.New without a handler for every route: got nil error, want one")
	}
}

// TestItemTextSurvivesPropertyBased: random valid item text goes through the template, the
// signature check, form decoding and the store, and comes back unchanged.
func TestItemTextSurvivesPropertyBased(t *testing.T) {
	e := start(t, nil)
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	alphabets := [][2]rune{{0x20, 0x7e}, {0xa0, 0x2ff}, {0xac00, 0xd7a3}, {0x1f300, 0x1f64f}, {0x4e00, 0x9fff}, {'\n', '\n'}}
	for i := range 150 {
		var b strings.Builder
		n := 1 + rng.IntN(orders.MaxItemRunes)
		for b.Len() == 0 || utf8.RuneCountInString(b.String()) < n {
			a := alphabets[rng.IntN(len(alphabets))]
			r := a[0] + rune(rng.IntN(int(a[1]-a[0]+1)))
			if unicode.IsControl(r) && r != '\n' {
				continue
			}
			b.WriteRune(r)
		}
		want, err := orders.CleanItem(b.String())
		if err != nil {
			continue // all whitespace
		}
		c := e.as("U" + strconv.Itoa(i))
		r := command(t, c, "/order-update", b.String())
		if !strings.Contains(r.Msg.Text, slackio.Escape(want)) {
			t.Fatalf("confirmation: got %q, want it to contain %q", r.Msg.Text, slackio.Escape(want))
		}
		round := e.round(t)
		found := false
		for _, o := range round.Orders {
			if o.User == c.User {
				found = o.Item == want
			}
		}
		if !found {
			t.Fatalf("text %q (%q): got orders %+v, want %s's item %q", b.String(), url.QueryEscape(b.String()), round.Orders, c.User, want)
		}
	}
}
