package schedule

import (
	"context"
	"strings"
	"testing"
	"time"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestCronNext: the occurrences of EventBridge Scheduler's cron expressions in a zone,
// from the forms the recurring rounds use (weekdays, a list of days, every day) to L, W
// and # and daylight-saving days.
func TestCronNext(t *testing.T) {
	seoul, ny := mustZone(t, "Asia/Seoul"), mustZone(t, "America/New_York")
	for _, c := range []struct {
		expr  string
		loc   *time.Location
		after string // in loc
		want  []string
	}{
		// Friday 2026-12-04 12:00 → Monday 11:00, Tuesday 11:00 (weekdays only).
		{"cron(0 11 ? * MON-FRI *)", seoul, "2026-12-04 12:00", []string{"2026-12-07 11:00", "2026-12-08 11:00"}},
		{"cron(0 11 ? * 2-6 *)", seoul, "2026-12-04 10:59", []string{"2026-12-04 11:00", "2026-12-07 11:00"}},
		{"cron(0 15 ? * MON,WED,FRI *)", seoul, "2026-12-07 15:00", []string{"2026-12-09 15:00", "2026-12-11 15:00", "2026-12-14 15:00"}},
		{"cron(30 9 * * ? *)", seoul, "2026-12-31 10:00", []string{"2027-01-01 09:30", "2027-01-02 09:30"}},
		{"cron(0/20 9-10 * * ? *)", seoul, "2026-12-07 09:00", []string{"2026-12-07 09:20", "2026-12-07 09:40", "2026-12-07 10:00"}},
		{"cron(0 12 L * ? *)", seoul, "2027-02-01 00:00", []string{"2027-02-28 12:00", "2027-03-31 12:00"}},
		{"cron(0 12 ? * 6#3 *)", seoul, "2026-12-01 00:00", []string{"2026-12-18 12:00", "2027-01-15 12:00"}}, // third Friday
		{"cron(0 12 ? * 6L *)", seoul, "2026-12-01 00:00", []string{"2026-12-25 12:00", "2027-01-29 12:00"}},  // last Friday
		{"cron(0 12 15W * ? *)", seoul, "2026-11-01 00:00", []string{"2026-11-16 12:00", "2026-12-15 12:00"}}, // Nov 15 is a Sunday
		{"cron(0 12 1 1 ? 2027)", seoul, "2026-06-01 00:00", []string{"2027-01-01 12:00", ""}},
		// 2027-03-14 New York springs forward at 02:00: 02:30 does not exist that day.
		{"cron(30 2 * * ? *)", ny, "2027-03-13 03:00", []string{"2027-03-15 02:30"}},
		// 2027-11-07 falls back at 02:00: 01:30 comes twice and runs once.
		{"cron(30 1 * * ? *)", ny, "2027-11-07 00:00", []string{"2027-11-07 01:30", "2027-11-08 01:30"}},
	} {
		c2, err := ParseCron(c.expr)
		if err != nil {
			t.Fatalf("ParseCron(%s): %v", c.expr, err)
		}
		at, err := time.ParseInLocation("2006-01-02 15:04", c.after, c.loc)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range c.want {
			got := c2.Next(at, c.loc)
			gotText := ""
			if !got.IsZero() {
				gotText = got.In(c.loc).Format("2006-01-02 15:04")
			}
			if gotText != want {
				t.Errorf("%s after %s, occurrence %d: got %q, want %q", c.expr, c.after, i+1, gotText, want)
				break
			}
			at = got
		}
	}
}

// TestCronRefused: what Scheduler refuses — not six fields, both or neither day field ?,
// values out of range, a ? outside the day fields.
func TestCronRefused(t *testing.T) {
	for _, expr := range []string{
		"cron(0 11 * * *)", "cron(0 11 * * * *)", "cron(0 11 ? * ? *)", "cron(60 11 * * ? *)",
		"cron(0 24 * * ? *)", "cron(0 11 32 * ? *)", "cron(0 11 ? * 8 *)", "cron(0 11 ? 13 MON *)",
		"cron(? 11 * * ? *)", "cron(0 11 * * ? 1969)", "cron(0 11 ? * MON#6 *)", "rate(1 day)", "cron(0 11 5-1 * ? *)",
		"cron(0  11 * * ? *)", "0 11 ? * MON *)", "at(0 11 ? * MON *)",
	} {
		if _, err := ParseCron(expr); err == nil {
			t.Errorf("ParseCron(%s): got no error, want one", expr)
		}
	}
}

// TestLocalRecurringUnderClockSpeed: a recurring schedule fires at each occurrence with
// the occurrence's time in its input, Speed times sooner; Delete stops it; Twice delivers
// each occurrence twice with the same time.
func TestLocalRecurringUnderClockSpeed(t *testing.T) {
	seoul := mustZone(t, "Asia/Seoul")
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, seoul) // Monday 10:00
	var got []string
	l := &Local{Speed: 60, Twice: true, Now: func() time.Time { return start },
		Invoke: func(_ context.Context, in []byte) error { got = append(got, string(in)); return nil }}
	ctx := context.Background()
	r := Recurring{Name: "every-1", Cron: "cron(0 11 ? * MON-FRI *)", Timezone: "Asia/Seoul",
		Input: []byte(`{"schedule":{"at":"` + ScheduledTime + `"}}`)}
	if err := l.CreateRecurring(ctx, r); err != nil {
		t.Fatal(err)
	}
	if next, _ := l.NextOccurrence("every-1"); !next.Equal(start.Add(time.Hour)) {
		t.Fatalf("next occurrence: got %v, want Monday 11:00", next)
	}
	if fired := l.Advance(ctx, 59*time.Second); len(fired) != 0 {
		t.Fatalf("59 s at 60× (59 min): fired %v, want nothing", fired)
	}
	if fired := l.Advance(ctx, time.Second); len(fired) != 1 {
		t.Fatalf("60 s at 60× (one hour): fired %v, want the 11:00 occurrence", fired)
	}
	want := `{"schedule":{"at":"2026-12-07T02:00:00Z"}}`
	if len(got) != 2 || got[0] != want || got[1] != want {
		t.Fatalf("inputs: got %q, want twice %s", got, want)
	}
	// Monday 11:00 → Tuesday 11:00 is 24 h, 24 min at 60×; Friday → Monday is 72 h.
	l.Advance(ctx, 4*24*time.Minute)
	if n := len(got); n != 2*5 {
		t.Fatalf("after Friday's: got %d deliveries, want 10 (5 weekdays, twice each)", n)
	}
	if last := got[len(got)-1]; !strings.Contains(last, "2026-12-11T02:00:00Z") {
		t.Errorf("last occurrence: got %s, want Friday 11:00 KST", last)
	}
	l.Advance(ctx, 71*time.Minute)
	if n := len(got); n != 10 {
		t.Errorf("over the weekend: got %d deliveries, want still 10", n)
	}
	l.Delete(ctx, "every-1")
	l.Advance(ctx, 24*time.Hour)
	if n := len(got); n != 10 || len(l.Pending()) != 0 {
		t.Errorf("after Delete: got %d deliveries and pending %v, want 10 and none", n, l.Pending())
	}
	if err := l.CreateRecurring(ctx, Recurring{Name: "x", Cron: "cron(0 11 * * * *)", Timezone: "Asia/Seoul"}); err == nil {
		t.Error("CreateRecurring with both day fields *: got no error, want one")
	}
}
