package say

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// roundOf builds a round where every user ordered a different item.
func roundOf(users int, item func(i int) string) orders.Round {
	r := orders.Round{ID: "r1", Channel: orders.Channel{Team: "T", Channel: "C"}}
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	for i := range users {
		r.Orders = append(r.Orders, orders.Order{User: fmt.Sprintf("U%04d", i), Item: item(i), At: at.Add(time.Duration(i) * time.Second)})
	}
	return r
}

// blocksText is everything a person sees in the message's blocks.
func blocksText(t *testing.T, msg *slack.Msg) string {
	t.Helper()
	if n := len(msg.Blocks.BlockSet); n > 50 {
		t.Fatalf("blocks: got %d, want at most 50 (Slack's limit)", n)
	}
	var b strings.Builder
	for _, bl := range msg.Blocks.BlockSet {
		switch x := bl.(type) {
		case *slack.SectionBlock:
			if n := len([]rune(x.Text.Text)); n > 3000 {
				t.Fatalf("section characters: got %d, want at most 3000 (Slack's limit)", n)
			}
			b.WriteString(x.Text.Text + "\n")
		case *slack.ContextBlock:
			for _, el := range x.ContextElements.Elements {
				b.WriteString(el.(*slack.TextBlockObject).Text + "\n")
			}
		}
	}
	return b.String()
}

// TestFinalTallyNamesEveryone: a close posts the final tally to the channel, so a round
// with more distinct items than Slack has blocks must still name every order. (One
// section per item used to stop at 45 items with "…and N more".)
func TestFinalTallyNamesEveryone(t *testing.T) {
	for _, users := range []int{1, 45, 46, 50, 200, 500} {
		r := roundOf(users, func(i int) string { return fmt.Sprintf("U%04d's own item %d", i, i) })
		msg := en.Round(r, true, true)
		shown := blocksText(t, msg)
		for _, o := range r.Orders {
			line := fmt.Sprintf("1× %s — <@%s>", slackio.Escape(o.Item), o.User)
			if bold := "*" + line[:strings.Index(line, " —")] + "*" + line[strings.Index(line, " —"):]; !strings.Contains(shown, bold) {
				t.Fatalf("%d users: blocks: got no %q, want a line for every order", users, bold)
			}
			if !strings.Contains(msg.Text, line) {
				t.Fatalf("%d users: text: got no %q, want a line for every order", users, line)
			}
		}
		if strings.Contains(shown, "more.") {
			t.Errorf("%d users: tally ending %q: got it cut (\"more.\"), want it whole as it fits", users, shown[len(shown)-100:])
		}
	}
}

// TestTallyBeyondBlockLimit: when even packed sections cannot hold the tally (hundreds of
// maximum-length items full of characters Slack escapes), the blocks say how many items
// are left out and the text fallback still lists every order.
func TestTallyBeyondBlockLimit(t *testing.T) {
	r := roundOf(1000, func(i int) string { return fmt.Sprintf("%04d %s", i, strings.Repeat("&", orders.MaxItemRunes-5)) })
	msg := en.Round(r, true, true)
	shown := blocksText(t, msg)
	if !strings.Contains(shown, "more.") {
		t.Fatal("blocks: got no \"more.\", want the cut tally to say how many items are left out")
	}
	for _, o := range r.Orders {
		if !strings.Contains(msg.Text, "<@"+o.User+">") {
			t.Fatalf("text: got no mention of %s, want every order named", o.User)
		}
	}
}
