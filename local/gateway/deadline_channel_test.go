package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/slackio"
	"github.com/orderbot/orderbot/local/slacksim"
)

// TestDeadlineReplySaysInviteOnlyWhenTheBotCannotPost (issue #21): a deadline whose tally
// will go with the bot token (past the command's response_url) is announced in the channel
// with that token when it is set — the announcement is the test of whether the bot can
// post there, as for recurring rounds — and the setter's reply gives the `/invite
// @orderbot` hint only when Slack refused it (a private channel the bot was not invited
// to: channel_not_found, as slacksim's private-channel mode — `orderbot dev
// --private-channel C[:member]` — answers). Where the bot posted, the channel has the
// deadline once, from the bot, and the setter's reply is theirs alone. A deadline the
// response_url outlives needs no test and gives no hint.
func TestDeadlineReplySaysInviteOnlyWhenTheBotCannotPost(t *testing.T) {
	tests := []struct {
		name          string
		private       bool
		member        bool
		when          string
		wantHint      bool
		wantAnnounced bool
	}{
		{name: "private channel, bot not invited", private: true, when: "in 45m", wantHint: true},
		{name: "private channel, bot invited", private: true, member: true, when: "in 45m", wantAnnounced: true},
		{name: "public channel, bot not in it (chat:write.public)", when: "in 45m", wantAnnounced: true},
		{name: "private channel, bot not invited, deadline within response_url's life", private: true, when: "in 10m"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			web := slacksim.NewWebAPI(botToken)
			web.WritePublic = true // as the manifest asks
			if tc.private {
				web.SetPrivate("C0LOCAL", tc.member)
			} else {
				web.Channels = map[string]bool{"C0LOCAL": false}
			}
			api := httptest.NewServer(http.StripPrefix("/api", web))
			t.Cleanup(api.Close)
			d := newDeadlineRigPosting(t, boltStore(t), slackio.NewPoster(botToken, api.URL+"/api/"))
			d.send("U1", "/order-update", "flat white")
			msg, _ := d.send("U1", "/order-list", "close "+tc.when)
			d.gw.Wait()
			wantContains(t, "deadline reply", msg.Text, "Orders close at")
			if got := strings.Contains(msg.Text, "/invite @orderbot"); got != tc.wantHint {
				t.Errorf("deadline reply %q: got the invite hint %v, want %v", msg.Text, got, tc.wantHint)
			}
			var announced []string
			for _, m := range web.Messages("C0LOCAL") {
				announced = append(announced, m.Msg.Text)
			}
			switch {
			case tc.wantAnnounced && (len(announced) != 1 || !strings.HasPrefix(announced[0], "Orders close at")):
				t.Errorf("channel: got %q, want the deadline announced once by the bot", announced)
			case !tc.wantAnnounced && len(announced) != 0:
				t.Errorf("channel: got %q from the bot, want nothing", announced)
			}
			wantType := slack.ResponseTypeInChannel
			if tc.wantAnnounced {
				wantType = slack.ResponseTypeEphemeral // the channel has it from the bot
			}
			if msg.ResponseType != wantType {
				t.Errorf("deadline reply: got response type %q, want %q", msg.ResponseType, wantType)
			}
		})
	}
}
