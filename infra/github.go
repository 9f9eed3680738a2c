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
	// CDK's default bootstrap qualifier: the roles `cdk deploy` assumes.
	cdkQualifier = "hnb659fds"
)

// GitHubDeployEnvironment is the GitHub environment the deploy workflow runs in; only its
// jobs may assume the deploy role.
const GitHubDeployEnvironment = "production"

// CDKBootstrapRoles are the bootstrap roles (cdk-<qualifier>-<kind>-role-<account>-<region>)
// the deploy role may assume: `cdk deploy` deploys with the deploy role, publishes assets
// with the publishing roles and reads context and the deployed template with the lookup role.
var CDKBootstrapRoles = []string{"deploy", "file-publishing", "image-publishing", "lookup"}

// The only CloudFormation calls `cdk diff --method=template` makes with the diff role
// (DescribeStacks to find the stack, GetTemplate to read it): it reads no nested stacks
// (none here), creates no change set and publishes nothing.
var diffActions = []string{"cloudformation:DescribeStacks", "cloudformation:GetTemplate"}

var (
	repoPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	// CloudFormation's stack names; the diff role's resources are built from it.
	stackNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,127}$`)
)

// GitHubPullRequestSubject is the subject ("sub") of the OIDC token of a repo's workflow
// job run for a pull request (without an environment).
func GitHubPullRequestSubject(repo string) string { return "repo:" + repo + ":pull_request" }

// GitHubEnvironmentSubject is the subject of the OIDC token of a repo's job that runs in
// environment env; GitHub issues it only once the environment's protection rules passed.
func GitHubEnvironmentSubject(repo, env string) string {
	return "repo:" + repo + ":environment:" + env
}

// GitHubStackProps configures the CI stack.
type GitHubStackProps struct {
	// Repo is the repository ("owner/name") whose workflows may assume the roles.
	Repo string
	// ProviderARN imports an existing GitHub OIDC provider (an account has at most one per
	// issuer); empty creates it.
	ProviderARN string
	// AppStackName is the app's stack, whose deployed template the diff role may read.
	AppStackName string
}

// GitHubStack lets one repository's workflows run `cdk diff` and `cdk deploy` with
// GitHub's OIDC token (from GitHub's OIDC provider, or an existing one), through two roles:
//   - the diff role, for the repository's pull requests: it can read the deployed
//     templates of this app's stacks and nothing else, so that code from any branch can
//     show a diff but neither deploy nor read data. It cannot assume CDK's lookup role,
//     whose ReadOnlyAccess would let it read the table's items and every other resource
//     of the account.
//   - the deploy role, for the repository's production environment only, so that every
//     deploy passes the environment's protection rules (required reviewers, branches):
//     it can do nothing but assume CDK's bootstrap roles, which hold the deploy permissions.
type GitHubStack struct {
	awscdk.Stack
	DiffRole     awsiam.Role
	DeployRole   awsiam.Role
	Suppressions []Suppression
}

// NewGitHubStack creates the CI stack.
func NewGitHubStack(scope constructs.Construct, p GitHubStackProps) (*GitHubStack, error) {
	if !repoPattern.MatchString(p.Repo) {
		return nil, fmt.Errorf("context %s: %q is not owner/name", KeyGitHubRepo, p.Repo)
	}
	if !stackNamePattern.MatchString(p.AppStackName) {
		return nil, fmt.Errorf("CI stack: app stack name %q is not a CloudFormation stack name", p.AppStackName)
	}
	s := &GitHubStack{Stack: awscdk.NewStack(scope, jsii.String(GitHubStackName), &awscdk.StackProps{
		Description: jsii.String("orderbot CI: GitHub OIDC, the diff role for pull requests and the deploy role for the " +
			GitHubDeployEnvironment + " environment of " + p.Repo),
	})}
	providerARN := p.ProviderARN
	if providerARN == "" {
		prov := awsiam.NewCfnOIDCProvider(s.Stack, jsii.String("GitHubOidc"), &awsiam.CfnOIDCProviderProps{
			Url:          jsii.String("https://" + githubIssuer),
			ClientIdList: jsii.Strings(githubAudience),
		})
		providerARN = *prov.AttrArn()
	}
	// Exactly one subject each: StringEquals on the single-valued sub claim, no wildcards.
	trust := func(subject string) awsiam.IPrincipal {
		return awsiam.NewWebIdentityPrincipal(jsii.String(providerARN), &map[string]any{
			"StringEquals": map[string]any{
				githubIssuer + ":aud": githubAudience,
				githubIssuer + ":sub": subject,
			},
		})
	}
	s.addDiffRole(p, trust(GitHubPullRequestSubject(p.Repo)))
	s.addDeployRole(p, trust(GitHubEnvironmentSubject(p.Repo, GitHubDeployEnvironment)))

	awscdk.NewCfnOutput(s.Stack, jsii.String("DiffRoleArn"), &awscdk.CfnOutputProps{
		Value:       s.DiffRole.RoleArn(),
		Description: jsii.String("Set as the repository variable AWS_DIFF_ROLE_ARN: pull requests run cdk diff with it"),
	})
	awscdk.NewCfnOutput(s.Stack, jsii.String("DeployRoleArn"), &awscdk.CfnOutputProps{
		Value:       s.DeployRole.RoleArn(),
		Description: jsii.String("Set as the repository variable AWS_DEPLOY_ROLE_ARN (with AWS_REGION): the " + GitHubDeployEnvironment + " environment deploys with it"),
	})
	return s, nil
}

// addDiffRole creates the diff role: DescribeStacks and GetTemplate on this app's stacks.
// A stack's ARN ends in an id CloudFormation assigns, and the stacks may live in any region.
func (s *GitHubStack) addDiffRole(p GitHubStackProps, trust awsiam.IPrincipal) {
	var stackARNs, stackFindings []string
	for _, name := range []string{p.AppStackName, GitHubStackName} {
		stackARNs = append(stackARNs, *s.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("cloudformation"), Region: jsii.String("*"),
			Resource: jsii.String("stack"), ResourceName: jsii.String(name + "/*"),
		}))
		stackFindings = append(stackFindings, "Resource::arn:<AWS::Partition>:cloudformation:*:<AWS::AccountId>:stack/"+name+"/*")
	}
	s.DiffRole = awsiam.NewRole(s.Stack, jsii.String("DiffRole"), &awsiam.RoleProps{
		Description: jsii.String("cdk diff of orderbot from pull requests of " + p.Repo + ": reads the deployed templates only"),
		AssumedBy:   trust,
		// `cdk diff` takes seconds to minutes.
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"diff": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
			Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("ReadDeployedTemplates"),
				Actions:   jsii.Strings(diffActions...),
				Resources: jsii.Strings(stackARNs...),
			})},
		})},
	})
	s.suppressIAM5(s.DiffRole, "A stack's ARN ends in the unique id CloudFormation gives it when it is created, so the "+
		"diff role names this app's stacks by name and any id; the stacks may be deployed in any region. "+
		"It may only describe them and read their templates.", stackFindings)
}

// addDeployRole creates the deploy role: sts:AssumeRole on CDK's bootstrap roles of this
// account only.
func (s *GitHubStack) addDeployRole(p GitHubStackProps, trust awsiam.IPrincipal) {
	var roleARNs, roleFindings []string
	for _, kind := range CDKBootstrapRoles {
		prefix := "cdk-" + cdkQualifier + "-" + kind + "-role-"
		roleARNs = append(roleARNs, *s.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("iam"), Region: jsii.String(""), Resource: jsii.String("role"),
			ResourceName: jsii.String(prefix + *awscdk.Aws_ACCOUNT_ID() + "-*"),
		}))
		roleFindings = append(roleFindings, "Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/"+prefix+"<AWS::AccountId>-*")
	}
	s.DeployRole = awsiam.NewRole(s.Stack, jsii.String("DeployRole"), &awsiam.RoleProps{
		Description:        jsii.String("cdk deploy of orderbot from the " + GitHubDeployEnvironment + " environment of " + p.Repo),
		AssumedBy:          trust,
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
		InlinePolicies: &map[string]awsiam.PolicyDocument{"cdk": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
			Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("AssumeCdkBootstrapRoles"),
				Actions:   jsii.Strings("sts:AssumeRole", "sts:TagSession"),
				Resources: jsii.Strings(roleARNs...),
			})},
		})},
	})
	s.suppressIAM5(s.DeployRole, "The deploy role may only assume this account's CDK bootstrap roles "+
		"(cdk-"+cdkQualifier+"-<kind>-role-<account>-<region>), whose names end in the region the app is "+
		"deployed to; those roles carry the deploy permissions.", roleFindings)
}

// suppressIAM5 accepts the wildcard resources findings of role's policy, exactly those.
func (s *GitHubStack) suppressIAM5(role awsiam.Role, reason string, findings []string) {
	appliesTo := make([]any, len(findings))
	for i, f := range findings {
		appliesTo[i] = f
	}
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"), Reason: jsii.String(reason), AppliesTo: &appliesTo,
	}}, jsii.Bool(true))
	// The findings are reported on the role's CloudFormation resource.
	s.Suppressions = append(s.Suppressions, Suppression{Path: *role.Node().DefaultChild().Node().Path(), Rule: "AwsSolutions-IAM5", AppliesTo: findings, Reason: reason})
}
