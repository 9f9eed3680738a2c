package awsfront

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orderbot/orderbot/lambdas/schedule"
)

// scheduleInput is the part of CreateSchedule's (and UpdateSchedule's) body the rules read.
type scheduleInput struct {
	GroupName                  *string
	ScheduleExpression         *string
	ScheduleExpressionTimezone *string
	ActionAfterCompletion      *string
	State                      *string
	Description                *string
	ClientToken                *string
	FlexibleTimeWindow         *struct {
		Mode                   string
		MaximumWindowInMinutes *int
	}
	Target *struct {
		Arn, RoleArn string
		Input        *string
		RetryPolicy  *struct {
			MaximumEventAgeInSeconds *int
			MaximumRetryAttempts     *int
		}
	}
}

// EventBridge Scheduler: /schedules/{Name} — POST creates, PUT updates, DELETE deletes,
// GET gets — on arn:aws:scheduler:REGION:ACCOUNT:schedule/GROUP/NAME; creating or
// updating one also passes the target's role (iam:PassRole, iam:PassedToService
// scheduler.amazonaws.com: "Using identity-based policies for EventBridge Scheduler",
// https://docs.aws.amazon.com/scheduler/latest/UserGuide/security_iam_id-based-policies.html).
func parseScheduler(f *Front, r *http.Request, body []byte) (op, *apiError) {
	name, ok := strings.CutPrefix(f.opPath(r, "scheduler"), "/schedules/")
	if !ok || name == "" {
		return op{}, &apiError{http.StatusNotFound, "UnknownOperationException", "the local stack implements Scheduler's schedules only"}
	}
	name, _ = url.PathUnescape(name)
	action := map[string]string{http.MethodPost: "CreateSchedule", http.MethodPut: "UpdateSchedule",
		http.MethodDelete: "DeleteSchedule", http.MethodGet: "GetSchedule"}[r.Method]
	var in scheduleInput
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			return op{}, &apiError{http.StatusBadRequest, "ValidationException", err.Error()}
		}
	}
	group := r.URL.Query().Get("groupName")
	if in.GroupName != nil {
		group = *in.GroupName
	}
	if group == "" {
		group = "default"
	}
	o := op{checks: []check{{action: "scheduler:" + action, resource: arn("scheduler", "schedule/"+group+"/"+name)}}}
	writes := action == "CreateSchedule" || action == "UpdateSchedule"
	if writes && in.Target != nil {
		o.checks = append(o.checks, check{action: "iam:PassRole", resource: in.Target.RoleArn,
			ctx: map[string][]string{"iam:PassedToService": {"scheduler.amazonaws.com"}}})
	}
	o.rules = func() *apiError {
		if err := nameRule("name", name); err != nil {
			return err
		}
		if err := nameRule("groupName", group); err != nil {
			return err
		}
		if !f.groupExists(group) {
			return &apiError{http.StatusNotFound, "ResourceNotFoundException", "Schedule group " + group + " does not exist."}
		}
		if writes {
			return scheduleRules(in)
		}
		return nil
	}
	return o, nil
}

func (f *Front) groupExists(group string) bool {
	if group == "default" || f.Stack == nil {
		return true
	}
	for _, g := range f.Stack.ScheduleGroups {
		if g == group {
			return true
		}
	}
	return false
}

// schedulerInvalid is Scheduler's ValidationException in the service framework's words
// ("1 validation error detected: Value … at '…' failed to satisfy constraint: …").
func schedulerInvalid(field, value, constraint string) *apiError {
	return validation(fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint))
}

var (
	schedulerName = regexp.MustCompile(`^[0-9a-zA-Z-_.]+$`)
	clientToken   = regexp.MustCompile(`^[a-zA-Z0-9-_]+$`)
)

// nameRule: a schedule's and a group's name, ^[0-9a-zA-Z-_.]+$, 1 to 64 characters
// (API_CreateSchedule.html, URI Request Parameters; GroupName).
func nameRule(field, v string) *apiError {
	if utf8.RuneCountInString(v) < 1 || utf8.RuneCountInString(v) > 64 {
		return schedulerInvalid(field, v, "Member must have length less than or equal to 64 and greater than or equal to 1")
	}
	if !schedulerName.MatchString(v) {
		return schedulerInvalid(field, v, "Member must satisfy regular expression pattern: [0-9a-zA-Z-_.]+")
	}
	return nil
}

// scheduleRules are CreateSchedule's request rules (API_CreateSchedule.html,
// API_FlexibleTimeWindow.html, API_Target.html, API_RetryPolicy.html) and its schedule
// expressions ("Schedule types on EventBridge Scheduler",
// https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html).
func scheduleRules(in scheduleInput) *apiError {
	if in.FlexibleTimeWindow == nil {
		return schedulerInvalid("flexibleTimeWindow", "null", "Member must not be null")
	}
	if err := flexibleRule(in.FlexibleTimeWindow.Mode, in.FlexibleTimeWindow.MaximumWindowInMinutes); err != nil {
		return err
	}
	if in.ScheduleExpression == nil {
		return schedulerInvalid("scheduleExpression", "null", "Member must not be null")
	}
	if err := expressionRule(*in.ScheduleExpression); err != nil {
		return err
	}
	if tz := in.ScheduleExpressionTimezone; tz != nil {
		if _, err := time.LoadLocation(*tz); err != nil || *tz == "" || *tz == "Local" {
			return validation("Invalid ScheduleExpressionTimezone: " + *tz + " is not a time zone name of the IANA database")
		}
	}
	if err := enumRule("actionAfterCompletion", in.ActionAfterCompletion, "NONE", "DELETE"); err != nil {
		return err
	}
	if err := enumRule("state", in.State, "ENABLED", "DISABLED"); err != nil {
		return err
	}
	if in.Description != nil && utf8.RuneCountInString(*in.Description) > 512 {
		return schedulerInvalid("description", *in.Description, "Member must have length less than or equal to 512")
	}
	if t := in.ClientToken; t != nil && (len(*t) < 1 || len(*t) > 64 || !clientToken.MatchString(*t)) {
		return schedulerInvalid("clientToken", *t, "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+ and have length between 1 and 64")
	}
	return targetRule(in)
}

