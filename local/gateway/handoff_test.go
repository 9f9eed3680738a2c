package gateway_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/handler"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/slackio"
	"github.com/orderbot/orderbot/lambdas/store/faulty"
	"github.com/orderbot/orderbot/local/gateway"
	"github.com/orderbot/orderbot/local/slacksim"
)

// TestSlowInvokeStillAnswersInTime (issue #21, finding 5), in-process only (the Invoke API
// made slow is a fault of the Deferrer itself; the template's Invoke stand-in answers at
// once): with a slow store the command
// passes its budget and hands itself over, and the Invoke API is slow too (3 s). The
// synchronous answer still leaves within API Gateway's integration timeout — saying that
// it cannot tell yet — instead of Slack getting a 504 while the work goes on.
func TestSlowInvokeStillAnswersInTime(t *testing.T) {
	eachStore(t, func(t *testing.T, store orders.Store) {
		slow := faulty.New(store)
		slow.SetLatency(2 * time.Second)
		invokes := make(chan time.Duration, 4)
		deps := handler.Deps{
			Orders:               &orders.Service{Store: slow},
			Verifier:             slackio.Verifier{Secret: secret},
			Log:                  slog.New(slog.NewTextHandler(io.Discard, nil)),
			LoopbackResponseURLs: true,
			Budget:               handler.DefaultBudget,
			Deferrer: handler.DeferFunc(func(ctx context.Context, fn string, p []byte) error {
				start := time.Now()
				defer func() { invokes <- time.Since(start) }()
				select { // Lambda's Invoke API answering after 3 s, or the caller giving up
				case <-time.After(3 * time.Second):
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}),
		}
		gw, err := gateway.New(handler.Handlers(deps), gateway.Options{})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(gw)
		t.Cleanup(srv.Close)
		t.Cleanup(gw.Wait)
		c := slacksim.New(srv.URL, secret)
		c.ResponseBase = "http://127.0.0.1:1"
		start := time.Now()
		r, err := c.Command(context.Background(), "/order-update", "latte")
		took := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != http.StatusOK || r.Msg == nil || !strings.Contains(r.Msg.Text, "cannot tell yet") {
			t.Fatalf("answer: got HTTP %d %s after %v, want 200 saying it cannot tell yet", r.Status, r.Body, took)
		}
		if took >= api.IntegrationTimeout {
			t.Fatalf("answer took %v, want less than API Gateway's %v", took, api.IntegrationTimeout)
		}
		select {
		case d := <-invokes:
			if d > handler.HandOffTimeout+100*time.Millisecond {
				t.Fatalf("the Invoke call ran %v, want it cut at %v", d, handler.HandOffTimeout)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no hand-off was attempted")
		}
		t.Logf("answered in %v (integration timeout %v)", took, api.IntegrationTimeout)
	})
}
