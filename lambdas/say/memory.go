package say

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say/i18n"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// maxHistoryTally bounds one closed round's tally line in History: five rounds and the
// title stay well inside a message.
const maxHistoryTally = 2000

// AgainNone answers `again` from someone who had no order in the channel's last closed
// round (or when there is none).
func (m Messages) AgainNone() *slack.Msg { return m.answer(i18n.AgainNone) }

// History lists closed rounds, newest first: when each closed (in zone), who closed it,
// and its tally on one line. Only the person who asked sees it.
func (m Messages) History(rounds []orders.Round, zone *time.Location, now time.Time) *slack.Msg {
	if len(rounds) == 0 {
		return m.answer(i18n.HistoryNone)
	}
	if zone == nil {
		zone = time.UTC
	}
	title := m.text(i18n.HistoryTitle)
	blocks := []slack.Block{section(title)}
	lines := []string{title}
	for _, r := range rounds {
		who := "—"
		switch {
		case r.ClosedBy == orders.ClosedByDeadline:
			who = m.text(i18n.HistoryDeadline)
		case r.ClosedBy != "":
			who = mention(r.ClosedBy)
		}
		var tally []string
		for _, g := range orders.Tally(r) {
			tally = append(tally, fmt.Sprintf("%d× %s", len(g.Orders), itemText(g.Item)))
		}
		line := m.text(i18n.HistoryRound, m.ClockTime(r.ClosedAt.In(zone), now), who, len(r.Orders),
			slackio.Clip(strings.Join(tally, ", "), maxHistoryTally))
		blocks = append(blocks, section(slackio.Clip(line, maxSectionText)))
		lines = append(lines, line)
	}
	return ephemeral(strings.Join(lines, "\n"), blocks...)
}

// Poke mentions users in the channel — everyone who ordered in the channel's last closed
// round but has none in the open one — on behalf of by: the message is posted to the
// channel, so that each of them is notified. With nobody to mention, only the person who
// asked is told so. The mentions are cut into sections of Slack's size; the text
// fallback names everyone.
func (m Messages) Poke(users []string, by string) *slack.Msg {
	if len(users) == 0 {
		return m.answer(i18n.PokeNobody)
	}
	mentions := make([]string, len(users))
	for i, u := range users {
		mentions[i] = mention(u)
	}
	text := m.text(i18n.Poke, strings.Join(mentions, " "), mention(by))
	var blocks []slack.Block
	for _, part := range splitWords(text, maxSectionText) {
		blocks = append(blocks, section(part))
	}
	return message(slack.ResponseTypeInChannel, text, blocks...)
}

// PokeNoRounds answers a poke in a channel without a closed round to go by.
func (m Messages) PokeNoRounds() *slack.Msg { return m.answer(i18n.PokeNoRounds) }

// splitWords cuts text at spaces into parts of at most max characters (see
// slackio.Chars); a word longer than that is clipped.
func splitWords(text string, max int) []string {
	var parts []string
	cur := ""
	for _, w := range strings.Split(text, " ") {
		switch {
		case cur == "":
			cur = w
		case slackio.Chars(cur)+1+slackio.Chars(w) <= max:
			cur += " " + w
		default:
			parts, cur = append(parts, slackio.Clip(cur, max)), w
		}
	}
	return append(parts, slackio.Clip(cur, max))
}
