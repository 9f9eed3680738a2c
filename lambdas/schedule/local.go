package schedule

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"
)

// Local is an in-process Scheduler for `orderbot dev` and tests. It keeps schedules in
// memory and, when they are due by its clock, hands each one's input to Invoke — the
// local gateway's asynchronous invoke, the path Lambda's would take — and forgets it
// (ActionAfterCompletion DELETE).
//
// Its clock is the real one plus an offset that Advance moves (a test's fake clock), and
// Speed compresses time for schedules: a schedule created d before its time is due d/Speed
// after it was created, so a 20-minute deadline can be rehearsed in 20 seconds at 60×.
// Only when schedules fire changes: the times in their inputs and in Slack messages stay
// real.
type Local struct {
	// Invoke runs a due schedule's input (required).
	Invoke func(ctx context.Context, input []byte) error
	// Speed is how much faster than real time schedules come due; 1 when ≤ 1.
	Speed float64
	// Twice fires every schedule two times, as Scheduler's at-least-once delivery may.
	Twice bool
	// Fired, when set, is told every firing (dev prints it).
	Fired func(name string, at time.Time)
	// Now is the real clock (time.Now when nil).
	Now func() time.Time

	mu        sync.Mutex
	offset    time.Duration
	pending   map[string]localEntry
	recurring map[string]*localRecurring // recurring.go
}

type localEntry struct {
	Schedule
	due time.Time // by the local clock
}

func (l *Local) now() time.Time {
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	return now.Add(l.offset)
}

// Create implements Scheduler. A name that is pending already is kept as it is, as
// EventBridge Scheduler answers ConflictException.
func (l *Local) Create(_ context.Context, s Schedule) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending == nil {
		l.pending = map[string]localEntry{}
	}
	if _, ok := l.pending[s.Name]; ok {
		return nil
	}
	now := l.now()
	due := s.At
	if l.Speed > 1 && s.At.After(now) {
		due = now.Add(time.Duration(float64(s.At.Sub(now)) / l.Speed))
	}
	l.pending[s.Name] = localEntry{Schedule: Schedule{Name: s.Name, At: s.At, Input: append([]byte(nil), s.Input...)}, due: due}
	return nil
}

// Delete implements Scheduler.
func (l *Local) Delete(_ context.Context, name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.pending, name)
	delete(l.recurring, name)
	return nil
}

// Pending returns the names of the schedules not yet fired and of the recurring ones, sorted.
func (l *Local) Pending() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for n := range l.pending {
		out = append(out, n)
	}
	for n := range l.recurring {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Advance moves the clock forward by d and fires what is due; it returns the names
// fired, in order of their times.
func (l *Local) Advance(ctx context.Context, d time.Duration) []string {
	l.mu.Lock()
	l.offset += d
	l.mu.Unlock()
	return l.FireDue(ctx)
}

// FireDue fires every schedule due by now, earliest first, and returns their names. An
// Invoke that fails is logged: the schedule is gone, as Scheduler's would be once its
// retries and Lambda's were spent.
func (l *Local) FireDue(ctx context.Context) []string {
	l.mu.Lock()
	now := l.now()
	var due []localEntry
	for n, e := range l.pending {
		if !e.due.After(now) {
			due = append(due, e)
			delete(l.pending, n)
		}
	}
	due = append(due, l.dueRecurring(now)...)
	l.mu.Unlock()
	sort.Slice(due, func(i, j int) bool {
		if !due[i].At.Equal(due[j].At) {
			return due[i].At.Before(due[j].At)
		}
		return due[i].Name < due[j].Name
	})
	var names []string
	for _, e := range due {
		names = append(names, e.Name)
		if l.Fired != nil {
			l.Fired(e.Name, e.At)
		}
		times := 1
		if l.Twice {
			times = 2
		}
		for range times {
			if err := l.Invoke(ctx, e.Input); err != nil {
				slog.Error("schedule not invoked", "schedule", e.Name, "error", err.Error())
			}
		}
	}
	return names
}

// Run fires due schedules every tick until ctx is done.
func (l *Local) Run(ctx context.Context, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			l.FireDue(ctx)
		}
	}
}
