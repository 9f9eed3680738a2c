package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/store/faulty"
)

// TestSlackRetriesHandledOnce: Slack redelivers an event it thinks failed with
// X-Slack-Retry-Num 1–3. However the copies arrive — one after another or all at once —
// the mention is answered once (the Web API stand-in's recorded thread replies) and,
// in-process where the store's writes are counted, its id is recorded once; on the
// synthesized template the copies may reach different execution environments.
func TestSlackRetriesHandledOnce(t *testing.T) {
	eachSide(t, func(t *testing.T, s *slackSide) {
		ctx := context.Background()
		deliver := func(body []byte, retry int) {
			var extra http.Header
			if retry > 0 {
				extra = http.Header{"X-Slack-Retry-Num": {strconv.Itoa(retry)}, "X-Slack-Retry-Reason": {"http_timeout"}}
			}
			r, err := s.client.Post(ctx, "/", api.ContentTypeJSON, body, extra)
			if err != nil {
				t.Errorf("delivery %d: got error %v, want nil", retry, err)
				return
			}
			if r.Status != 200 || string(bytes.TrimSpace(r.Body)) != "{}" {
				t.Errorf("delivery %d: got HTTP %d %s, want 200 {}", retry, r.Status, r.Body)
			}
		}
		sequential, err := s.client.EventBody("app_mention")
		if err != nil {
			t.Fatal(err)
		}
		for retry := range 4 {
			deliver(sequential, retry)
		}
		concurrent, _ := s.client.EventBody("app_mention")
		var wg sync.WaitGroup
		for retry := range 4 {
			wg.Go(func() { deliver(concurrent, retry) })
		}
		wg.Wait()
		// Two events, eight deliveries: two replies, two first deliveries.
		if n := s.threadReplies(); n != 2 {
			t.Errorf("thread replies for 2 events delivered 4 times each: got %d, want 2", n)
		}
		if s.stack != nil { // the events function's own account of the six copies
			if n := s.waitLogged(6, `"msg":"duplicate event ignored"`); n != 6 {
				t.Errorf("function logs: got %d lines \"duplicate event ignored\", want 6 (3 copies of each event)", n)
			}
		}
		if c := s.counting; c != nil {
			if n := len(c.events); n != 4 { // each event id and each message
				t.Errorf("first deliveries MarkEvent reported: got %d (%q), want 4", n, c.events)
			}
			if n := c.writes["MarkEvent"]; n != 10 {
				t.Errorf("MarkEvent calls: got %d, want 10 (one per delivery, one per message for its first)", n)
			}
		}
	})
}

// TestDoubleSubmittedUpdateIsIdempotent: the same signed /order-update posted twice (a
// double click, a proxy retry) leaves the state a single post leaves and gets the same
// reply, also when both copies race (on the template: in two execution environments).
func TestDoubleSubmittedUpdateIsIdempotent(t *testing.T) {
	eachSide(t, func(t *testing.T, s *slackSide) {
		ctx := context.Background()
		mustCommand(t, s.as("U1"), "/order-update", "flat white")
		c := s.as("U2")
		for _, concurrent := range []bool{false, true} {
			item := "oat latte, concurrent=" + strconv.FormatBool(concurrent)
			body := []byte(c.CommandForm("/order-update", item).Encode())
			headers := c.Headers(body) // one signature: byte-identical copies
			replies := make([][]byte, 2)
			send := func(i int) {
				r, err := c.Post(ctx, "/order-update", api.ContentTypeForm, body, headers)
				if err != nil || r.Status != 200 || r.Msg == nil {
					t.Errorf("copy %d: got error %v, reply %+v; want HTTP 200 with a message", i, err, r)
					return
				}
				replies[i] = r.Body
			}
			if concurrent {
				var wg sync.WaitGroup
				wg.Go(func() { send(0) })
				wg.Go(func() { send(1) })
				wg.Wait()
			} else {
				send(0)
				send(1)
			}
			if len(replies[0]) != len(replies[1]) || !bytes.Equal(replies[0], replies[1]) {
				t.Errorf("concurrent=%v: got differing replies:\n%s\n%s\nwant them identical", concurrent, replies[0], replies[1])
			}
			r := s.open(t)
			if got := byUser(r); len(r.Orders) != 2 || got["U2"] != item || got["U1"] != "flat white" {
				t.Errorf("concurrent=%v: got round %v, want U1 flat white and U2 %q", concurrent, got, item)
			}
		}
	})
}

// TestMentionUnderTwoEventIDsIsAnsweredOnce (issue #21): Slack also delivers one message
// under several event_ids (node-slack-sdk #2141); the mention is answered once per
// message — channel and ts — not once per event_id.
func TestMentionUnderTwoEventIDsIsAnsweredOnce(t *testing.T) {
	eachSide(t, func(t *testing.T, s *slackSide) {
		body, err := s.client.EventBody("app_mention")
		if err != nil {
			t.Fatal(err)
		}
		var ev map[string]any
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"Ev0FIRST", "Ev0SECOND"} {
			ev["event_id"] = id
			b, _ := json.Marshal(ev)
			if r, err := s.client.Post(context.Background(), "/", api.ContentTypeJSON, b, nil); err != nil || r.Status != 200 {
				t.Fatalf("delivery as %s: got %v, %v; want 200", id, r, err)
			}
		}
		if n := s.threadReplies(); n != 1 {
			t.Fatalf("thread replies to one message under two event ids: got %d, want 1", n)
		}
	})
}

// TestSlackRetryWithoutItsRecordIsDropped (issue #21): when the store cannot tell whether
// an event was seen (in-process only: MarkEvent alone fails, a fault point the template's
// stack-wide store faults cannot single out), a first delivery fails (500: Slack retries it), but a retry
// (X-Slack-Retry-Num ≥ 1) is answered 200 and dropped — an earlier delivery may have
// answered it, and a 500 would only bring the next retry.
func TestSlackRetryWithoutItsRecordIsDropped(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			broken := faulty.New(st.new(t))
			broken.Plan = func(c faulty.Call) faulty.Fault {
				if c.Method == faulty.MarkEvent {
					return faulty.Fault{Kind: faulty.FailBeforeCommit}
				}
				return faulty.Fault{}
			}
			h := newHarness(t, broken)
			body, err := h.client.EventBody("app_mention")
			if err != nil {
				t.Fatal(err)
			}
			for retry, want := range []int{http.StatusInternalServerError, http.StatusOK, http.StatusOK} {
				var extra http.Header
				if retry > 0 {
					extra = http.Header{"X-Slack-Retry-Num": {strconv.Itoa(retry)}, "X-Slack-Retry-Reason": {"http_error"}}
				}
				r, err := h.client.Post(context.Background(), "/", api.ContentTypeJSON, body, extra)
				if err != nil || r.Status != want {
					t.Fatalf("delivery %d: got %v, %v; want HTTP %d", retry, r, err, want)
				}
			}
			if n := h.poster.count(); n != 0 {
				t.Fatalf("thread replies: got %d, want none", n)
			}
		})
	}
}
