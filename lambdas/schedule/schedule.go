// Package schedule is the port to a one-time scheduler for rounds' deadlines: a Schedule
// is a name, a time and the input a function is invoked with then. In AWS it is
// EventBridge Scheduler (AWS, one SigV4-signed REST call per operation, like
// lambdas/selfinvoke, instead of the SDK's client); locally and in tests it is Local, an
// in-process scheduler with a virtual clock that invokes the function the way Lambda
// would.
//
// Names are deterministic — the deadline-setting request's id and the schedule's kind —
// so a retried command creates the same schedule again (an existing name is success) and
// a replaced or removed deadline's schedules can be deleted by name. Scheduler delivers
// at least once: the function decides by the store whether a firing still applies and
// claims its post, so a duplicate or a late firing changes nothing.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orderbot/orderbot/lambdas/api"
)

// Schedule is one one-time invocation of the scheduled function.
type Schedule struct {
	Name  string    // see Name
	At    time.Time // when it is due
	Input []byte    // the function's payload: a JSON api.Event with Schedule set
}

// Scheduler creates and deletes one-time schedules.
type Scheduler interface {
	// Create schedules s. A schedule of the same name that exists already is success:
	// names are deterministic, so it is this one, created by an earlier delivery.
	Create(ctx context.Context, s Schedule) error
	// Delete removes the schedule named name; one that does not exist (it fired, was
	// deleted, was never created) is success.
	Delete(ctx context.Context, name string) error
}

// validName is what EventBridge Scheduler accepts as a schedule name:
// ^[0-9a-zA-Z-_.]{1,64}$ (CreateSchedule's Name). A loop, not a regexp: compiling the
// bounded repetition cost every cold start 860 allocations before main (issue #24).
func validName(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for i := 0; i < len(n); i++ {
		switch c := n[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// ErrBadName is a request id that cannot make a schedule name.
var ErrBadName = errors.New("schedule name: request id must be 1-50 characters of [0-9a-zA-Z-_.]")

// Name is the schedule of kind k for the deadline request deadlineBy set, e.g.
// "close-3f2a…" (at most 64 characters of [0-9a-zA-Z-_.]).
func Name(k api.ScheduleKind, deadlineBy string) (string, error) {
	n := string(k) + "-" + deadlineBy
	if deadlineBy == "" || len(deadlineBy) > 50 || !validName(n) {
		return "", fmt.Errorf("%w: %q", ErrBadName, deadlineBy)
	}
	return n, nil
}
