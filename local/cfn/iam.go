package cfn

import (
	"path"
)

// Statement is an IAM policy statement with its actions and resources resolved.
type Statement struct {
	Effect    string
	Actions   []string
	Resources []string
	// Conditional: the statement has a Condition, which the local stack does not
	// evaluate; Allows treats such a statement as not allowing (fail closed).
	Conditional bool
}

// Allows reports whether the statement names action on resource (IAM's * and ?
// wildcards; actions case-insensitively as IAM compares them is not needed here: the
// template's are as AWS documents them).
func (st Statement) Allows(action, resource string) bool {
	if st.Conditional {
		return false
	}
	var actionOK, resourceOK bool
	for _, a := range st.Actions {
		if ok, _ := path.Match(a, action); ok || a == "*" {
			actionOK = true
		}
	}
	for _, r := range st.Resources {
		if ok, _ := path.Match(r, resource); ok || r == "*" {
			resourceOK = true
		}
	}
	return actionOK && resourceOK
}

// RolePolicies are the inline policies of the AWS::IAM::Role whose (stand-in) ARN is
// roleARN; nil when the template has no such role.
func (s *Stack) RolePolicies(roleARN string) [][]Statement {
	for _, id := range sortedIDs(s.res) {
		r := s.res[id]
		if r.Type != "AWS::IAM::Role" || s.attr(id, r, "Arn") != roleARN {
			continue
		}
		var out [][]Statement
		for _, p := range list(r.Properties["Policies"]) {
			pm, _ := p.(map[string]any)
			doc, _ := pm["PolicyDocument"].(map[string]any)
			out = append(out, s.statements(doc))
		}
		return out
	}
	return nil
}

func (s *Stack) statements(doc map[string]any) []Statement {
	var out []Statement
	for _, v := range list(doc["Statement"]) {
		m, _ := v.(map[string]any)
		st := Statement{Effect: str(m["Effect"]), Actions: s.strings(m["Action"]), Resources: s.strings(m["Resource"])}
		_, st.Conditional = m["Condition"]
		out = append(out, st)
	}
	return out
}

// strings resolves a string-or-list property; values that do not resolve are left out.
func (s *Stack) strings(v any) []string {
	l, ok := v.([]any)
	if !ok {
		l = []any{v}
	}
	var out []string
	for _, e := range l {
		if r, err := s.Resolve(e); err == nil {
			out = append(out, r)
		}
	}
	return out
}
