package gateway_test

import (
	"context"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// slackRenders is what Slack shows for a mrkdwn text, formatting aside: entities become
// characters; a raw < or > outside markup would be markup Slack misreads.
func slackRenders(t *testing.T, mrkdwn string) string {
	t.Helper()
	if strings.ContainsAny(mrkdwn, "<>") {
		t.Fatalf("mrkdwn %q: got a raw < or >, want none (Slack would read it as markup)", mrkdwn)
	}
	return slackio.UnescapeText(mrkdwn)
}

// TestTypedTextSurvivesSlack is the property end to end: whatever a person types as an
// order — sent the way Slack sends it (&, < and > as entities), through the template, the
// handler and the store — is what Slack renders in the reply and in the tally; in-process
// on both stores and through the synthesized template's request template and function.
func TestTypedTextSurvivesSlack(t *testing.T) {
	eachSide(t, testTypedTextSurvivesSlack)
}

func testTypedTextSurvivesSlack(t *testing.T, h *slackSide) {
	alphabet := []string{"&", "<", ">", "&amp;", "&lt;", "&gt;", "&#39;", "<!channel>", "<!here>", ";", "#", "@", "|",
		"a", "Z", " ", "가", "☕", "🍕", "\"", "'", "%", "+", "=", "\n", "M&M", "<3", "->", "1 < 2 & 3 > 2"}
	rng := rand.New(rand.NewPCG(7, 11))
	n := 200
	if testing.Short() || h.stack != nil {
		n = 40 // the template: each text through a process and dynalite, ~20× the harness's cost
	}
	for i := range n {
		var b strings.Builder
		for k := rng.IntN(8); k >= 0; k-- {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		typed, err := orders.CleanItem(b.String())
		if err != nil {
			continue
		}
		h.client.User = "U" + string(rune('A'+i%26)) + string(rune('A'+i/26))
		r, err := h.client.Command(context.Background(), "/order-update", typed)
		if err != nil || r.Status != 200 || r.Msg == nil || r.Invalid != nil {
			t.Fatalf("%q: got HTTP %v %s (error %v; Block Kit: %v), want 200 with a valid message", typed, r.Status, r.Body, err, r.Invalid)
		}
		if got := byUser(h.open(t))[h.client.User]; got != typed {
			t.Fatalf("typed %q: got %q stored, want it as typed", typed, got)
		}
		section := r.Msg.Blocks.BlockSet[0].(*slack.SectionBlock).Text.Text
		if got, want := slackRenders(t, section), "Your order: *"+typed+"*"; !strings.HasPrefix(got, want) {
			t.Fatalf("typed %q: got %q rendered by Slack, want it to start with %q", typed, got, want)
		}
	}
	r, err := h.client.Command(context.Background(), "/order-list", "")
	if err != nil || r.Msg == nil {
		t.Fatalf("/order-list: got error %v, reply %+v; want nil and a message", err, r)
	}
	for _, blk := range r.Msg.Blocks.BlockSet {
		if s, ok := blk.(*slack.SectionBlock); ok {
			// Mentions of the orderers are Slack's own markup; everything else is text.
			slackRenders(t, orderMentionRE.ReplaceAllString(s.Text.Text, "@someone"))
		}
	}
}

var orderMentionRE = regexp.MustCompile(`<@[A-Z0-9]+>`)
