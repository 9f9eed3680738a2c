package iam_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orderbot/orderbot/local/cfn"
	"github.com/orderbot/orderbot/local/cfn/cfntest"
	"github.com/orderbot/orderbot/local/iam"
)

func TestMain(m *testing.M) { os.Exit(cfntest.Main(m)) }

const stack = "Orderbot"

func load(t *testing.T) (*iam.Model, *cfn.Stack, cfn.Template) {
	t.Helper()
	dir := cfntest.Default(t)
	s, err := cfn.Load(dir, stack)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, stack+".template.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tpl cfn.Template
	if err := json.Unmarshal(b, &tpl); err != nil {
		t.Fatal(err)
	}
	m, err := iam.FromTemplate(tpl, s)
	if err != nil {
		t.Fatal(err)
	}
	return m, s, tpl
}

const (
	arn   = "arn:aws:"
	local = cfn.Region + ":" + cfn.Account + ":"
)

// call evaluates one call of function fn by its role's identity-based policies.
func call(t *testing.T, m *iam.Model, fn, action, resource string, ctx map[string][]string) (iam.Request, iam.Decision) {
	t.Helper()
	f := m.Functions[fn]
	if f == nil {
		t.Fatalf("no function %s", fn)
	}
	req := iam.Request{Principal: f.Role.Principal(fn), Action: action, Resource: resource, Context: ctx}
	return req, iam.Evaluate(req, f.Role.Policies, nil)
}

// The calls the functions make, as the synthesized template allows them, and their
// neighbours it does not.
func TestTemplateRoles(t *testing.T) {
	m, s, _ := load(t)
	var secret, table string
	for _, v := range s.Secrets {
		secret = v
	}
	for _, v := range s.Tables {
		table = arn + "dynamodb:" + local + "table/" + v.Name
	}
	lk := func(keys ...string) map[string][]string { return map[string][]string{"dynamodb:LeadingKeys": keys} }
	cases := []struct {
		fn, action, resource string
		ctx                  map[string][]string
		allowed              bool
	}{
		{"Orderbot-order-update", "secretsmanager:GetSecretValue", secret, nil, true},
		{"Orderbot-events", "secretsmanager:GetSecretValue", secret, nil, true},
		{"Orderbot-order-update", "secretsmanager:GetSecretValue", secret + "x", nil, false},
		{"Orderbot-order-update", "dynamodb:UpdateItem", table, lk("C#T1#C1"), true},
		{"Orderbot-order-update", "dynamodb:PutItem", table, lk("E#reply#r1"), true},
		{"Orderbot-order-update", "dynamodb:PutItem", table, lk("E#ev1"), false},
		{"Orderbot-order-update", "dynamodb:Scan", table, nil, false},
		{"Orderbot-events", "dynamodb:PutItem", table, lk("E#ev1"), true},
		{"Orderbot-events", "dynamodb:PutItem", table, lk("C#T1#C1"), false},
		{"Orderbot-events", "dynamodb:GetItem", table, lk("E#ev1"), false},
		{"Orderbot-order-update", "lambda:InvokeFunction", arn + "lambda:" + local + "function:Orderbot-order-update", nil, true},
		{"Orderbot-order-update", "lambda:InvokeFunction", arn + "lambda:" + local + "function:Orderbot-order-list", nil, false},
		{"Orderbot-events", "lambda:InvokeFunction", arn + "lambda:" + local + "function:Orderbot-events", nil, false},
		{"Orderbot-order-list", "scheduler:CreateSchedule", arn + "scheduler:" + local + "schedule/Orderbot-deadlines/round-1", nil, true},
		{"Orderbot-order-list", "scheduler:DeleteSchedule", arn + "scheduler:" + local + "schedule/Orderbot-deadlines/round-1", nil, true},
		{"Orderbot-order-list", "scheduler:CreateSchedule", arn + "scheduler:" + local + "schedule/default/round-1", nil, false},
		{"Orderbot-order-update", "scheduler:CreateSchedule", arn + "scheduler:" + local + "schedule/Orderbot-deadlines/round-1", nil, false},
	}
	for _, c := range cases {
		req, d := call(t, m, c.fn, c.action, c.resource, c.ctx)
		if d.Allowed() != c.allowed {
			t.Errorf("%s: %s on %s %v: got %v (%v), want allowed %v", c.fn, c.action, c.resource, c.ctx, d.Outcome, d.Err, c.allowed)
		}
		if !c.allowed {
			msg := iam.DenyMessage(req, d, "identity-based")
			want := "User: arn:aws:sts::000000000000:assumed-role/" + m.Functions[c.fn].Role.Name + "/" + c.fn +
				" is not authorized to perform: " + c.action + " on resource: " + c.resource +
				" because no identity-based policy allows the " + c.action + " action"
			if msg != want {
				t.Errorf("message: got %q, want %q", msg, want)
			}
		}
	}
}

