package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderbot/orderbot/lambdas/api"
)

// DeadlineSchedulesProps configures the rounds' deadline schedules.
type DeadlineSchedulesProps struct {
	Config Config
	Alarms *Alarms
}

// DeadlineSchedules is where rounds' deadlines live: a schedule group for the one-time
// EventBridge Scheduler schedules that the schedule function (api.ScheduleFunction)
// creates at run time, and the role Scheduler assumes to invoke that function — that one
// function and nothing else.
type DeadlineSchedules struct {
	Group     awsscheduler.CfnScheduleGroup
	GroupName string
	// Role is assumed by scheduler.amazonaws.com, only for schedules of this account's
	// group; it may invoke only the schedule function.
	Role awsiam.Role
	// TargetARN is the schedule function's ARN (built from its fixed name, so the role
	// does not depend on the function, whose policy names the role).
	TargetARN string
	// DeadLetters receives a firing Scheduler could not deliver within the target's retry
	// policy (schedule.TargetMaxRetries, TargetMaxEventAge), and alarms at its first
	// message (issue #21): a deadline is never dropped silently.
	DeadLetters awssqs.Queue
	Alarm       awscloudwatch.Alarm
}

// NewDeadlineSchedules creates the group "DeadlineSchedules" and the role
// "DeadlineSchedulerRole" in scope (see stack.go on construct ids).
func NewDeadlineSchedules(scope constructs.Construct, p DeadlineSchedulesProps) *DeadlineSchedules {
	stack := awscdk.Stack_Of(scope)
	d := &DeadlineSchedules{GroupName: p.Config.StackName + "-deadlines"}
	route, _ := api.RouteFor(api.ScheduleFunction)
	d.TargetARN = FunctionARN(scope, FunctionName(p.Config, route))
	d.Group = awsscheduler.NewCfnScheduleGroup(scope, jsii.String("DeadlineSchedules"), &awsscheduler.CfnScheduleGroupProps{
		Name: jsii.String(d.GroupName),
	})
	// A deleted group takes its pending schedules with it: open rounds' deadlines would
	// silently never fire.
	d.Group.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)
	groupARN := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("scheduler"), Resource: jsii.String("schedule-group"),
		ResourceName: jsii.String(d.GroupName), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME,
	})
	d.DeadLetters = awssqs.NewQueue(scope, jsii.String("DeadlineDLQ"), &awssqs.QueueProps{
		EnforceSSL:      jsii.Bool(true),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	visible := d.DeadLetters.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
		Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Maximum"),
	})
	d.Alarm = p.Alarms.Over(scope, "DeadlineDLQMessages", visible, 0,
		"orderbot: Scheduler could not deliver a round's deadline or reminder; the firing is in the dead-letter queue")
	d.Role = awsiam.NewRole(scope, jsii.String("DeadlineSchedulerRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{
				"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
				"ArnEquals":    map[string]any{"aws:SourceArn": groupARN},
			},
		}),
		Description: jsii.String("EventBridge Scheduler: rounds' deadlines invoke " + FunctionName(p.Config, route) + " (and nothing else)"),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"invoke": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
			Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("InvokeScheduleFunction"),
				Actions:   jsii.Strings("lambda:InvokeFunction"),
				Resources: jsii.Strings(d.TargetARN),
			}), awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				// Scheduler sends an undeliverable firing to the target's dead-letter queue
				// as this role (https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html).
				Sid:       jsii.String("DeadLetters"),
				Actions:   jsii.Strings("sqs:SendMessage"),
				Resources: jsii.Strings(*d.DeadLetters.QueueArn()),
			})},
		})},
	})
	return d
}

// SchedulesARN is every schedule of the group, the resource of the schedule function's
// CreateSchedule and DeleteSchedule: names are made at run time, one per deadline.
func (d *DeadlineSchedules) SchedulesARN(scope constructs.Construct) string {
	return *awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("scheduler"), Resource: jsii.String("schedule"),
		ResourceName: jsii.String(d.GroupName + "/*"), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME,
	})
}

// statements are what the schedule function may do with schedules: create and delete
// them in the group, and hand Scheduler the role (to Scheduler only).
func (d *DeadlineSchedules) statements(scope constructs.Construct) []awsiam.PolicyStatement {
	return []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("DeadlineSchedules"),
			Actions:   jsii.Strings("scheduler:CreateSchedule", "scheduler:DeleteSchedule"),
			Resources: jsii.Strings(d.SchedulesARN(scope)),
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("PassSchedulerRole"),
			Actions:    jsii.Strings("iam:PassRole"),
			Resources:  jsii.Strings(*d.Role.RoleArn()),
			Conditions: &map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "scheduler.amazonaws.com"}},
		}),
	}
}

// environment is what the schedule function reads besides every function's settings
// (api.ByStackSchedule).
func (d *DeadlineSchedules) environment() map[string]*string {
	return map[string]*string{
		api.EnvScheduleGroup:     jsii.String(d.GroupName),
		api.EnvScheduleRoleARN:   d.Role.RoleArn(),
		api.EnvScheduleTargetARN: jsii.String(d.TargetARN),
		api.EnvScheduleDLQARN:    d.DeadLetters.QueueArn(),
	}
}
