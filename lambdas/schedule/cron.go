package schedule

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cron is an EventBridge Scheduler cron expression, cron(minutes hours day-of-month month
// day-of-week year), evaluated in a time zone (ScheduleExpressionTimezone). The format is
// the one "Cron-based schedules" documents
// (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based,
// the fields table of https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html):
// six required fields; minutes 0-59, hours 0-23, day-of-month 1-31, month 1-12 or JAN-DEC,
// day-of-week 1-7 or SUN-SAT (1 is Sunday), year 1970-2199; `, - * /` in every field,
// `?` in day-of-month or day-of-week — exactly one of them, since "you can't specify the
// Day-of-month and Day-of-week fields in the same cron expression … you must use a ? in
// the other" — `L` and `W` in day-of-month (the last day, the weekday nearest a day),
// `L` and `#` in day-of-week (the last such weekday of the month, the nth one).
type Cron struct {
	expr                     string
	minutes, hours, months   []bool
	years                    []bool
	dom                      []bool // by day of month; nil when ?
	domLast, domLastWeekday  bool
	domNearest               int    // nW: the weekday nearest day n; 0 when unused
	dow                      []bool // by weekday, 0 = Sunday; nil when ?
	dowLast                  int    // nL: the last weekday n (1-7) of the month; 0 when unused
	dowNth, dowNthWeekday    int    // n#k: the kth weekday n; 0 when unused
	domQuestion, dowQuestion bool
}

var monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
	"JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}

var dayNames = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}

// ErrCron is an expression EventBridge Scheduler would refuse.
var ErrCron = errors.New("invalid cron expression")

// ParseCron reads "cron(…)".
func ParseCron(expr string) (*Cron, error) {
	inner, hasPrefix := strings.CutPrefix(expr, "cron(")
	inner, hasSuffix := strings.CutSuffix(inner, ")")
	if !hasPrefix || !hasSuffix {
		return nil, fmt.Errorf("%w %q: want cron(minutes hours day-of-month month day-of-week year)", ErrCron, expr)
	}
	f := strings.Split(inner, " ")
	if len(f) != 6 {
		return nil, fmt.Errorf("%w %q: %d fields, want 6", ErrCron, expr, len(f))
	}
	c := &Cron{expr: expr}
	var err error
	bad := func(field string, e error) error { return fmt.Errorf("%w %q: %s: %v", ErrCron, expr, field, e) }
	if c.minutes, err = parseField(f[0], 0, 59, nil); err != nil {
		return nil, bad("minutes", err)
	}
	if c.hours, err = parseField(f[1], 0, 23, nil); err != nil {
		return nil, bad("hours", err)
	}
	if c.months, err = parseField(f[3], 1, 12, monthNames); err != nil {
		return nil, bad("month", err)
	}
	if c.years, err = parseField(f[5], 1970, 2199, nil); err != nil {
		return nil, bad("year", err)
	}
	if err := c.parseDays(f[2], f[4]); err != nil {
		return nil, bad("days", err)
	}
	return c, nil
}

// String is the expression as parsed.
func (c *Cron) String() string { return c.expr }

// parseDays reads day-of-month and day-of-week, of which exactly one is "?".
func (c *Cron) parseDays(dom, dow string) error {
	c.domQuestion, c.dowQuestion = dom == "?", dow == "?"
	if c.domQuestion == c.dowQuestion {
		return errors.New("exactly one of day-of-month and day-of-week must be ?")
	}
	if !c.domQuestion {
		return c.parseDOM(dom)
	}
	return c.parseDOW(dow)
}

func (c *Cron) parseDOM(s string) error {
	switch {
	case s == "L":
		c.domLast = true
		return nil
	case s == "LW":
		c.domLastWeekday = true
		return nil
	case strings.HasSuffix(s, "W"):
		n, err := strconv.Atoi(strings.TrimSuffix(s, "W"))
		if err != nil || n < 1 || n > 31 {
			return fmt.Errorf("%q: want nW with n 1-31", s)
		}
		c.domNearest = n
		return nil
	}
	var err error
	c.dom, err = parseField(s, 1, 31, nil)
	return err
}

