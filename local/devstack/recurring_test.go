package devstack_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/schedule"
	"github.com/orderbot/orderbot/local/cfn"
	"github.com/orderbot/orderbot/local/devstack"
)

// schedulerAs is the schedule client function fn would build from its environment: the
// template's group, Scheduler role and target, signed with fn's own credentials.
func schedulerAs(t *testing.T, r *running, fn string) schedule.AWS {
	t.Helper()
	orderList := r.st.Stack.FunctionNamed("Orderbot-" + api.ScheduleFunction)
	c, err := r.st.Front.Issue(fn)
	if err != nil {
		t.Fatal(err)
	}
	cfg := aws.Config{Region: cfn.Region, BaseEndpoint: aws.String(r.base + devstack.AWSPath + "scheduler"),
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)}
	env := orderList.Env
	return schedule.AWS{AWS: cfg, Group: env[api.EnvScheduleGroup], RoleARN: env[api.EnvScheduleRoleARN],
		TargetARN: env[api.EnvScheduleTargetARN], DeadLetterARN: env[api.EnvScheduleDLQARN]}
}

// TestRecurringScheduleThroughTheFront: the order-list function creates a recurring cron()
// schedule in the stack's group with ScheduleExpressionTimezone, through the IAM front in
// enforce mode with its own role (no denial), and the Scheduler stand-in fires it at every
// occurrence under --clock-speed, each firing invoking order-list with the occurrence's
// scheduled time in its input, until it is deleted. The order-update function may not
// create one (least privilege: the same role rules as deadlines).
func TestRecurringScheduleThroughTheFront(t *testing.T) {
	r := start(t, nil, devstack.Options{ClockSpeed: 600})
	ctx := context.Background()
	input := `{"schedule":{"kind":"remind","team":"T1","channel":"C0NONE","deadlineBy":"none","at":"` + schedule.ScheduledTime + `"}}`
	rec := schedule.Recurring{Name: "every-test", Cron: "cron(* * * * ? *)", Timezone: "Asia/Seoul", Input: []byte(input)}
	if err := schedulerAs(t, r, "Orderbot-order-update").CreateRecurring(ctx, rec); err == nil || !strings.Contains(err.Error(), "status 403") || !strings.Contains(err.Error(), "not authorized to perform: scheduler:CreateSchedule") {
		t.Errorf("order-update creating a recurring schedule: got %v, want 403 not authorized", err)
	}
	s := schedulerAs(t, r, "Orderbot-order-list")
	if err := s.CreateRecurring(ctx, schedule.Recurring{Name: "bad", Cron: "cron(0 11 * * * *)", Timezone: "Asia/Seoul"}); err == nil {
		t.Error("a cron with both day fields *: got no error, want one")
	}
	if err := s.CreateRecurring(ctx, rec); err != nil {
		t.Fatalf("order-list creating a recurring schedule: got %v, want it created", err)
	}
	deadline := time.Now().Add(20 * time.Second) // every minute at 600×: every 0.1 s
	for strings.Count(r.log.String(), "every-test fired") < 3 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if err := s.Delete(ctx, "every-test"); err != nil {
		t.Fatal(err)
	}
	fired := strings.Count(r.log.String(), "every-test fired")
	if fired < 3 {
		t.Fatalf("got %d firings, want at least 3", fired)
	}
	time.Sleep(500 * time.Millisecond)
	if after := strings.Count(r.log.String(), "every-test fired"); after != fired {
		t.Errorf("after Delete: got %d firings, want still %d", after, fired)
	}
	for _, line := range strings.Split(r.log.String(), "\n") {
		if strings.Contains(line, "DENIED") && strings.Contains(line, "order-list") {
			t.Errorf("order-list was denied: %s", line)
		}
	}
	r.st.Wait()
}
