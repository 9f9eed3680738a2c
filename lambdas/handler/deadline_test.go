package handler

import (
	"testing"

	"github.com/orderbot/orderbot/lambdas/api"
)

func TestDerivedIDsDifferPerKindAndDeadline(t *testing.T) {
	a, b, c := derivedID(api.ScheduleClose, "x"), derivedID(api.ScheduleRemind, "x"), derivedID(api.ScheduleClose, "y")
	if a == b || a == c || len(a) != 32 || a != derivedID(api.ScheduleClose, "x") {
		t.Fatalf("derivedID: got %s %s %s, want three stable 32-character ids", a, b, c)
	}
}
