package infra

import (
	"fmt"
	"log/slog"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderbot/orderbot/lambdas/api"
)

// Messages and fields of the one line the handlers log per request (lambdas/handler,
// observe); the synchronous-latency metric filter selects on them.
const (
	logMsgHandled  = "request handled"
	logMsgFailed   = "request failed"
	logFieldMs     = "ms"       // handler time in milliseconds
	logFieldFn     = "function" // the function's route name
	logFieldDefers = "deferred" // true on deferred (asynchronous) runs only
)

// SyncRequestPattern selects the request lines of synchronous requests: handled or failed,
// but not a deferred run, which has no Slack deadline to race.
func SyncRequestPattern() awslogs.IFilterPattern {
	msg := jsii.String("$." + slog.MessageKey)
	return awslogs.FilterPattern_All(
		awslogs.FilterPattern_Any(
			awslogs.FilterPattern_StringValue(msg, jsii.String("="), jsii.String(logMsgHandled)),
			awslogs.FilterPattern_StringValue(msg, jsii.String("="), jsii.String(logMsgFailed)),
		),
		awslogs.FilterPattern_NotExists(jsii.String("$."+logFieldDefers)),
	)
}

// addAlarms creates the function's metric filters and its three alarms: failures other
// than rejected requests, throttles, and the p99 time of synchronous requests.
func (f *RouteFunction) addAlarms(alarms *Alarms) {
	minute := awscdk.Duration_Minutes(jsii.Number(1))
	name, c := f.Route.Function, f.Construct
	rejected, syncDuration := f.rejectedMetric(), f.syncDurationMetric()
	failures := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("FILL(errors, 0) - FILL(rejected, 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"errors":   f.Function.MetricErrors(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Sum")}),
			"rejected": rejected,
		},
		Label:  jsii.String("Errors other than rejected requests"),
		Period: minute,
	})
	f.Alarms = []awscloudwatch.Alarm{
		alarms.Over(c, "Errors", failures, 0,
			"orderbot "+name+": invocations failed (internal errors, timeouts, crashes; rejected 401/400 requests excluded)"),
		alarms.Over(c, "Throttles", f.Function.MetricThrottles(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Sum")}), 0,
			"orderbot "+name+": invocations throttled, Slack saw errors"),
		// The id is the old Lambda-Duration alarm's, so the alarm is updated in place and
		// keeps its history.
		alarms.Over(c, "DurationP99", syncDuration, DurationAlarmMs,
			fmt.Sprintf("orderbot %s: p99 handler time of synchronous requests above %d ms, close to Slack's 3000 ms deadline (deferred runs excluded)", name, DurationAlarmMs)),
	}
}

// rejectedMetric counts the requests the function rejected (401, 400). A non-proxy
// integration maps a rejected request from a handler error, so Lambda's Errors counts
// forged requests too: an attacker could page us at will. The handler logs each rejection
// with its code; this metric filter counts them, and the Errors alarm fires on the errors
// that remain — internal failures, timeouts, crashes.
func (f *RouteFunction) rejectedMetric() awscloudwatch.Metric {
	code := jsii.String("$.code")
	return awslogs.NewMetricFilter(f.Construct, jsii.String("Rejected"), &awslogs.MetricFilterProps{
		LogGroup: f.LogGroup,
		FilterPattern: awslogs.FilterPattern_Any(
			awslogs.FilterPattern_StringValue(code, jsii.String("="), jsii.String(string(api.CodeUnauthorized))),
			awslogs.FilterPattern_StringValue(code, jsii.String("="), jsii.String(string(api.CodeBadRequest))),
		),
		MetricNamespace: jsii.String(MetricNamespace),
		MetricName:      jsii.String(MetricRejected),
		MetricValue:     jsii.String("1"),
		// The handler's log line names its function; CloudWatch allows no default value
		// on a filter with dimensions, hence FILL in the Errors alarm.
		Dimensions: &map[string]*string{"Function": jsii.String("$." + logFieldFn)},
	}).Metric(&awscloudwatch.MetricOptions{
		Period: awscdk.Duration_Minutes(jsii.Number(1)), Statistic: jsii.String("Sum"),
		DimensionsMap: &map[string]*string{"Function": jsii.String(f.Route.Function)},
	})
}

// syncDurationMetric is the p99 handler time of the function's synchronous requests.
// Lambda's Duration mixes a command's synchronous requests, which race Slack's 3-second
// deadline, with its deferred runs, which may legitimately take up to the function's
// timeout. The handler logs its own time per request and marks deferred runs, so this
// filter measures synchronous requests only; the latency alarm watches it.
func (f *RouteFunction) syncDurationMetric() awscloudwatch.Metric {
	return awslogs.NewMetricFilter(f.Construct, jsii.String("SyncDuration"), &awslogs.MetricFilterProps{
		LogGroup:        f.LogGroup,
		FilterPattern:   SyncRequestPattern(),
		MetricNamespace: jsii.String(MetricNamespace),
		MetricName:      jsii.String(MetricSyncDuration),
		MetricValue:     jsii.String("$." + logFieldMs),
		Unit:            awscloudwatch.Unit_MILLISECONDS,
		Dimensions:      &map[string]*string{"Function": jsii.String("$." + logFieldFn)},
	}).Metric(&awscloudwatch.MetricOptions{
		Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("p99"),
		DimensionsMap: &map[string]*string{"Function": jsii.String(f.Route.Function)},
	})
}
