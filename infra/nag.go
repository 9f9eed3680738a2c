package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	api_ "github.com/orderbot/orderbot/lambdas/api"
)

// AddNagPacks checks app with the AwsSolutions and Serverless packs on synth: an error
// fails `cdk synth` and so `cdk deploy`.
func AddNagPacks(app awscdk.App, props *cdknag.NagPackProps) {
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(props), nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewServerlessChecks(props), nil)
}

// Suppression is one accepted cdk-nag finding on one resource, kept on the stack so that
// the tests can list and check them.
type Suppression struct {
	Path      string // construct path of the CloudFormation resource
	Rule      string
	AppliesTo []string // the finding's exact subjects (IAM5 resources), or none
	Reason    string
}

// Reasons, one per rule; each names why the rule's remedy does not fit a Slack backend.
const (
	reasonNoAuthorizer = "Slack cannot send IAM (SigV4) or Cognito credentials; every request is " +
		"authenticated by its HMAC signature (X-Slack-Signature over the raw body), which the " +
		"handler verifies before reading anything and answers 401 when it fails."
	reasonNoValidator = "The body is form-urlencoded or JSON signed by Slack and travels base64-encoded to " +
		"the handler, which verifies the signature and then parses it; a gateway validator cannot " +
		"check either, and requiring the signature headers would answer 400 where the contract says 401."
	reasonNoWAF = "Requests without a valid Slack signature are rejected by the handler; stage " +
		"throttling caps abuse. Slack's source addresses are not published, so a WAF IP allow-list cannot " +
		"help; a per-IP rate limit is available with context wafRateLimit, off by default because its " +
		"web ACL costs more than the whole bot at this scale (about $6 a month)."
	reasonXRay = "xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level " +
		"permissions: AWS requires Resource \"*\" for them (active tracing)."
	reasonNoDLQ = "API Gateway invokes the function synchronously and maps its error to the HTTP " +
		"response; a dead-letter queue only receives failed asynchronous invocations, and this " +
		"function (Slack events, no response_url) never defers work to one."
	reasonDLQNotDestination = "A deferred run that fails every retry, or outlives its maximum event age, " +
		"goes to the function's dead-letter queue (DeadLetterConfig), which an alarm watches; an " +
		"on-failure destination would be a second target for the same events."
	reasonIsDLQ = "This queue is the dead-letter queue of the command functions' asynchronous " +
		"self-invocations; a dead-letter queue of its own would have no consumer either."
	reasonIsSchedulerDLQ = "This queue is the dead-letter queue of the deadline schedules' target " +
		"(DeadLetterConfig of each schedule, created at run time, so cdk-nag cannot see the link); " +
		"a dead-letter queue of its own would have no consumer either."
	reasonNoRotation = "The signing secret and bot token are issued by Slack and can only be rotated " +
		"in Slack's app settings; there is no API for a rotation Lambda to call."
	reasonAccountRole = "This is API Gateway's account-wide CloudWatch role: API Gateway creates the " +
		"execution log groups itself, named API-Gateway-Execution-Logs_<api id>/<stage>, so their " +
		"names are only known by prefix, and DescribeLogGroups cannot be scoped below log-group:*."
	reasonDeadlineSchedules = "Each round's deadline is a one-time schedule named at run time after the " +
		"command that set it; the function may create and delete schedules only in the stack's own " +
		"schedule group (schedule/<group>/*), and pass only the scheduler role, only to Scheduler."
	reasonEmailRedrive = "An email subscription's undeliverable notification has nobody to reprocess " +
		"it from a dead-letter queue; the alarm's state and history stay in CloudWatch."
)

func (s *Stack) suppress(c constructs.IConstruct, rule, reason string, appliesTo ...string) {
	res := c
	if d := c.Node().DefaultChild(); d != nil {
		res = d
	}
	sup := &cdknag.NagPackSuppression{Id: jsii.String(rule), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		var at []interface{}
		for _, a := range appliesTo {
			at = append(at, a)
		}
		sup.AppliesTo = &at
	}
	cdknag.NagSuppressions_AddResourceSuppressions(res, &[]*cdknag.NagPackSuppression{sup}, jsii.Bool(false))
	s.Suppressions = append(s.Suppressions, Suppression{Path: *res.Node().Path(), Rule: rule, AppliesTo: appliesTo, Reason: reason})
}

// addSuppressions accepts, resource by resource, the findings that do not fit a Slack
// backend. Nothing is suppressed stack-wide, so a new resource is checked in full.
func (s *Stack) addSuppressions() {
	api := s.API
	s.suppress(api.Api, "AwsSolutions-APIG2", reasonNoValidator)
	if s.WAF == nil {
		s.suppress(api.Api.DeploymentStage(), "AwsSolutions-APIG3", reasonNoWAF)
	}
	for _, f := range s.Functions {
		m := api.Methods[f.Route.Path]
		s.suppress(m, "AwsSolutions-APIG4", reasonNoAuthorizer)
		s.suppress(m, "AwsSolutions-COG4", reasonNoAuthorizer)
		if f.Route.Function == api_.ScheduleFunction {
			// One suppression per rule and resource: cdk-nag reads the first of an id.
			s.suppress(f.Role, "AwsSolutions-IAM5", reasonXRay+" "+reasonDeadlineSchedules, "Resource::*",
				"Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/"+s.Deadlines.GroupName+"/*")
		} else {
			s.suppress(f.Role, "AwsSolutions-IAM5", reasonXRay, "Resource::*")
		}
		s.suppress(f.Role, "Serverless-LambdaStarPermissions", reasonXRay)
		if !f.Route.Kind.Defers() {
			s.suppress(f.Function, "Serverless-LambdaDLQ", reasonNoDLQ)
		}
		if f.AsyncInvoke != nil {
			s.suppress(f.AsyncInvoke, "Serverless-LambdaAsyncFailureDestination", reasonDLQNotDestination)
		}
	}
	s.suppress(s.DeferredWork.Queue, "Serverless-SQSRedrivePolicy", reasonIsDLQ)
	s.suppress(s.Deadlines.DeadLetters, "Serverless-SQSRedrivePolicy", reasonIsSchedulerDLQ)
	s.suppress(s.Deadlines.DeadLetters, "AwsSolutions-SQS3", reasonIsSchedulerDLQ)
	if api.CloudWatchRole != nil {
		s.suppress(api.CloudWatchRole, "AwsSolutions-IAM5", reasonAccountRole,
			"Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:API-Gateway-Execution-Logs_*",
			"Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*")
	}
	if s.Secret.Created {
		s.suppress(s.Secret.Secret, "AwsSolutions-SMG4", reasonNoRotation)
	}
	if s.Alarms.EmailSubscription != nil {
		s.suppress(s.Alarms.EmailSubscription, "Serverless-SNSRedrivePolicy", reasonEmailRedrive)
	}
}
