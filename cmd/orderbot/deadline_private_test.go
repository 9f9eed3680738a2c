package main

import (
	"context"
	"strings"
	"testing"
)

// TestDeadlineInviteHintInPrivateChannels (issue #21): through `orderbot dev
// --private-channel C0SECRET --private-channel C0TEAM:member` on the synthesized template,
// a deadline set 45 minutes out (past the command's response_url) is announced in the
// channel with the bot token; the setter is told `/invite @orderbot` only in the private
// channel the bot is not in (chat.postMessage: channel_not_found), not in the one it was
// invited to, nor in a public one.
func TestDeadlineInviteHintInPrivateChannels(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesizes the stack and runs the binary")
	}
	bin := buildOrderbot(t)
	p := startDev(t, bin, nil, "--private-channel", "C0SECRET", "--private-channel", "C0TEAM:member")
	ctx := context.Background()
	for _, tc := range []struct {
		channel  string
		wantHint bool
	}{{"C0SECRET", true}, {"C0TEAM", false}, {"C0LOCAL", false}} {
		c := p.client("U1")
		c.Channel = tc.channel
		if r, err := c.Command(ctx, "/order-update", "latte"); err != nil || r.Status != 200 {
			t.Fatalf("%s: order: got %+v, %v", tc.channel, r, err)
		}
		r, err := c.Command(ctx, "/order-list", "close in 45m")
		if err != nil || r.Msg == nil || !strings.Contains(r.Msg.Text, "Orders close at") {
			t.Fatalf("%s: deadline: got %+v, %v, want it set", tc.channel, r, err)
		}
		if got := strings.Contains(r.Msg.Text, "/invite @orderbot"); got != tc.wantHint {
			t.Errorf("%s: deadline reply %q: got the invite hint %v, want %v", tc.channel, r.Msg.Text, got, tc.wantHint)
		}
		if got, want := posted(t, p, tc.channel, "Orders close at"), map[bool]int{true: 0, false: 1}[tc.wantHint]; got != want {
			t.Errorf("%s: announcements by the bot: got %d, want %d; calls %+v", tc.channel, got, want, slackCalls(t, p))
		}
	}
	p.stop(t)
}
