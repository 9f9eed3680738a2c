package orders

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Weekdays is a set of days of the week, bit time.Sunday … bit time.Saturday.
type Weekdays uint8

// Day sets of the recurring grammar.
const (
	EveryDay    Weekdays = 0x7f
	WorkingDays Weekdays = 1<<time.Monday | 1<<time.Tuesday | 1<<time.Wednesday | 1<<time.Thursday | 1<<time.Friday
	Weekend     Weekdays = 1<<time.Saturday | 1<<time.Sunday
)

// Has reports whether d is in the set.
func (w Weekdays) Has(d time.Weekday) bool { return w&(1<<d) != 0 }

// With is the set with d added.
func (w Weekdays) With(d time.Weekday) Weekdays { return w | 1<<d }

// MaxRecurrenceLength bounds how long a recurring round stays open: its close is a
// deadline, and a deadline is at most a day ahead (api.MaxDeadline).
const MaxRecurrenceLength = 24 * time.Hour

// Recurrence is when a recurring round opens and for how long: on Days at Open (minutes
// after midnight, on the team's clock) for Length.
type Recurrence struct {
	Days   Weekdays
	Open   int // minutes after midnight, 0–1439
	Length time.Duration
}

// ErrRecurrence is a Recurrence that cannot be scheduled.
var ErrRecurrence = errors.New("invalid recurrence")

// Validate says why r cannot be scheduled, or nil.
func (r Recurrence) Validate() error {
	switch {
	case r.Days == 0 || r.Days&^EveryDay != 0:
		return fmt.Errorf("%w: no days", ErrRecurrence)
	case r.Open < 0 || r.Open >= 24*60:
		return fmt.Errorf("%w: opening time %d minutes", ErrRecurrence, r.Open)
	case r.Length < time.Minute || r.Length > MaxRecurrenceLength:
		return fmt.Errorf("%w: open for %v (1 minute to %v)", ErrRecurrence, r.Length, MaxRecurrenceLength)
	}
	return nil
}

var cronDays = [7]string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}

// Cron is r's opening as an EventBridge Scheduler cron expression, read in the team's zone
// (the schedule's ScheduleExpressionTimezone): cron(30 9 * * ? *) every day,
// cron(0 11 ? * MON-FRI *) on working days, cron(0 15 ? * MON,WED,FRI *) on a list.
func (r Recurrence) Cron() string {
	days := ""
	switch r.Days {
	case EveryDay:
		return fmt.Sprintf("cron(%d %d * * ? *)", r.Open%60, r.Open/60)
	case WorkingDays:
		days = "MON-FRI"
	default:
		var names []string
		for d := time.Sunday; d <= time.Saturday; d++ {
			if r.Days.Has(d) {
				names = append(names, cronDays[d])
			}
		}
		days = strings.Join(names, ",")
	}
	return fmt.Sprintf("cron(%d %d ? * %s *)", r.Open%60, r.Open/60, days)
}

// Next is the first opening after `after` on the clock of zone, with the round's close;
// an opening the clocks skip (spring forward) does not happen that day, as Scheduler
// skips it.
func (r Recurrence) Next(after time.Time, zone *time.Location) (open, close time.Time) {
	local := after.In(zone)
	for i := 0; i <= 8; i++ {
		day := local.AddDate(0, 0, i)
		if !r.Days.Has(day.Weekday()) {
			continue
		}
		h, m := r.Open/60, r.Open%60
		t := time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, zone)
		if t.Hour() != h || t.Minute() != m || !t.After(after) {
			continue
		}
		return t, t.Add(r.Length)
	}
	return time.Time{}, time.Time{}
}
