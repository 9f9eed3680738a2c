package infra

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"

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
	"github.com/orderbot/orderbot/lambdas/handler"
)

// RouteFunctionProps wires one route's function to the shared resources.
type RouteFunctionProps struct {
	Route  api.Route
	Config Config
	Table  awsdynamodb.ITable
	Secret *SlackSecret
	// DeadLetterQueue receives the function's failed asynchronous invocations (its deferred
	// work); nil for functions that are only invoked synchronously.
	DeadLetterQueue awssqs.IQueue
	// Alarms creates the function's alarms (required).
	Alarms *Alarms
	// Schedules, for the schedule function (api.ScheduleFunction) only, lets it create
	// and delete deadline schedules that invoke it.
	Schedules *DeadlineSchedules
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

// FunctionName is a route's function name: the stack's name and the route's function.
func FunctionName(cfg Config, r api.Route) string { return cfg.StackName + "-" + r.Function }

// FunctionARN is the ARN of the function named name in the stack's account and region.
func FunctionARN(scope constructs.Construct, name string) string {
	return *awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("lambda"), Resource: jsii.String("function"),
		ResourceName: jsii.String(name), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
}

// CodeDir is where `make build` puts the bootstrap binary every function runs (one asset,
// uploaded once); each function is told its route by api.EnvFunction.
func CodeDir(cfg Config) string { return filepath.Join(cfg.BuildDir, "bootstrap") }

// NewRouteFunction creates the function serving p.Route as scope's child id, with its log
// group, role, metric filters and alarms under it.
func NewRouteFunction(scope constructs.Construct, id string, p RouteFunctionProps) (*RouteFunction, error) {
	r := p.Route
	fail := func(err error) (*RouteFunction, error) { return nil, fmt.Errorf("function %s: %w", r.Function, err) }
	// Checked here so that a missing build says what to run instead of CDK's asset error.
	if _, err := os.Stat(filepath.Join(CodeDir(p.Config), HandlerName)); err != nil {
		return fail(fmt.Errorf("%w (run `make build`, or set context %s)", err, KeyBuildDir))
	}
	table, err := TableStatement(p.Table, r.Data)
	if err != nil {
		return fail(err)
	}
	maxEventAge, retries, err := asyncInvoke(r, p.DeadLetterQueue)
	if err != nil {
		return fail(err)
	}

	f := &RouteFunction{Construct: constructs.NewConstruct(scope, jsii.String(id)), Route: r}
	f.LogGroup = awslogs.NewLogGroup(f.Construct, jsii.String("LogGroup"), &awslogs.LogGroupProps{
		Retention: p.Config.LogRetention,
	})
	f.Role = awsiam.NewRole(f.Construct, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:      awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description:    jsii.String("orderbot " + r.Function + " (" + r.Method + " " + r.Path + "): its table actions, the secret, its log group, X-Ray"),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"route": f.policy(p, table)},
	})
	props := f.functionProps(p)
	// Both nil for a function that never defers: it gets no EventInvokeConfig.
	props.MaxEventAge, props.RetryAttempts = maxEventAge, retries
	f.Function = awslambda.NewFunction(f.Construct, jsii.String("Function"), props)
	if r.Kind.Defers() {
		// CDK adds the configuration as the function's child "EventInvokeConfig"
		// (qualifier $LATEST); the stack needs its handle for a cdk-nag suppression.
		if f.AsyncInvoke = f.Function.Node().TryFindChild(jsii.String("EventInvokeConfig")); f.AsyncInvoke == nil {
			return fail(errors.New("CDK created no EventInvokeConfig for MaxEventAge and RetryAttempts"))
		}
	}
	f.addAlarms(p.Alarms)
	return f, nil
}

// policy is everything the function may do, in one inline policy. The role is handed to
// the function as immutable, so CDK adds nothing behind our back (it would otherwise append
// its own X-Ray statement in a separate policy).
func (f *RouteFunction) policy(p RouteFunctionProps, table awsiam.PolicyStatement) awsiam.PolicyDocument {
	policy := awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
		Statements: &[]awsiam.PolicyStatement{
			table,
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("Secret"),
				Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
				Resources: &[]*string{p.Secret.PolicyARN},
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
	// The events function publishes the App Home: it reads rounds and Home indexes (home.go).
	if f.Route.Kind == api.KindEvents {
		policy.AddStatements(HomeStatement(p.Table))
	}
	// A slash command that runs out of its reply budget hands its event to an asynchronous
	// invocation of itself (see lambdas/selfinvoke). The function is named explicitly so
	// its ARN is known without referring to the function, which depends on this role.
	if f.Route.Kind.Defers() {
		policy.AddStatements(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("SelfInvoke"),
			Actions:   jsii.Strings("lambda:InvokeFunction"),
			Resources: jsii.Strings(FunctionARN(f.Construct, FunctionName(p.Config, f.Route))),
		}))
	}
	if p.Schedules != nil {
		policy.AddStatements(p.Schedules.statements(f.Construct)...)
	}
	if p.DeadLetterQueue != nil {
		policy.AddStatements(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("DeadLetters"),
			Actions:   jsii.Strings("sqs:SendMessage"),
			Resources: jsii.Strings(*p.DeadLetterQueue.QueueArn()),
		}))
	}
	return policy
}

// environment is the function's environment: every setting of api.Settings the stack
// sets, from this one table, so that every function is configured alike (a function
// that formats a round shows the team's zone whether or not it schedules). The
// schedule function also gets the schedule group, role and target. A test holds the
// synthesized template's Environment of every function to api.SettingsFor and
// config.Parse.
func environment(cfg Config, r api.Route, p RouteFunctionProps) map[string]*string {
	all := map[string]*string{
		api.EnvFunction:        jsii.String(r.Function),
		api.EnvTableName:       p.Table.TableName(),
		api.EnvSecretARN:       p.Secret.ARN,
		api.EnvLogLevel:        jsii.String(cfg.LogLevel),
		api.EnvReplyBudget:     jsii.String(strconv.FormatInt(handler.DefaultBudget.Milliseconds(), 10)),
		api.EnvLocale:          jsii.String(cfg.Locale),
		api.EnvHistoryDays:     jsii.String(strconv.Itoa(cfg.HistoryDays)),
		api.EnvTimeZone:        jsii.String(cfg.TimeZone),
		api.EnvReminderMinutes: jsii.String(strconv.Itoa(cfg.ReminderMinutes)),
	}
	if p.Schedules != nil {
		maps.Copy(all, p.Schedules.environment())
	}
	env := map[string]*string{}
	for _, name := range api.SettingsFor(r.Function) {
		if v, ok := all[name]; ok {
			env[name] = v
		}
	}
	return env
}

// functionProps configures the function: its code, runtime, role, log group and the
// environment the handlers read (the api.Env* names).
func (f *RouteFunction) functionProps(p RouteFunctionProps) *awslambda.FunctionProps {
	r, cfg := f.Route, p.Config
	env := environment(cfg, r, p)
	return &awslambda.FunctionProps{
		FunctionName:          jsii.String(FunctionName(cfg, r)),
		Description:           jsii.String("orderbot " + r.Method + " " + r.Path + ": " + r.Description),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          awslambda.Architecture_ARM_64(),
		Code:                  awslambda.Code_FromAsset(jsii.String(CodeDir(cfg)), nil),
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
		Environment:      &env,
	}
}