func (c *Cron) parseDOW(s string) error {
	if day, nth, ok := strings.Cut(s, "#"); ok {
		d, err1 := fieldValue(day, 1, 7, dayNames)
		n, err2 := strconv.Atoi(nth)
		if err1 != nil || err2 != nil || n < 1 || n > 5 {
			return fmt.Errorf("%q: want day#n with n 1-5", s)
		}
		c.dowNthWeekday, c.dowNth = d, n
		return nil
	}
	if day, ok := strings.CutSuffix(s, "L"); ok {
		d := 7 // L alone: the last day of the week, Saturday
		if day != "" {
			var err error
			if d, err = fieldValue(day, 1, 7, dayNames); err != nil {
				return err
			}
		}
		c.dowLast = d
		return nil
	}
	set, err := parseField(s, 1, 7, dayNames)
	if err != nil {
		return err
	}
	c.dow = set[1:] // index 0 = Sunday (1)
	return nil
}

// parseField reads a list of *, a, a-b, with /step, into a set indexed by value.
func parseField(s string, lo, hi int, names map[string]int) ([]bool, error) {
	set := make([]bool, hi+1)
	for _, part := range strings.Split(s, ",") {
		rng, stepText, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("%q: bad increment", part)
			}
			step = n
		}
		from, to := lo, hi
		switch a, b, isRange := strings.Cut(rng, "-"); {
		case rng == "*":
		case isRange:
			var err1, err2 error
			from, err1 = fieldValue(a, lo, hi, names)
			to, err2 = fieldValue(b, lo, hi, names)
			if err1 != nil || err2 != nil || from > to {
				return nil, fmt.Errorf("%q: bad range (%d-%d allowed)", part, lo, hi)
			}
		default:
			v, err := fieldValue(rng, lo, hi, names)
			if err != nil {
				return nil, err
			}
			from = v
			if !hasStep {
				to = v
			}
		}
		for v := from; v <= to; v += step {
			set[v] = true
		}
	}
	return set, nil
}

func fieldValue(s string, lo, hi int, names map[string]int) (int, error) {
	if v, ok := names[strings.ToUpper(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("%q: want %d-%d", s, lo, hi)
	}
	return v, nil
}

// Next is the first time after `after` that the expression names in loc, or the zero time
// when there is none before 2200. A wall-clock time that a daylight-saving change skips
// does not occur, and one the clocks pass twice occurs once: "When the time shifts forward
// in Spring, your schedule invocation gets skipped if the cron expression falls on a
// non-existent date and time. When the time shifts back in the Fall, your schedule runs
// only once" (AWS re:Post, "eventbridge-scheduler-adjust-dst").
func (c *Cron) Next(after time.Time, loc *time.Location) time.Time {
	local := after.In(loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 12, 0, 0, 0, loc)
	for ; day.Year() < 2200; day = day.AddDate(0, 0, 1) {
		if !c.years[day.Year()] || !c.months[int(day.Month())] || !c.dayMatches(day) {
			continue
		}
		for h := 0; h < 24; h++ {
			if !c.hours[h] {
				continue
			}
			for m := 0; m < 60; m++ {
				if !c.minutes[m] {
					continue
				}
				t := time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, loc)
				if t.Hour() != h || t.Minute() != m || !t.After(after) {
					continue // skipped by a daylight-saving change, or not after
				}
				return t
			}
		}
	}
	return time.Time{}
}

// dayMatches says whether day (noon, in the zone) is one of the expression's days.
func (c *Cron) dayMatches(day time.Time) bool {
	last := time.Date(day.Year(), day.Month()+1, 0, 12, 0, 0, 0, day.Location()).Day()
	d, wd := day.Day(), int(day.Weekday())
	switch {
	case c.domLast:
		return d == last
	case c.domLastWeekday:
		return d == nearestWeekday(day, last, last)
	case c.domNearest > 0:
		return d == nearestWeekday(day, min(c.domNearest, last), last)
	case c.dom != nil:
		return c.dom[d]
	case c.dowLast > 0:
		return wd == c.dowLast-1 && d+7 > last
	case c.dowNth > 0:
		return wd == c.dowNthWeekday-1 && (d-1)/7+1 == c.dowNth
	case c.dow != nil:
		return c.dow[wd]
	}
	return false
}

// nearestWeekday is the weekday (Monday to Friday) of day's month nearest to day n, never
// in another month (the W wildcard).
func nearestWeekday(day time.Time, n, last int) int {
	t := time.Date(day.Year(), day.Month(), n, 12, 0, 0, 0, day.Location())
	switch t.Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2
		}
		return n + 1
	}
	return n
}
