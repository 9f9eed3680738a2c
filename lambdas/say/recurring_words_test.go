package say

import (
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// TestParseRecurringCommand: the recurring-round commands in both languages, whatever the
// configured one, and what is not one.
func TestParseRecurringCommand(t *testing.T) {
	for _, c := range []struct {
		text string
		want RecurringAction
		arg  string
	}{
		{"schedules", RecurList, ""}, {"일정", RecurList, ""}, {"SCHEDULES", RecurList, ""},
		{"stop 2", RecurStop, "2"}, {"중지 2", RecurStop, "2"}, {"중지 2번", RecurStop, "2번"},
		{"skip next", RecurSkipNext, ""}, {"다음 건너뛰기", RecurSkipNext, ""}, {"Skip  Next", RecurSkipNext, ""},
		{"every weekday at 11:00 until 11:30", RecurSetAction, "every weekday at 11:00 until 11:30"},
		{"평일 11시~11시 30분", RecurSetAction, "평일 11시~11시 30분"},
		{"close", RecurNone, ""}, {"stop", RecurNone, ""}, {"history", RecurNone, ""}, {"", RecurNone, ""},
		{"마감 11시 30분", RecurNone, ""},
	} {
		got, arg := ParseRecurringCommand(c.text)
		if got != c.want || arg != c.arg {
			t.Errorf("ParseRecurringCommand(%q): got %v %q, want %v %q", c.text, got, arg, c.want, c.arg)
		}
	}
	for text, want := range map[string]int{"2": 2, "2번": 2, " 3 ": 3, "0": 0, "two": 0, "-1": 0} {
		if got := RecurringNumberOf(text); got != want {
			t.Errorf("RecurringNumberOf(%q): got %d, want %d", text, got, want)
		}
	}
}

// TestRecurringWords: the list, the announcement and the opened round message in both
// languages — who set and stopped each, the next opening, the days in each language —
// within Block Kit's limits.
func TestRecurringWords(t *testing.T) {
	seoul, _ := time.LoadLocation("Asia/Seoul")
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, seoul)
	mwf := orders.Weekdays(0).With(time.Monday).With(time.Wednesday).With(time.Friday)
	rs := []orders.Recurring{
		{ID: "a", Rec: orders.Recurrence{Days: orders.WorkingDays, Open: 660, Length: 30 * time.Minute}, SetBy: "U1"},
		{ID: "b", Rec: orders.Recurrence{Days: mwf, Open: 900, Length: 20 * time.Minute}, SetBy: "U2", StoppedBy: "U3", StoppedAt: now},
	}
	next := []time.Time{now.Add(time.Hour), {}}
	for _, c := range []struct{ locale, want string }{
		{"en", "1. *weekdays 11:00–11:30 KST* — set by <@U1>, next 11:00 KST\n• ~Mon, Wed, Fri 15:00–15:20 KST~ — stopped by <@U3>"},
		{"ko", "1. *평일 11:00~11:30 KST* — 정한 사람: <@U1>, 다음: 11:00 KST\n• ~월, 수, 금 15:00~15:20 KST~ — 중지한 사람: <@U3>"},
	} {
		m, err := NewMessages(c.locale)
		if err != nil {
			t.Fatal(err)
		}
		msg := m.RecurringList(rs, next, seoul, now)
		if !strings.Contains(msg.Text, c.want) {
			t.Errorf("%s list: got\n%s\nwant it to hold\n%s", c.locale, msg.Text, c.want)
		}
		opened := m.RecurringOpened(orders.Round{ID: "r1", OpenedBy: "U1"}, now.Add(90*time.Minute), false)
		if err := slackio.Validate(opened); err != nil || !strings.Contains(opened.Text, "11:30 KST") {
			t.Errorf("%s opened: got %q (%v), want the close time and a valid message", c.locale, opened.Text, err)
		}
		set := m.RecurringSet("U1", rs[0], seoul, now.Add(time.Hour), now)
		if err := slackio.Validate(set); err != nil || set.ResponseType != "in_channel" {
			t.Errorf("%s set: got %+v (%v), want a valid in-channel message", c.locale, set, err)
		}
	}
}
