package infra

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/store/dynamo"
)

// TableProps configures the orders table.
type TableProps struct {
	// DeletionProtection is DynamoDB's deletion protection (context tableDeletionProtection).
	DeletionProtection bool
}

// NewTable creates the table the dynamo store keeps everything in, as scope's child
// "Table" (see stack.go on construct ids). It holds users' data: it is retained when the
// stack is deleted or the table replaced.
func NewTable(scope constructs.Construct, p TableProps) awsdynamodb.Table {
	return awsdynamodb.NewTable(scope, jsii.String("Table"), &awsdynamodb.TableProps{
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
		DeletionProtection: jsii.Bool(p.DeletionProtection),
	})
}

// TableActions returns the IAM actions a function with data access a may call on the
// table: exactly the operations the dynamo store makes for that part of the data.
// TestStoreRequestsWithinPolicies replays the store's conformance suite through the
// synthesized policies and checks that the calls made are exactly these.
func TableActions(a api.DataAccess) []string {
	switch a {
	case api.DataOrders:
		// Rounds (UpdateItem, GetItem), history (PutItem, Query), reply claims (PutItem,
		// GetItem, DeleteItem).
		return []string{"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"}
	case api.DataEvents:
		// One conditional PutItem per event.
		return []string{"dynamodb:PutItem"}
	}
	return nil
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
//   - orders: the channels' slots and history (C#…), the claims of deferred replies,
//     which are event records (E#reply#…), and the users' App Home index (U#…), which
//     every order notes its channel in;
//   - events: the event de-duplication records (E#…).
func LeadingKeys(a api.DataAccess) ([]string, error) {
	var prefixes []string
	switch a {
	case api.DataOrders:
		prefixes = []string{dynamo.ChannelKeyPrefix, dynamo.EventKeyPrefix + dynamo.ReplyClaimPrefix, dynamo.UserKeyPrefix}
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

// TableStatement is the grant of data access a on table: TableActions(a), on the items
// whose partition keys match LeadingKeys(a) only.
func TableStatement(table awsdynamodb.ITable, a api.DataAccess) (awsiam.PolicyStatement, error) {
	actions := TableActions(a)
	if len(actions) == 0 {
		return nil, fmt.Errorf("no DynamoDB actions for data %q", a)
	}
	for _, action := range actions {
		if strings.Contains(action, "*") {
			return nil, fmt.Errorf("wildcard action %q", action)
		}
		// ForAllValues is true when the request has no dynamodb:LeadingKeys at all (a Scan),
		// so the condition below only narrows actions that always name a partition key.
		if !slices.Contains(keyedActions, action) {
			return nil, fmt.Errorf("action %q does not always name a partition key, so dynamodb:LeadingKeys cannot narrow it", action)
		}
	}
	leadingKeys, err := LeadingKeys(a)
	if err != nil {
		return nil, err
	}
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("Table"),
		Actions:   jsii.Strings(actions...),
		Resources: jsii.Strings(*table.TableArn()),
		// Only the items of its part of the data: every partition key the request names
		// must match one of the function's key patterns.
		Conditions: &map[string]any{
			LeadingKeysOperator: map[string]any{LeadingKeysConditionKey: leadingKeys},
		},
	}), nil
}
