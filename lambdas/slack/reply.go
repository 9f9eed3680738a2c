package slack

import (
	"fmt"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/orders"
)

// Slack's limits on a message: 50 blocks, 3000 characters of section text.
const (
	maxGroupBlocks = 45
	maxSectionText = 2900
)

// Escape makes user text literal in mrkdwn: Slack reads &, < and > as markup.
func Escape(s string) string { return mrkdwnEscaper.Replace(s) }

// A Replacer builds its lookup table on first use; one per call was 70% of a reply's
// allocations.
var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func mention(user string) string { return "<@" + user + ">" }

func section(text string) slackgo.Block {
	return slackgo.NewSectionBlock(slackgo.NewTextBlockObject(slackgo.MarkdownType, text, false, false), nil, nil)
}

func contextLine(text string) slackgo.Block {
	return slackgo.NewContextBlock("", slackgo.NewTextBlockObject(slackgo.MarkdownType, text, false, false))
}

func message(responseType, text string, blocks ...slackgo.Block) *slackgo.Msg {
	return &slackgo.Msg{ResponseType: responseType, Text: text, Blocks: slackgo.Blocks{BlockSet: blocks}}
}

func ephemeral(text string, blocks ...slackgo.Block) *slackgo.Msg {
	return message(slackgo.ResponseTypeEphemeral, text, blocks...)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Usage answers an empty, unknown or invalid command; problem, if any, says what was wrong.
func Usage(command, problem string) *slackgo.Msg {
	var lines []string
	switch command {
	case "/order-list":
		lines = []string{
			"`/order-list` shows this channel's round, grouped by item (only you see it)",
			"`/order-list share` posts it to the channel",
			"`/order-list close` closes the round and posts the final tally",
		}
	default:
		lines = []string{
			"`/order-update <item>` sets or replaces your order in this channel's round",
			"`/order-update cancel` withdraws it",
			"`/order-list` shows the round",
		}
	}
	text := strings.Join(lines, "\n")
	if problem != "" {
		text = problem + "\n" + text
	}
	return ephemeral(text, section(text))
}

// ItemProblem explains why an item was refused, in words for the person who typed it.
func ItemProblem(err error) string {
	switch err {
	case orders.ErrEmptyItem:
		return "Tell me what you'd like, e.g. `/order-update iced americano`."
	case orders.ErrItemTooLong:
		return fmt.Sprintf("That order is too long: at most %d characters, please.", orders.MaxItemRunes)
	default:
		return "That order holds characters I can't store (control characters or invalid UTF-8)."
	}
}

// OrderSet confirms the caller's order and the size of the round it joined.
func OrderSet(r orders.Round, item string) *slackgo.Msg {
	text := fmt.Sprintf("Your order: *%s* — %s in this round.", Escape(item), plural(len(r.Orders), "order", "orders"))
	return ephemeral(text, section(text),
		contextLine("Change it with `/order-update <item>`, withdraw it with `/order-update cancel`, see the round with `/order-list`."))
}

// OrderInClosedRound answers a request that was saved and whose round has closed since:
// the order is in that round's final tally.
func OrderInClosedRound(r orders.Round, item string) *slackgo.Msg {
	text := fmt.Sprintf("Your order *%s* was saved — it is in the round that has closed since (%s in its final tally).",
		Escape(item), plural(len(r.Orders), "order", "orders"))
	return ephemeral(text, section(text))
}

// Superseded answers a request that arrived after a newer one of the same person: the
// newer one stands. current is the open round (zero when none).
func Superseded(current orders.Round, user string) *slackgo.Msg {
	text := "A newer request of yours arrived first, so this one changed nothing: you have no order in this round."
	for _, o := range current.Orders {
		if o.User == user {
			text = fmt.Sprintf("A newer request of yours arrived first, so this one changed nothing: your order is *%s*.", Escape(o.Item))
		}
	}
	return ephemeral(text, section(text))
}

// RoundFull refuses a new order in a round that holds orders.MaxOrders.
func RoundFull() *slackgo.Msg {
	text := fmt.Sprintf("This round already holds %d orders, the most one round takes. Close it with `/order-list close` and start the next.", orders.MaxOrders)
	return ephemeral(text, section(text))
}

// NotSaved tells the person that a change did not happen and never will: the database
// did not answer, and the request is recorded as abandoned. what is e.g. "your order
// *latte*" (already escaped).
func NotSaved(what string) *slackgo.Msg {
	text := fmt.Sprintf("Sorry — I could not save %s: the database did not answer in time. Nothing was changed; please try again.", what)
	return ephemeral(text, section(text))
}

// NotClosed tells the closer that the round stays open.
func NotClosed() *slackgo.Msg {
	text := "Sorry — I could not close the round: the database did not answer in time. The round is still open; please try `/order-list close` again."
	return ephemeral(text, section(text))
}

// Unknown tells the person that the database failed in a way that leaves the outcome
// unknown: the last resort, so that nobody who saw "Working on it…" is left in silence.
func Unknown() *slackgo.Msg {
	text := "Sorry — the database is not answering, and I cannot tell whether your request took effect. Check with `/order-list` in a minute."
	return ephemeral(text, section(text))
}

// NotRead answers a read (list, share) that kept failing.
func NotRead() *slackgo.Msg {
	text := "Sorry — I could not read the round: the database did not answer in time. Please try again."
	return ephemeral(text, section(text))
}

// OrderCancelled confirms a withdrawn order.
func OrderCancelled(r orders.Round) *slackgo.Msg {
	text := fmt.Sprintf("Your order is withdrawn — %s left in this round.", plural(len(r.Orders), "order", "orders"))
	return ephemeral(text, section(text))
}

// NothingToCancel answers a cancel without an order.
func NothingToCancel() *slackgo.Msg {
	text := "You have no order in this channel's round, so there is nothing to cancel."
	return ephemeral(text, section(text))
}

// NoOpenRound answers a list or close in a channel without a round.
func NoOpenRound() *slackgo.Msg {
	text := "No open round in this channel. Start one with `/order-update <item>`."
	return ephemeral(text, section(text))
}

// Round shows a round grouped by item. shared posts it to the channel; closed marks the
// final tally.
func Round(r orders.Round, shared, closed bool) *slackgo.Msg {
	responseType := slackgo.ResponseTypeEphemeral
	if shared || closed {
		responseType = slackgo.ResponseTypeInChannel
	}
	if len(r.Orders) == 0 {
		text := "No orders yet in this round — add yours with `/order-update <item>`."
		if closed {
			text = "Round closed with no orders."
		}
		return message(responseType, text, section(text))
	}
	groups := orders.Tally(r)
	title := fmt.Sprintf("Order round — %s, %s", plural(len(r.Orders), "order", "orders"), plural(len(groups), "item", "items"))
	if closed {
		title = fmt.Sprintf("Round closed — final tally: %s, %s", plural(len(r.Orders), "order", "orders"), plural(len(groups), "item", "items"))
	}
	blocks := []slackgo.Block{section("*" + title + "*")}
	fallback := []string{title}
	// Lines are packed into sections of at most maxSectionText characters, so a round of
	// many distinct items still fits Slack's 50 blocks: the final tally must name everyone.
	var chunk []string
	size, shown, full := 0, 0, false
	flush := func() {
		if len(chunk) > 0 {
			blocks = append(blocks, section(strings.Join(chunk, "\n")))
			chunk, size = nil, 0
		}
	}
	for _, g := range groups {
		who := make([]string, len(g.Orders))
		for j, o := range g.Orders {
			who[j] = mention(o.User)
		}
		line := fmt.Sprintf("*%d× %s* — %s", len(g.Orders), Escape(g.Item), strings.Join(who, ", "))
		fallback = append(fallback, fmt.Sprintf("%d× %s — %s", len(g.Orders), Escape(g.Item), strings.Join(who, ", ")))
		if len(line) > maxSectionText {
			// Only a long list of people gets here (items are at most 200 runes): cut at a
			// comma so no mention is split.
			cut := strings.LastIndex(line[:maxSectionText], ",")
			if cut < 0 {
				cut = maxSectionText
			}
			line = line[:cut] + ", …"
		}
		if full = full || size > 0 && size+1+len(line) > maxSectionText && len(blocks) == maxGroupBlocks; full {
			continue // the text fallback still lists it
		}
		if size > 0 && size+1+len(line) > maxSectionText {
			flush()
		}
		chunk = append(chunk, line)
		size += len(line) + 1
		shown++
	}
	flush()
	if shown < len(groups) {
		blocks = append(blocks, contextLine(fmt.Sprintf("…and %s more.", plural(len(groups)-shown, "item", "items"))))
	}
	if !closed {
		blocks = append(blocks, contextLine("`/order-list share` posts this to the channel · `/order-list close` closes the round"))
	}
	return message(responseType, strings.Join(fallback, "\n"), blocks...)
}

// MentionHelp is the reply to an @-mention.
func MentionHelp() string {
	return "Hi! I collect this channel's order round.\n" +
		"• `/order-update <item>` sets or replaces your order (`cancel` withdraws it)\n" +
		"• `/order-list` shows the round · `share` posts it · `close` closes it with the final tally"
}
