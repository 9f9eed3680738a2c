package iam

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Principal is who makes a request: a role session (a function), or an AWS service.
type Principal struct {
	// ARN is the session's ARN, arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION; empty for a
	// service.
	ARN string
	// RoleARN is the role a session is of: a resource-based policy that names the role
	// names its sessions.
	RoleARN string
	// Service is a service principal (apigateway.amazonaws.com); empty for a session.
	Service string
	Account string
}

// Request is what a policy decides on: who does which action on which resource, and the
// request context's condition keys (names as IAM spells them; IAM compares them
// case-insensitively).
type Request struct {
	Principal Principal
	Action    string
	Resource  string
	Context   map[string][]string
}

// Outcome is how a request was decided.
type Outcome int

// The outcomes: allowed, denied by no Allow (implicitly), denied by a Deny statement,
// or denied because a statement could not be evaluated (fail closed).
const (
	Allowed Outcome = iota
	ImplicitDeny
	ExplicitDeny
	EvalError
)

// Decision is the result of Evaluate.
type Decision struct {
	Outcome Outcome
	// Policy and Statement are the statement that decided: the Allow, the Deny, or the one
	// that could not be evaluated; Statement is nil for an implicit deny.
	Policy    string
	Statement *Statement
	Index     int
	// Err is why a statement could not be evaluated: it names the operator or key.
	Err error
	// Near is, for an implicit deny, the statements whose action and resource match but
	// whose condition (or principal) does not hold, each with why.
	Near []string
}

// Allowed says whether the request may proceed.
func (d Decision) Allowed() bool { return d.Outcome == Allowed }

// Evaluate decides req by the identity-based policies and the resource-based policies of
// the resource, as IAM does within one account: an explicit Deny in any of them wins, an
// error denies, otherwise an Allow in either allows, otherwise the request is implicitly
// denied.
func Evaluate(req Request, identity, resource []Policy) Decision {
	var allow *Decision
	var near []string
	groups := []struct {
		policies []Policy
		resource bool
	}{{identity, false}, {resource, true}}
	for _, g := range groups {
		for _, p := range g.policies {
			for i := range p.Statements {
				st := &p.Statements[i]
				ok, why, err := applies(st, req, g.resource)
				d := Decision{Policy: p.Name, Statement: st, Index: i}
				switch {
				case err != nil:
					d.Outcome, d.Err = EvalError, fmt.Errorf("%s, %s: %w", p.Name, st.Label(i), err)
					return d
				case ok && st.Effect == "Deny":
					d.Outcome = ExplicitDeny
					return d
				case ok && allow == nil:
					d.Outcome = Allowed
					allow = &d
				case !ok && why != "" && st.Effect == "Allow":
					near = append(near, fmt.Sprintf("%s, %s: %s", p.Name, st.Label(i), why))
				}
			}
		}
	}
	if allow != nil {
		return *allow
	}
	return Decision{Outcome: ImplicitDeny, Near: near}
}

// applies says whether st applies to req. why is set when the action and resource match
// but the principal or a condition does not: the statement is near.
func applies(st *Statement, req Request, resourcePolicy bool) (ok bool, why string, err error) {
	if len(st.Action) > 0 && !anyMatch(st.Action, req.Action, matchAction) {
		return false, "", nil
	}
	if len(st.NotAction) > 0 && anyMatch(st.NotAction, req.Action, matchAction) {
		return false, "", nil
	}
	if len(st.Resource) == 0 && len(st.NotResource) == 0 && !resourcePolicy {
		return false, "", fmt.Errorf("an identity-based statement without Resource or NotResource")
	}
	if len(st.Resource) > 0 && !anyMatch(st.Resource, req.Resource, MatchARN) {
		return false, "", nil
	}
	if len(st.NotResource) > 0 && anyMatch(st.NotResource, req.Resource, MatchARN) {
		return false, "", nil
	}
	if resourcePolicy && !st.matchesPrincipal(req.Principal) {
		return false, fmt.Sprintf("principal %v does not match %s", st.Principal, req.Principal.name()), nil
	}
	for _, op := range sortedKeys(st.Condition) {
		for _, key := range sortedKeys(st.Condition[op]) {
			want := st.Condition[op][key]
			holds, err := evalCondition(op, key, want, req.Context)
			if err != nil {
				return false, "", err
			}
			if !holds {
				return false, fmt.Sprintf("condition %s %s %v does not hold for %v", op, key, want, lookup(req.Context, key)), nil
			}
		}
	}
	return true, "", nil
}

