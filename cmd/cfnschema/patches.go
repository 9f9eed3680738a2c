package main

import (
	"fmt"
	"strings"
)

// The registry's schemas leave many documented constraints out: AWS::DynamoDB::Table's
// BillingMode, for one, is just {"type": "string"}, so "PAY_PER_USE" passes them and
// fails only at deploy. cfn-lint fills such gaps from the service APIs' models; here a
// short, reviewed list does it for the types this project's stacks use, each value
// taken from the service's API reference. A keyword is added only where the registry
// states none (so a later registry schema wins), and a patch whose place no longer
// exists in the schema is an error, so that an upgrade of rain cannot drop it silently.
var patches = []struct {
	typ, ptr string
	add      map[string]any
}{
	{"AWS::DynamoDB::Table", "/properties/BillingMode", enum("PROVISIONED", "PAY_PER_REQUEST")},
	{"AWS::DynamoDB::Table", "/definitions/KeySchema/properties/KeyType", enum("HASH", "RANGE")},
	{"AWS::DynamoDB::Table", "/definitions/AttributeDefinition/properties/AttributeType", enum("S", "N", "B")},
	{"AWS::DynamoDB::Table", "/definitions/StreamSpecification/properties/StreamViewType",
		enum("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")},
	{"AWS::Lambda::Function", "/properties/MemorySize", map[string]any{"minimum": 128, "maximum": 10240}},
	{"AWS::Lambda::Function", "/properties/Timeout", map[string]any{"maximum": 900}},
	{"AWS::ApiGateway::Stage", "/definitions/MethodSetting/properties/LoggingLevel", enum("OFF", "ERROR", "INFO")},
	{"AWS::ApiGateway::Method", "/properties/HttpMethod",
		enum("ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")},
	{"AWS::ApiGateway::Method", "/properties/AuthorizationType", enum("NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS")},
	{"AWS::ApiGateway::RestApi", "/definitions/EndpointConfiguration/properties/Types/items",
		enum("EDGE", "REGIONAL", "PRIVATE")},
	{"AWS::CloudWatch::Alarm", "/properties/ComparisonOperator", enum(
		"GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold",
		"LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold")},
	{"AWS::CloudWatch::Alarm", "/properties/Statistic", enum("SampleCount", "Average", "Sum", "Minimum", "Maximum")},
	{"AWS::CloudWatch::Alarm", "/properties/TreatMissingData", enum("breaching", "notBreaching", "ignore", "missing")},
	{"AWS::SNS::Subscription", "/properties/Protocol",
		enum("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose")},
}

func enum(values ...string) map[string]any {
	list := make([]any, len(values))
	for i, v := range values {
		list[i] = v
	}
	return map[string]any{"enum": list}
}

// patch applies the patches of typ to its schema root.
func patch(typ string, root map[string]any) error {
	for _, p := range patches {
		if p.typ != typ {
			continue
		}
		var node any = root
		for _, tok := range strings.Split(strings.TrimPrefix(p.ptr, "/"), "/") {
			m, ok := node.(map[string]any)
			if !ok {
				node = nil
				break
			}
			node = m[tok]
		}
		target, ok := node.(map[string]any)
		if !ok {
			return fmt.Errorf("patch of %s: no subschema at %s (update cmd/cfnschema/patches.go)", typ, p.ptr)
		}
		for k, v := range p.add {
			if _, exists := target[k]; !exists {
				target[k] = v
			}
		}
	}
	return nil
}
