package devstack_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot/local/awsfront"
	"github.com/orderbot/orderbot/local/cfn/cfntest"
	"github.com/orderbot/orderbot/local/devstack"
)

// TestAsyncPayloadLimit: Lambda takes an Event invocation of up to 1 MB ("For
// asynchronous invocations, the maximum payload size is 1 MB",
// https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html; 256 KB before October
// 2025): an event of exactly 1 MB — four times the old limit — is queued and reaches the
// function (which refuses its shape, so it lands in the dead-letter queue whole); one
// byte more is refused with 413 RequestTooLargeException and runs nothing.
func TestAsyncPayloadLimit(t *testing.T) {
	r := start(t, func(res cfntest.Resources) {
		res.Props("AWS::Lambda::EventInvokeConfig", "Fnorderupdate")["MaximumRetryAttempts"] = 0.0
	}, devstack.Options{})
	event := func(size int) []byte {
		return []byte(`{"unexpected":"` + strings.Repeat("x", size-len(`{"unexpected":""}`)) + `"}`)
	}
	if status, body := invokeEvent(t, r, "Orderbot-order-update", event(awsfront.MaxAsyncPayload+1)); status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "Request must be smaller than 1048576 bytes") {
		t.Errorf("1 MB + 1 byte: got %d %s, want 413 RequestTooLargeException", status, body)
	}
	big := event(awsfront.MaxAsyncPayload)
	if status, body := invokeEvent(t, r, "Orderbot-order-update", big); status != http.StatusAccepted {
		t.Fatalf("1 MB: got %d %s, want 202", status, body)
	}
	r.st.Wait()
	if n := r.log.count("order-update", "platform.start"); n != 1 {
		t.Errorf("runs: got %d, want 1 (the 1 MB event; the larger one never queued)", n)
	}
	var dlq []map[string]any
	for id := range r.st.Stack.Queues {
		msgs, _ := r.st.DeadLetters(id)
		dlq = append(dlq, msgs...)
	}
	if len(dlq) != 1 || !bytes.Equal([]byte(dlq[0]["Body"].(string)), big) {
		t.Errorf("dead letters: got %d, want the 1 MB event whole", len(dlq))
	}
}

// TestDeferredRunDeliveredTwice: with every asynchronous invocation delivered twice
// (AsyncTwice, Lambda's at-least-once queue: "Occasionally, your function may receive the
// same event multiple times, even if no error occurs", API_Invoke.html), a command that
// answers "working on it" (a 1 ms reply budget over a 300 ms table) has its deferred run
// executed twice, at once, on two environments — and the bot still does everything once:
// one order, one close, the tally posted once on the response_url, one round in history.
func TestDeferredRunDeliveredTwice(t *testing.T) {
	r := start(t, nil, devstack.Options{AsyncTwice: true, StoreLatency: 300 * time.Millisecond,
		Overrides: map[string]string{"REPLY_BUDGET_MS": "1"}})
	for _, c := range []struct{ cmd, text string }{{"/order-update", "latte"}, {"/order-list", "close"}} {
		if reply := command(t, r, c.cmd, c.text); reply.Status != 200 || !strings.Contains(text(reply), "Working on it") {
			t.Fatalf("%s %s: got %d %s, want 200 and a deferred answer", c.cmd, c.text, reply.Status, text(reply))
		}
		r.st.Wait()
	}
	if n := strings.Count(r.log.String(), "delivered again"); n != 2 {
		t.Errorf("duplicate deliveries: got %d, want 2 (one per deferred command)", n)
	}
	// A function's last lines may reach the log just after its invocation ends.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) &&
		r.log.count("order-update", `"request handled"`)+r.log.count("order-list", `"request handled"`) < 6; {
		time.Sleep(20 * time.Millisecond)
	}
	// Both deliveries run the same signed request: the store applies it once and
	// recognises the other (replayed); the response_url claim lets one post the answer.
	for _, fn := range []string{"order-update", "order-list"} {
		for _, w := range []struct {
			line string
			n    int
		}{
			{"platform.start", 3}, // the command, then its deferred run twice
			{`"outcome":"applied"`, 1},
			{`"outcome":"replayed"`, 1},
			{`"msg":"reply sent"`, 1},
			{"reply already sent by another delivery", 1},
		} {
			if got := r.log.count(fn, w.line); got != w.n {
				t.Errorf("%s: got %d lines with %s, want %d", fn, got, w.line, w.n)
			}
		}
	}
}
