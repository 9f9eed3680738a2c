package slack

import (
	slackgo "github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/orders"
)

// The English messages as plain functions: Messages{}'s, for tests and tools that read
// replies in English. The handlers word every message through Deps.Messages instead, in
// the configured language (a handler test keeps them to it).

// Usage is Messages{}.Usage.
func Usage(command, problem string) *slackgo.Msg { return Messages{}.Usage(command, problem) }

// ItemProblem is Messages{}.ItemProblem.
func ItemProblem(err error) string { return Messages{}.ItemProblem(err) }

// OrderSet is Messages{}.OrderSet.
func OrderSet(r orders.Round, item string) *slackgo.Msg { return Messages{}.OrderSet(r, item) }

// OrderInClosedRound is Messages{}.OrderInClosedRound.
func OrderInClosedRound(r orders.Round, item string) *slackgo.Msg {
	return Messages{}.OrderInClosedRound(r, item)
}

// Overtaken is Messages{}.Overtaken.
func Overtaken(r orders.Round, user, item string) *slackgo.Msg {
	return Messages{}.Overtaken(r, user, item)
}

// Superseded is Messages{}.Superseded.
func Superseded(current orders.Round, user string) *slackgo.Msg {
	return Messages{}.Superseded(current, user)
}

// RoundFull is Messages{}.RoundFull.
func RoundFull() *slackgo.Msg { return Messages{}.RoundFull() }

// NotSaved is Messages{}.NotSaved: what is English, e.g. "your order *latte*".
func NotSaved(what string) *slackgo.Msg { return Messages{}.NotSaved(what) }

// NotClosed is Messages{}.NotClosed.
func NotClosed() *slackgo.Msg { return Messages{}.NotClosed() }

// Unknown is Messages{}.Unknown.
func Unknown() *slackgo.Msg { return Messages{}.Unknown() }

// NotRead is Messages{}.NotRead.
func NotRead() *slackgo.Msg { return Messages{}.NotRead() }

// OrderCancelled is Messages{}.OrderCancelled.
func OrderCancelled(r orders.Round) *slackgo.Msg { return Messages{}.OrderCancelled(r) }

// NothingToCancel is Messages{}.NothingToCancel.
func NothingToCancel() *slackgo.Msg { return Messages{}.NothingToCancel() }

// NoOpenRound is Messages{}.NoOpenRound.
func NoOpenRound() *slackgo.Msg { return Messages{}.NoOpenRound() }

// Round is Messages{}.Round.
func Round(r orders.Round, shared, closed bool) *slackgo.Msg {
	return Messages{}.Round(r, shared, closed)
}

// MentionHelp is Messages{}.MentionHelp.
func MentionHelp() string { return Messages{}.MentionHelp() }

// WorkingOnIt is Messages{}.WorkingOnIt.
func WorkingOnIt() *slackgo.Msg { return Messages{}.WorkingOnIt() }

// StaleClick is Messages{}.StaleClick.
func StaleClick() *slackgo.Msg { return Messages{}.StaleClick() }

// ItemGone is Messages{}.ItemGone.
func ItemGone() *slackgo.Msg { return Messages{}.ItemGone() }

// YouClosed is Messages{}.YouClosed.
func YouClosed(r orders.Round) *slackgo.Msg { return Messages{}.YouClosed(r) }

// OrderModal is Messages{}.OrderModal.
func OrderModal(mc ModalContext, recent []string) slackgo.ModalViewRequest {
	return Messages{}.OrderModal(mc, recent)
}

// ParseOrderSubmission is Messages{}.ParseOrderSubmission.
func ParseOrderSubmission(ic slackgo.InteractionCallback) (OrderSubmission, error) {
	return Messages{}.ParseOrderSubmission(ic)
}
