package infra

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderbot/orderbot/lambdas/api"
)

// ResponseContentType is the content type of every integration response: Slack reads the
// 200 body as a message, and the error bodies are JSON too.
const ResponseContentType = "application/json"

// AccessLogFormat is the stage's access-log line. It lives in lambdas/api because the local
// gateway writes the same line per request.
func AccessLogFormat() string { return api.AccessLogFormat }

// RestAPIProps configures the REST API and its one stage.
type RestAPIProps struct {
	Name              string // the API's name (the stack's)
	StageName         string
	LogRetention      awslogs.RetentionDays // of the access log
	ExecutionLogLevel string                // ERROR or INFO
	ThrottleRate      float64               // requests per second
	ThrottleBurst     float64
	// AccountRole creates API Gateway's account-wide CloudWatch role (context
	// apiGatewayCloudWatchRole).
	AccountRole bool
	Alarms      *Alarms
}

// RestAPI is the REST API with its stage, access log, 5XX alarm and, when managed here, the
// account's CloudWatch role. AddRoute adds a route's method.
type RestAPI struct {
	Api        awsapigateway.RestApi
	AccessLogs awslogs.LogGroup
	// CloudWatchRole is nil without RestAPIProps.AccountRole.
	CloudWatchRole awsiam.Role
	Methods        map[string]awsapigateway.Method // by route path
	// BaseURL is the stage's URL, no trailing slash.
	BaseURL *string
	Alarm   awscloudwatch.Alarm
}

// NewRestAPI creates the API in scope under the ids "Api", "AccessLogs", "Api5xx" and, with
// AccountRole, "ApiGatewayCloudWatchRole" and "ApiGatewayAccount" (see stack.go on
// construct ids).
func NewRestAPI(scope constructs.Construct, p RestAPIProps) *RestAPI {
	a := &RestAPI{Methods: map[string]awsapigateway.Method{}}
	a.AccessLogs = awslogs.NewLogGroup(scope, jsii.String("AccessLogs"), &awslogs.LogGroupProps{
		Retention: p.LogRetention,
	})
	a.Api = awsapigateway.NewRestApi(scope, jsii.String("Api"), &awsapigateway.RestApiProps{
		RestApiName:   jsii.String(p.Name),
		Description:   jsii.String("orderbot: Slack slash commands and events"),
		EndpointTypes: &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		// The role is created below with an inline policy instead of CDK's managed policy.
		CloudWatchRole: jsii.Bool(false),
		DeployOptions: &awsapigateway.StageOptions{
			StageName:            jsii.String(p.StageName),
			AccessLogDestination: awsapigateway.NewLogGroupLogDestination(a.AccessLogs),
			AccessLogFormat:      awsapigateway.AccessLogFormat_Custom(jsii.String(AccessLogFormat())),
			LoggingLevel:         awsapigateway.MethodLoggingLevel(p.ExecutionLogLevel),
			// Data trace would log request bodies: Slack user text and signatures.
			DataTraceEnabled:     jsii.Bool(false),
			MetricsEnabled:       jsii.Bool(true),
			TracingEnabled:       jsii.Bool(true),
			ThrottlingRateLimit:  jsii.Number(p.ThrottleRate),
			ThrottlingBurstLimit: jsii.Number(p.ThrottleBurst),
		},
	})
	// RestApi adds an "Endpoint" output with a trailing slash; the stack's ApiUrl output
	// replaces it so that scripts have one stable name to read.
	a.Api.Node().TryRemoveChild(jsii.String("Endpoint"))
	// Built here rather than with RestApi.urlForPath so that it has no trailing slash and
	// manifest.URL joins paths to it the same way for the outputs and the manifest.
	stack := awscdk.Stack_Of(scope)
	a.BaseURL = jsii.String("https://" + *a.Api.RestApiId() + ".execute-api." + *stack.Region() + "." +
		*stack.UrlSuffix() + "/" + p.StageName)
	if p.AccountRole {
		a.CloudWatchRole = newCloudWatchRole(scope, a)
	}
	// Bad input answers 4xx by contract, so any 5xx is a fault of ours.
	a.Alarm = p.Alarms.Over(scope, "Api5xx", a.Api.MetricServerError(&awscloudwatch.MetricOptions{
		Period: awscdk.Duration_Minutes(jsii.Number(1)), Statistic: jsii.String("Sum"),
	}), 0, "orderbot API: 5XX responses")
	return a
}

