package handler

import (
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/slack"
)

func TestParseDeadline(t *testing.T) {
	seoul, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 4, 10, 15, 30, 0, seoul)
	at := func(h, m int) time.Time { return time.Date(2026, 3, 4, h, m, 0, 0, seoul) }
	ko, err := slack.NewMessages("ko")
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
		for _, m := range []slack.Messages{{}, ko} {
			got := parseDeadline(m, c.arg, now, seoul)
			if got.problem != "" || !got.at.Equal(c.want) {
				t.Errorf("parseDeadline(%q): got %v %q, want %v", c.arg, got.at, got.problem, c.want)
			}
		}
	}
	for _, c := range []struct{ arg, want string }{
		{"at 9:00", "passed"}, {"10:15", "passed"}, {"25:00", "can't read"}, {"at noon", "can't read"}, {"soon", "can't read"},
		{"in 0m", "can't read"}, {"in 30h", "at most 24 hours"}, {"-5m", "can't read"}, {"in 20s", "can't read"},
	} {
		got := parseDeadline(slack.Messages{}, c.arg, now, seoul)
		if !strings.Contains(got.problem, c.want) {
			t.Errorf("parseDeadline(%q): got %v %q, want a problem saying %q", c.arg, got.at, got.problem, c.want)
		}
	}
	if got := parseDeadline(ko, "9:00", now, seoul); !strings.Contains(got.problem, "지난") {
		t.Errorf("Korean past time: got %q, want it in Korean", got.problem)
	}
}

func TestDerivedIDsDifferPerKindAndDeadline(t *testing.T) {
	a, b, c := derivedID(api.ScheduleClose, "x"), derivedID(api.ScheduleRemind, "x"), derivedID(api.ScheduleClose, "y")
	if a == b || a == c || len(a) != 32 || a != derivedID(api.ScheduleClose, "x") {
		t.Fatalf("derivedID: got %s %s %s, want three stable 32-character ids", a, b, c)
	}
}
