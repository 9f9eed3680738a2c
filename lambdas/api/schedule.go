package api

import "time"

// Deadlines: a round's deadline is a one-time EventBridge Scheduler schedule (locally, the
// in-process scheduler of package schedule) that invokes ScheduleFunction directly with
// an Event whose Schedule field says what is due. The request template never produces
// that field — its output has only body, headers and context — and a handler accepts it
// only with those empty, so no HTTP request can pose as a schedule.

// ScheduleFunction is the function schedules invoke: the one that owns /order-list close.
const ScheduleFunction = FunctionOrderList

// ScheduleKind is what a schedule does when it fires.
type ScheduleKind string

const (
	// ScheduleClose closes the round at its deadline and posts the tally.
	ScheduleClose ScheduleKind = "close"
	// ScheduleRemind posts a reminder to the channel shortly before the deadline.
	ScheduleRemind ScheduleKind = "remind"
)

// ScheduleFire is a schedule's input: everything the run needs, fixed when the deadline
// was set.
type ScheduleFire struct {
	Kind    ScheduleKind `json:"kind"`
	Team    string       `json:"team"`
	Channel string       `json:"channel"`
	// DeadlineBy is the id of the request that set the deadline: the schedule acts only
	// while the open round's deadline is still the one that request set.
	DeadlineBy string    `json:"deadlineBy"`
	Deadline   time.Time `json:"deadline"`
	// At is when this schedule is due: Deadline for a close, earlier for a reminder.
	At time.Time `json:"at"`
	// User set the deadline.
	User string `json:"user,omitempty"`
	// ResponseURL and SetAt are the deadline-setting command's response_url and when it
	// was received: the tally goes there while it is valid (ResponseURLValidity).
	ResponseURL string    `json:"responseUrl,omitempty"`
	SetAt       time.Time `json:"setAt"`
	// Recurring names the recurring round of a ScheduleOpen firing (recurring.go).
	Recurring string `json:"recurring,omitempty"`
}

// Environment the stack sets for ScheduleFunction (and the defaults when unset).
const (
	// EnvScheduleGroup is the EventBridge Scheduler schedule group deadlines go in.
	EnvScheduleGroup = "SCHEDULE_GROUP"
	// EnvScheduleRoleARN is the role Scheduler assumes to invoke ScheduleFunction.
	EnvScheduleRoleARN = "SCHEDULE_ROLE_ARN"
	// EnvScheduleTargetARN is ScheduleFunction's ARN, the schedules' target.
	EnvScheduleTargetARN = "SCHEDULE_TARGET_ARN"
	// EnvScheduleDLQARN is the SQS queue a firing goes to when Scheduler cannot deliver it
	// after its retries (issue #21): the schedules' dead-letter queue, with its alarm.
	EnvScheduleDLQARN = "SCHEDULE_DLQ_ARN"
	// EnvTimeZone is the team's time zone for deadlines typed as a time of day (IANA).
	EnvTimeZone = "ORDERBOT_TIMEZONE"
	// EnvReminderMinutes is how long before a deadline the channel is reminded (0: never).
	EnvReminderMinutes = "REMINDER_MINUTES"
)

// Defaults of the deadline settings.
const (
	DefaultTimeZone        = "Asia/Seoul"
	DefaultReminderMinutes = 5
	// MaxDeadline is how far ahead a deadline may be set.
	MaxDeadline = 24 * time.Hour
)
