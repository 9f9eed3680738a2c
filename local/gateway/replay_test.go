package gateway_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/say"
	"github.com/orderbot/orderbot/local/slacksim"
)

// signed is one signed request as Slack sent it, kept to be delivered again.
type signed struct {
	path    string
	body    []byte
	headers http.Header
}

// sendSigned signs body now, posts it, and returns it for replay.
func sendSigned(t *testing.T, s *slackSide, c *slacksim.Client, path string, body []byte) signed {
	t.Helper()
	req := signed{path: path, body: body, headers: c.Headers(body)}
	replay(t, s, c, req)
	return req
}

// replay delivers req again, byte for byte with its signature headers: the gateway
// stamps it with a later requestTimeEpoch, as API Gateway would.
func replay(t *testing.T, s *slackSide, c *slacksim.Client, req signed) *slacksim.Reply {
	t.Helper()
	r := s.count(t)(c.Post(context.Background(), req.path, api.ContentTypeForm, req.body, req.headers))
	if r.Status != http.StatusOK {
		t.Fatalf("POST %s: got HTTP %d %s, want 200", req.path, r.Status, r.Body)
	}
	return r
}

// TestReplayedRequestsChangeNothing (issue #21, finding 1): a signed request delivered
// again later, within its signature window — a typed command, a click, a modal
// submission — changes nothing, through the in-process gateway on both stores and through
// the synthesized template (the replay reaches another execution environment or the same
// one; the table decides). Before the fix the later delivery was taken for the user's
// newest request: latte, tea, latte again left latte.
func TestReplayedRequestsChangeNothing(t *testing.T) {
	eachSide(t, func(t *testing.T, s *slackSide) {
		u1, u2, u3 := s.as("U1"), s.as("U2"), s.as("U3")
		command := func(c *slacksim.Client, text string) signed {
			return sendSigned(t, s, c, "/order-update", []byte(c.CommandForm("/order-update", text).Encode()))
		}

		latte := command(u1, "latte")
		command(u1, "tea")
		time.Sleep(5 * time.Millisecond) // a later requestTimeEpoch, whatever the clock's grain
		replay(t, s, u1, latte)
		if got := orderOf(t, s, "U1"); got != "tea" {
			t.Errorf("typed: U1's order after latte, tea, latte again: got %q, want %q", got, "tea")
		}

		live, err := slacksim.PostedReply(s.count(t)(u1.Command(context.Background(), "/order-list", "share")))
		if err != nil {
			t.Fatalf("shared round: got error %v, want a message", err)
		}
		payload, err := u2.BlockActions(live, say.ActionJoin+".0", "")
		if err != nil {
			t.Fatal(err)
		}
		join := sendSigned(t, s, u2, "/interactive", slacksim.InteractionBody(payload))
		if got := orderOf(t, s, "U2"); got != "tea" {
			t.Fatalf("click: U2's order after +1: got %q, want %q", got, "tea")
		}
		if payload, err = u2.BlockActions(live, say.ActionCancel, ""); err != nil {
			t.Fatal(err)
		}
		sendSigned(t, s, u2, "/interactive", slacksim.InteractionBody(payload))
		time.Sleep(5 * time.Millisecond)
		replay(t, s, u2, join)
		if got := orderOf(t, s, "U2"); got != "" {
			t.Errorf("click: U2's order after +1, cancel, +1 again: got %q, want none", got)
		}

		s.count(t)(u3.Command(context.Background(), "/order-update", ""))
		views := s.web.Views()
		if len(views) != 1 {
			t.Fatalf("modals opened: got %d, want 1", len(views))
		}
		if payload, err = u3.ViewSubmission(views[0].View, slacksim.Input{BlockID: say.BlockText, ActionID: "text", Value: "mocha"}); err != nil {
			t.Fatal(err)
		}
		submit := sendSigned(t, s, u3, "/interactive", slacksim.InteractionBody(payload))
		command(u3, "chai")
		time.Sleep(5 * time.Millisecond)
		replay(t, s, u3, submit)
		if got := orderOf(t, s, "U3"); got != "chai" {
			t.Errorf("modal: U3's order after mocha (modal), chai, the submission again: got %q, want %q", got, "chai")
		}
	})
}
