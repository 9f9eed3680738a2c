package schedule

import (
	"bytes"
	"context"
	"fmt"
	"time"
)

// ScheduledTime is EventBridge Scheduler's context attribute for the occurrence a firing
// is for: "EventBridge Scheduler replaces each keyword with its respective value when your
// schedule invokes the target … <aws.scheduler.scheduled-time> – The time you specified for
// the schedule to invoke its target, for example, 2022-03-22T18:59:43Z"
// (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html).
// A recurring round's input carries it, so every delivery of one occurrence names the same
// occurrence (schedule + scheduled time): fired twice, it opens once.
const ScheduledTime = "<aws.scheduler.scheduled-time>"

// Recurring is a recurring schedule: Cron ("cron(…)", see Cron) read in the IANA zone
// Timezone, invoking the function with Input at every occurrence, ScheduledTime in it
// replaced by the occurrence's time (UTC, RFC 3339).
type Recurring struct {
	Name     string
	Cron     string
	Timezone string
	Input    []byte
}

// RecurringScheduler creates recurring schedules (and deletes them by name, as Scheduler).
type RecurringScheduler interface {
	CreateRecurring(ctx context.Context, r Recurring) error
	Delete(ctx context.Context, name string) error
}

// CreateRecurring implements RecurringScheduler: POST /schedules/{Name} with the cron
// expression and ScheduleExpressionTimezone, kept after each firing (ActionAfterCompletion
// NONE) until deleted; the same group, role, retry policy and dead-letter queue as a
// deadline's. ConflictException (the name exists) is success.
func (a AWS) CreateRecurring(ctx context.Context, r Recurring) error {
	if _, err := ParseCron(r.Cron); err != nil {
		return err
	}
	return a.create(ctx, r.Name, "recurring schedule", createInput{
		ActionAfterCompletion: "NONE",
		Description:           "orderbot recurring round (" + r.Cron + " " + r.Timezone + ")",
		ScheduleExpression:    r.Cron, ScheduleExpressionTimezone: r.Timezone,
	}, r.Input)
}

// localRecurring is a recurring schedule of Local: its next occurrence (real time) and
// when that is due by Local's compressed clock.
type localRecurring struct {
	Recurring
	cron *Cron
	loc  *time.Location
	next time.Time
	due  time.Time
}

// CreateRecurring implements RecurringScheduler. Under Speed, the time from one occurrence
// to the next passes Speed times faster, as for one-time schedules; the occurrence times
// in the input stay real. A name that exists is kept as it is.
func (l *Local) CreateRecurring(_ context.Context, r Recurring) error {
	c, err := ParseCron(r.Cron)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(r.Timezone)
	if err != nil || r.Timezone == "" {
		return fmt.Errorf("recurring schedule %s: time zone %q: want an IANA zone", r.Name, r.Timezone)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.recurring == nil {
		l.recurring = map[string]*localRecurring{}
	}
	if _, ok := l.recurring[r.Name]; ok {
		return nil
	}
	now := l.now()
	next := c.Next(now, loc)
	if next.IsZero() {
		return fmt.Errorf("recurring schedule %s: %s never occurs", r.Name, r.Cron)
	}
	r.Input = append([]byte(nil), r.Input...)
	l.recurring[r.Name] = &localRecurring{Recurring: r, cron: c, loc: loc, next: next, due: l.compress(now, next)}
	return nil
}

// compress is when an event at `at` comes due by the local clock, seen from now.
func (l *Local) compress(now, at time.Time) time.Time {
	if l.Speed > 1 && at.After(now) {
		return now.Add(time.Duration(float64(at.Sub(now)) / l.Speed))
	}
	return at
}

// dueRecurring is every occurrence due by now, each an entry to fire with its scheduled
// time in its input; l.mu is held.
func (l *Local) dueRecurring(now time.Time) []localEntry {
	var out []localEntry
	for _, r := range l.recurring {
		for !r.next.IsZero() && !r.due.After(now) {
			at := r.next.UTC().Format(time.RFC3339)
			input := bytes.ReplaceAll(r.Input, []byte(ScheduledTime), []byte(at))
			out = append(out, localEntry{Schedule: Schedule{Name: r.Name, At: r.next, Input: input}, due: r.due})
			next := r.cron.Next(r.next, r.loc)
			if next.IsZero() {
				r.next = next
				break
			}
			r.due = r.due.Add(l.compress(r.next, next).Sub(r.next))
			r.next = next
		}
	}
	return out
}

// NextOccurrence is the recurring schedule name's next occurrence, and whether it exists.
func (l *Local) NextOccurrence(name string) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.recurring[name]
	if !ok {
		return time.Time{}, false
	}
	return r.next, true
}
