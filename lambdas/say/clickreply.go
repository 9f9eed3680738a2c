package say

import (
	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say/i18n"
)

// Answers to a click on a round message's buttons. The round message itself is updated
// with Round (LiveUpdate); these are the clicker's own, ephemeral, confirmations.

// StaleClick answers a click on a message of a round that is no longer open: nothing
// was changed.
func (m Messages) StaleClick() *slack.Msg { return m.answer(i18n.ClickStale) }

// ItemGone answers a "+1 same" on an item nobody in the round has any more.
func (m Messages) ItemGone() *slack.Msg { return m.answer(i18n.ClickItemGone) }

// YouClosed confirms the clicker's close: the final tally is in the channel.
func (m Messages) YouClosed(r orders.Round) *slack.Msg {
	return m.answer(i18n.ClickYouClosed, len(r.Orders))
}

// LiveUpdate is msg made to replace the message a click's response_url belongs to.
func LiveUpdate(msg *slack.Msg) *slack.Msg {
	m := *msg
	m.ReplaceOriginal = true
	return &m
}

// WorkingOnIt is the answer within Slack's deadline when the work takes longer.
func (m Messages) WorkingOnIt() *slack.Msg { return m.answer(i18n.WorkingOnIt) }

// IsWorkingOnIt reports whether text is WorkingOnIt's, in any supported language: for a
// client (orderbot send) that waits for the answer that follows it.
func IsWorkingOnIt(text string) bool {
	for _, name := range i18n.Locales() {
		if m, err := NewMessages(name); err == nil && text == m.WorkingOnIt().Text {
			return true
		}
	}
	return false
}
