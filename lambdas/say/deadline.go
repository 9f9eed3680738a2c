package say

import (
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say/i18n"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// ClockTime is t as messages show a deadline: the time of day in t's location (the
// handlers give times in the team's zone) with the zone's abbreviation ("11:30 KST"), and
// the date before it when it is not now's day there.
func (m Messages) ClockTime(t, now time.Time) string {
	now = now.In(t.Location())
	if y, mo, d := t.Date(); y != now.Year() || mo != now.Month() || d != now.Day() {
		return t.Format("Jan 2 15:04 MST")
	}
	return t.Format("15:04 MST")
}

// DeadlineProblem words a deadline argument that could not be read.
func (m Messages) DeadlineProblem(arg string) string {
	return m.text(i18n.ProblemDeadline, slackio.Clip(slackio.Escape(arg), maxProblem))
}

// DeadlinePast words a time of day that has passed today.
func (m Messages) DeadlinePast(at, now time.Time) string {
	return m.text(i18n.ProblemDeadlinePast, m.ClockTime(at, now))
}

// DeadlineTooFar words a deadline further ahead than max.
func (m Messages) DeadlineTooFar(max time.Duration) string {
	return m.text(i18n.ProblemDeadlineFar, int(max.Hours()))
}

// DeadlineSet announces a round's deadline in the channel; notes (DeadlineSkipped,
// DeadlineTwice) go after it.
func (m Messages) DeadlineSet(at, now time.Time, notes ...string) *slack.Msg {
	text := m.text(i18n.DeadlineSet, m.ClockTime(at, now), minutesUntil(at, now))
	for _, n := range notes {
		text += "\n" + n
	}
	return message(slack.ResponseTypeInChannel, text, section(text))
}

// DeadlineInviteHint says that the bot cannot post in the channel, so the tally at the
// deadline would reach only the setter, and how to let the bot in.
func (m Messages) DeadlineInviteHint() string { return m.text(i18n.DeadlineInviteHint) }

// NotPostedInChannel is msg for the setter's direct messages, after channel refused the
// bot: what happened and how to fix it, then msg.
func (m Messages) NotPostedInChannel(channel string, msg *slack.Msg) *slack.Msg {
	head := m.text(i18n.NotPostedInChannel, channel)
	blocks := append([]slack.Block{section(head)}, msg.Blocks.BlockSet...)
	if len(blocks) > slackio.MaxBlocks {
		blocks = append(blocks[:1], blocks[2:]...) // the tally's title goes; head says what it is
	}
	return message(slack.ResponseTypeInChannel, head+"\n"+msg.Text, blocks...)
}

// DeadlineSkipped says that typed (02:30) does not exist today — the clocks spring
// forward over it — and which deadline was taken instead.
func (m Messages) DeadlineSkipped(typed string, at, now time.Time) string {
	return m.text(i18n.DeadlineSkipped, typed, m.ClockTime(at, now))
}

// DeadlineTwice says that typed comes twice today — the clocks fall back — which one was
// taken, and the other.
func (m Messages) DeadlineTwice(typed string, at, other, now time.Time) string {
	return m.text(i18n.DeadlineTwice, typed, m.ClockTime(at, now), m.ClockTime(other, now))
}

// DeadlineRemoved says in the channel that the round has no deadline any more.
func (m Messages) DeadlineRemoved() *slack.Msg {
	text := m.text(i18n.DeadlineRemoved)
	return message(slack.ResponseTypeInChannel, text, section(text))
}

// DeadlineRoundClosed answers a deadline request for a round which has closed since (a
// repeat of it, or a run that gave up after an earlier one had decided it).
func (m Messages) DeadlineRoundClosed() *slack.Msg { return m.answer(i18n.DeadlineRoundClosed) }

// DeadlineNotSaved is a deadline request given up on.
func (m Messages) DeadlineNotSaved() *slack.Msg { return m.answer(i18n.DeadlineNotSaved) }

// DeadlineNotScheduled is a deadline request given up on because its schedules could not
// be created: no deadline was set.
func (m Messages) DeadlineNotScheduled() *slack.Msg { return m.answer(i18n.DeadlineNotScheduled) }

// DeadlineLine is the round message's line naming its deadline.
func (m Messages) DeadlineLine(at time.Time) string {
	return m.text(i18n.DeadlineLine, m.ClockTime(at, time.Now()))
}

// Reminder tells the channel that r closes at its deadline, left before it.
func (m Messages) Reminder(r orders.Round, deadline time.Time, left time.Duration) *slack.Msg {
	text := m.text(i18n.DeadlineReminder, m.ClockTime(deadline, deadline), int(left.Round(time.Minute).Minutes()), len(r.Orders))
	return message(slack.ResponseTypeInChannel, text, section(text))
}

// ClosedAtDeadline is the final tally of a round its deadline closed, for the channel.
func (m Messages) ClosedAtDeadline(r orders.Round, deadline time.Time) *slack.Msg {
	msg := m.Round(r, true, true)
	msg.Blocks.BlockSet = append(msg.Blocks.BlockSet, contextLine(m.text(i18n.DeadlineClosed, m.ClockTime(deadline, deadline))))
	return msg
}

// minutesUntil is the whole minutes from now to at, rounded up (a deadline 19 m 30 s
// away is "in 20 minutes").
func minutesUntil(at, now time.Time) int {
	d := at.Sub(now)
	return int((d + time.Minute - 1) / time.Minute)
}