// iam:PassRole of the scheduler role: to Scheduler only (iam:PassedToService).
func TestPassRole(t *testing.T) {
	m, _, _ := load(t)
	var role *iam.Role
	for _, r := range m.Roles {
		if strings.Contains(r.LogicalID, "DeadlineSchedulerRole") {
			role = r
		}
	}
	if role == nil {
		t.Fatal("no DeadlineSchedulerRole")
	}
	for service, want := range map[string]bool{"scheduler.amazonaws.com": true, "lambda.amazonaws.com": false, "": false} {
		ctx := map[string][]string{}
		if service != "" {
			ctx["iam:PassedToService"] = []string{service}
		}
		if _, d := call(t, m, "Orderbot-order-list", "iam:PassRole", role.ARN, ctx); d.Allowed() != want {
			t.Errorf("PassRole to %q: got %v, want allowed %v", service, d.Outcome, want)
		}
	}
	if _, d := call(t, m, "Orderbot-order-update", "iam:PassRole", role.ARN, map[string][]string{"iam:PassedToService": {"scheduler.amazonaws.com"}}); d.Allowed() {
		t.Error("order-update passes the scheduler role: got allowed, want denied")
	}
}

// Scheduler assumes the scheduler role for schedules of the stack's group only (the trust
// policy's aws:SourceAccount and aws:SourceArn), and no other service may.
func TestSchedulerTrust(t *testing.T) {
	m, _, _ := load(t)
	var role *iam.Role
	for _, r := range m.Roles {
		if strings.Contains(r.LogicalID, "DeadlineSchedulerRole") {
			role = r
		}
	}
	group := arn + "scheduler:" + local + "schedule-group/Orderbot-deadlines"
	for _, c := range []struct {
		service, account, source string
		want                     bool
	}{
		{"scheduler.amazonaws.com", cfn.Account, group, true},
		{"scheduler.amazonaws.com", cfn.Account, group + "-other", false},
		{"scheduler.amazonaws.com", "111111111111", group, false},
		{"lambda.amazonaws.com", cfn.Account, group, false},
	} {
		req := iam.Request{Principal: iam.Principal{Service: c.service}, Action: "sts:AssumeRole", Resource: role.ARN,
			Context: map[string][]string{"aws:SourceAccount": {c.account}, "aws:SourceArn": {c.source}}}
		if d := iam.Evaluate(req, nil, []iam.Policy{role.Trust}); d.Allowed() != c.want {
			t.Errorf("%s assumes for %s in %s: got %v, want allowed %v", c.service, c.source, c.account, d.Outcome, c.want)
		}
	}
}

// API Gateway invokes each route's function by its AWS::Lambda::Permission: from that
// method only.
func TestLambdaPermissions(t *testing.T) {
	m, s, tpl := load(t)
	for _, meth := range s.API.Methods {
		fn := s.Functions[meth.Function]
		src, err := iam.ExecuteAPIArn(s, tpl, meth.HTTPMethod, meth.Path)
		if err != nil {
			t.Fatal(err)
		}
		f := m.Functions[fn.Name]
		for source, want := range map[string]bool{src: true, src + "x": false} {
			req := iam.Request{Principal: iam.Principal{Service: "apigateway.amazonaws.com"}, Action: "lambda:InvokeFunction",
				Resource: fn.ARN, Context: map[string][]string{"aws:SourceArn": {source}}}
			if d := iam.Evaluate(req, nil, []iam.Policy{f.Resource}); d.Allowed() != want {
				t.Errorf("%s from %s: got %v (%v), want allowed %v", fn.Name, source, d.Outcome, d.Err, want)
			}
		}
		req := iam.Request{Principal: iam.Principal{Service: "events.amazonaws.com"}, Action: "lambda:InvokeFunction",
			Resource: fn.ARN, Context: map[string][]string{"aws:SourceArn": {src}}}
		if d := iam.Evaluate(req, nil, []iam.Policy{f.Resource}); d.Allowed() {
			t.Errorf("%s invoked by events.amazonaws.com: got allowed", fn.Name)
		}
	}
}

// Each function's log group and tracing, as Lambda uses them with its role.
func TestFunctionLogsAndTracing(t *testing.T) {
	m, _, _ := load(t)
	for name, f := range m.Functions {
		if !strings.HasPrefix(f.LogGroupARN, "arn:aws:logs:us-east-1:000000000000:log-group:Orderbot-Fn") || !f.Traced {
			t.Errorf("%s: log group %s, traced %v; want its own log group, traced", name, f.LogGroupARN, f.Traced)
		}
		req := iam.Request{Principal: f.Role.Principal(name), Action: "logs:PutLogEvents", Resource: f.LogGroupARN + ":log-stream:s"}
		if d := iam.Evaluate(req, f.Role.Policies, nil); !d.Allowed() {
			t.Errorf("%s: PutLogEvents to its log group: got %v, want allowed", name, d.Outcome)
		}
	}
}
