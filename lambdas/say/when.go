package say

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orderbot/orderbot/lambdas/api"
)

// The grammar of deadlines, in English and Korean: `close at 11:30`, `close in 20m`,
// `마감 오후 3시`, `마감 없음`. It lives with the words because it is words: what people
// type, in either language, and what the reply says when it cannot be read.

// Deadline is what `/order-list close <arg>` asks for: a deadline, or none (remove).
type Deadline struct {
	At      time.Time // zero: remove the deadline
	Problem string    // the argument could not be taken; the usage reply says why
	// Note names a choice the time of day left open (a daylight-saving gap or overlap),
	// for the reply: never a silent shift (issue #21).
	Note string
}

// The patterns compile at the first `close <arg>`, not at every cold start: a cold
// /order-list never needs them (issue #24).
var (
	// 11:30, 11:30pm, 11:30 PM, 11 pm, 11 p.m. (lower-cased before matching).
	clockPattern = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$`)
	})
	// 11시, 11시 30분, 3시 반, 오후 3시, 오전 11시 30분.
	clockPatternKo = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:(오전|오후)\s*)?(\d{1,2})\s*시(?:\s*(?:(\d{1,2})\s*분|(반)))?$`)
	})
	durationPattern = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:(\d+)\s*(?:h|hr|hrs|hour|hours|시간))?\s*(?:(\d+)\s*(?:m|min|mins|minute|minutes|분))?$`)
	})
	neverWords = map[string]bool{"never": true, "none": true, "off": true, "없음": true, "해제": true, "취소": true, "cancel": true}
)

// ParseDeadline reads close's argument, in English or Korean: `never` (없음, 해제)
// removes the deadline; `[at] 11:30` (11시 30분) is that time today in zone, refused
// when it has passed; `[in] 20m` / `1h30m` (20분, 1시간 30분, optionally followed by 후 or
// 뒤) is that long from now. A deadline is at most api.MaxDeadline ahead.
func (m Messages) ParseDeadline(arg string, now time.Time, zone *time.Location) Deadline {
	s := strings.ToLower(strings.Join(strings.Fields(arg), " "))
	if neverWords[s] {
		return Deadline{}
	}
	var at time.Time
	var note string
	switch rest, isAt := strings.CutPrefix(s, "at "); {
	case isClock(rest):
		h, mi, twelve, ok := clockOf(rest)
		if !ok {
			return Deadline{Problem: m.DeadlineProblem(arg)}
		}
		var past bool
		at, note, past = today(m, h, mi, now, zone)
		if past && twelve {
			// 3시 said without 오전/오후 is read on a 12-hour clock, as it is spoken: the
			// afternoon one once the morning one has passed (the reply shows which).
			at, note, past = today(m, h+12, mi, now, zone)
		}
		if past {
			return Deadline{Problem: m.DeadlinePast(at, now)}
		}
	case isAt:
		return Deadline{Problem: m.DeadlineProblem(arg)}
	default:
		d, ok := parseDuration(s)
		if !ok {
			return Deadline{Problem: m.DeadlineProblem(arg)}
		}
		at = now.Add(d).Truncate(time.Second)
	}
	if at.Sub(now) > api.MaxDeadline {
		return Deadline{Problem: m.DeadlineTooFar(api.MaxDeadline)}
	}
	return Deadline{At: at, Note: note}
}

// isClock reports whether s is written as a time of day: with a colon or am/pm, or
// Korean 시; a bare number is not (a duration without its unit is refused).
func isClock(s string) bool {
	if g := clockPattern().FindStringSubmatch(s); g != nil {
		return g[2] != "" || g[3] != ""
	}
	return clockPatternKo().MatchString(s)
}

// clockOf reads a time of day as people write it, into 24-hour h:mi: 11:30, 11:30pm,
// 11:30 PM, 12am (00:00), 12pm (noon), 11시 30분, 3시 반 (3:30), 오후 3시 (15:00), 오전 11시.
// With am/pm (오전/오후) the hour is 1–12. twelve marks a Korean hour of 1–11 said
// without 오전/오후, which may mean the afternoon.
func clockOf(s string) (h, mi int, twelve, ok bool) {
	var half string
	var hs, ms string
	if g := clockPattern().FindStringSubmatch(s); g != nil {
		hs, ms, half = g[1], g[2], strings.ReplaceAll(g[3], ".", "")
	} else if g := clockPatternKo().FindStringSubmatch(s); g != nil {
		hs, ms, half = g[2], g[3], map[string]string{"오전": "am", "오후": "pm"}[g[1]]
		if g[4] != "" {
			ms = "30" // 반: half past
		}
		twelve = g[1] == ""
	} else {
		return 0, 0, false, false
	}
	h, _ = strconv.Atoi(hs)
	if ms != "" {
		mi, _ = strconv.Atoi(ms)
	}
	if half != "" {
		if h < 1 || h > 12 {
			return 0, 0, false, false
		}
		h %= 12
		if half == "pm" {
			h += 12
		}
	}
	return h, mi, twelve && h >= 1 && h <= 11, h <= 23 && mi <= 59
}

// today is h:mi today in zone, the next one still ahead when the clocks fall back and it
// comes twice, with a note naming the choice; past reports that it has gone by (at is
// then the latest one). A time the clocks skip (spring forward) is read on the clock
// before the change, which the note says: 02:30 becomes 03:30 EDT.
func today(m Messages, h, mi int, now time.Time, zone *time.Location) (at time.Time, note string, past bool) {
	local := now.In(zone)
	typed := fmt.Sprintf("%02d:%02d", h, mi)
	times := wallTimes(local.Year(), local.Month(), local.Day(), h, mi, zone)
	switch len(times) {
	case 0:
		before := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, zone)
		_, off := before.Zone()
		at = time.Date(local.Year(), local.Month(), local.Day(), h, mi, 0, 0, time.FixedZone("", off)).In(zone)
		return at, m.DeadlineSkipped(typed, at, now), !at.After(now)
	case 1:
		return times[0], "", !times[0].After(now)
	}
	for i, t := range times {
		if t.After(now) {
			return t, m.DeadlineTwice(typed, t, times[1-i], now), false
		}
	}
	return times[len(times)-1], "", true
}

// wallTimes are the instants that read h:mi on day y-mo-d in zone: one, none (the clocks
// skip it) or two (they fall back over it), earliest first.
func wallTimes(y int, mo time.Month, d, h, mi int, zone *time.Location) []time.Time {
	guess := time.Date(y, mo, d, h, mi, 0, 0, zone)
	var out []time.Time
	for _, shift := range []time.Duration{-2 * time.Hour, -time.Hour, -30 * time.Minute, 0, 30 * time.Minute, time.Hour, 2 * time.Hour} {
		t := guess.Add(shift).In(zone)
		if t.Day() == d && t.Hour() == h && t.Minute() == mi && !slices.ContainsFunc(out, t.Equal) {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, time.Time.Compare)
	return out
}

func parseDuration(s string) (time.Duration, bool) {
	s = strings.TrimPrefix(s, "in ")
	for _, suffix := range []string{" 후", " 뒤", "후", "뒤"} {
		s = strings.TrimSuffix(s, suffix)
	}
	g := durationPattern().FindStringSubmatch(strings.TrimSpace(s))
	if g == nil || (g[1] == "" && g[2] == "") {
		return 0, false
	}
	h, _ := strconv.Atoi(g[1])
	mi, _ := strconv.Atoi(g[2])
	if h > 48 || mi > 48*60 {
		return 0, false
	}
	d := time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute
	return d, d > 0
}
