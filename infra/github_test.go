package infra

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

const (
	testRepo       = "acme/orderbot"
	testAppStack   = "Orderbot"
	githubSubClaim = "token.actions.githubusercontent.com:sub"
	githubAudClaim = "token.actions.githubusercontent.com:aud"
)

// ciTemplate is the CI stack's template as plain JSON.
type ciTemplate struct {
	Resources map[string]resource `json:"Resources"`
	Outputs   map[string]any      `json:"Outputs"`
}

func synthGitHub(t *testing.T, p GitHubStackProps) (*GitHubStack, assertions.Template, ciTemplate) {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()), Context: &cdkContext})
	s, err := NewGitHubStack(app, p)
	if err != nil {
		t.Fatal(err)
	}
	AddNagPacks(app, &cdknag.NagPackProps{Verbose: jsii.Bool(true), LogIgnores: jsii.Bool(true), Reports: jsii.Bool(false)})
	tmpl := assertions.Template_FromStack(s.Stack, nil)
	raw, err := json.Marshal(tmpl.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var ct ciTemplate
	if err := json.Unmarshal(raw, &ct); err != nil {
		t.Fatal(err)
	}
	return s, tmpl, ct
}

// roleID returns the logical id of the one role whose id starts with prefix.
func (ct ciTemplate) roleID(t *testing.T, prefix string) string {
	t.Helper()
	var ids []string
	for id, r := range ct.Resources {
		if r.Type == "AWS::IAM::Role" && strings.HasPrefix(id, prefix) {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("roles %s*: got %v, want exactly one", prefix, ids)
	}
	return ids[0]
}

// rawStatements returns the statements of every policy attached to role id: its inline
// policies and any AWS::IAM::Policy or ManagedPolicy naming it.
func (ct ciTemplate) rawStatements(id string) []map[string]any {
	var docs []any
	pols, _ := ct.Resources[id].Properties["Policies"].([]any)
	for _, p := range pols {
		docs = append(docs, p.(map[string]any)["PolicyDocument"])
	}
	for _, r := range ct.Resources {
		if (r.Type == "AWS::IAM::Policy" || r.Type == "AWS::IAM::ManagedPolicy") && strings.Contains(render(r.Properties["Roles"]), "<"+id+">") {
			docs = append(docs, r.Properties["PolicyDocument"])
		}
	}
	var out []map[string]any
	for _, d := range docs {
		sts, _ := get(d.(map[string]any), "Statement").([]any)
		for _, s := range sts {
			out = append(out, s.(map[string]any))
		}
	}
	return out
}

// trustAllows evaluates a role's trust policy for a web identity token with these claims:
// whether some Allow statement for sts:AssumeRoleWithWebIdentity matches all its
// conditions. Operators it does not know fail the test instead of guessing.
func trustAllows(t *testing.T, doc map[string]any, claims map[string]string) bool {
	t.Helper()
	sts, _ := doc["Statement"].([]any)
	for _, s := range sts {
		st := s.(map[string]any)
		if st["Effect"] != "Allow" || !slices.Contains(strs(st["Action"]), "sts:AssumeRoleWithWebIdentity") {
			continue
		}
		if conditionHolds(t, st["Condition"], func(key string) []string {
			if v, ok := claims[key]; ok {
				return []string{v}
			}
			return nil
		}) {
			return true
		}
	}
	return false
}

// conditionHolds evaluates an IAM Condition block against the request's context values
// (nil: the key is absent), for the operators these stacks use.
func conditionHolds(t *testing.T, cond any, values func(key string) []string) bool {
	t.Helper()
	if cond == nil {
		return true
	}
	for op, kv := range cond.(map[string]any) {
		for key, want := range kv.(map[string]any) {
			patterns := strs(want)
			got := values(key)
			matchOne := func(v string) bool {
				for _, p := range patterns {
					switch strings.TrimPrefix(strings.TrimPrefix(op, "ForAllValues:"), "ForAnyValue:") {
					case "StringEquals":
						if v == p {
							return true
						}
					case "StringLike":
						if globMatch(p, v) {
							return true
						}
					default:
						t.Fatalf("condition operator %s: not evaluated by this test", op)
					}
				}
				return false
			}
			var ok bool
			switch {
			case strings.HasPrefix(op, "ForAllValues:"):
				// True also when the key is absent: IAM's rule, which is why the table
				// condition only goes with actions that always name a key.
				ok = true
				for _, v := range got {
					ok = ok && matchOne(v)
				}
			case strings.HasPrefix(op, "ForAnyValue:"):
				for _, v := range got {
					ok = ok || matchOne(v)
				}
			default:
				// A single-valued key: absent fails the operator.
				ok = len(got) == 1 && matchOne(got[0])
			}
			if !ok {
				return false
			}
		}
	}
	return true
}

// globMatch is IAM's StringLike: '*' matches any run of characters, '?' any one, and
// nothing else is special.
func globMatch(pattern, s string) bool {
	p, v := []rune(pattern), []rune(s)
	// match[j]: p[:i] matches v[:j], row by row.
	match := make([]bool, len(v)+1)
	match[0] = true
	for i := range p {
		next := make([]bool, len(v)+1)
		for j := 0; j <= len(v); j++ {
			switch {
			case p[i] == '*':
				next[j] = match[j] || (j > 0 && next[j-1])
			case j > 0 && (p[i] == '?' || p[i] == v[j-1]):
				next[j] = match[j-1]
			}
		}
		match = next
	}
	return match[len(v)]
}

func TestGitHubStack(t *testing.T) {
	s, tmpl, ct := synthGitHub(t, GitHubStackProps{Repo: testRepo, AppStackName: testAppStack})
	tmpl.ResourceCountIs(jsii.String("AWS::IAM::OIDCProvider"), jsii.Number(1))
	tmpl.ResourceCountIs(jsii.String("AWS::IAM::Role"), jsii.Number(2))
	tmpl.HasResourceProperties(jsii.String("AWS::IAM::OIDCProvider"), map[string]any{
		"Url": "https://token.actions.githubusercontent.com", "ClientIdList": []any{"sts.amazonaws.com"},
	})
	diff, deploy := ct.roleID(t, "DiffRole"), ct.roleID(t, "DeployRole")
	provider := ""
	for id, r := range ct.Resources {
		if r.Type == "AWS::IAM::OIDCProvider" {
			provider = "<" + id + ".Arn>"
		}
	}

	for _, tc := range []struct {
		name, role, sub string
	}{
		{"diff", diff, "repo:acme/orderbot:pull_request"},
		{"deploy", deploy, "repo:acme/orderbot:environment:production"},
	} {
		t.Run(tc.name+" role trust", func(t *testing.T) {
			doc := ct.Resources[tc.role].Properties["AssumeRolePolicyDocument"].(map[string]any)
			sts := doc["Statement"].([]any)
			if len(sts) != 1 {
				t.Fatalf("trust statements: got %d, want 1", len(sts))
			}
			st := sts[0].(map[string]any)
			if got, want := render(get(st, "Principal", "Federated")), provider; got != want {
				t.Errorf("trusted principal: got %s, want %s", got, want)
			}
			if got, want := strs(st["Action"]), []string{"sts:AssumeRoleWithWebIdentity"}; !slices.Equal(got, want) {
				t.Errorf("trust actions: got %v, want %v", got, want)
			}
			// Exactly one subject, compared as a string: no other operator, no wildcard.
			wantCond := map[string]any{"StringEquals": map[string]any{githubAudClaim: "sts.amazonaws.com", githubSubClaim: tc.sub}}
			if got, want := render(st["Condition"]), render(wantCond); got != want {
				t.Errorf("trust condition: got %s, want %s", got, want)
			}
			// Whatever the condition's form, only that subject gets in.
			for _, sub := range []string{
				"repo:acme/orderbot:pull_request",
				"repo:acme/orderbot:environment:production",
				"repo:acme/orderbot:environment:staging",
				"repo:acme/orderbot:environment:Production",
				"repo:acme/orderbot:ref:refs/heads/main",
				"repo:acme/orderbot:ref:refs/heads/feature",
				"repo:acme/orderbot:ref:refs/tags/v1.0.0",
				"repo:acme/orderbot-fork:pull_request",
				"repo:mallory/orderbot:pull_request",
				"repo:mallory/orderbot:environment:production",
				"repo:acme/orderbot:pull_request:environment:production",
			} {
				claims := map[string]string{githubAudClaim: "sts.amazonaws.com", githubSubClaim: sub}
				if got, want := trustAllows(t, doc, claims), sub == tc.sub; got != want {
					t.Errorf("token with sub %s may assume the role: got %v, want %v", sub, got, want)
				}
			}
			if trustAllows(t, doc, map[string]string{githubAudClaim: "https://github.com/acme", githubSubClaim: tc.sub}) {
				t.Errorf("token with another audience may assume the role: got true, want false")
			}
			if trustAllows(t, doc, map[string]string{githubAudClaim: "sts.amazonaws.com"}) {
				t.Errorf("token without sub may assume the role: got true, want false")
			}
		})
	}

	t.Run("diff role policy", func(t *testing.T) {
		sts := ct.rawStatements(diff)
		var actions, resources []string
		for _, st := range sts {
			if st["Effect"] != "Allow" {
				t.Errorf("statement effect: got %v, want Allow", st["Effect"])
			}
			if st["Condition"] != nil {
				t.Errorf("statement condition: got %s, want none", render(st["Condition"]))
			}
			actions = append(actions, strs(st["Action"])...)
			resources = append(resources, strs(st["Resource"])...)
		}
		slices.Sort(actions)
		if want := []string{"cloudformation:DescribeStacks", "cloudformation:GetTemplate"}; !slices.Equal(actions, want) {
			t.Errorf("diff role actions: got %v, want %v", actions, want)
		}
		forbidden := []string{
			"cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet", "cloudformation:UpdateStack",
			"cloudformation:DeleteStack", "cloudformation:CreateStack", "iam:PassRole",
		}
		for _, a := range actions {
			if slices.Contains(forbidden, a) || strings.Contains(a, "*") {
				t.Errorf("diff role action %s: got allowed, want denied", a)
			}
			// No data: no table items, secrets, objects, parameters, logs or keys.
			if !strings.HasPrefix(a, "cloudformation:") {
				t.Errorf("diff role action %s: got allowed, want only read-only cloudformation actions", a)
			}
		}
		wantRes := []string{
			"arn:<AWS::Partition>:cloudformation:*:<AWS::AccountId>:stack/Orderbot/*",
			"arn:<AWS::Partition>:cloudformation:*:<AWS::AccountId>:stack/" + GitHubStackName + "/*",
		}
		slices.Sort(resources)
		slices.Sort(wantRes)
		if !slices.Equal(resources, wantRes) {
			t.Errorf("diff role resources: got %v, want %v", resources, wantRes)
		}
		// The brief's rule "sts:AssumeRole only on the lookup role" holds trivially: the
		// diff role may assume no role, not even CDK's lookup role, whose ReadOnlyAccess
		// policy reads DynamoDB items, S3 objects and logs account-wide.
		if got := assumable(sts); len(got) != 0 {
			t.Errorf("roles the diff role may assume: got %v, want none", got)
		}
	})

	t.Run("deploy role policy", func(t *testing.T) {
		sts := ct.rawStatements(deploy)
		var actions, resources []string
		for _, st := range sts {
			if st["Effect"] != "Allow" || st["Condition"] != nil {
				t.Errorf("statement: got effect %v condition %v, want Allow without condition", st["Effect"], st["Condition"])
			}
			actions = append(actions, strs(st["Action"])...)
			resources = append(resources, strs(st["Resource"])...)
		}
		slices.Sort(actions)
		if want := []string{"sts:AssumeRole", "sts:TagSession"}; !slices.Equal(actions, want) {
			t.Errorf("deploy role actions: got %v, want %v", actions, want)
		}
		var wantRes []string
		for _, kind := range []string{"deploy", "file-publishing", "image-publishing", "lookup"} {
			wantRes = append(wantRes, "arn:<AWS::Partition>:iam::<AWS::AccountId>:role/cdk-hnb659fds-"+kind+"-role-<AWS::AccountId>-*")
		}
		slices.Sort(resources)
		if !slices.Equal(resources, wantRes) {
			t.Errorf("deploy role resources: got %v, want %v", resources, wantRes)
		}
	})

	t.Run("sts:AssumeRole only on CDK's bootstrap roles", func(t *testing.T) {
		bootstrap := regexp.MustCompile(`^arn:<AWS::Partition>:iam::<AWS::AccountId>:role/cdk-hnb659fds-(deploy|file-publishing|image-publishing|lookup)-role-<AWS::AccountId>-\*$`)
		for id, r := range ct.Resources {
			if r.Type != "AWS::IAM::Role" {
				continue
			}
			if r.Properties["ManagedPolicyArns"] != nil {
				t.Errorf("%s: managed policies: got %v, want none", id, r.Properties["ManagedPolicyArns"])
			}
			for _, res := range assumable(ct.rawStatements(id)) {
				if res == "*" || !bootstrap.MatchString(res) {
					t.Errorf("%s: sts:AssumeRole on %s: got allowed, want only CDK's bootstrap roles of this account", id, res)
				}
			}
		}
	})

	for out, role := range map[string]string{"DiffRoleArn": diff, "DeployRoleArn": deploy} {
		if got, want := render(get(ct.Outputs, out, "Value")), "<"+role+".Arn>"; got != want {
			t.Errorf("output %s: got %s, want %s", out, got, want)
		}
	}

	ann := assertions.Annotations_FromStack(s.Stack)
	for _, m := range messages(ann.FindError(jsii.String("*"), assertions.Match_AnyValue())) {
		t.Errorf("cdk-nag error: %s %s", m.ID, m.Entry.Data)
	}
	for _, m := range messages(ann.FindWarning(jsii.String("*"), assertions.Match_AnyValue())) {
		t.Errorf("cdk-nag warning: %s %s", m.ID, m.Entry.Data)
	}
	for _, sup := range s.Suppressions {
		if sup.Rule != "AwsSolutions-IAM5" || len(sup.AppliesTo) == 0 {
			t.Errorf("suppression %s %s: got %v, want IAM5 for named findings only", sup.Path, sup.Rule, sup.AppliesTo)
		}
	}
	checkSuppressionsUsed(t, ann, s.Suppressions)

	app2 := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()), Context: &cdkContext})
	imported, err := NewGitHubStack(app2, GitHubStackProps{Repo: testRepo, AppStackName: testAppStack,
		ProviderARN: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"})
	if err != nil {
		t.Fatal(err)
	}
	assertions.Template_FromStack(imported.Stack, nil).ResourceCountIs(jsii.String("AWS::IAM::OIDCProvider"), jsii.Number(0))
	for _, bad := range []string{"acme", "acme/orderbot/x", "acme/*", ""} {
		if _, err := NewGitHubStack(awscdk.NewApp(nil), GitHubStackProps{Repo: bad, AppStackName: testAppStack}); err == nil {
			t.Errorf("repo %q: got accepted, want an error", bad)
		}
	}
	for _, bad := range []string{"", "*", "Orderbot/*", "1stack", "Order_bot"} {
		if _, err := NewGitHubStack(awscdk.NewApp(nil), GitHubStackProps{Repo: testRepo, AppStackName: bad}); err == nil {
			t.Errorf("app stack name %q: got accepted, want an error", bad)
		}
	}
}

// The app defines the CI stack with the diff role scoped to the app's own stack name.
func TestAppGitHubStack(t *testing.T) {
	ctx := map[string]any{}
	for k, v := range cdkContext {
		ctx[k] = v
	}
	ctx[KeyBuildDir] = buildDir
	ctx[KeyGitHubRepo] = testRepo
	ctx[KeyStackName] = "OrderbotStaging"
	app, _, err := NewApp(AppOptions{Context: ctx, Outdir: t.TempDir(), Nag: &cdknag.NagPackProps{Reports: jsii.Bool(false)}})
	if err != nil {
		t.Fatal(err)
	}
	child := app.Node().TryFindChild(jsii.String(GitHubStackName))
	if child == nil {
		t.Fatalf("app children: got no stack %s, want one", GitHubStackName)
	}
	ci := awscdk.Stack_Of(child)
	raw, _ := json.Marshal(assertions.Template_FromStack(ci, nil).ToJSON())
	if got, want := string(raw), ":stack/OrderbotStaging/*"; !strings.Contains(got, want) {
		t.Errorf("CI stack: got no %s, want the diff role to read the app's stack", want)
	}
}

// assumable returns the resources on which statements allow sts:AssumeRole (or an action
// pattern that covers it).
func assumable(sts []map[string]any) []string {
	var out []string
	for _, st := range sts {
		if st["Effect"] != "Allow" {
			continue
		}
		for _, a := range strs(st["Action"]) {
			if a == "*" || a == "sts:*" || a == "sts:AssumeRole" || (strings.Contains(a, "*") && globMatch(a, "sts:AssumeRole")) {
				out = append(out, strs(st["Resource"])...)
				break
			}
		}
	}
	return out
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"C#*", "C#T1#C1", true}, {"C#*", "C#", true}, {"C#*", "E#C#x", false},
		{"E#reply#*", "E#reply#r1", true}, {"E#reply#*", "E#Ev1", false}, {"E#reply#*", "E#reply", false},
		{"a?c", "abc", true}, {"a?c", "ac", false}, {"*", "", true}, {"", "", true}, {"", "a", false},
		{"a/b*", "a/bc", true}, {"[a]", "a", false},
	} {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q): got %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}
