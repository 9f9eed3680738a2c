package say

import (
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say/i18n"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// RecurringAction is what an /order-list argument asks of recurring rounds.
type RecurringAction int

// The recurring-round commands.
const (
	RecurNone      RecurringAction = iota
	RecurSetAction                 // every weekday at 11:00 until 11:30, 평일 11시~11시 30분
	RecurList                      // schedules, 일정
	RecurStop                      // stop N, 중지 N (arg: N as typed)
	RecurSkipNext                  // skip next, 다음 건너뛰기
)

// ParseRecurringCommand reads an /order-list argument as a recurring-round command, in any
// supported language whatever the configured one: the set forms (LooksRecurring), the
// word that lists them, the word that stops one followed by its number, and the words
// that skip the next occurrence. RecurNone: the argument is something else.
func ParseRecurringCommand(text string) (RecurringAction, string) {
	s := strings.ToLower(strings.Join(strings.Fields(composeHangul(text)), " "))
	word, rest, _ := strings.Cut(s, " ")
	switch {
	case s == "":
		return RecurNone, ""
	case inForms(i18n.KeywordSchedules, s):
		return RecurList, ""
	case inForms(i18n.KeywordSkip, s):
		return RecurSkipNext, ""
	case inForms(i18n.KeywordStop, word) && rest != "":
		return RecurStop, rest
	case LooksRecurring(s):
		return RecurSetAction, strings.TrimSpace(text)
	}
	return RecurNone, ""
}

func inForms(id i18n.ID, s string) bool {
	for _, f := range i18n.Forms(id) {
		if strings.ToLower(f) == s {
			return true
		}
	}
	return false
}

// RecurringProblem words a recurring round that could not be read, for Usage.
func (m Messages) RecurringProblem(arg string) string {
	return m.text(i18n.ProblemRecurring, slackio.Clip(slackio.Escape(arg), maxProblem))
}

// RecurringMax words the sixth recurring round of a channel, for Usage.
func (m Messages) RecurringMax() string { return m.text(i18n.ProblemRecurMax, orders.MaxRecurring) }

// RecurringNumber words a stop whose number names no recurring round, for Usage.
func (m Messages) RecurringNumber(arg string) string {
	return m.text(i18n.ProblemRecurNum, slackio.Clip(slackio.Escape(arg), maxProblem))
}

// RecurWhen is a recurrence as messages name it: its days, opening and closing time on
// the team's clock and the zone ("weekdays 11:00–11:30 KST", "평일 11:00~11:30 KST").
func (m Messages) RecurWhen(r orders.Recurrence, zone *time.Location) string {
	openAt := time.Date(2000, 1, 1, r.Open/60, r.Open%60, 0, 0, zone)
	closeAt := openAt.Add(r.Length)
	abbrev := time.Now().In(zone).Format("MST")
	return m.text(i18n.RecurWhen, m.recurDays(r.Days), openAt.Format("15:04"), closeAt.Format("15:04"), abbrev)
}

func (m Messages) recurDays(d orders.Weekdays) string {
	switch d {
	case orders.EveryDay:
		return m.text(i18n.RecurDaysAll)
	case orders.WorkingDays:
		return m.text(i18n.RecurDaysWork)
	case orders.Weekend:
		return m.text(i18n.RecurDaysWeekend)
	}
	names := strings.Split(m.text(i18n.RecurDayNames), ",")
	var out []string
	for day := time.Monday; day <= time.Saturday+1; day++ { // Monday first, Sunday last
		if wd := day % 7; d.Has(wd) && int(wd) < len(names) {
			out = append(out, names[wd])
		}
	}
	return strings.Join(out, ", ")
}

// RecurringSet announces a new recurring round in the channel: who set it, when it runs
// and when the next one opens.
func (m Messages) RecurringSet(user string, r orders.Recurring, zone *time.Location, next, now time.Time) *slack.Msg {
	text := m.text(i18n.RecurSet, mention(user), m.RecurWhen(r.Rec, zone), m.ClockTime(next.In(zone), now))
	return message(slack.ResponseTypeInChannel, text, section(text))
}

// RecurringCannotPost refuses a recurring round in a channel the bot cannot post in.
func (m Messages) RecurringCannotPost() *slack.Msg { return m.answer(i18n.RecurCannotPost) }

// RecurringNotSaved says a recurring round could not be set, and that nothing was.
func (m Messages) RecurringNotSaved() *slack.Msg { return m.answer(i18n.RecurNotSaved) }

// RecurringList lists a channel's recurring rounds: the active ones numbered (the numbers
// stop takes) with who set each and its next opening (next[i], zero when none), then the
// stopped ones with who stopped them.
func (m Messages) RecurringList(rs []orders.Recurring, next []time.Time, zone *time.Location, now time.Time) *slack.Msg {
	if len(rs) == 0 {
		return m.answer(i18n.RecurListNone)
	}
	lines := []string{m.text(i18n.RecurList)}
	n := 0
	for i, r := range rs {
		if !r.Active() {
			continue
		}
		n++
		lines = append(lines, m.text(i18n.RecurListLine, n, m.RecurWhen(r.Rec, zone), mention(r.SetBy), m.ClockTime(next[i].In(zone), now)))
		if !r.Skip.IsZero() && r.Skip.After(now) {
			lines = append(lines, m.text(i18n.RecurListSkip, m.ClockTime(r.Skip.In(zone), now)))
		}
	}
	for _, r := range rs {
		if !r.Active() {
			lines = append(lines, m.text(i18n.RecurListStopped, m.RecurWhen(r.Rec, zone), mention(r.StoppedBy)))
		}
	}
	text := strings.Join(lines, "\n")
	return ephemeral(text, section(text))
}

// RecurringStopped tells the channel who stopped recurring round n.
func (m Messages) RecurringStopped(user string, n int, r orders.Recurring, zone *time.Location) *slack.Msg {
	text := m.text(i18n.RecurStopped, mention(user), n, m.RecurWhen(r.Rec, zone))
	return message(slack.ResponseTypeInChannel, text, section(text))
}

// RecurringSkipped tells the channel who skipped the occurrence opening at `at`.
func (m Messages) RecurringSkipped(user string, at time.Time, r orders.Recurring, zone *time.Location, now time.Time) *slack.Msg {
	text := m.text(i18n.RecurSkipped, mention(user), m.ClockTime(at.In(zone), now), m.RecurWhen(r.Rec, zone))
	return message(slack.ResponseTypeInChannel, text, section(text))
}

// RecurringNoneToSkip answers skip next in a channel without recurring rounds.
func (m Messages) RecurringNoneToSkip() *slack.Msg { return m.answer(i18n.RecurNoneToSkip) }

// RecurringOpened is the live round message an occurrence posts to the channel: the round
// with its buttons, after a line saying it opened (or that the open round was kept) and
// when it closes.
func (m Messages) RecurringOpened(r orders.Round, closeAt time.Time, kept bool) *slack.Msg {
	id := i18n.RecurOpened
	if kept {
		id = i18n.RecurKept
	}
	head := m.text(id, m.ClockTime(closeAt, closeAt))
	msg := m.Round(r, true, false)
	msg.Blocks.BlockSet = append([]slack.Block{section(head)}, msg.Blocks.BlockSet...)
	msg.Text = slackio.Clip(head+"\n"+msg.Text, slackio.MaxMessageText)
	return msg
}

// RecurringNumberOf reads the number of `stop N` (1-based), or 0.
func RecurringNumberOf(arg string) int {
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(arg), "번")))
	if err != nil || n < 1 {
		return 0
	}
	return n
}