func flexibleRule(mode string, window *int) *apiError {
	switch mode {
	case "OFF":
		if window != nil {
			return validation("MaximumWindowInMinutes must not be set when the FlexibleTimeWindow Mode is OFF")
		}
	case "FLEXIBLE":
		if window == nil || *window < 1 || *window > 1440 {
			return schedulerInvalid("flexibleTimeWindow.maximumWindowInMinutes", fmt.Sprint(window), "Member must be between 1 and 1440 when Mode is FLEXIBLE")
		}
	default:
		return schedulerInvalid("flexibleTimeWindow.mode", mode, "Member must satisfy enum value set: [OFF, FLEXIBLE]")
	}
	return nil
}

func enumRule(field string, v *string, values ...string) *apiError {
	if v != nil && !slices.Contains(values, *v) {
		return schedulerInvalid(field, *v, "Member must satisfy enum value set: ["+strings.Join(values, ", ")+"]")
	}
	return nil
}

var roleARN = regexp.MustCompile(`^arn:aws(-[a-z]+)?:iam::\d{12}:role/[\w+=,.@/-]+$`)

// targetRule: Arn and RoleArn 1–1,600 characters (RoleArn an IAM role's ARN), Input at
// most 8,192 characters, RetryPolicy's age 60–86,400 s and attempts 0–185.
func targetRule(in scheduleInput) *apiError {
	t := in.Target
	if t == nil {
		return schedulerInvalid("target", "null", "Member must not be null")
	}
	if len(t.Arn) < 1 || len(t.Arn) > 1600 {
		return schedulerInvalid("target.arn", t.Arn, "Member must have length less than or equal to 1600 and greater than or equal to 1")
	}
	if !roleARN.MatchString(t.RoleArn) || len(t.RoleArn) > 1600 {
		return schedulerInvalid("target.roleArn", t.RoleArn, "Member must satisfy regular expression pattern: ^arn:aws(-[a-z]+)?:iam::\\d{12}:role\\/[\\w+=,.@\\/-]+$")
	}
	if t.Input != nil && (utf8.RuneCountInString(*t.Input) < 1 || utf8.RuneCountInString(*t.Input) > 8192) {
		return schedulerInvalid("target.input", "…", "Member must have length less than or equal to 8192 and greater than or equal to 1 (got "+strconv.Itoa(utf8.RuneCountInString(*t.Input))+")")
	}
	if rp := t.RetryPolicy; rp != nil {
		if a := rp.MaximumEventAgeInSeconds; a != nil && (*a < 60 || *a > 86400) {
			return schedulerInvalid("target.retryPolicy.maximumEventAgeInSeconds", strconv.Itoa(*a), "Member must have value less than or equal to 86400 and greater than or equal to 60")
		}
		if n := rp.MaximumRetryAttempts; n != nil && (*n < 0 || *n > 185) {
			return schedulerInvalid("target.retryPolicy.maximumRetryAttempts", strconv.Itoa(*n), "Member must have value less than or equal to 185 and greater than or equal to 0")
		}
	}
	return nil
}

var (
	atExpr   = regexp.MustCompile(`^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$`)
	rateExpr = regexp.MustCompile(`^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$`)
	cronExpr = regexp.MustCompile(`^cron\(([^ ]+ ){5}[^ ]+\)$`)
)

// expressionRule: at(yyyy-mm-ddThh:mm:ss) a real date and time, rate(value unit) with a
// positive value and a unit in singular for 1 and plural otherwise, cron(…) of six
// fields with Scheduler's wildcard rules (schedule.ParseCron); at most 256 characters.
func expressionRule(e string) *apiError {
	bad := validation("Invalid Schedule Expression " + e + ".")
	if len(e) > 256 {
		return schedulerInvalid("scheduleExpression", e, "Member must have length less than or equal to 256")
	}
	if m := atExpr.FindStringSubmatch(e); m != nil {
		if _, err := time.Parse("2006-01-02T15:04:05", m[1]); err != nil {
			return bad
		}
		return nil
	}
	if m := rateExpr.FindStringSubmatch(e); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n < 1 || (n == 1) != !strings.HasSuffix(m[2], "s") {
			return bad
		}
		return nil
	}
	if cronExpr.MatchString(e) {
		if _, err := schedule.ParseCron(e); err != nil {
			return validation("Invalid Schedule Expression " + e + ": " + err.Error())
		}
		return nil
	}
	return bad
}
