// Package infra is orderbot's CDK app: one Go Lambda per route of the api route table behind
// a REST API with non-proxy integrations, a DynamoDB table, the Slack secret, alarms and the
// outputs that a Slack app needs. Everything per route is derived from api.Routes, so a route
// added to the table gets its function, role, log group, method and alarms without a change
// here. The app is checked by tests with CDK assertions and cdk-nag.
package infra

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/manifest"
)

// Output names, read by people and scripts (make smoke).
const (
	OutputAPIURL        = "ApiUrl"
	OutputSecretName    = "SecretName"
	OutputTableName     = "TableName"
	OutputSlackManifest = "SlackManifest"
	outputRequestURL    = "RequestUrl" // suffix, after the function's name in CamelCase
)

// RequestURLOutput is the output holding route r's Request URL, e.g. OrderUpdateRequestUrl.
func RequestURLOutput(r api.Route) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(r.Function, func(c rune) bool {
		return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9')
	}) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String() + outputRequestURL
}

// Construct ids. Each concern of the stack is a construct type with a props struct: Alarms,
// Table, SlackSecret, RestAPI, DeferredQueue and one RouteFunction per route. RouteFunction
// is a node of its own ("Fn-<function>"); the others add their resources directly to the
// scope they are given, under fixed ids, as aws-cdk-examples' go/static-site does, rather
// than under a node of their own. A node would prefix the logical ID of everything below
// it, and a changed logical ID makes CloudFormation replace the resource: a new, empty
// table (users' orders stay in the old one), new log groups, a new API URL that Slack is
// not configured with, new functions whose fixed names collide with the old ones. The ids
// are the ones deployed stacks already have; TestStatefulLogicalIDs pins them.

// Stack is orderbot's stack, with handles that the tests use to find logical ids.
type Stack struct {
	awscdk.Stack
	Config    Config
	Table     awsdynamodb.Table
	Secret    *SlackSecret
	API       *RestAPI
	Functions []*RouteFunction // in route table order
	Alarms    *Alarms
	// DeferredWork keeps deferred command work (asynchronous self-invocations) that failed
	// all of Lambda's retries.
	DeferredWork *DeferredQueue
	// WAF is the optional per-IP rate limit (context wafRateLimit); nil when off.
	WAF *WAF
	// Deadlines is the schedule group and Scheduler's role for rounds' deadlines.
	Deadlines *DeadlineSchedules
	// Suppressions are the cdk-nag findings accepted, each with its reason.
	Suppressions []Suppression
}

// NewStack builds the stack from cfg and api.Routes.
func NewStack(scope constructs.Construct, cfg Config, props *awscdk.StackProps) (*Stack, error) {
	if props == nil {
		props = &awscdk.StackProps{}
	}
	if props.Description == nil {
		props.Description = jsii.String("orderbot: Slack order rounds (API Gateway REST, Go Lambda, DynamoDB)")
	}
	s := &Stack{Stack: awscdk.NewStack(scope, jsii.String(cfg.StackName), props), Config: cfg}
	s.Alarms = NewAlarms(s.Stack, AlarmsProps{Email: cfg.AlarmEmail})
	s.Table = NewTable(s.Stack, TableProps{DeletionProtection: cfg.DeletionProtection})
	s.Secret = NewSlackSecret(s.Stack, SlackSecretProps{Name: cfg.SecretName})
	s.API = NewRestAPI(s.Stack, RestAPIProps{
		Name: cfg.StackName, StageName: cfg.StageName, LogRetention: cfg.LogRetention,
		ExecutionLogLevel: cfg.ExecutionLogLevel, ThrottleRate: cfg.ThrottleRate, ThrottleBurst: cfg.ThrottleBurst,
		AccountRole: cfg.CloudWatchRole, Alarms: s.Alarms,
	})
	s.WAF = NewWAF(s.Stack, WAFProps{RateLimit: cfg.WAFRateLimit, Stage: s.API.Api.DeploymentStage()})
	s.DeferredWork = NewDeferredQueue(s.Stack, DeferredQueueProps{Alarms: s.Alarms})
	s.Deadlines = NewDeadlineSchedules(s.Stack, DeadlineSchedulesProps{Config: cfg, Alarms: s.Alarms})
	for _, r := range api.Routes {
		if err := s.addRoute(r); err != nil {
			return nil, err
		}
	}
	if err := s.addOutputs(); err != nil {
		return nil, err
	}
	s.addSuppressions()
	return s, nil
}

// addRoute adds route r's function (construct id "Fn-<function>"), its method on the API
// and its Request URL output.
func (s *Stack) addRoute(r api.Route) error {
	props := RouteFunctionProps{Route: r, Config: s.Config, Table: s.Table, Secret: s.Secret, Alarms: s.Alarms}
	if r.Kind.Defers() {
		props.DeadLetterQueue = s.DeferredWork.Queue
	}
	if r.Function == api.ScheduleFunction {
		props.Schedules = s.Deadlines
	}
	fn, err := NewRouteFunction(s.Stack, "Fn-"+r.Function, props)
	if err != nil {
		return err
	}
	if err := s.API.AddRoute(fn); err != nil {
		return err
	}
	s.Functions = append(s.Functions, fn)
	desc := map[api.Kind]string{
		api.KindEvents:      "Event Subscriptions Request URL",
		api.KindCommand:     "Slash command " + r.Command + " Request URL",
		api.KindInteractive: "Interactivity Request URL",
	}[r.Kind]
	output(s, RequestURLOutput(r), manifest.URL(*s.API.BaseURL, r.Path), desc)
	return nil
}

// addOutputs adds the outputs a person setting up the Slack app needs.
func (s *Stack) addOutputs() error {
	m, err := manifest.Build(*s.API.BaseURL)
	if err != nil {
		return err
	}
	output(s, OutputAPIURL, *s.API.BaseURL, "API base URL (the stage)")
	output(s, OutputSecretName, *s.Secret.Secret.SecretName(),
		fmt.Sprintf("Secrets Manager secret: JSON with %s and %s", api.SecretKeySigningSecret, api.SecretKeyBotToken))
	output(s, OutputTableName, *s.Table.TableName(), "DynamoDB table")
	output(s, OutputSlackManifest, string(m), "Slack app manifest: paste it at api.slack.com/apps (Create New App, From a manifest)")
	return nil
}

func output(s *Stack, id, value, desc string) {
	awscdk.NewCfnOutput(s.Stack, jsii.String(id), &awscdk.CfnOutputProps{
		Value: jsii.String(value), Description: jsii.String(desc),
	})
}
