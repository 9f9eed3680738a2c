package say

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orderbot/orderbot/lambdas/orders"
)

// The recurring-round grammar of `/order-list every …` in English and Korean. Every form
// names the days, the opening time and when the round closes — a time (`until 11:30`,
// `~11시 30분`) or a length (`for 20m`, `20분간`) — and reads into an orders.Recurrence
// on the team's clock:
//
//	every weekday at 11:00 until 11:30     평일 11시~11시 30분
//	every mon,wed,fri at 15:00 for 20m     월수금 15시 20분간
//	every day at 9:30 for 1h               매일 9시 30분 1시간
//
// The words are tables (recurDayWords, recurDaySets); the shapes are the patterns below.

// ErrRecurring is text that is not a recurring round; RecurringError says which part.
var ErrRecurring = errors.New("not a recurring round")

// RecurringError is the part of the text the grammar could not read.
type RecurringError struct {
	Part string // "days", "time", "close" or "form"
	Text string // what was written there
}

func (e *RecurringError) Error() string {
	return "recurring round: " + e.Part + " " + strconv.Quote(e.Text)
}

func (e *RecurringError) Unwrap() error { return ErrRecurring }

// recurDaySets are the words for several days at once.
var recurDaySets = map[string]orders.Weekdays{
	"day": orders.EveryDay, "daily": orders.EveryDay, "everyday": orders.EveryDay, "매일": orders.EveryDay,
	"weekday": orders.WorkingDays, "weekdays": orders.WorkingDays, "평일": orders.WorkingDays,
	"weekend": orders.Weekend, "weekends": orders.Weekend, "주말": orders.Weekend,
}

// recurDayWords are the names of one day, English (with the usual abbreviations) and
// Korean (a day's one character, 월 … 일, optionally with 요일).
var recurDayWords = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday, "mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tues": time.Tuesday, "tuesday": time.Tuesday,
	"wed": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday, "thursday": time.Thursday,
	"fri": time.Friday, "friday": time.Friday, "sat": time.Saturday, "saturday": time.Saturday,
	"일": time.Sunday, "월": time.Monday, "화": time.Tuesday, "수": time.Wednesday,
	"목": time.Thursday, "금": time.Friday, "토": time.Saturday,
}

const (
	recurClockEn = `(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?`
	recurClockKo = `(?:(오전|오후)\s*)?(\d{1,2})(?:\s*시(?:\s*(\d{1,2})\s*분|\s*(반))?|:(\d{2}))`
	recurDurEn   = `(\d+\s*(?:h|hr|hrs|hour|hours)(?:\s*\d+\s*(?:m|min|mins|minute|minutes))?|\d+\s*(?:m|min|mins|minute|minutes))`
	recurDurKo   = `(\d+\s*시간(?:\s*\d+\s*분)?|\d+\s*분)\s*(?:간|동안)?`
)

