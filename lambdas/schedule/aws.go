package schedule

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/orderbot/orderbot/lambdas/awscall"
)

// Retry settings of a schedule's target. Scheduler retries a failed invoke with backoff;
// Lambda then runs the (asynchronous) invocation with its own retries and dead-letter
// queue. An hour covers a throttled function; beyond it the round is better left open.
const (
	TargetMaxEventAge = time.Hour
	TargetMaxRetries  = 5
)

// CallTimeout bounds one Scheduler call (issue #21): it runs in a deferred or synchronous
// command whose own deadline is the caller's ctx; this is the backstop.
const CallTimeout = 5 * time.Second

// AWS is EventBridge Scheduler's REST API (CreateSchedule, DeleteSchedule), each one call
// signed with SigV4. Schedules go in Group, invoke TargetARN (a Lambda function,
// asynchronously) as RoleARN, and delete themselves after they fire.
type AWS struct {
	AWS       aws.Config // region, credentials and optional BaseEndpoint
	Group     string
	RoleARN   string
	TargetARN string
	// DeadLetterARN, when set, is the SQS queue a firing goes to when Scheduler cannot
	// deliver it within the retry policy: never dropped silently (issue #21).
	DeadLetterARN string
	HTTP          *http.Client // http.DefaultClient when nil
}

type createInput struct {
	ActionAfterCompletion      string
	ClientToken                string
	Description                string
	FlexibleTimeWindow         flexibleTimeWindow
	GroupName                  string
	ScheduleExpression         string
	ScheduleExpressionTimezone string
	State                      string
	Target                     target
}

type flexibleTimeWindow struct{ Mode string }

type target struct {
	Arn              string
	RoleArn          string
	Input            string
	RetryPolicy      retryPolicy
	DeadLetterConfig *deadLetterConfig `json:",omitempty"`
}

// deadLetterConfig is the target's DeadLetterConfig: an SQS queue's ARN
// (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_DeadLetterConfig.html).
type deadLetterConfig struct{ Arn string }

type retryPolicy struct {
	MaximumEventAgeInSeconds int
	MaximumRetryAttempts     int
}

// Expression is the at() expression of a one-time schedule at t, in UTC, to the second.
func Expression(t time.Time) string {
	return "at(" + t.UTC().Format("2006-01-02T15:04:05") + ")"
}

// Create implements Scheduler: POST /schedules/{Name}. ConflictException (the name
// exists) is success.
func (a AWS) Create(ctx context.Context, s Schedule) error {
	return a.create(ctx, s.Name, "schedule", createInput{
		ActionAfterCompletion: "DELETE",
		Description:           "orderbot round deadline (" + s.At.UTC().Format(time.RFC3339) + ")",
		ScheduleExpression:    Expression(s.At), ScheduleExpressionTimezone: "UTC",
	}, s.Input)
}

// create is the one CreateSchedule call of deadlines and recurring rounds: in names the
// schedule's expression, description and what happens after its last firing; the rest —
// the group, idempotency token, role, retry policy, dead-letter queue — is every
// schedule's. ConflictException (the name exists) is success. kind words the errors.
func (a AWS) create(ctx context.Context, name, kind string, in createInput, input []byte) error {
	in.ClientToken = name // idempotent retries of the same call
	in.FlexibleTimeWindow = flexibleTimeWindow{Mode: "OFF"}
	in.GroupName = a.Group
	in.State = "ENABLED"
	in.Target = target{Arn: a.TargetARN, RoleArn: a.RoleARN, Input: string(input),
		RetryPolicy: retryPolicy{MaximumEventAgeInSeconds: int(TargetMaxEventAge.Seconds()), MaximumRetryAttempts: TargetMaxRetries}}
	if a.DeadLetterARN != "" {
		in.Target.DeadLetterConfig = &deadLetterConfig{Arn: a.DeadLetterARN}
	}
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	status, msg, err := a.call(ctx, http.MethodPost, "/schedules/"+url.PathEscape(name), nil, body)
	switch {
	case err != nil:
		return fmt.Errorf("create %s %s: %w", kind, name, err)
	case status == http.StatusOK, status == http.StatusConflict:
		return nil
	}
	return fmt.Errorf("create %s %s: status %d: %s", kind, name, status, msg)
}

// Delete implements Scheduler: DELETE /schedules/{Name}?groupName=. ResourceNotFound is
// success.
func (a AWS) Delete(ctx context.Context, name string) error {
	q := url.Values{"groupName": {a.Group}, "clientToken": {"delete-" + name}}
	status, msg, err := a.call(ctx, http.MethodDelete, "/schedules/"+url.PathEscape(name), q, nil)
	switch {
	case err != nil:
		return fmt.Errorf("delete schedule %s: %w", name, err)
	case status == http.StatusOK, status == http.StatusNotFound:
		return nil
	}
	return fmt.Errorf("delete schedule %s: status %d: %s", name, status, msg)
}

// call makes one signed request and returns the status and, for an error, the start of
// the body.
func (a AWS) call(ctx context.Context, method, path string, q url.Values, body []byte) (int, string, error) {
	u := awscall.Endpoint(a.AWS, "scheduler") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	c := awscall.Call{Service: "scheduler", Method: method, URL: u, Body: body}
	if body != nil {
		c.Header = http.Header{"Content-Type": {"application/json"}}
	}
	resp, err := awscall.Send(ctx, a.AWS, a.HTTP, c)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return resp.StatusCode, string(bytes.TrimSpace(msg)), nil
}