func anyMatch(patterns []string, v string, match func(pattern, v string) bool) bool {
	for _, p := range patterns {
		if match(p, v) {
			return true
		}
	}
	return false
}

// matchAction: "service:Action", case-insensitive, with * and ? wildcards
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
func matchAction(pattern, action string) bool {
	return glob(strings.ToLower(pattern), strings.ToLower(action))
}

// MatchARN matches an ARN against a Resource element or an Arn* condition value: "*"
// matches everything; otherwise each of the six colon-separated parts is matched on its
// own, case-sensitively, with * and ? wildcards that do not cross a part — the resource
// part, the last, keeps its own colons and slashes
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html,
// ArnLike in reference_policies_elements_condition_operators.html#Conditions_ARN).
func MatchARN(pattern, arn string) bool {
	if pattern == "*" {
		return true
	}
	p, a := strings.SplitN(pattern, ":", 6), strings.SplitN(arn, ":", 6)
	if len(p) != 6 || len(a) != 6 {
		return false
	}
	for i := range p {
		if !glob(p[i], a[i]) {
			return false
		}
	}
	return true
}

// glob matches s against a pattern where * is any run of characters and ? any one.
func glob(pattern, s string) bool {
	p, str := []rune(pattern), []rune(s)
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(str) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == str[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi, mark = star+1, mark+1
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// matchesPrincipal: "*" is anyone; "Service" names a service principal; "AWS" names an
// account (its id or :root ARN), a role (its sessions) or a session ARN
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
func (s Statement) matchesPrincipal(p Principal) bool {
	if s.AnyPrincipal {
		return true
	}
	for _, v := range s.Principal["Service"] {
		if p.Service != "" && v == p.Service {
			return true
		}
	}
	for _, v := range s.Principal["AWS"] {
		switch {
		case v == "*" && p.Service == "":
			return true
		case p.Service != "":
		case v == p.Account, v == "arn:aws:iam::"+p.Account+":root", v == p.RoleARN, v == p.ARN:
			return true
		}
	}
	return false
}

func (p Principal) name() string {
	if p.Service != "" {
		return p.Service
	}
	return p.ARN
}

// Suggest is a statement that would allow req, for the log of a denial.
func Suggest(req Request) string {
	b, _ := json.Marshal(map[string]any{"Effect": "Allow", "Action": req.Action, "Resource": req.Resource})
	return string(b)
}

// DenyMessage is the message of the AccessDeniedException AWS answers a denied request
// with (the forms of "Troubleshoot access denied error messages",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html):
// "User: ARN is not authorized to perform: ACTION on resource: ARN because no
// identity-based policy allows the ACTION action", or "… with an explicit deny in an
// identity-based policy". A statement the local evaluator could not evaluate is named
// instead: AWS would have evaluated it.
func DenyMessage(req Request, d Decision, policyType string) string {
	head := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", req.Principal.name(), req.Action, req.Resource)
	switch d.Outcome {
	case ExplicitDeny:
		return head + " with an explicit deny in a" + article(policyType) + " " + policyType + " policy"
	case EvalError:
		return head + " because the local IAM evaluator cannot evaluate " + d.Err.Error()
	}
	return head + " because no " + policyType + " policy allows the " + req.Action + " action"
}

func article(s string) string {
	if strings.IndexAny(s[:1], "aeiou") == 0 {
		return "n"
	}
	return ""
}
