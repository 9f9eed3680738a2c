package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/handler"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/slackio"
	"github.com/orderbot/orderbot/lambdas/store/boltdb"
	"github.com/orderbot/orderbot/local/gateway"
	"github.com/orderbot/orderbot/local/slacksim"
)

// latencyStore injects store latency, as a throttled table would.
type latencyStore struct {
	orders.Store
	delay time.Duration
}

func (s latencyStore) SetOrder(ctx context.Context, ch orders.Channel, o orders.Order, req orders.Request, id string) (orders.Result, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return orders.Result{}, ctx.Err()
	}
	return s.Store.SetOrder(ctx, ch, o, req, id)
}

// TestDeferredReplyThroughGateway: a slow store makes /order-update answer "working on it"
// inside the budget; the gateway's async invoke finishes it and posts the answer to the
// command's response_url; the order is stored once.
func TestDeferredReplyThroughGateway(t *testing.T) {
	store, err := boltdb.Open(filepath.Join(t.TempDir(), "orders.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	hooks := make(chan slack.WebhookMessage, 1)
	hookSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m slack.WebhookMessage
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &m)
		hooks <- m
	}))
	defer hookSrv.Close()

	var gw *gateway.Gateway
	deps := handler.Deps{
		Orders:   &orders.Service{Store: latencyStore{Store: store, delay: 400 * time.Millisecond}},
		Verifier: slackio.Verifier{Secret: secret},
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Budget:   150 * time.Millisecond,
		Deferrer: handler.DeferFunc(func(ctx context.Context, fn string, p []byte) error { return gw.InvokeAsync(ctx, fn, p) }),
		// The fake response_url is an httptest server on loopback.
		LoopbackResponseURLs: true,
	}
	gw, err = gateway.New(handler.Handlers(deps), gateway.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	defer srv.Close()
	c := slacksim.New(srv.URL, secret)
	form := c.CommandForm("/order-update", "flat white")
	form.Set("response_url", hookSrv.URL+"/commands/T/1/x")
	start := time.Now()
	r, err := c.Post(context.Background(), "/order-update", "application/x-www-form-urlencoded", []byte(form.Encode()), nil)
	if err != nil {
		t.Fatalf("POST /order-update: got error %v, want nil", err)
	}
	took := time.Since(start)
	if r.Status != 200 || r.Msg == nil || !strings.Contains(r.Msg.Text, "Working on it") {
		t.Fatalf("first answer: got HTTP %d %s, want 200 \"Working on it\"", r.Status, r.Body)
	}
	select {
	case m := <-hooks:
		if !strings.Contains(m.Text, "*flat white* — 1 order") {
			t.Fatalf("deferred answer: got %q, want it to contain %q", m.Text, "*flat white* — 1 order")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("response_url: got no answer within 5s, want one")
	}
	gw.Wait()
	round, err := store.OpenRound(context.Background(), orders.Channel{Team: c.Team, Channel: c.Channel})
	if err != nil || len(round.Orders) != 1 || round.Orders[0].Item != "flat white" {
		t.Fatalf("stored: got %+v, error %v; want one flat white, nil", round.Orders, err)
	}
	t.Logf("first answer after %v (budget 150ms, store latency 400ms)", took.Round(time.Millisecond))
}
