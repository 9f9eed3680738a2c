package slack

import (
	slackgo "github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/orders"
)

// Answers to a click on a round message's buttons. The round message itself is updated
// with Round (LiveUpdate); these are the clicker's own, ephemeral, confirmations.

// StaleClick answers a click on a message of a round that is no longer open: nothing
// was changed.
func StaleClick() *slackgo.Msg {
	text := "That round is already closed, so nothing was changed — `/order-list` shows the current one."
	return ephemeral(text, section(text))
}

// ItemGone answers a "+1 same" on an item nobody in the round has any more.
func ItemGone() *slackgo.Msg {
	text := "Nobody has that item in this round any more, so nothing was changed — order with `/order-update <item>`."
	return ephemeral(text, section(text))
}

// YouClosed confirms the clicker's close: the final tally is in the channel.
func YouClosed(r orders.Round) *slackgo.Msg {
	text := "You closed the round (" + plural(len(r.Orders), "order", "orders") + ") — the final tally is in the channel."
	return ephemeral(text, section(text))
}

// LiveUpdate is msg made to replace the message a click's response_url belongs to.
func LiveUpdate(msg *slackgo.Msg) *slackgo.Msg {
	m := *msg
	m.ReplaceOriginal = true
	return &m
}
