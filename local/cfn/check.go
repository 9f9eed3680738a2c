package cfn

import (
	"fmt"
	"slices"
	"strings"
)

// Honoured is, per resource type the local stack runs, the properties it implements.
// Inert is what it accepts without running anything for it, each for the reason given in
// InertWhy: resources and properties that change nothing a request, an invocation or a
// schedule does locally (alarms, log retention, IAM, tracing). A type or property in
// neither stops the local stack at start.
var Honoured = map[string][]string{
	"AWS::ApiGateway::RestApi":  {"Name"},
	"AWS::ApiGateway::Resource": {"ParentId", "PathPart", "RestApiId"},
	"AWS::ApiGateway::Method": {"AuthorizationType", "HttpMethod", "Integration", "MethodResponses",
		"ResourceId", "RestApiId"},
	"AWS::ApiGateway::Stage":         {"StageName", "MethodSettings", "AccessLogSetting", "RestApiId", "DeploymentId"},
	"AWS::Lambda::Function":          {"Architectures", "Code", "Environment", "FunctionName", "Handler", "MemorySize", "Runtime", "Timeout", "LoggingConfig", "DeadLetterConfig", "ReservedConcurrentExecutions"},
	"AWS::Lambda::EventInvokeConfig": {"FunctionName", "MaximumEventAgeInSeconds", "MaximumRetryAttempts", "Qualifier", "DestinationConfig"},
	"AWS::DynamoDB::Table":           {"AttributeDefinitions", "KeySchema", "TimeToLiveSpecification", "TableName"},
	"AWS::SecretsManager::Secret":    {"Name"},
	"AWS::SQS::Queue":                {},
	"AWS::Scheduler::ScheduleGroup":  {"Name"},
}

// Inert are the accepted properties and types that have no local effect (see Honoured).
var Inert = map[string][]string{
	"AWS::ApiGateway::RestApi":       {"Description", "EndpointConfiguration"},
	"AWS::ApiGateway::Method":        {"OperationName"},
	"AWS::ApiGateway::Stage":         {"TracingEnabled", "Description"},
	"AWS::ApiGateway::Deployment":    {"*"},
	"AWS::ApiGateway::Account":       {"*"},
	"AWS::Lambda::Function":          {"Description", "Role", "TracingConfig"},
	"AWS::Lambda::Permission":        {"*"},
	"AWS::DynamoDB::Table":           {"BillingMode", "DeletionProtectionEnabled", "PointInTimeRecoverySpecification", "SSESpecification"},
	"AWS::SecretsManager::Secret":    {"Description", "GenerateSecretString"},
	"AWS::SQS::Queue":                {"MessageRetentionPeriod", "SqsManagedSseEnabled", "KmsMasterKeyId"},
	"AWS::SQS::QueuePolicy":          {"*"},
	"AWS::IAM::Role":                 {"*"},
	"AWS::IAM::Policy":               {"*"},
	"AWS::Logs::LogGroup":            {"*"},
	"AWS::Logs::MetricFilter":        {"*"},
	"AWS::CloudWatch::Alarm":         {"*"},
	"AWS::SNS::Topic":                {"*"},
	"AWS::SNS::Subscription":         {"*"},
	"AWS::SNS::TopicPolicy":          {"*"},
	"AWS::CDK::Metadata":             {"*"},
	"AWS::Scheduler::ScheduleGroup":  {},
	"AWS::Lambda::EventInvokeConfig": {},
	"AWS::ApiGateway::Resource":      {},
}

// InertWhy says why each inert type or property has no local effect.
var InertWhy = map[string]string{
	"Description":                      "text only",
	"EndpointConfiguration":            "the endpoint is 127.0.0.1",
	"OperationName":                    "a name in SDKs generated from the API",
	"TracingEnabled":                   "no X-Ray locally",
	"TracingConfig":                    "no X-Ray locally",
	"Role":                             "read by local/iam: the function's AWS calls are authorised by its role at the front (local/awsfront)",
	"AWS::ApiGateway::Deployment":      "the stage serves the template's methods as they are",
	"AWS::ApiGateway::Account":         "execution logs go to the dev server's output",
	"AWS::Lambda::Permission":          "read by local/iam: API Gateway's invoke of the function is authorised by it",
	"BillingMode":                      "no capacity locally",
	"DeletionProtectionEnabled":        "the local table is a file",
	"PointInTimeRecoverySpecification": "no backups locally",
	"SSESpecification":                 "no encryption at rest locally",
	"GenerateSecretString":             "the local secret holds SLACK_SIGNING_SECRET",
	"MessageRetentionPeriod":           "the local queue is a directory, kept until removed",
	"SqsManagedSseEnabled":             "no encryption at rest locally",
	"KmsMasterKeyId":                   "no encryption at rest locally",
	"AWS::SQS::QueuePolicy":            "not evaluated: no function calls SQS; Lambda's dead letters are authorised by the function's role",
	"AWS::IAM::Role":                   "read by local/iam: every AWS call of a function, and Scheduler's, is authorised by it",
	"AWS::IAM::Policy":                 "read by local/iam with the roles it is attached to",
	"AWS::Logs::LogGroup":              "logs go to the dev server's output",
	"AWS::Logs::MetricFilter":          "no CloudWatch metrics locally",
	"AWS::CloudWatch::Alarm":           "no CloudWatch alarms locally",
	"AWS::SNS::Topic":                  "alarm notifications only",
	"AWS::SNS::Subscription":           "alarm notifications only",
	"AWS::SNS::TopicPolicy":            "alarm notifications only",
	"AWS::CDK::Metadata":               "CDK's version report",
}

// check refuses every resource type and property neither Honoured nor Inert.
func check(res map[string]Resource) error {
	for _, id := range sortedIDs(res) {
		r := res[id]
		honoured, okH := Honoured[r.Type]
		inert, okI := Inert[r.Type]
		if !okH && !okI {
			return fmt.Errorf("resource %s: type %s is not implemented by the local stack", id, r.Type)
		}
		if slices.Contains(inert, "*") {
			continue
		}
		for _, p := range sortedKeys(r.Properties) {
			if !slices.Contains(honoured, p) && !slices.Contains(inert, p) {
				return fmt.Errorf("resource %s (%s): property %s is not implemented by the local stack", id, r.Type, p)
			}
		}
	}
	return nil
}

// checkKeys refuses keys of m outside allowed: path names the property for the error.
func checkKeys(id, path string, m map[string]any, allowed ...string) error {
	for _, k := range sortedKeys(m) {
		if !slices.Contains(allowed, k) {
			return fmt.Errorf("resource %s: property %s.%s is not implemented by the local stack", id, path, k)
		}
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Describe lists, per type, the honoured and the inert properties, for the README and the
// dev server's `--properties`.
func Describe() string {
	var b strings.Builder
	types := make([]string, 0, len(Inert))
	for t := range Inert {
		types = append(types, t)
	}
	slices.Sort(types)
	for _, t := range types {
		fmt.Fprintf(&b, "%s\n  honoured: %s\n  inert: %s\n", t, strings.Join(Honoured[t], ", "), strings.Join(Inert[t], ", "))
	}
	return b.String()
}
