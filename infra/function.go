package infra

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/store/dynamo"
)

// Environment variables every handler reads.
const (
	EnvTableName = "TABLE_NAME"
	EnvSecretARN = "SECRET_ARN"
	EnvLogLevel  = "LOG_LEVEL"
)

// RouteFunctionProps wires one route's function to the shared resources.
type RouteFunctionProps struct {
	Route  api.Route
	Config Config
	Table  awsdynamodb.ITable
	// SecretARNForPolicy is the secret's ARN as IAM must match it (an imported secret's
	// name-only ARN needs its random suffix matched).
	SecretARN          *string
	SecretARNForPolicy *string
	// DeadLetterQueue receives the function's failed asynchronous invocations (its deferred
	// work); nil for functions that are only invoked synchronously.
	DeadLetterQueue awssqs.IQueue
}

// RouteFunction is one route's Lambda function with its own log group, role and alarms, so
// that a function's permissions and logs never mix with another's.
type RouteFunction struct {
	constructs.Construct
	Route    api.Route
	Function awslambda.Function
	LogGroup awslogs.LogGroup
	Role     awsiam.Role
	// AsyncInvoke is the function's asynchronous invocation configuration (event age and
	// retries of its deferred runs); nil for a function that never defers.
	AsyncInvoke constructs.IConstruct
	Alarms      []awscloudwatch.Alarm
}

// Defers reports whether a route's function may finish its work in an asynchronous
// self-invocation: slash commands can (Slack gives them a response_url), events cannot.
func Defers(r api.Route) bool { return r.Command != "" }

// FunctionName is a route's function name: the stack's name and the route's function.
func FunctionName(cfg Config, r api.Route) string { return cfg.StackName + "-" + r.Function }

// FunctionARN is the ARN of the function named name in the stack's account and region.
func FunctionARN(scope constructs.Construct, name string) string {
	return *awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("lambda"), Resource: jsii.String("function"),
		ResourceName: jsii.String(name), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
}

// CodeDir is where the route's bootstrap binary is built.
func CodeDir(cfg Config, r api.Route) string { return filepath.Join(cfg.BuildDir, r.Function) }

