package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// AppOptions are what differs between `cdk synth` and the tests.
type AppOptions struct {
	// Context is added to the app's context (the CLI passes cdk.json's through the
	// environment; tests pass theirs here).
	Context map[string]any
	// Outdir is the cloud assembly directory; empty lets the CLI choose.
	Outdir string
	// Nag configures the cdk-nag packs; nil means verbose, with reports.
	Nag *cdknag.NagPackProps
}

// NewApp builds the app with its stack (and, with context githubRepo, the CI stack) and the
// cdk-nag packs.
func NewApp(o AppOptions) (awscdk.App, *Stack, error) {
	props := &awscdk.AppProps{}
	if o.Context != nil {
		props.Context = &o.Context
	}
	if o.Outdir != "" {
		props.Outdir = jsii.String(o.Outdir)
	}
	app := awscdk.NewApp(props)
	cfg, err := ConfigFrom(app)
	if err != nil {
		return nil, nil, err
	}
	// No env: the stack is environment-agnostic, so synth needs no account or credentials
	// and deploy uses the caller's account and region.
	stack, err := NewStack(app, cfg, nil)
	if err != nil {
		return nil, nil, err
	}
	if cfg.GitHubRepo != "" {
		if _, err := NewGitHubStack(app, GitHubStackProps{
			Repo: cfg.GitHubRepo, ProviderARN: cfg.GitHubProviderARN, AppStackName: cfg.StackName,
		}); err != nil {
			return nil, nil, err
		}
	}
	nag := o.Nag
	if nag == nil {
		nag = &cdknag.NagPackProps{Verbose: jsii.Bool(true)}
	}
	AddNagPacks(app, nag)
	return app, stack, nil
}
