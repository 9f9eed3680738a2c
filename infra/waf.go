package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// WAFProps configures the optional per-client throttling.
type WAFProps struct {
	// RateLimit is the most requests one IP address may send in 5 minutes; 0: no web ACL.
	RateLimit int
	Stage     awsapigateway.Stage
}

// WAF is a regional web ACL on the API's stage with one rate-based rule per source IP
// (issue #21): the stage's throttling is shared by every caller, so anyone with unsigned
// requests could spend Slack's share; the web ACL blocks one address that sends more than
// RateLimit requests in 5 minutes before API Gateway or Lambda sees them. Off by default —
// it costs a fixed ≈ $6 a month (README, "Per-client throttling").
type WAF struct {
	ACL         awswafv2.CfnWebACL
	Association awswafv2.CfnWebACLAssociation
}

// NewWAF creates the web ACL "WebACL" and its association "WebACLAssociation" with the
// stage in scope, or nothing (nil) when p.RateLimit is 0.
func NewWAF(scope constructs.Construct, p WAFProps) *WAF {
	if p.RateLimit == 0 {
		return nil
	}
	visibility := func(name string) *awswafv2.CfnWebACL_VisibilityConfigProperty {
		return &awswafv2.CfnWebACL_VisibilityConfigProperty{
			CloudWatchMetricsEnabled: jsii.Bool(true), MetricName: jsii.String(name), SampledRequestsEnabled: jsii.Bool(true),
		}
	}
	acl := awswafv2.NewCfnWebACL(scope, jsii.String("WebACL"), &awswafv2.CfnWebACLProps{
		Scope:            jsii.String("REGIONAL"),
		DefaultAction:    &awswafv2.CfnWebACL_DefaultActionProperty{Allow: &awswafv2.CfnWebACL_AllowActionProperty{}},
		VisibilityConfig: visibility("orderbot-webacl"),
		Rules: &[]any{&awswafv2.CfnWebACL_RuleProperty{
			Name:     jsii.String("per-ip-rate"),
			Priority: jsii.Number(0),
			Action:   &awswafv2.CfnWebACL_RuleActionProperty{Block: &awswafv2.CfnWebACL_BlockActionProperty{}},
			Statement: &awswafv2.CfnWebACL_StatementProperty{RateBasedStatement: &awswafv2.CfnWebACL_RateBasedStatementProperty{
				// Requests per IP in WAF's default 300 s window; AWS's lowest limit is 10
				// (https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html).
				Limit: jsii.Number(float64(p.RateLimit)), AggregateKeyType: jsii.String("IP"),
				EvaluationWindowSec: jsii.Number(300),
			}},
			VisibilityConfig: visibility("orderbot-per-ip-rate"),
		}},
	})
	assoc := awswafv2.NewCfnWebACLAssociation(scope, jsii.String("WebACLAssociation"), &awswafv2.CfnWebACLAssociationProps{
		ResourceArn: p.Stage.StageArn(),
		WebAclArn:   acl.AttrArn(),
	})
	return &WAF{ACL: acl, Association: assoc}
}