// NewRouteFunction creates the function serving p.Route.
func NewRouteFunction(scope constructs.Construct, id string, p RouteFunctionProps) (*RouteFunction, error) {
	r, cfg := p.Route, p.Config
	dir := CodeDir(cfg, r)
	// Checked here so that a missing build says what to run instead of CDK's asset error.
	if _, err := os.Stat(filepath.Join(dir, HandlerName)); err != nil {
		return nil, fmt.Errorf("function %s: %w (run `make build`, or set context %s)", r.Function, err, KeyBuildDir)
	}
	actions := dynamo.Actions(r.Data)
	if len(actions) == 0 {
		return nil, fmt.Errorf("function %s: no DynamoDB actions for data %q", r.Function, r.Data)
	}
	for _, a := range actions {
		if strings.Contains(a, "*") {
			return nil, fmt.Errorf("function %s: wildcard action %q", r.Function, a)
		}
		// ForAllValues is true when the request has no dynamodb:LeadingKeys at all (a Scan),
		// so the condition below only narrows actions that always name a partition key.
		if !slices.Contains(keyedActions, a) {
			return nil, fmt.Errorf("function %s: action %q does not always name a partition key, so dynamodb:LeadingKeys cannot narrow it", r.Function, a)
		}
	}
	leadingKeys, err := LeadingKeys(r.Data)
	if err != nil {
		return nil, fmt.Errorf("function %s: %w", r.Function, err)
	}

	maxEventAge, retries, err := asyncInvoke(r, p.DeadLetterQueue)
	if err != nil {
		return nil, fmt.Errorf("function %s: %w", r.Function, err)
	}

	c := constructs.NewConstruct(scope, jsii.String(id))
	f := &RouteFunction{Construct: c, Route: r}

	f.LogGroup = awslogs.NewLogGroup(c, jsii.String("LogGroup"), &awslogs.LogGroupProps{
		Retention: cfg.LogRetention,
	})

	// Everything the function may do is in this one inline policy. The role is handed to the
	// function as immutable, so CDK adds nothing behind our back (it would otherwise append
	// its own X-Ray statement in a separate policy).
	policy := awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
		Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("Table"),
				Actions:   jsii.Strings(actions...),
				Resources: jsii.Strings(*p.Table.TableArn()),
				// Only the items of its part of the data: every partition key the request
				// names must match one of the function's key patterns.
				Conditions: &map[string]any{
					LeadingKeysOperator: map[string]any{LeadingKeysConditionKey: leadingKeys},
				},
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("Secret"),
				Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
				Resources: &[]*string{p.SecretARNForPolicy},
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:     jsii.String("Logs"),
				Actions: jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
				// The log group's Arn attribute ends in ":*", which covers its streams.
				Resources: jsii.Strings(*f.LogGroup.LogGroupArn()),
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:     jsii.String("XRay"),
				Actions: jsii.Strings("xray:PutTraceSegments", "xray:PutTelemetryRecords"),
				// X-Ray's write actions support no resource-level permissions.
				Resources: jsii.Strings("*"),
			}),
		},
	})
	// A slash command that runs out of its reply budget hands its event to an asynchronous
	// invocation of itself (see lambdas/selfinvoke). The function is named explicitly so
	// its ARN is known without referring to the function, which depends on this role.
	name := FunctionName(cfg, r)
	if Defers(r) {
		policy.AddStatements(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("SelfInvoke"),
			Actions:   jsii.Strings("lambda:InvokeFunction"),
			Resources: jsii.Strings(FunctionARN(c, name)),
		}))
	}
	if p.DeadLetterQueue != nil {
		policy.AddStatements(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("DeadLetters"),
			Actions:   jsii.Strings("sqs:SendMessage"),
			Resources: jsii.Strings(*p.DeadLetterQueue.QueueArn()),
		}))
	}
	f.Role = awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:      awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description:    jsii.String("orderbot " + r.Function + " (" + r.Method + " " + r.Path + "): its table actions, the secret, its log group, X-Ray"),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"route": policy},
	})

	f.Function = awslambda.NewFunction(c, jsii.String("Function"), &awslambda.FunctionProps{
		FunctionName:          jsii.String(name),
		Description:           jsii.String("orderbot " + r.Method + " " + r.Path + ": " + r.Description),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          awslambda.Architecture_ARM_64(),
		Code:                  awslambda.Code_FromAsset(jsii.String(dir), nil),
		Handler:               jsii.String(HandlerName),
		MemorySize:            jsii.Number(MemoryMB),
		Timeout:               awscdk.Duration_Millis(jsii.Number(float64(r.Timeout.Milliseconds()))),
		Role:                  f.Role.WithoutPolicyUpdates(nil),
		LogGroup:              f.LogGroup,
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel(cfg.LogLevel),
		// INFO keeps the platform's report lines (init duration, billed duration): they are
		// how a slow cold start against Slack's deadline shows up.
		SystemLogLevelV2: awslambda.SystemLogLevel_INFO,
		Tracing:          awslambda.Tracing_ACTIVE,
		DeadLetterQueue:  p.DeadLetterQueue,
		// Both nil for a function that never defers: it gets no EventInvokeConfig.
		MaxEventAge:   maxEventAge,
		RetryAttempts: retries,
		Environment: &map[string]*string{
			EnvTableName: p.Table.TableName(),
			EnvSecretARN: p.SecretARN,
			EnvLogLevel:  jsii.String(cfg.LogLevel),
		},
	})
	if Defers(r) {
		// CDK adds the configuration as the function's child "EventInvokeConfig"
		// (qualifier $LATEST); the stack needs its handle for a cdk-nag suppression.
		if f.AsyncInvoke = f.Function.Node().TryFindChild(jsii.String("EventInvokeConfig")); f.AsyncInvoke == nil {
			return nil, fmt.Errorf("function %s: CDK created no EventInvokeConfig for MaxEventAge and RetryAttempts", r.Function)
		}
	}
	f.Alarms = f.alarms(c)
	return f, nil
}

