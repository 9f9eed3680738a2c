package say

import (
	"errors"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/orders"
)

var (
	monWedFri = orders.Weekdays(0).With(time.Monday).With(time.Wednesday).With(time.Friday)
	tueThu    = orders.Weekdays(0).With(time.Tuesday).With(time.Thursday)
)

// TestParseRecurring: every form of the README's table, in both languages, into the
// days, the opening time and how long the round stays open, and the cron expression the
// schedule gets.
func TestParseRecurring(t *testing.T) {
	for _, c := range []struct {
		text   string
		days   orders.Weekdays
		open   string
		length time.Duration
		cron   string
	}{
		{"every weekday at 11:00 until 11:30", orders.WorkingDays, "11:00", 30 * time.Minute, "cron(0 11 ? * MON-FRI *)"},
		{"every mon,wed,fri at 15:00 for 20m", monWedFri, "15:00", 20 * time.Minute, "cron(0 15 ? * MON,WED,FRI *)"},
		{"every day at 9:30 for 1h", orders.EveryDay, "09:30", time.Hour, "cron(30 9 * * ? *)"},
		{"Every  Weekday AT 11:00 till 11:45", orders.WorkingDays, "11:00", 45 * time.Minute, ""},
		{"every weekdays at 11am to 11:30am", orders.WorkingDays, "11:00", 30 * time.Minute, ""},
		{"every mon-fri at 3pm for 1h30m", orders.WorkingDays, "15:00", 90 * time.Minute, ""},
		{"every monday, wednesday and friday at 3 for 20 minutes", monWedFri, "15:00", 20 * time.Minute, ""},
		{"every tue & thu at 12:30 for 1 hour 15 min", tueThu, "12:30", 75 * time.Minute, "cron(30 12 ? * TUE,THU *)"},
		{"every weekend at 10 for 2h", orders.Weekend, "10:00", 2 * time.Hour, "cron(0 10 ? * SUN,SAT *)"},
		{"every daily at 23:30 for 30m", orders.EveryDay, "23:30", 30 * time.Minute, ""},
		{"평일 11시~11시 30분", orders.WorkingDays, "11:00", 30 * time.Minute, "cron(0 11 ? * MON-FRI *)"},
		{"매일 9시 30분 1시간", orders.EveryDay, "09:30", time.Hour, "cron(30 9 * * ? *)"},
		{"월수금 15시 20분간", monWedFri, "15:00", 20 * time.Minute, "cron(0 15 ? * MON,WED,FRI *)"},
		{"평일마다 11시부터 11시 30분까지", orders.WorkingDays, "11:00", 30 * time.Minute, ""},
		{"월~금 오후 3시 20분 동안", orders.WorkingDays, "15:00", 20 * time.Minute, ""},
		{"월,수,금 3시 반 30분", monWedFri, "15:30", 30 * time.Minute, ""},
		{"화요일 12:30~13:00", orders.Weekdays(0).With(time.Tuesday), "12:30", 30 * time.Minute, ""},
		{"화목 오전 11시 1시간 30분", tueThu, "11:00", 90 * time.Minute, ""},
		{"주말 10시 2시간", orders.Weekend, "10:00", 2 * time.Hour, ""},
	} {
		r, err := ParseRecurring(c.text)
		if err != nil {
			t.Errorf("%q: got error %v, want it read", c.text, err)
			continue
		}
		open := time.Date(2000, 1, 1, r.Open/60, r.Open%60, 0, 0, time.UTC).Format("15:04")
		if r.Days != c.days || open != c.open || r.Length != c.length {
			t.Errorf("%q: got days %07b open %s for %v, want %07b %s for %v", c.text, r.Days, open, r.Length, c.days, c.open, c.length)
		}
		if c.cron != "" && r.Cron() != c.cron {
			t.Errorf("%q: cron got %s, want %s", c.text, r.Cron(), c.cron)
		}
		if !LooksRecurring(c.text) {
			t.Errorf("LooksRecurring(%q): got false, want true", c.text)
		}
	}
}

// TestParseRecurringRefused: what is not a recurring round says which part is wrong, and
// the other /order-list arguments are not taken for one.
func TestParseRecurringRefused(t *testing.T) {
	for _, c := range []struct{ text, part string }{
		{"every weekday at 11:00", "form"},
		{"every someday at 11:00 for 20m", "days"},
		{"every mon-sun at 11:00 for 20m", "days"}, // a range runs Sunday → Saturday
		{"every weekday at 25:00 for 20m", "time"},
		{"every weekday at 13pm for 20m", "time"},
		{"every weekday at 11:30 until 11:00", "close"},
		{"every weekday at 11:00 for 25h", "close"},
		{"every weekday at 11:00 for 0m", "close"},
		{"평일 11시", "form"},
		{"평일 11시~10시", "close"},
		{"월수금 25시 20분간", "time"},
	} {
		_, err := ParseRecurring(c.text)
		var re *RecurringError
		if !errors.As(err, &re) || re.Part != c.part || !errors.Is(err, ErrRecurring) {
			t.Errorf("%q: got %v, want a RecurringError about the %s", c.text, err, c.part)
		}
	}
	for _, other := range []string{"", "close", "마감", "close at 11:30", "마감 11시 30분", "일정", "중지 1", "다음 건너뛰기", "schedules", "stop 2", "skip next", "history", "기록", "공유", "금액 정리"} {
		if LooksRecurring(other) {
			t.Errorf("LooksRecurring(%q): got true, want false", other)
		}
	}
}

// TestRecurrenceNext: the next opening in the team's zone and its close; a weekday
// round seen on Friday afternoon opens on Monday.
func TestRecurrenceNext(t *testing.T) {
	seoul, _ := time.LoadLocation("Asia/Seoul")
	r, _ := ParseRecurring("every weekday at 11:00 until 11:30")
	open, close := r.Next(time.Date(2026, 12, 11, 12, 0, 0, 0, seoul), seoul) // Friday 12:00
	if want := time.Date(2026, 12, 14, 11, 0, 0, 0, seoul); !open.Equal(want) || !close.Equal(want.Add(30*time.Minute)) {
		t.Errorf("next after Friday noon: got %v–%v, want Monday 11:00–11:30", open, close)
	}
	open, _ = r.Next(time.Date(2026, 12, 14, 10, 59, 0, 0, seoul), seoul)
	if want := time.Date(2026, 12, 14, 11, 0, 0, 0, seoul); !open.Equal(want) {
		t.Errorf("next at 10:59 on a Monday: got %v, want that day 11:00", open)
	}
}
