package say

import (
	"strings"
	"testing"
	"time"
)

func TestParseDeadline(t *testing.T) {
	seoul, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 4, 10, 15, 30, 0, seoul)
	at := func(h, m int) time.Time { return time.Date(2026, 3, 4, h, m, 0, 0, seoul) }
	ko, err := NewMessages("ko")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		arg  string
		want time.Time
	}{
		{"at 11:30", at(11, 30)}, {"11:30", at(11, 30)}, {"AT  11:30", at(11, 30)}, {"11시 30분", at(11, 30)}, {"12시", at(12, 0)},
		{"in 20m", now.Add(20 * time.Minute)}, {"20m", now.Add(20 * time.Minute)}, {"in 1h30m", now.Add(90 * time.Minute)},
		{"in 1 hour 5 minutes", now.Add(65 * time.Minute)}, {"20분", now.Add(20 * time.Minute)}, {"1시간 30분 후", now.Add(90 * time.Minute)},
		{"20분 뒤", now.Add(20 * time.Minute)},
		{"never", time.Time{}}, {"없음", time.Time{}}, {"해제", time.Time{}}, {"Never", time.Time{}},
	} {
		for _, m := range []Messages{{}, ko} {
			got := m.ParseDeadline(c.arg, now, seoul)
			if got.Problem != "" || !got.At.Equal(c.want) {
				t.Errorf("ParseDeadline(%q): got %v %q, want %v", c.arg, got.At, got.Problem, c.want)
			}
		}
	}
	for _, c := range []struct{ arg, want string }{
		{"at 9:00", "passed"}, {"10:15", "passed"}, {"25:00", "can't read"}, {"at noon", "can't read"}, {"soon", "can't read"},
		{"in 0m", "can't read"}, {"in 30h", "at most 24 hours"}, {"-5m", "can't read"}, {"in 20s", "can't read"},
	} {
		got := en.ParseDeadline(c.arg, now, seoul)
		if !strings.Contains(got.Problem, c.want) {
			t.Errorf("ParseDeadline(%q): got %v %q, want a problem saying %q", c.arg, got.At, got.Problem, c.want)
		}
	}
	if got := ko.ParseDeadline("9:00", now, seoul); !strings.Contains(got.Problem, "지난") {
		t.Errorf("Korean past time: got %q, want it in Korean", got.Problem)
	}
}

// TestDeadlineTimesAsPeopleWriteThem (issue #21, finding 7): 12-hour and Korean forms
// were refused as unreadable.
func TestDeadlineTimesAsPeopleWriteThem(t *testing.T) {
	seoul, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 4, 10, 15, 30, 0, seoul)
	at := func(h, m int) time.Time { return time.Date(2026, 3, 4, h, m, 0, 0, seoul) }
	for _, c := range []struct {
		arg  string
		want time.Time
	}{
		{"at 11:30pm", at(23, 30)}, {"11:30 PM", at(23, 30)}, {"11:30 p.m.", at(23, 30)}, {"11pm", at(23, 0)},
		{"11:30am", at(11, 30)}, {"12pm", at(12, 0)}, {"12:15 PM", at(12, 15)},
		{"오후 3시", at(15, 0)}, {"오전 11시 30분", at(11, 30)}, {"3시 반", at(15, 30)}, {"11시 반", at(11, 30)},
		{"오후 12시", at(12, 0)}, {"오후 3시 반", at(15, 30)},
	} {
		got := en.ParseDeadline(c.arg, now, seoul)
		if got.Problem != "" || !got.At.Equal(c.want) {
			t.Errorf("close %q: got %v %q, want %v", c.arg, got.At, got.Problem, c.want)
		}
	}
	for _, arg := range []string{"13pm", "0am", "오후 13시", "11", "11:30 xm", "3시 반반"} {
		if got := en.ParseDeadline(arg, now, seoul); got.Problem == "" {
			t.Errorf("close %q: got %v, want a problem", arg, got.At)
		}
	}
	// 12am is midnight, which has passed at 10:15.
	if got := en.ParseDeadline("12am", now, seoul); !strings.Contains(got.Problem, "passed") {
		t.Errorf("close 12am at 10:15: got %v %q, want it refused as passed", got.At, got.Problem)
	}
}

// TestDeadlineAcrossDaylightSaving (issue #21, finding 7): on the spring-forward day
// `close at 2:30` became 01:30; on the fall-back day the second 01:30 was refused as
// past. A time that does not exist, or comes twice, gets a deadline the reply names.
func TestDeadlineAcrossDaylightSaving(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		now      time.Time
		arg      string
		want     time.Time
		noteHas  []string
		noteNone bool
	}{
		{"spring forward: 2:30 does not exist", time.Date(2026, 3, 8, 1, 0, 0, 0, ny), "2:30",
			time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC), []string{"02:30 does not exist", "03:30 EDT"}, false},
		{"fall back: the first 1:30", time.Date(2026, 11, 1, 0, 45, 0, 0, ny), "1:30",
			time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC), []string{"comes twice", "01:30 EDT", "01:30 EST"}, false},
		{"fall back: the second 1:30, after the first", time.Date(2026, 11, 1, 5, 45, 0, 0, time.UTC).In(ny), "1:30",
			time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC), []string{"comes twice", "01:30 EST"}, false},
		{"an ordinary day", time.Date(2026, 6, 1, 9, 0, 0, 0, ny), "11:30am",
			time.Date(2026, 6, 1, 15, 30, 0, 0, time.UTC), nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := en.ParseDeadline(c.arg, c.now, ny)
			if got.Problem != "" || !got.At.Equal(c.want) {
				t.Fatalf("close %s at %v: got %v %q, want %v", c.arg, c.now, got.At.In(ny), got.Problem, c.want.In(ny))
			}
			if c.noteNone != (got.Note == "") {
				t.Fatalf("note: got %q, want one only across a change of the clocks", got.Note)
			}
			for _, s := range c.noteHas {
				if !strings.Contains(got.Note, s) {
					t.Fatalf("note: got %q, want it to name %q", got.Note, s)
				}
			}
		})
	}
}
