package iam

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/orderbot/orderbot/local/cfn"
)

// Role is an AWS::IAM::Role of the template: its trust policy and every identity-based
// policy attached to it (inline Policies and AWS::IAM::Policy resources naming it).
type Role struct {
	LogicalID, Name, ARN string
	Trust                Policy
	Policies             []Policy
}

// SessionARN is the ARN of a session of the role: Lambda names a function's session after
// the function (arn:aws:sts::ACCOUNT:assumed-role/ROLE/FUNCTION).
func (r *Role) SessionARN(session string) string {
	return "arn:aws:sts::" + cfn.Account + ":assumed-role/" + r.Name + "/" + session
}

// Principal is the principal of a session of the role.
func (r *Role) Principal(session string) Principal {
	return Principal{ARN: r.SessionARN(session), RoleARN: r.ARN, Account: cfn.Account}
}

// Function is a Lambda function's IAM: the role it runs as, and its resource-based policy
// (the template's AWS::Lambda::Permission resources on it).
type Function struct {
	Name, ARN string
	Role      *Role
	Resource  Policy
	// LogGroupARN is the ARN of the log group Lambda writes the function's logs to with its
	// role (LoggingConfig.LogGroup; /aws/lambda/NAME by default), streams included.
	LogGroupARN string
	// Traced: TracingConfig Mode Active, Lambda sends traces to X-Ray with its role.
	Traced bool
}

// Model is the IAM of a template as the local stack enforces it, every intrinsic resolved
// to the local stand-ins (cfn.Account, cfn.Region).
type Model struct {
	Roles     map[string]*Role     // by logical id
	Functions map[string]*Function // by function name
	// StageARN is arn:aws:execute-api:REGION:ACCOUNT:API/STAGE of the template's REST API
	// stage: a method's SourceArn is StageARN/METHOD/PATH; "" without an API.
	StageARN string
}

// RoleByARN is the role with ARN arn, or nil.
func (m *Model) RoleByARN(arn string) *Role {
	for _, r := range m.Roles {
		if r.ARN == arn {
			return r
		}
	}
	return nil
}

// Load reads the IAM of <dir>/<stack>.template.json.
func Load(dir, stack string) (*Model, error) {
	s, err := cfn.Load(dir, stack)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, stack+".template.json"))
	if err != nil {
		return nil, err
	}
	var t cfn.Template
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, err
	}
	return FromTemplate(t, s)
}

// FromTemplate reads the roles, their policies and the functions' permissions of t, whose
// stack s resolves intrinsics. A property it does not implement is an error naming it.
func FromTemplate(t cfn.Template, s *cfn.Stack) (*Model, error) {
	m := &Model{Roles: map[string]*Role{}, Functions: map[string]*Function{}}
	ids := slices.Sorted(func(yield func(string) bool) {
		for id := range t.Resources {
			if !yield(id) {
				return
			}
		}
	})
	if a, err := ExecuteAPIArn(s, t, "", ""); err == nil {
		m.StageARN = strings.TrimSuffix(a, "/")
	}
	// Roles first: policies and functions refer to them.
	for _, kind := range []string{"AWS::IAM::Role", "AWS::IAM::Policy", "AWS::Lambda::Function", "AWS::Lambda::Permission"} {
		for _, id := range ids {
			r := t.Resources[id]
			if r.Type != kind {
				continue
			}
			if err := m.add(s, id, r); err != nil {
				return nil, fmt.Errorf("resource %s (%s): %w", id, r.Type, err)
			}
		}
	}
	return m, nil
}

func (m *Model) add(s *cfn.Stack, id string, r cfn.Resource) error {
	p, err := resolveDeep(s, r.Properties)
	if err != nil {
		return err
	}
	props, _ := p.(map[string]any)
	switch r.Type {
	case "AWS::IAM::Role":
		return m.role(s, id, props)
	case "AWS::IAM::Policy":
		return m.policy(id, props)
	case "AWS::Lambda::Function":
		f := s.Functions[id]
		if f == nil {
			return fmt.Errorf("not a function of the local stack")
		}
		role := m.RoleByARN(str(props["Role"]))
		if role == nil {
			return fmt.Errorf("property Role %v: not a role of the template", props["Role"])
		}
		fn := &Function{Name: f.Name, ARN: f.ARN, Role: role,
			Resource: Policy{Name: "function " + f.Name + ", resource-based policy"}}
		lc, _ := props["LoggingConfig"].(map[string]any)
		group := str(lc["LogGroup"])
		if group == "" {
			group = "/aws/lambda/" + f.Name
		}
		fn.LogGroupARN = "arn:aws:logs:" + cfn.Region + ":" + cfn.Account + ":log-group:" + group
		tc, _ := props["TracingConfig"].(map[string]any)
		fn.Traced = str(tc["Mode"]) == "Active"
		m.Functions[f.Name] = fn
	case "AWS::Lambda::Permission":
		return m.permission(id, props)
	}
	return nil
}

func (m *Model) role(s *cfn.Stack, id string, p map[string]any) error {
	if err := allowKeys(p, "AssumeRolePolicyDocument", "Policies", "Description", "RoleName", "MaxSessionDuration"); err != nil {
		return err
	}
	arn, err := s.Resolve(map[string]any{"Fn::GetAtt": []any{id, "Arn"}})
	if err != nil {
		return err
	}
	role := &Role{LogicalID: id, ARN: arn, Name: arn[strings.LastIndex(arn, "/")+1:]}
	if role.Trust, err = ParsePolicy("role "+role.Name+", trust policy", p["AssumeRolePolicyDocument"]); err != nil {
		return err
	}
	for i, v := range list(p["Policies"]) {
		ip, _ := v.(map[string]any)
		if err := allowKeys(ip, "PolicyName", "PolicyDocument"); err != nil {
			return fmt.Errorf("property Policies[%d]: %w", i, err)
		}
		pol, err := ParsePolicy("role "+role.Name+", inline policy "+str(ip["PolicyName"]), ip["PolicyDocument"])
		if err != nil {
			return err
		}
		role.Policies = append(role.Policies, pol)
	}
	m.Roles[id] = role
	return nil
}

