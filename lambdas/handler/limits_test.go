package handler

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// maximalItem is the i-th of orders.MaxOrders distinct items of orders.MaxItemRunes runes,
// each as long as an item can get once Slack sees it: all & (five characters each once
// escaped), all emoji (two UTF-16 units each), or Hangul and markup mixed.
func maximalItem(i int) string {
	prefix := fmt.Sprintf("%03d ", i)
	n := orders.MaxItemRunes - utf8.RuneCountInString(prefix)
	switch i % 3 {
	case 0:
		return prefix + strings.Repeat("&", n)
	case 1:
		return prefix + strings.Repeat("😀", n)
	default:
		return prefix + strings.Repeat("<가>", n/3) + strings.Repeat("&", n%3)
	}
}

// TestRepliesWithinBlockKitLimits drives the handlers through the largest round the store
// takes — orders.MaxOrders people, each with a different item of maximal length — and the
// longest arguments, and checks every reply against Slack's Block Kit limits.
func TestRepliesWithinBlockKitLimits(t *testing.T) {
	f := newFixture(t)
	valid := func(what string, msg *slack.Msg, phrases ...string) {
		t.Helper()
		if err := slackio.Validate(msg); err != nil {
			t.Fatalf("%s: Validate: got error %v, want nil", what, err)
		}
		for _, p := range phrases {
			if !strings.Contains(msg.Text, p) {
				t.Fatalf("%s: reply text: got %.200q…, want it to contain %q", what, msg.Text, p)
			}
		}
	}
	arg := strings.Repeat("&<>가😀x", 500) // 3,000 characters, 8,500 once escaped
	if n := utf8.RuneCountInString(arg); n != 3000 {
		t.Fatalf("argument runes: got %d, want 3000", n)
	}

	valid("unknown argument", f.list(t, "U0", arg), "I don't know `&amp;&lt;&gt;가😀x", "…`.")
	valid("help", f.update(t, "U0", "help"), "/order-update <item>")
	valid("item too long", f.update(t, "U0", arg), "too long")
	valid("close without round", f.list(t, "U0", "close"), "No open round")
	valid("cancel without round", f.update(t, "U0", "cancel"), "nothing to cancel")
	valid("empty round", f.list(t, "U0", ""), "No orders yet")

	users := make([]string, orders.MaxOrders)
	for i := range users {
		users[i] = fmt.Sprintf("U%010d", i) // Slack's user ids are about 11 characters
		valid(fmt.Sprintf("order %d", i), f.update(t, users[i], maximalItem(i)), "Your order: *", fmt.Sprintf("%d order", i+1))
	}
	valid("round full", f.update(t, "UFULL", "latte"), fmt.Sprintf("holds %d orders", orders.MaxOrders))
	valid("list", f.list(t, users[0], ""), fmt.Sprintf("Order round — %d orders, %d items", orders.MaxOrders, orders.MaxOrders))
	valid("share", f.list(t, users[0], "share"), fmt.Sprintf("%d orders", orders.MaxOrders))
	valid("unknown argument in a round", f.list(t, users[0], arg), "I don't know `")
	valid("cancel", f.update(t, users[1], "cancel"), "withdrawn")
	valid("cancel again", f.update(t, users[1], "CANCEL"), "nothing to cancel")
	valid("order again", f.update(t, users[1], maximalItem(1)), "Your order: *")

	closed := f.list(t, users[0], "close")
	valid("close", closed, "Round closed — final tally")
	if closed.ResponseType != slack.ResponseTypeInChannel {
		t.Fatalf("final tally response_type: got %q, want %q", closed.ResponseType, slack.ResponseTypeInChannel)
	}
	// The blocks cannot hold 250 items of 1,000 characters; the text fallback still names
	// everyone, with items shortened.
	for _, u := range users {
		if !strings.Contains(closed.Text, "<@"+u+">") {
			t.Fatalf("final tally's text (%d characters): got no mention of %s, want <@%s>", slackio.Chars(closed.Text), u, u)
		}
	}
	valid("close again", f.list(t, users[0], "close"), "No open round")
	valid("next round", f.update(t, users[2], maximalItem(2)), "Your order: *", "1 order in this round")
}
