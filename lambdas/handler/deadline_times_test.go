package handler

import (
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/slack"
)

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
		got := parseDeadline(slack.Messages{}, c.arg, now, seoul)
		if got.problem != "" || !got.at.Equal(c.want) {
			t.Errorf("close %q: got %v %q, want %v", c.arg, got.at, got.problem, c.want)
		}
	}
	for _, arg := range []string{"13pm", "0am", "오후 13시", "11", "11:30 xm", "3시 반반"} {
		if got := parseDeadline(slack.Messages{}, arg, now, seoul); got.problem == "" {
			t.Errorf("close %q: got %v, want a problem", arg, got.at)
		}
	}
	// 12am is midnight, which has passed at 10:15.
	if got := parseDeadline(slack.Messages{}, "12am", now, seoul); !strings.Contains(got.problem, "passed") {
		t.Errorf("close 12am at 10:15: got %v %q, want it refused as passed", got.at, got.problem)
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
			got := parseDeadline(slack.Messages{}, c.arg, c.now, ny)
			if got.problem != "" || !got.at.Equal(c.want) {
				t.Fatalf("close %s at %v: got %v %q, want %v", c.arg, c.now, got.at.In(ny), got.problem, c.want.In(ny))
			}
			if c.noteNone != (got.note == "") {
				t.Fatalf("note: got %q, want one only across a change of the clocks", got.note)
			}
			for _, s := range c.noteHas {
				if !strings.Contains(got.note, s) {
					t.Fatalf("note: got %q, want it to name %q", got.note, s)
				}
			}
		})
	}
}
