package vtl

import (
	"context"
	"testing"

	"github.com/orderbot/orderbot/local/vtl/apigwcases"
)

// renderCase renders one step of a recorded API Gateway case through the library, with
// the inputs the gateway would give: an empty body becomes "{}" as API Gateway hands it
// to templates.
func renderCase(in apigwcases.Input) (apigwcases.Rendered, error) {
	tpl, err := Parse("case", in.Template)
	if err != nil {
		return apigwcases.Rendered{}, err
	}
	body := in.Body
	if body == "" {
		body = "{}"
	}
	res, err := tpl.Render(context.Background(), Request{Body: body, Header: in.Headers, Query: in.Query,
		Path: in.Path, StageVariables: in.StageVars, Context: in.Context})
	if err != nil {
		return apigwcases.Rendered{}, err
	}
	return apigwcases.Rendered{Output: res.Output, Status: res.Status}, nil
}

// TestConformanceAPIGateway runs every case of vtl-aws-apigw.json (what API Gateway adds
// to Velocity: $input, $util, $context overrides, stage variables, pipelines) and wants
// each to match what AWS recorded.
func TestConformanceAPIGateway(t *testing.T) {
	cases := apigwcases.Load(t)
	pass := 0
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			got, err := c.Run(renderCase)
			if err != nil {
				t.Fatalf("template %q: got error %v, want AWS's output %s", c.Template, err, c.AWSOutput)
			}
			if err := c.Judge(got); err != nil {
				t.Errorf("template %q: %v", c.Template, err)
				return
			}
			pass++
		})
	}
	t.Logf("API Gateway conformance: %d/%d match AWS", pass, len(cases))
	if pass != len(cases) {
		t.Errorf("got %d/%d cases matching AWS, want all", pass, len(cases))
	}
}