// The shapes, compiled at the first recurring command, not at every cold start.
var (
	recurEnglish = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^every\s+(.+?)\s+at\s+(` + recurClockEn + `)\s+(?:(?:until|till|to)\s+(` + recurClockEn + `)|for\s+` + recurDurEn + `)$`)
	})
	recurKorean = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(\S+?)(?:마다)?\s+(` + recurClockKo + `)\s*(?:(?:~|-|부터)\s*(` + recurClockKo + `)\s*(?:까지)?|\s` + recurDurKo + `)$`)
	})
	recurClockEnOnly = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^` + recurClockEn + `$`) })
	recurClockKoOnly = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^` + recurClockKo + `$`) })
	recurDurParts    = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(\d+)\s*(시간|hours|hour|hrs|hr|h|minutes|minute|mins|min|m|분)`)
	})
)

// LooksRecurring says whether an /order-list argument is meant as a recurring round: it
// starts with `every`, or with Korean day words (평일, 매일, 주말, 월수금, 화요일 …).
func LooksRecurring(arg string) bool {
	s := strings.ToLower(strings.TrimSpace(arg))
	if first, _, _ := strings.Cut(s, " "); first == "every" {
		return true
	}
	first, _, _ := strings.Cut(s, " ")
	_, err := recurDays(strings.TrimSuffix(first, "마다"))
	return err == nil && first != "" && !isASCII(first)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// ParseRecurring reads a recurring round, English or Korean, into a Recurrence.
func ParseRecurring(arg string) (orders.Recurrence, error) {
	s := strings.ToLower(strings.Join(strings.Fields(arg), " "))
	var days, open, until, length string
	if g := recurEnglish().FindStringSubmatch(s); g != nil {
		days, open, until, length = g[1], g[2], g[6], g[10]
	} else if g := recurKorean().FindStringSubmatch(s); g != nil {
		days, open, until, length = g[1], g[2], g[8], g[14]
	} else {
		return orders.Recurrence{}, &RecurringError{Part: "form", Text: arg}
	}
	var r orders.Recurrence
	var err error
	if r.Days, err = recurDays(days); err != nil {
		return r, err
	}
	if r.Open, err = recurClock(open); err != nil {
		return r, err
	}
	if r.Length, err = recurClose(r.Open, until, length); err != nil {
		return r, err
	}
	if r.Validate() != nil {
		return r, &RecurringError{Part: "close", Text: until + length}
	}
	return r, nil
}

// recurDays reads the days: a set word (weekday, 평일), or a list of days and ranges —
// mon,wed,fri; mon-fri; mon, wed and fri; 월수금; 월~금; 월,수,금; 화요일.
func recurDays(s string) (orders.Weekdays, error) {
	if set, ok := recurDaySets[s]; ok {
		return set, nil
	}
	var out orders.Weekdays
	s = strings.NewReplacer(" and ", ",", "&", ",", "·", ",", "/", ",", "요일", ",", " ", ",", "~", "-").Replace(s)
	for _, part := range strings.Split(s, ",") {
		if part == "" {
			continue
		}
		days, ok := recurDayPart(part)
		if !ok {
			return 0, &RecurringError{Part: "days", Text: s}
		}
		out |= days
	}
	if out == 0 {
		return 0, &RecurringError{Part: "days", Text: s}
	}
	return out, nil
}

// recurDayPart reads one day, a range (mon-fri, 월-금) or a run of Korean days (월수금).
func recurDayPart(p string) (orders.Weekdays, bool) {
	if from, to, isRange := strings.Cut(p, "-"); isRange {
		a, ok1 := recurDayWords[from]
		b, ok2 := recurDayWords[to]
		if !ok1 || !ok2 || a > b {
			return 0, false
		}
		var out orders.Weekdays
		for d := a; d <= b; d++ {
			out = out.With(d)
		}
		return out, true
	}
	if d, ok := recurDayWords[p]; ok {
		return orders.Weekdays(0).With(d), true
	}
	var out orders.Weekdays
	for _, r := range p { // 월수금
		d, ok := recurDayWords[string(r)]
		if !ok || r < 0x80 {
			return 0, false
		}
		out = out.With(d)
	}
	return out, out != 0
}

// recurClock reads a time of day into minutes after midnight. With am/pm (오전/오후) the
// hour is 1–12; H:MM is the 24-hour clock as written; an hour alone (at 3, 3시, 3시 반)
// from 1 to 6 is the afternoon one — no round opens at 3 in the morning — and the reply
// shows the time taken.
func recurClock(s string) (int, error) {
	var hs, ms, half string
	colon := false
	if g := recurClockEnOnly().FindStringSubmatch(s); g != nil {
		hs, ms, half, colon = g[1], g[2], strings.ReplaceAll(g[3], ".", ""), g[2] != ""
	} else if g := recurClockKoOnly().FindStringSubmatch(s); g != nil {
		hs, ms, half = g[2], g[3]+g[5], map[string]string{"오전": "am", "오후": "pm"}[g[1]]
		colon = g[5] != ""
		if g[4] != "" {
			ms = "30"
		}
	} else {
		return 0, &RecurringError{Part: "time", Text: s}
	}
	h, _ := strconv.Atoi(hs)
	m, _ := strconv.Atoi(ms)
	switch {
	case half != "" && (h < 1 || h > 12):
		return 0, &RecurringError{Part: "time", Text: s}
	case half != "":
		h = h%12 + map[string]int{"pm": 12}[half]
	case !colon && h >= 1 && h <= 6:
		h += 12
	}
	if h > 23 || m > 59 {
		return 0, &RecurringError{Part: "time", Text: s}
	}
	return h*60 + m, nil
}

// recurClose is how long the round stays open: until a time later that day, or a length.
func recurClose(open int, until, length string) (time.Duration, error) {
	if until != "" {
		end, err := recurClock(until)
		if err != nil {
			return 0, &RecurringError{Part: "close", Text: until}
		}
		if end <= open {
			return 0, &RecurringError{Part: "close", Text: until}
		}
		return time.Duration(end-open) * time.Minute, nil
	}
	var d time.Duration
	for _, g := range recurDurParts().FindAllStringSubmatch(length, -1) {
		n, _ := strconv.Atoi(g[1])
		unit := time.Minute
		if strings.HasPrefix(g[2], "h") || g[2] == "시간" {
			unit = time.Hour
		}
		d += time.Duration(n) * unit
	}
	if d == 0 {
		return 0, &RecurringError{Part: "close", Text: length}
	}
	return d, nil
}
