package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderbot/orderbot/lambdas/store/dynamo"
)

// HomeActions are what the events function does to publish a user's App Home
// (orders.Service.Home): it reads the user's Home index (GetItem on U#…) and, for each
// channel in it, the open round and the closed ones (GetItem, Query on C#…). Reads only.
var HomeActions = []string{"dynamodb:GetItem", "dynamodb:Query"}

// HomeLeadingKeys are the partition keys the Home reads: the channels' rounds and the
// users' Home index.
func HomeLeadingKeys() []string {
	return []string{dynamo.ChannelKeyPrefix + "*", dynamo.UserKeyPrefix + "*"}
}

// HomeStatement is the events function's second table statement: HomeActions on
// HomeLeadingKeys only, so its write (the event record, Table) stays on E#… and these
// reads never become writes.
func HomeStatement(table awsdynamodb.ITable) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("Home"),
		Actions:    jsii.Strings(HomeActions...),
		Resources:  jsii.Strings(*table.TableArn()),
		Conditions: &map[string]any{LeadingKeysOperator: map[string]any{LeadingKeysConditionKey: HomeLeadingKeys()}},
	})
}
