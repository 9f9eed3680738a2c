package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// DeferredQueueProps configures the deferred-work queue.
type DeferredQueueProps struct {
	Alarms *Alarms
}

// DeferredQueue keeps deferred command work (asynchronous self-invocations) that failed all
// of Lambda's retries, so that no order is silently lost, and alarms as soon as one is
// there.
type DeferredQueue struct {
	Queue awssqs.Queue
	Alarm awscloudwatch.Alarm
}

// NewDeferredQueue creates the queue "DeferredDLQ" and its alarm "DeferredDLQMessages" in
// scope (see stack.go on construct ids).
func NewDeferredQueue(scope constructs.Construct, p DeferredQueueProps) *DeferredQueue {
	q := awssqs.NewQueue(scope, jsii.String("DeferredDLQ"), &awssqs.QueueProps{
		EnforceSSL:      jsii.Bool(true),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	visible := q.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
		Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Maximum"),
	})
	return &DeferredQueue{
		Queue: q,
		Alarm: p.Alarms.Over(scope, "DeferredDLQMessages", visible, 0,
			"orderbot: a deferred command failed every retry; its event is in the dead-letter queue"),
	}
}