// The condition that narrows a function's table access to its partition keys. With
// ForAllValues, every key the request names must match one of the patterns; StringLike
// makes '*' in a pattern match any characters.
const (
	LeadingKeysOperator     = "ForAllValues:StringLike"
	LeadingKeysConditionKey = "dynamodb:LeadingKeys"
)

// keyedActions are the DynamoDB actions whose requests always carry dynamodb:LeadingKeys
// (they address items by key), so that the LeadingKeys condition restricts them.
var keyedActions = []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"}

// LeadingKeys returns the partition key patterns (IAM StringLike) of the items a function
// with data access a may touch, built from the store's key prefixes:
//   - orders: the channels' slots and history (C#…), and the claims of deferred replies,
//     which are event records (E#reply#…);
//   - events: the event de-duplication records (E#…).
func LeadingKeys(a api.DataAccess) ([]string, error) {
	var prefixes []string
	switch a {
	case api.DataOrders:
		prefixes = []string{dynamo.ChannelKeyPrefix, dynamo.EventKeyPrefix + dynamo.ReplyClaimPrefix}
	case api.DataEvents:
		prefixes = []string{dynamo.EventKeyPrefix}
	default:
		return nil, fmt.Errorf("no partition keys for data %q", a)
	}
	patterns := make([]string, len(prefixes))
	for i, p := range prefixes {
		// A wildcard or policy variable in a prefix would widen or break the pattern.
		if p == "" || strings.ContainsAny(p, "*?$") {
			return nil, fmt.Errorf("key prefix %q cannot be a StringLike prefix", p)
		}
		patterns[i] = p + "*"
	}
	return patterns, nil
}

// Lambda's bounds for an asynchronous invocation configuration.
const (
	lambdaMinEventAge = time.Minute
	lambdaMaxEventAge = 6 * time.Hour
	lambdaMaxRetries  = 2
)

// asyncInvoke returns the asynchronous invocation settings of route r's function: for a
// function that defers, api.MaxEventAge and api.AsyncRetryAttempts, set explicitly rather
// than left to Lambda's defaults (6 hours, 2 retries), because a deferred run that starts
// after Slack's response_url has expired can no longer answer anybody. A function that
// never defers gets none (nil, nil).
func asyncInvoke(r api.Route, dlq awssqs.IQueue) (awscdk.Duration, *float64, error) {
	if !Defers(r) {
		return nil, nil, nil
	}
	// A run that fails every retry must land somewhere an alarm watches.
	if dlq == nil {
		return nil, nil, errors.New("defers work but has no dead-letter queue")
	}
	if err := checkAsync(r.Timeout, api.MaxEventAge, api.AsyncRetryAttempts); err != nil {
		return nil, nil, err
	}
	return awscdk.Duration_Seconds(jsii.Number(api.MaxEventAge.Seconds())), jsii.Number(api.AsyncRetryAttempts), nil
}

// checkAsync checks deferred-run settings against Lambda's bounds and Slack's contract:
// Lambda starts a queued or retried run at most maxAge after it was queued, and the run
// lasts at most timeout, so maxAge + timeout must end before the response_url expires.
func checkAsync(timeout, maxAge time.Duration, retries int) error {
	switch {
	case maxAge < lambdaMinEventAge || maxAge > lambdaMaxEventAge || maxAge%time.Second != 0:
		return fmt.Errorf("max event age %v: Lambda takes whole seconds from %v to %v", maxAge, lambdaMinEventAge, lambdaMaxEventAge)
	case retries < 0 || retries > lambdaMaxRetries:
		return fmt.Errorf("%d retry attempts: Lambda takes 0 to %d", retries, lambdaMaxRetries)
	case maxAge+timeout >= api.ResponseURLValidity:
		return fmt.Errorf("max event age %v + timeout %v = %v: a late run would outlive Slack's response_url (valid %v)",
			maxAge, timeout, maxAge+timeout, api.ResponseURLValidity)
	}
	return nil
}

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