// newCloudWatchRole sets the account's API Gateway CloudWatch role, without which a stage
// with execution or access logging fails to deploy. The setting is per account and region,
// so the role may serve other APIs' log groups too; both are retained on stack deletion
// (as CDK does for its own role) so that deleting this stack does not break their logging.
func newCloudWatchRole(scope constructs.Construct, a *RestAPI) awsiam.Role {
	logsArn := func(resource string) *string {
		return awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("logs"), Resource: jsii.String("log-group"),
			ResourceName: jsii.String(resource), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})
	}
	role := awsiam.NewRole(scope, jsii.String("ApiGatewayCloudWatchRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("apigateway.amazonaws.com"), nil),
		Description: jsii.String("API Gateway account role: writes execution and access logs"),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"logs": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
			// The actions of AWS's AmazonAPIGatewayPushToCloudWatchLogs, listed instead of
			// attaching that managed policy, and on log groups instead of "*".
			Statements: &[]awsiam.PolicyStatement{
				awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
					Sid: jsii.String("WriteLogs"),
					Actions: jsii.Strings("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
						"logs:DescribeLogStreams", "logs:GetLogEvents", "logs:FilterLogEvents"),
					Resources: &[]*string{
						// Execution logs: API Gateway names and creates these groups itself.
						logsArn("API-Gateway-Execution-Logs_*"),
						a.AccessLogs.LogGroupArn(),
					},
				}),
				awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
					Sid:       jsii.String("FindLogGroups"),
					Actions:   jsii.Strings("logs:DescribeLogGroups"),
					Resources: &[]*string{logsArn("*")},
				}),
			},
		})},
	})
	role.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN)
	account := awsapigateway.NewCfnAccount(scope, jsii.String("ApiGatewayAccount"), &awsapigateway.CfnAccountProps{
		CloudWatchRoleArn: role.RoleArn(),
	})
	account.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)
	account.Node().AddDependency(role)
	// The stage's logging settings are rejected until the account has the role.
	a.Api.DeploymentStage().Node().AddDependency(account)
	return role
}

// AddRoute adds the route's method with a non-proxy integration: the request template turns
// Slack's request into api.Event, and the integration responses turn handler errors into
// statuses with bodies that say nothing about the failure.
func (a *RestAPI) AddRoute(fn *RouteFunction) error {
	r := fn.Route
	tmpl, err := api.Template(r.RequestTemplate)
	if err != nil {
		return err
	}
	if r.ContentType == "" {
		return fmt.Errorf("route %s: no content type", r.Path)
	}
	var intResponses []*awsapigateway.IntegrationResponse
	var methodResponses []*awsapigateway.MethodResponse
	for _, ir := range r.IntegrationResponses() {
		status := jsii.String(strconv.Itoa(ir.StatusCode))
		resp := &awsapigateway.IntegrationResponse{
			StatusCode:        status,
			ResponseTemplates: &map[string]*string{ResponseContentType: jsii.String(ir.Template)},
		}
		if ir.SelectionPattern != "" {
			resp.SelectionPattern = jsii.String(ir.SelectionPattern)
		}
		intResponses = append(intResponses, resp)
		methodResponses = append(methodResponses, &awsapigateway.MethodResponse{
			StatusCode:     status,
			ResponseModels: &map[string]awsapigateway.IModel{ResponseContentType: awsapigateway.Model_EMPTY_MODEL()},
		})
	}
	integration := awsapigateway.NewLambdaIntegration(fn.Function, &awsapigateway.LambdaIntegrationOptions{
		Proxy: jsii.Bool(false),
		// Only Slack's content type has a template; NEVER answers anything else with 415
		// instead of handing the raw body to the handler.
		RequestTemplates:     &map[string]*string{r.ContentType: jsii.String(tmpl)},
		PassthroughBehavior:  awsapigateway.PassthroughBehavior_NEVER,
		Timeout:              awscdk.Duration_Millis(jsii.Number(float64(api.IntegrationTimeout.Milliseconds()))),
		IntegrationResponses: &intResponses,
		// No console test-invoke permission: one fewer principal that can call the function.
		AllowTestInvoke: jsii.Bool(false),
	})
	resource := a.Api.Root().ResourceForPath(jsii.String(r.Path))
	a.Methods[r.Path] = resource.AddMethod(jsii.String(r.Method), integration, &awsapigateway.MethodOptions{
		// Slack authenticates with an HMAC signature that the handler verifies.
		AuthorizationType: awsapigateway.AuthorizationType_NONE,
		OperationName:     jsii.String(r.Function),
		MethodResponses:   &methodResponses,
	})
	return nil
}
