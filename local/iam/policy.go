// Package iam evaluates IAM policies as AWS documents their evaluation, for the local
// stack: every AWS call a function makes is decided by its role's identity-based
// policies, a service's call to a function by the function's resource-based policy
// (AWS::Lambda::Permission), and a service's sts:AssumeRole by the role's trust policy —
// all read from the synthesized template (FromTemplate).
//
// The rules, from the IAM User Guide:
//   - a request is denied unless a statement allows it; an explicit Deny in any applicable
//     policy overrides every Allow ("The difference between explicit and implicit denies",
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay.html);
//   - within one account an Allow in either the identity-based or the resource-based policy
//     is enough ("Policy evaluation for requests within a single account",
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html);
//   - a statement applies when its Action (or NotAction), its Resource (or NotResource), its
//     Principal in a resource-based policy, and every condition of its Condition match.
//
// It fails closed: a condition operator or a condition key the evaluator does not
// implement makes the statement's evaluation an error that names them, and an error
// denies — even in a Deny statement, where ignoring it could allow what AWS denies.
package iam

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Policy is a policy document.
type Policy struct {
	// Name says where the policy comes from ("role Orderbot-OrderUpdateRole, inline
	// policy route"), for logs and errors.
	Name       string
	Statements []Statement
}

// Statement is one statement of a policy. Every list is as the document has it, a single
// string becoming a list of one.
type Statement struct {
	Sid    string
	Effect string // Allow or Deny
	// Principal of a resource-based or trust policy: principal type ("AWS", "Service")
	// → values; AnyPrincipal is "Principal": "*".
	Principal    map[string][]string
	AnyPrincipal bool
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	// Condition is operator → condition key → values.
	Condition map[string]map[string][]string
}

// Label names the statement in logs: its Sid, or its position when it has none.
func (s Statement) Label(i int) string {
	if s.Sid != "" {
		return s.Sid
	}
	return fmt.Sprintf("statement %d", i)
}

// ParsePolicy reads a policy document as JSON decodes it (map[string]any); name labels
// it. An element the evaluator does not implement (NotPrincipal) is an error.
func ParsePolicy(name string, doc any) (Policy, error) {
	p := Policy{Name: name}
	m, ok := doc.(map[string]any)
	if !ok {
		return p, fmt.Errorf("%s: policy document %v is not an object", name, doc)
	}
	for k := range m {
		if k != "Version" && k != "Statement" && k != "Id" {
			return p, fmt.Errorf("%s: policy element %s is not implemented", name, k)
		}
	}
	sts := m["Statement"]
	if one, ok := sts.(map[string]any); ok {
		sts = []any{one}
	}
	list, ok := sts.([]any)
	if !ok {
		return p, fmt.Errorf("%s: Statement %v is not a list", name, m["Statement"])
	}
	for i, v := range list {
		st, err := parseStatement(v)
		if err != nil {
			return p, fmt.Errorf("%s: statement %d: %w", name, i, err)
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

// ParsePolicyJSON is ParsePolicy of a JSON text.
func ParsePolicyJSON(name, doc string) (Policy, error) {
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return Policy{Name: name}, fmt.Errorf("%s: %w", name, err)
	}
	return ParsePolicy(name, v)
}

func parseStatement(v any) (Statement, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Statement{}, fmt.Errorf("%v is not an object", v)
	}
	var s Statement
	var err error
	for _, k := range sortedKeys(m) {
		val := m[k]
		switch k {
		case "Sid":
			s.Sid, _ = val.(string)
		case "Effect":
			s.Effect, _ = val.(string)
		case "Action":
			s.Action, err = strings1(k, val)
		case "NotAction":
			s.NotAction, err = strings1(k, val)
		case "Resource":
			s.Resource, err = strings1(k, val)
		case "NotResource":
			s.NotResource, err = strings1(k, val)
		case "Principal":
			err = s.parsePrincipal(val)
		case "Condition":
			s.Condition, err = parseCondition(val)
		default:
			err = fmt.Errorf("element %s is not implemented", k)
		}
		if err != nil {
			return s, err
		}
	}
	if s.Effect != "Allow" && s.Effect != "Deny" {
		return s, fmt.Errorf("element Effect %q: want Allow or Deny", s.Effect)
	}
	if (len(s.Action) == 0) == (len(s.NotAction) == 0) {
		return s, fmt.Errorf("want exactly one of Action and NotAction")
	}
	return s, nil
}

func (s *Statement) parsePrincipal(v any) error {
	if v == "*" {
		s.AnyPrincipal = true
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("Principal %v: want \"*\" or an object", v)
	}
	s.Principal = map[string][]string{}
	for typ, vals := range m {
		l, err := strings1("Principal."+typ, vals)
		if err != nil {
			return err
		}
		s.Principal[typ] = l
	}
	return nil
}

func parseCondition(v any) (map[string]map[string][]string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("element Condition %v is not an object", v)
	}
	out := map[string]map[string][]string{}
	for op, keys := range m {
		km, ok := keys.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("element Condition.%s %v is not an object", op, keys)
		}
		out[op] = map[string][]string{}
		for key, vals := range km {
			l, err := strings1("Condition."+op+"."+key, vals)
			if err != nil {
				return nil, err
			}
			out[op][key] = l
		}
	}
	return out, nil
}

// strings1 reads a string or a list of strings (booleans and numbers print as IAM
// compares them, as strings).
func strings1(what string, v any) ([]string, error) {
	switch v := v.(type) {
	case string:
		return []string{v}, nil
	case bool, float64:
		return []string{fmt.Sprint(v)}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			l, err := strings1(what, e)
			if err != nil || len(l) != 1 {
				return nil, fmt.Errorf("%s: element %v is not a string", what, e)
			}
			out = append(out, l[0])
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: %v is not a string or a list of strings", what, v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Actions lists the statement's actions for a table: Action, or "NOT " and NotAction.
func (s Statement) Actions() string {
	if len(s.NotAction) > 0 {
		return "NOT " + strings.Join(s.NotAction, ",")
	}
	return strings.Join(slices.Clone(s.Action), ",")
}
