package infra

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

func TestGitHubStack(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()), Context: &cdkContext})
	s, err := NewGitHubStack(app, "acme/orderbot", "")
	if err != nil {
		t.Fatal(err)
	}
	AddNagPacks(app, &cdknag.NagPackProps{Verbose: jsii.Bool(true)})
	tmpl := assertions.Template_FromStack(s.Stack, nil)
	tmpl.ResourceCountIs(jsii.String("AWS::IAM::OIDCProvider"), jsii.Number(1))
	tmpl.ResourceCountIs(jsii.String("AWS::IAM::Role"), jsii.Number(1))
	tmpl.HasResourceProperties(jsii.String("AWS::IAM::OIDCProvider"), map[string]any{
		"Url": "https://token.actions.githubusercontent.com", "ClientIdList": []any{"sts.amazonaws.com"},
	})
	raw, _ := json.Marshal(tmpl.ToJSON())
	doc := string(raw)
	for _, want := range []string{
		`"repo:acme/orderbot:pull_request"`, `"repo:acme/orderbot:environment:production"`,
		`"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"`, `"sts:AssumeRole"`, `:role/cdk-hnb659fds-*`,
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("CI stack lacks %s", want)
		}
	}
	if strings.Contains(doc, `"repo:acme/orderbot:*"`) || strings.Contains(doc, "ManagedPolicyArns") {
		t.Error("CI role is broader than pull requests and the production environment")
	}
	ann := assertions.Annotations_FromStack(s.Stack)
	for _, m := range messages(ann.FindError(jsii.String("*"), assertions.Match_AnyValue())) {
		t.Errorf("cdk-nag error: %s %s", m.ID, m.Entry.Data)
	}
	for _, m := range messages(ann.FindWarning(jsii.String("*"), assertions.Match_AnyValue())) {
		t.Errorf("cdk-nag warning: %s %s", m.ID, m.Entry.Data)
	}

	app2 := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()), Context: &cdkContext})
	imported, err := NewGitHubStack(app2, "acme/orderbot", "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com")
	if err != nil {
		t.Fatal(err)
	}
	assertions.Template_FromStack(imported.Stack, nil).ResourceCountIs(jsii.String("AWS::IAM::OIDCProvider"), jsii.Number(0))
	for _, bad := range []string{"acme", "acme/orderbot/x", "acme/*", ""} {
		if _, err := NewGitHubStack(awscdk.NewApp(nil), bad, ""); err == nil {
			t.Errorf("repo %q accepted", bad)
		}
	}
}