func (m *Model) policy(id string, p map[string]any) error {
	if err := allowKeys(p, "PolicyName", "PolicyDocument", "Roles"); err != nil {
		return err
	}
	pol, err := ParsePolicy("policy "+str(p["PolicyName"])+" ("+id+")", p["PolicyDocument"])
	if err != nil {
		return err
	}
	for _, v := range list(p["Roles"]) {
		role := m.roleNamed(str(v))
		if role == nil {
			return fmt.Errorf("property Roles: %v is not a role of the template", v)
		}
		role.Policies = append(role.Policies, pol)
	}
	return nil
}

func (m *Model) roleNamed(name string) *Role {
	for _, r := range m.Roles {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// permission adds an AWS::Lambda::Permission to its function's resource-based policy as
// Lambda writes it: the principal, the action on the function, SourceArn as an ArnLike
// condition and SourceAccount as StringEquals
// (https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html).
func (m *Model) permission(id string, p map[string]any) error {
	if err := allowKeys(p, "Action", "FunctionName", "Principal", "SourceArn", "SourceAccount"); err != nil {
		return err
	}
	var fn *Function
	for _, f := range m.Functions {
		if f.ARN == str(p["FunctionName"]) || f.Name == str(p["FunctionName"]) {
			fn = f
		}
	}
	if fn == nil {
		return fmt.Errorf("property FunctionName %v: not a function of the template", p["FunctionName"])
	}
	st := Statement{Sid: id, Effect: "Allow", Action: []string{str(p["Action"])}, Resource: []string{fn.ARN},
		Condition: map[string]map[string][]string{}}
	principal := str(p["Principal"])
	if strings.HasSuffix(principal, ".amazonaws.com") {
		st.Principal = map[string][]string{"Service": {principal}}
	} else {
		st.Principal = map[string][]string{"AWS": {principal}}
	}
	if v := str(p["SourceArn"]); v != "" {
		st.Condition["ArnLike"] = map[string][]string{"AWS:SourceArn": {v}}
	}
	if v := str(p["SourceAccount"]); v != "" {
		st.Condition["StringEquals"] = map[string][]string{"AWS:SourceAccount": {v}}
	}
	fn.Resource.Statements = append(fn.Resource.Statements, st)
	return nil
}

// resolveDeep resolves every intrinsic in v to its local value.
func resolveDeep(s *cfn.Stack, v any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 1 {
			for k := range v {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return s.Resolve(v)
				}
			}
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			r, err := resolveDeep(s, e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			r, err := resolveDeep(s, e)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

func allowKeys(m map[string]any, allowed ...string) error {
	for _, k := range sortedKeys(m) {
		if !slices.Contains(allowed, k) {
			return fmt.Errorf("property %s is not implemented by the local IAM evaluator", k)
		}
	}
	return nil
}

func list(v any) []any { l, _ := v.([]any); return l }

func str(v any) string { s, _ := v.(string); return s }

// ExecuteAPIArn is the SourceArn API Gateway invokes a method's function with,
// arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH, the API and the stage named
// as the template's intrinsics resolve them (what AWS::Lambda::Permission's SourceArn
// says).
func ExecuteAPIArn(s *cfn.Stack, t cfn.Template, method, path string) (string, error) {
	var api, stage string
	for id, r := range t.Resources {
		switch r.Type {
		case "AWS::ApiGateway::RestApi":
			api = id
		case "AWS::ApiGateway::Stage":
			stage = id
		}
	}
	if api == "" || stage == "" {
		return "", fmt.Errorf("no AWS::ApiGateway::RestApi and Stage in the template")
	}
	apiID, err := s.Resolve(map[string]any{"Ref": api})
	if err != nil {
		return "", err
	}
	stageName, err := s.Resolve(map[string]any{"Ref": stage})
	if err != nil {
		return "", err
	}
	return "arn:aws:execute-api:" + cfn.Region + ":" + cfn.Account + ":" + apiID + "/" + stageName + "/" + method + path, nil
}

// Without is a copy of m whose role roleID lacks one permission: action of statement
// stmt of its policy policy, or the whole statement when action is "" — for proving
// least privilege by removal. m is not changed.
func (m *Model) Without(roleID string, policy, stmt int, action string) *Model {
	out := &Model{Roles: map[string]*Role{}, Functions: map[string]*Function{}, StageARN: m.StageARN}
	for id, r := range m.Roles {
		out.Roles[id] = r
	}
	old := m.Roles[roleID]
	role := *old
	role.Policies = slices.Clone(old.Policies)
	p := role.Policies[policy]
	p.Statements = slices.Clone(p.Statements)
	if action == "" {
		p.Statements = slices.Delete(p.Statements, stmt, stmt+1)
	} else {
		st := p.Statements[stmt]
		st.Action = slices.DeleteFunc(slices.Clone(st.Action), func(a string) bool { return a == action })
		p.Statements[stmt] = st
	}
	role.Policies[policy] = p
	out.Roles[roleID] = &role
	for name, f := range m.Functions {
		fc := *f
		if f.Role == old {
			fc.Role = &role
		}
		out.Functions[name] = &fc
	}
	return out
}
