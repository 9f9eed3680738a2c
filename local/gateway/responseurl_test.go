package gateway_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/say"
	"github.com/orderbot/orderbot/local/slacksim"
)

// ephemeralsTo are the chat.postEphemeral messages the Web API stand-in holds for user.
func ephemeralsTo(s *slackSide, user string) []string {
	var out []string
	for _, m := range s.web.Messages(s.client.Channel) {
		if m.Ephemeral && m.To == user {
			out = append(out, m.Msg.Text)
		}
	}
	return out
}

// TestClickWithForeignResponseURLPostsNowhere (issue #21, finding 4): a signed click whose
// response_url names another host makes the function POST nowhere; the click takes
// effect and the clicker is answered with the bot token. The other host is a server of
// the test's on a non-loopback address of this machine (the local stack accepts loopback
// response_urls as Slack's): it must see no request, in-process or from a function
// process.
func TestClickWithForeignResponseURLPostsNowhere(t *testing.T) {
	eachSide(t, func(t *testing.T, s *slackSide) {
		s.count(t)(s.as("U1").Command(context.Background(), "/order-update", "latte"))
		live, err := slacksim.PostedReply(s.count(t)(s.as("U1").Command(context.Background(), "/order-list", "share")))
		if err != nil {
			t.Fatal(err)
		}
		u2 := s.as("U2")
		payload, err := u2.BlockActions(live, say.ActionJoin+".0", "")
		if err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		if err := json.Unmarshal(payload, &p); err != nil {
			t.Fatal(err)
		}
		foreign, hits := foreignHost(t)
		p["response_url"] = foreign + "/actions/T0LOCAL/1/abc"
		if payload, err = json.Marshal(p); err != nil {
			t.Fatal(err)
		}
		r := s.count(t)(u2.Post(context.Background(), "/interactive", "application/x-www-form-urlencoded", slacksim.InteractionBody(payload), nil))
		if r.Status != http.StatusOK {
			t.Fatalf("click: got HTTP %d %s, want 200", r.Status, r.Body)
		}
		s.wait()
		s.mu.Lock()
		posted := append([]string(nil), s.posted...)
		s.mu.Unlock()
		for _, u := range posted {
			if !strings.HasPrefix(u, "http://127.0.0.1") {
				t.Errorf("posted to %s, want only Slack's (here loopback) response_urls", u)
			}
		}
		if n := hits.Load(); n != 0 {
			t.Errorf("requests to the foreign response_url's host %s: got %d, want none", foreign, n)
		}
		if got := orderOf(t, s, "U2"); got != "latte" {
			t.Fatalf("U2's order: got %q, want %q", got, "latte")
		}
		if got := ephemeralsTo(s, "U2"); len(got) != 1 || !strings.Contains(got[0], "latte") {
			t.Fatalf("U2's answers by chat.postEphemeral: got %q, want the one confirmation", got)
		}
	})
}

// TestModalAfterResponseURLExpiredIsAnsweredWithBotToken (issue #21, finding 6, and a 404
// from response_url is final): a modal submitted after its command's response_url
// expired sets the order; the confirmation, refused with 404, goes to the submitter with
// chat.postEphemeral instead of failing, retrying and landing in the dead-letter queue.
func TestModalAfterResponseURLExpiredIsAnsweredWithBotToken(t *testing.T) {
	eachSide(t, func(t *testing.T, s *slackSide) {
		u3 := s.as("U3")
		s.count(t)(u3.Command(context.Background(), "/order-update", ""))
		views := s.web.Views()
		if len(views) != 1 {
			t.Fatalf("modals opened: got %d, want 1", len(views))
		}
		s.urls.Now = func() time.Time { return time.Now().Add(31 * time.Minute) } // the command's URL has expired
		sub := s.count(t)(u3.Submit(context.Background(), "", views[0].View, slacksim.Input{BlockID: say.BlockText, ActionID: "text", Value: "mocha"}))
		if sub.Status != http.StatusOK {
			t.Fatalf("submission: got HTTP %d %s, want 200", sub.Status, sub.Body)
		}
		s.wait()
		if got := orderOf(t, s, "U3"); got != "mocha" {
			t.Fatalf("U3's order: got %q, want %q", got, "mocha")
		}
		if got := ephemeralsTo(s, "U3"); len(got) != 1 || !strings.Contains(got[0], "mocha") {
			t.Fatalf("U3's answers by chat.postEphemeral: got %q, want the one confirmation", got)
		}
	})
}

// foreignHost is the base URL of a server on a non-loopback address of this machine and
// the number of requests it got; the test skips where the machine has none.
func foreignHost(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		ip, ok := a.(*net.IPNet)
		if !ok || ip.IP.IsLoopback() || ip.IP.To4() == nil {
			continue
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(ip.IP.String(), "0"))
		if err != nil {
			continue
		}
		var hits atomic.Int64
		srv := &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) })}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		return "http://" + ln.Addr().String(), &hits
	}
	t.Skip("no non-loopback IPv4 address to play another host")
	return "", nil
}
