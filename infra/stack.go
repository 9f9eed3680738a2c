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
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/store/dynamo"
	"github.com/orderbot/orderbot/manifest"
)

// Keys of the JSON the secret holds.
const (
	SecretKeySigningSecret = "signing_secret"
	SecretKeyBotToken      = "bot_token"
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

// Stack is orderbot's stack, with handles that the tests use to find logical ids.
type Stack struct {
	awscdk.Stack
	Config    Config
	Table     awsdynamodb.Table
	Secret    awssecretsmanager.ISecret
	API       *RestAPI
	Functions []*RouteFunction // in route table order
	Alarms    []awscloudwatch.Alarm
	// DeferredDLQ keeps deferred command work (asynchronous self-invocations) that failed
	// all of Lambda's retries, so no order is silently lost.
	DeferredDLQ       awssqs.Queue
	Topic             awssns.Topic // nil without alarmEmail
	EmailSubscription awssns.Subscription
	BaseURL           *string // the stage URL, no trailing slash
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

	s.Table = awsdynamodb.NewTable(s.Stack, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String(dynamo.PartitionKey), Type: awsdynamodb.AttributeType_STRING},
		SortKey:      &awsdynamodb.Attribute{Name: jsii.String(dynamo.SortKey), Type: awsdynamodb.AttributeType_STRING},
		// A team's orders are a trickle with lunchtime spikes: on demand costs nothing idle.
		BillingMode: awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		TimeToLiveAttribute: jsii.String(dynamo.TTLAttribute),
		// Orders outlive the stack: deleting or replacing it must not delete them.
		RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
		DeletionProtection: jsii.Bool(cfg.DeletionProtection),
	})

	secretARN, secretPolicyARN := s.secret()

	s.API = newRestAPI(s.Stack, cfg)
	// Built here rather than with RestApi.urlForPath so that it has no trailing slash and
	// manifest.URL joins paths to it the same way for the outputs and the manifest.
	s.BaseURL = jsii.String("https://" + *s.API.Api.RestApiId() + ".execute-api." + *s.Region() + "." +
		*s.UrlSuffix() + "/" + cfg.StageName)

	s.DeferredDLQ = awssqs.NewQueue(s.Stack, jsii.String("DeferredDLQ"), &awssqs.QueueProps{
		EnforceSSL:      jsii.Bool(true),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	s.Alarms = append(s.Alarms, s.DeferredDLQ.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
		Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Maximum"),
	}).CreateAlarm(s.Stack, jsii.String("DeferredDLQMessages"), &awscloudwatch.CreateAlarmOptions{
		AlarmDescription:   jsii.String("orderbot: a deferred command failed every retry; its event is in the dead-letter queue"),
		Threshold:          jsii.Number(0),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	}))

	for _, r := range api.Routes {
		props := RouteFunctionProps{
			Route: r, Config: cfg, Table: s.Table, SecretARN: secretARN, SecretARNForPolicy: secretPolicyARN,
		}
		if Defers(r) {
			props.DeadLetterQueue = s.DeferredDLQ
		}
		fn, err := NewRouteFunction(s.Stack, "Fn-"+r.Function, props)
		if err != nil {
			return nil, err
		}
		if err := s.API.addRoute(fn); err != nil {
			return nil, err
		}
		s.Functions = append(s.Functions, fn)
		s.Alarms = append(s.Alarms, fn.Alarms...)
		desc := "Slash command " + r.Command + " Request URL"
		if r.Command == "" {
			desc = "Event Subscriptions Request URL"
		}
		output(s, RequestURLOutput(r), manifest.URL(*s.BaseURL, r.Path), desc)
	}

	s.Alarms = append(s.Alarms, s.API.Api.MetricServerError(&awscloudwatch.MetricOptions{
		Period: awscdk.Duration_Minutes(jsii.Number(1)), Statistic: jsii.String("Sum"),
	}).CreateAlarm(s.Stack, jsii.String("Api5xx"), &awscloudwatch.CreateAlarmOptions{
		// Bad input answers 4xx by contract, so any 5xx is a fault of ours.
		AlarmDescription:   jsii.String("orderbot API: 5XX responses"),
		Threshold:          jsii.Number(0),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	}))
	if cfg.AlarmEmail != "" {
		s.Topic = awssns.NewTopic(s.Stack, jsii.String("Alarms"), &awssns.TopicProps{
			DisplayName: jsii.String("orderbot alarms"),
			EnforceSSL:  jsii.Bool(true),
		})
		s.EmailSubscription = awssns.NewSubscription(s.Stack, jsii.String("AlarmEmail"), &awssns.SubscriptionProps{
			Topic: s.Topic, Protocol: awssns.SubscriptionProtocol_EMAIL, Endpoint: jsii.String(cfg.AlarmEmail),
		})
		for _, a := range s.Alarms {
			a.AddAlarmAction(awscloudwatchactions.NewSnsAction(s.Topic))
		}
	}

	m, err := manifest.Build(*s.BaseURL)
	if err != nil {
		return nil, err
	}
	output(s, OutputAPIURL, *s.BaseURL, "API base URL (the stage)")
	output(s, OutputSecretName, *s.Secret.SecretName(),
		fmt.Sprintf("Secrets Manager secret: JSON with %s and %s", SecretKeySigningSecret, SecretKeyBotToken))
	output(s, OutputTableName, *s.Table.TableName(), "DynamoDB table")
	output(s, OutputSlackManifest, string(m), "Slack app manifest: paste it at api.slack.com/apps (Create New App, From a manifest)")

	s.addSuppressions()
	return s, nil
}

// secret creates or imports the Slack credentials and returns the ARN the handlers get and
// the ARN their policies name.
func (s *Stack) secret() (arn, policyARN *string) {
	if name := s.Config.SecretName; name != "" {
		s.Secret = awssecretsmanager.Secret_FromSecretNameV2(s.Stack, jsii.String("Secret"), jsii.String(name))
		// A name-only import does not know the 6-character suffix Secrets Manager appends;
		// "-??????" matches exactly that suffix and no other secret's name.
		return s.Secret.SecretArn(), jsii.String(*s.Secret.SecretArn() + "-??????")
	}
	s.Secret = awssecretsmanager.NewSecret(s.Stack, jsii.String("Secret"), &awssecretsmanager.SecretProps{
		Description: jsii.String(fmt.Sprintf("orderbot Slack credentials. Fill in from your Slack app's settings: "+
			`aws secretsmanager put-secret-value --secret-id <this secret> --secret-string '{"%s":"<Basic Information > Signing Secret>","%s":"<OAuth & Permissions > Bot User OAuth Token, xoxb-...>"}'`,
			SecretKeySigningSecret, SecretKeyBotToken)),
		// Until it is filled in, the signing secret is random, so every request fails
		// verification (401) instead of being accepted with an empty key.
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			SecretStringTemplate: jsii.String(fmt.Sprintf(`{"%s":""}`, SecretKeyBotToken)),
			GenerateStringKey:    jsii.String(SecretKeySigningSecret),
			ExcludePunctuation:   jsii.Bool(true),
			PasswordLength:       jsii.Number(32),
		},
	})
	return s.Secret.SecretArn(), s.Secret.SecretArn()
}

func output(s *Stack, id, value, desc string) {
	awscdk.NewCfnOutput(s.Stack, jsii.String(id), &awscdk.CfnOutputProps{
		Value: jsii.String(value), Description: jsii.String(desc),
	})
}
