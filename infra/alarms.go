package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// AlarmsProps configures where the alarms notify.
type AlarmsProps struct {
	// Email gets every alarm through an SNS topic (context alarmEmail); empty: the alarms
	// only change state.
	Email string
}

// Alarms creates every alarm of the stack with the same options and, with an email, sends
// each to the alarm topic. The concerns it watches (REST API, deferred-work queue, route
// functions) call Over with their own metrics.
type Alarms struct {
	Topic             awssns.Topic        // nil without Email
	EmailSubscription awssns.Subscription // nil without Email
	// All are the alarms created so far, in order.
	All    []awscloudwatch.Alarm
	action awscloudwatch.IAlarmAction
}

// NewAlarms creates the topic "Alarms" and its subscription "AlarmEmail" in scope when p has
// an email (see stack.go on construct ids).
func NewAlarms(scope constructs.Construct, p AlarmsProps) *Alarms {
	a := &Alarms{}
	if p.Email == "" {
		return a
	}
	a.Topic = awssns.NewTopic(scope, jsii.String("Alarms"), &awssns.TopicProps{
		DisplayName: jsii.String("orderbot alarms"),
		EnforceSSL:  jsii.Bool(true),
	})
	a.EmailSubscription = awssns.NewSubscription(scope, jsii.String("AlarmEmail"), &awssns.SubscriptionProps{
		Topic: a.Topic, Protocol: awssns.SubscriptionProtocol_EMAIL, Endpoint: jsii.String(p.Email),
	})
	a.action = awscloudwatchactions.NewSnsAction(a.Topic)
	return a
}

// Over creates alarm id in scope: it fires when metric is above threshold for one of the
// metric's periods. No data means no traffic, which is not a failure.
func (a *Alarms) Over(scope constructs.Construct, id string, metric awscloudwatch.IMetric, threshold float64, desc string) awscloudwatch.Alarm {
	alarm := awscloudwatch.NewAlarm(scope, jsii.String(id), &awscloudwatch.AlarmProps{
		Metric:             metric,
		AlarmDescription:   jsii.String(desc),
		Threshold:          jsii.Number(threshold),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	if a.action != nil {
		alarm.AddAlarmAction(a.action)
	}
	a.All = append(a.All, alarm)
	return alarm
}
