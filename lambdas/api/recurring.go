package api

// ScheduleOpen opens a recurring round's occurrence (issue #22): a recurring schedule's
// firing, whose ScheduleFire names the recurring round (Recurring) and carries the
// occurrence's scheduled time in At.
const ScheduleOpen ScheduleKind = "open"
