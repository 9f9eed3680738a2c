package handler

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/schedule"
)

// TestOccurrenceInput: a recurring schedule's input carries Scheduler's scheduled-time
// attribute exactly as written (json.Marshal would escape its < and >), and once Scheduler
// has replaced it, it is the open firing the handler reads, with the occurrence's time.
func TestOccurrenceInput(t *testing.T) {
	in, err := occurrenceInput(api.ScheduleFire{Kind: api.ScheduleOpen, Team: "T1", Channel: "C1", Recurring: "rec1", User: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(in), `"at":"`+schedule.ScheduledTime+`"`) {
		t.Fatalf("input: got %s, want the attribute %s as written", in, schedule.ScheduledTime)
	}
	fired := strings.ReplaceAll(string(in), schedule.ScheduledTime, "2026-12-08T02:00:00Z")
	var ev api.Event
	if err := json.Unmarshal([]byte(fired), &ev); err != nil || ev.Schedule == nil {
		t.Fatalf("fired input: got %v, %+v, want an event with a schedule", err, ev)
	}
	f := *ev.Schedule
	if f.Kind != api.ScheduleOpen || f.Recurring != "rec1" || !f.At.Equal(time.Date(2026, 12, 8, 2, 0, 0, 0, time.UTC)) || !ev.IsScheduleOnly() {
		t.Errorf("fired: got %+v, want the open firing of rec1 at 02:00 UTC", f)
	}
	if a, b := occurrenceID("rec1", f), occurrenceID("rec1", api.ScheduleFire{At: f.At.Add(24 * time.Hour)}); a == b || a != occurrenceID("rec1", f) {
		t.Errorf("occurrence ids: got %s and %s, want one per scheduled time, stable", a, b)
	}
}
