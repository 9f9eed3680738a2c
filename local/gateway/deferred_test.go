package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/api"
)

// TestDeferredReplyThroughGateway: a slow store makes /order-update answer "working on it"
// inside the budget; the asynchronous invoke (the gateway's in-process, the stack's
// Invoke stand-in on the template) finishes it and posts the answer to the command's
// response_url; the order is stored once.
func TestDeferredReplyThroughGateway(t *testing.T) {
	eachDeferredSide(t, func(t *testing.T, s *slackSide) {
		s.slow(400 * time.Millisecond)
		c := s.as("U1")
		form := c.CommandForm("/order-update", "flat white")
		start := time.Now()
		r, err := c.Post(context.Background(), "/order-update", api.ContentTypeForm, []byte(form.Encode()), nil)
		if err != nil {
			t.Fatalf("POST /order-update: got error %v, want nil", err)
		}
		took := time.Since(start)
		if r.Status != http.StatusOK || r.Msg == nil || !strings.Contains(r.Msg.Text, "Working on it") {
			t.Fatalf("first answer: got HTTP %d %s, want 200 \"Working on it\"", r.Status, r.Body)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		msgs, err := s.urls.Wait(ctx, form.Get("response_url"), 1)
		if err != nil || !strings.Contains(msgs[0].Text, "*flat white* — 1 order") {
			t.Fatalf("deferred answer: got %v (%v), want one containing %q", texts(msgs), err, "*flat white* — 1 order")
		}
		s.wait()
		s.slow(0)
		if round := s.open(t); len(round.Orders) != 1 || round.Orders[0].Item != "flat white" {
			t.Fatalf("stored: got %+v; want one flat white", round.Orders)
		}
		if msgs := s.urls.Messages(form.Get("response_url")); len(msgs) != 1 {
			t.Fatalf("answers on the response_url: got %v, want exactly one", texts(msgs))
		}
		if s.stack != nil { // the function's own account: deferred, then applied once
			if n := s.waitLogged(1, "[Orderbot-order-update]", `"msg":"deferred"`); n != 1 {
				t.Errorf("order-update's log: got %d \"deferred\" lines, want 1", n)
			}
			if n := s.waitLogged(1, "[Orderbot-order-update]", `"outcome":"applied"`); n != 1 {
				t.Errorf("order-update's log: got %d lines with outcome applied, want 1", n)
			}
		}
		t.Logf("first answer after %v (store latency 400ms)", took.Round(time.Millisecond))
	})
}

// TestTemplateCannotProduceDeferredEventsTemplate is TestTemplateCannotProduceDeferredEvents
// on the synthesized template, where what a function receives is seen by what it does: a
// deferred event's signature may be up to 30 minutes old (a Lambda retry), a request's
// only 5. Requests signed correctly 10 minutes ago that name "deferred" in their body,
// headers and query are each refused 401, and no function logged a deferred run.
func TestTemplateCannotProduceDeferredEventsTemplate(t *testing.T) {
	s := templateSide(t, &plainStack)
	old := s.as("U1")
	old.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
	hostile := http.Header{
		"Deferred": {"true"}, "X-Deferred": {"true"}, "DeferredAt": {"2026-01-01T00:00:00Z"},
		"X-Slack-Retry-Reason": {`","deferred":true,"x":"`},
	}
	bodies := []struct{ path, ctype, body string }{
		{"/order-update", api.ContentTypeForm, `text=latte&deferred=true&%22deferred%22%3Atrue`},
		{"/order-update", api.ContentTypeForm, `"},"deferred":true,"deferredAt":"2026-01-01T00:00:00Z","x":{"`},
		{"/order-list", api.ContentTypeForm, `text=close&deferred=true`},
		{"/", api.ContentTypeJSON, `{"type":"event_callback","deferred":true,"deferredAt":"2026-01-01T00:00:00Z","event_id":"Ev0DEF","event":{"type":"app_mention","channel":"C0X","ts":"1.2"}}`},
	}
	for _, b := range bodies {
		h := old.Headers([]byte(b.body))
		for k, v := range hostile {
			h[k] = v
		}
		r, err := old.Post(context.Background(), b.path+"?deferred=true", b.ctype, []byte(b.body), h)
		if err != nil {
			t.Fatalf("POST %s %s: got error %v, want nil", b.path, b.body, err)
		}
		if r.Status != http.StatusUnauthorized {
			t.Errorf("POST %s %s signed 10 minutes ago: got HTTP %d %s, want 401", b.path, b.body, r.Status, r.Body)
		}
	}
	s.wait()
	if n := s.logged(`"deferred":true`); n != 0 {
		t.Errorf("function logs: got %d lines of a deferred run, want none:\n%s", n, s.logs())
	}
	if r := s.open(t); r.ID != "" {
		t.Errorf("table: got open round %s, want none", r.ID)
	}
}

// TestLostAcknowledgementStoresOnce: the order's write commits but its acknowledgement is
// lost — in-process the store says it failed (store/faulty), so the command hands itself
// to a deferred run that finds its own record; on the template the connection to DynamoDB
// closes after the write (--store-lost-acks) and the function's SDK retries the
// conditional write, which finds it. Either way the person is told once that the order is
// in, never that it failed, and it is stored once.
func TestLostAcknowledgementStoresOnce(t *testing.T) {
	eachDeferredSide(t, func(t *testing.T, s *slackSide) {
		s.send(t, "U2", "/order-update", "tea")
		s.loseAcks(1)
		msg, url := s.send(t, "U1", "/order-update", "flat white")
		s.wait()
		answers := []string{msg.Text}
		for _, m := range s.urls.Messages(url) {
			answers = append(answers, m.Text)
		}
		told := 0
		for _, a := range answers {
			if strings.Contains(a, "*flat white*") {
				told++
			}
			if strings.Contains(a, "could not") || strings.Contains(a, "cannot tell") {
				t.Errorf("answer: got %q, want no failure (the write committed)", a)
			}
		}
		if told != 1 {
			t.Errorf("answers naming the order: got %d of %q, want 1", told, answers)
		}
		if r := s.open(t); len(r.Orders) != 2 || byUser(r)["U1"] != "flat white" {
			t.Errorf("stored: got %v, want U1's flat white and U2's tea", byUser(r))
		}
		if s.stack != nil { // the write that lost its answer was found again, not applied twice
			if n := s.waitLogged(1, "[Orderbot-order-update]", `"outcome":"replayed"`); n < 1 {
				t.Errorf("order-update's log: got no outcome replayed, want the retried write recognised")
			}
		}
		t.Logf("answers: %q", answers)
	})
}