func (f *RouteFunction) alarms(c constructs.Construct) []awscloudwatch.Alarm {
	minute := awscdk.Duration_Minutes(jsii.Number(1))
	name := f.Route.Function
	over := func(id string, m awscloudwatch.Metric, threshold float64, desc string) awscloudwatch.Alarm {
		return m.CreateAlarm(c, jsii.String(id), &awscloudwatch.CreateAlarmOptions{
			AlarmDescription:   jsii.String(desc),
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			// No traffic is not a failure.
			TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
	}
	// A non-proxy integration maps a rejected request (401, 400) from a handler error, so
	// Lambda's Errors counts forged requests too: an attacker could page us at will. The
	// handler logs each rejection with its code; a metric filter counts them, and the alarm
	// fires on the errors that remain — internal failures, timeouts, crashes.
	rejected := awslogs.NewMetricFilter(c, jsii.String("Rejected"), &awslogs.MetricFilterProps{
		LogGroup:        f.LogGroup,
		FilterPattern:   awslogs.FilterPattern_Any(awslogs.FilterPattern_StringValue(jsii.String("$.code"), jsii.String("="), jsii.String(string(api.CodeUnauthorized))), awslogs.FilterPattern_StringValue(jsii.String("$.code"), jsii.String("="), jsii.String(string(api.CodeBadRequest)))),
		MetricNamespace: jsii.String(MetricNamespace),
		MetricName:      jsii.String(MetricRejected),
		MetricValue:     jsii.String("1"),
		// The handler's log line names its function; CloudWatch allows no default value
		// on a filter with dimensions, hence FILL below.
		Dimensions: &map[string]*string{"Function": jsii.String("$.function")},
	}).Metric(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Sum"),
		DimensionsMap: &map[string]*string{"Function": jsii.String(f.Route.Function)}})
	// Lambda's Duration mixes a command's synchronous requests, which race Slack's 3-second
	// deadline, with its deferred runs, which may legitimately take up to the function's
	// timeout. The handler logs its own time per request and marks deferred runs, so this
	// filter measures synchronous requests only; the latency alarm watches it.
	syncDuration := awslogs.NewMetricFilter(c, jsii.String("SyncDuration"), &awslogs.MetricFilterProps{
		LogGroup:        f.LogGroup,
		FilterPattern:   SyncRequestPattern(),
		MetricNamespace: jsii.String(MetricNamespace),
		MetricName:      jsii.String(MetricSyncDuration),
		MetricValue:     jsii.String("$." + logFieldMs),
		Unit:            awscloudwatch.Unit_MILLISECONDS,
		Dimensions:      &map[string]*string{"Function": jsii.String("$." + logFieldFn)},
	}).Metric(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("p99"),
		DimensionsMap: &map[string]*string{"Function": jsii.String(f.Route.Function)}})
	failures := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("FILL(errors, 0) - FILL(rejected, 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"errors":   f.Function.MetricErrors(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Sum")}),
			"rejected": rejected,
		},
		Label:  jsii.String("Errors other than rejected requests"),
		Period: minute,
	})
	return []awscloudwatch.Alarm{
		failures.CreateAlarm(c, jsii.String("Errors"), &awscloudwatch.CreateAlarmOptions{
			AlarmDescription:   jsii.String("orderbot " + name + ": invocations failed (internal errors, timeouts, crashes; rejected 401/400 requests excluded)"),
			Threshold:          jsii.Number(0),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		}),
		over("Throttles", f.Function.MetricThrottles(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Sum")}), 0,
			"orderbot "+name+": invocations throttled, Slack saw errors"),
		// The id is the old Lambda-Duration alarm's, so the alarm is updated in place and
		// keeps its history.
		over("DurationP99", syncDuration, DurationAlarmMs,
			fmt.Sprintf("orderbot %s: p99 handler time of synchronous requests above %d ms, close to Slack's 3000 ms deadline (deferred runs excluded)", name, DurationAlarmMs)),
	}
}
