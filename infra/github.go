package infra

import (
	"fmt"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// GitHubStackName is the CI stack's name: `npx cdk deploy OrderbotGitHubOidc -c githubRepo=o/r`.
const GitHubStackName = "OrderbotGitHubOidc"

// GitHub's OIDC issuer and the audience aws-actions/configure-aws-credentials asks for.
const (
	githubIssuer   = "token.actions.githubusercontent.com"
	githubAudience = "sts.amazonaws.com"
	// CDK's default bootstrap qualifier: the roles `cdk deploy` and `cdk diff` assume.
	cdkQualifier = "hnb659fds"
)

// GitHubDeployEnvironment is the GitHub environment the deploy workflow runs in; only it
// and pull requests may assume the role.
const GitHubDeployEnvironment = "production"

var repoPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)

// GitHubStack lets one repository's workflows run `cdk diff` and `cdk deploy`: GitHub's
// OIDC provider (or an existing one) and a role that only pull requests and the
// production environment of that repository can assume, and that can do nothing but
// assume CDK's bootstrap roles — which hold the actual deploy permissions.
type GitHubStack struct {
	awscdk.Stack
	Role         awsiam.Role
	Suppressions []Suppression
}

// NewGitHubStack creates the CI stack for repo ("owner/name"). providerARN imports an
// existing GitHub OIDC provider (an account has at most one per issuer); empty creates it.
func NewGitHubStack(scope constructs.Construct, repo, providerARN string) (*GitHubStack, error) {
	if !repoPattern.MatchString(repo) {
		return nil, fmt.Errorf("context %s: %q is not owner/name", KeyGitHubRepo, repo)
	}
	s := &GitHubStack{Stack: awscdk.NewStack(scope, jsii.String(GitHubStackName), &awscdk.StackProps{
		Description: jsii.String("orderbot CI: GitHub OIDC and the deploy role for " + repo),
	})}
	if providerARN == "" {
		p := awsiam.NewCfnOIDCProvider(s.Stack, jsii.String("GitHubOidc"), &awsiam.CfnOIDCProviderProps{
			Url:          jsii.String("https://" + githubIssuer),
			ClientIdList: jsii.Strings(githubAudience),
		})
		providerARN = *p.AttrArn()
	}
	s.Role = awsiam.NewRole(s.Stack, jsii.String("DeployRole"), &awsiam.RoleProps{
		Description: jsii.String("cdk diff / cdk deploy of orderbot from GitHub Actions in " + repo),
		AssumedBy: awsiam.NewWebIdentityPrincipal(jsii.String(providerARN), &map[string]any{
			"StringEquals": map[string]any{githubIssuer + ":aud": githubAudience},
			"ForAnyValue:StringEquals": map[string]any{githubIssuer + ":sub": []string{
				"repo:" + repo + ":pull_request",
				"repo:" + repo + ":environment:" + GitHubDeployEnvironment,
			}},
		}),
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"cdk": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
			Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:     jsii.String("AssumeCdkBootstrapRoles"),
				Actions: jsii.Strings("sts:AssumeRole", "sts:TagSession"),
				Resources: jsii.Strings(*awscdk.Stack_Of(s.Stack).FormatArn(&awscdk.ArnComponents{
					Service: jsii.String("iam"), Region: jsii.String(""), Resource: jsii.String("role"),
					ResourceName: jsii.String("cdk-" + cdkQualifier + "-*"),
				})),
			})},
		})},
	})
	reason := "The role may only assume the CDK bootstrap roles of this account (cdk-" + cdkQualifier +
		"-deploy/file-publishing/image-publishing/lookup-role-<account>-<region>), whose names vary by region; " +
		"those roles carry the deploy permissions."
	cdknag.NagSuppressions_AddResourceSuppressions(s.Role, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"), Reason: jsii.String(reason),
		AppliesTo: &[]any{"Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/cdk-" + cdkQualifier + "-*"},
	}}, jsii.Bool(true))
	s.Suppressions = append(s.Suppressions, Suppression{Path: *s.Role.Node().Path(), Rule: "AwsSolutions-IAM5", Reason: reason})
	awscdk.NewCfnOutput(s.Stack, jsii.String("DeployRoleArn"), &awscdk.CfnOutputProps{
		Value:       s.Role.RoleArn(),
		Description: jsii.String("Set as the repository variable AWS_DEPLOY_ROLE_ARN (with AWS_REGION)"),
	})
	return s, nil
}
