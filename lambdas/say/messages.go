// Package say is what orderbot says, in English and Korean: every reply and message
// (Messages, worded from the catalogues in say/i18n), the Block Kit it builds — the round
// message with its buttons, the order modal, tallies — and what people type to it: the
// keywords (ParseKeyword), the deadline grammar (ParseDeadline), the buttons' action ids
// and values (DecodeAction). Slack's transport and limits are package slackio's; the
// domain is package orders'. The handlers reach it as handler.Deps.Messages.
package say

import (
	"github.com/orderbot/orderbot/lambdas/say/i18n"
)

// Messages words every message orderbot sends in one language: the replies, the round
// message with its buttons and confirmation, the order modal, the mention help. Each
// text comes from the language's catalogue (package i18n), never from concatenated
// words. The zero value is English; NewMessages gives another supported locale. A
// Messages is a small value, safe for concurrent use.
type Messages struct {
	locale string
	c      *i18n.Catalogue
}

// NewMessages returns the messages of locale ("en", "ko"; empty is English). An
// unsupported locale is an error that names the supported ones.
func NewMessages(locale string) (Messages, error) {
	name, err := i18n.Check(locale)
	if err != nil {
		return Messages{}, err
	}
	c, err := i18n.Load(name)
	if err != nil {
		return Messages{}, err
	}
	return Messages{locale: name, c: c}, nil
}

// Locale is the locale m words messages in.
func (m Messages) Locale() string {
	if m.c == nil {
		return i18n.Default
	}
	return m.locale
}

// text is message id of m's catalogue, formatted with args.
func (m Messages) text(id i18n.ID, args ...any) string {
	c := m.c
	if c == nil {
		c = english()
	}
	return c.Sprintf(id, args...)
}

// english is the English catalogue, compiled once. It is compiled in and tested, so
// compiling it cannot fail.
func english() *i18n.Catalogue {
	c, err := i18n.Load(i18n.Default)
	if err != nil {
		panic(err)
	}
	return c
}
