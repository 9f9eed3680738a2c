package infra

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/orderbot/orderbot/lambdas/api"
)

// TestDeadlineSchedulesIAM: Scheduler's role is assumable only by scheduler.amazonaws.com
// for this account's group and may invoke only the schedule function; the schedule
// function alone may create and delete schedules, only in the group, and pass that role
// only to Scheduler.
func TestDeadlineSchedulesIAM(t *testing.T) {
	groups := def.ofType("AWS::Scheduler::ScheduleGroup")
	if len(groups) != 1 || def.res[groups[0]].Properties["Name"] != "Orderbot-deadlines" || def.res[groups[0]].DeletionPolicy != "Retain" {
		t.Fatalf("schedule group: got %v, want one, named Orderbot-deadlines, retained", groups)
	}
	schedRole := schedulerRole(t)
	trust, _ := json.Marshal(def.res[schedRole].Properties["AssumeRolePolicyDocument"])
	for _, want := range []string{`"Service":"scheduler.amazonaws.com"`, `"aws:SourceAccount"`, `"aws:SourceArn"`, `schedule-group/Orderbot-deadlines`} {
		if !strings.Contains(string(trust), want) {
			t.Errorf("scheduler role trust: got %s, want %s in it", trust, want)
		}
	}
	pols := def.policies()
	for _, st := range pols[schedRole] {
		b, _ := json.Marshal(st)
		invoke := strings.Contains(string(b), `"lambda:InvokeFunction"`) && strings.Contains(string(b), "function:Orderbot-"+api.ScheduleFunction)
		deadLetters := strings.Contains(string(b), `"sqs:SendMessage"`) && strings.Contains(string(b), "DeadlineDLQ")
		if !invoke && !deadLetters || strings.Contains(string(b), "*") {
			t.Errorf("scheduler role statement: got %s, want lambda:InvokeFunction on the %s function or sqs:SendMessage on the deadline DLQ only", b, api.ScheduleFunction)
		}
	}
	for id, sts := range pols {
		for _, st := range sts {
			b, _ := json.Marshal(st)
			if !strings.Contains(string(b), "scheduler:") && !strings.Contains(string(b), "iam:PassRole") {
				continue
			}
			if !strings.HasPrefix(id, "Fnorderlist") {
				t.Errorf("%s: got %s, want schedule rights on the %s function's role only", id, b, api.ScheduleFunction)
			}
			if strings.Contains(string(b), "iam:PassRole") && !strings.Contains(st.Condition, `"iam:PassedToService":"scheduler.amazonaws.com"`) {
				t.Errorf("%s: PassRole %s, want it conditioned on iam:PassedToService scheduler.amazonaws.com", id, b)
			}
			if strings.Contains(string(b), "scheduler:") && !strings.Contains(string(b), ":schedule/Orderbot-deadlines/*") {
				t.Errorf("%s: %s, want schedule actions on the group's schedules only", id, b)
			}
		}
	}
}

// schedulerRole is the logical id of the role EventBridge Scheduler assumes.
func schedulerRole(t *testing.T) string {
	t.Helper()
	for _, id := range def.ofType("AWS::IAM::Role") {
		if strings.HasPrefix(id, "DeadlineSchedulerRole") {
			return id
		}
	}
	t.Fatal("no DeadlineSchedulerRole")
	return ""
}

// TestSchedulerDeadLetterQueue (issue #21, finding 8): a firing Scheduler cannot deliver
// goes to a dead-letter queue that the Scheduler role may send to and that alarms at its
// first message; the schedule function is told the queue (SCHEDULE_DLQ_ARN).
func TestSchedulerDeadLetterQueue(t *testing.T) {
	var queue string
	for _, id := range def.ofType("AWS::SQS::Queue") {
		if strings.HasPrefix(id, "DeadlineDLQ") {
			queue = id
		}
	}
	if queue == "" {
		t.Fatalf("queues: got %v, want a DeadlineDLQ", def.ofType("AWS::SQS::Queue"))
	}
	alarmed := false
	for _, id := range def.ofType("AWS::CloudWatch::Alarm") {
		b, _ := json.Marshal(def.res[id].Properties)
		if strings.HasPrefix(id, "DeadlineDLQMessages") && strings.Contains(string(b), queue) &&
			strings.Contains(string(b), "ApproximateNumberOfMessagesVisible") {
			alarmed = true
		}
	}
	if !alarmed {
		t.Errorf("alarms: want DeadlineDLQMessages on %s's visible messages", queue)
	}
	sends := false
	for _, st := range def.policies()[schedulerRole(t)] {
		b, _ := json.Marshal(st)
		sends = sends || strings.Contains(string(b), `"sqs:SendMessage"`) && strings.Contains(string(b), queue)
	}
	if !sends {
		t.Errorf("scheduler role: want sqs:SendMessage on %s", queue)
	}
	found := false
	for _, id := range def.ofType("AWS::Lambda::Function") {
		b, _ := json.Marshal(def.res[id].Properties["Environment"])
		if strings.Contains(string(b), api.EnvScheduleDLQARN) {
			found = true
			if !strings.Contains(string(b), queue) {
				t.Errorf("%s: %s does not name %s: %s", id, api.EnvScheduleDLQARN, queue, b)
			}
		}
	}
	if !found {
		t.Errorf("functions: want the schedule function to get %s", api.EnvScheduleDLQARN)
	}
}
