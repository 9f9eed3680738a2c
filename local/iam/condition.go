package iam

import (
	"fmt"
	"strings"
)

// KnownKeys are the condition keys the local stack puts in a request's context (the front
// fills those that apply to each call): a condition on any other key cannot be evaluated
// and denies. Names are lower case: IAM compares key names case-insensitively
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html).
var KnownKeys = map[string]string{
	"aws:sourceaccount":        "the account of the resource a service acts for (Scheduler's schedule group, API Gateway's API)",
	"aws:sourcearn":            "the ARN of the resource a service acts for",
	"aws:principalarn":         "the caller's role ARN",
	"aws:principalaccount":     "the caller's account",
	"aws:principalservicename": "the calling service",
	"aws:securetransport":      "whether the request came over TLS",
	"iam:passedtoservice":      "the service a role passed with iam:PassRole is for",
	"dynamodb:leadingkeys":     "the partition keys a DynamoDB request names",
}

// operator is a parsed condition operator: [ForAllValues:|ForAnyValue:]Base[IfExists].
type operator struct {
	set      string // "", "ForAllValues" or "ForAnyValue"
	base     string
	ifExists bool
}

// bases are the implemented operators: the string, ARN, Bool and Null families of
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html.
// negated ones are true when no value matches (NOR of the values).
var bases = map[string]struct {
	negated bool
	match   func(want, got string) bool
}{
	"StringEquals":              {false, func(w, g string) bool { return w == g }},
	"StringNotEquals":           {true, func(w, g string) bool { return w == g }},
	"StringEqualsIgnoreCase":    {false, strings.EqualFold},
	"StringNotEqualsIgnoreCase": {true, strings.EqualFold},
	"StringLike":                {false, glob},
	"StringNotLike":             {true, glob},
	// ArnEquals and ArnLike are the same test: both accept wildcards in each part.
	"ArnEquals":    {false, MatchARN},
	"ArnLike":      {false, MatchARN},
	"ArnNotEquals": {true, MatchARN},
	"ArnNotLike":   {true, MatchARN},
	"Bool":         {false, strings.EqualFold},
}

func parseOperator(op string) (operator, error) {
	o := operator{base: op}
	if set, rest, ok := strings.Cut(op, ":"); ok {
		if set != "ForAllValues" && set != "ForAnyValue" {
			return o, fmt.Errorf("condition operator %s: set qualifier %s is not implemented by the local IAM evaluator", op, set)
		}
		o.set, o.base = set, rest
	}
	if b, ok := strings.CutSuffix(o.base, "IfExists"); ok {
		o.base, o.ifExists = b, true
	}
	if _, ok := bases[o.base]; !ok && o.base != "Null" {
		return o, fmt.Errorf("condition operator %s is not implemented by the local IAM evaluator", op)
	}
	if o.base == "Null" && (o.set != "" || o.ifExists) {
		return o, fmt.Errorf("condition operator %s is not implemented by the local IAM evaluator", op)
	}
	return o, nil
}

// evalCondition evaluates one operator on one key with the policy's values (OR of them;
// NOR for a negated operator), by the rules of
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html:
//   - a key absent from the request context fails the condition, except that a negated
//     operator, …IfExists and ForAllValues then hold (and Null tests presence itself);
//   - ForAllValues holds when every context value matches a policy value, ForAnyValue
//     when at least one does.
func evalCondition(op, key string, want []string, ctx map[string][]string) (bool, error) {
	o, err := parseOperator(op)
	if err != nil {
		return false, err
	}
	if _, ok := KnownKeys[strings.ToLower(key)]; !ok {
		return false, fmt.Errorf("condition key %s (%s) is not known to the local IAM evaluator", key, op)
	}
	for _, w := range want {
		if strings.Contains(w, "${") {
			return false, fmt.Errorf("condition %s %s: policy variable in %q is not implemented by the local IAM evaluator", op, key, w)
		}
	}
	got := lookup(ctx, key)
	if o.base == "Null" {
		if len(want) != 1 || (want[0] != "true" && want[0] != "false") {
			return false, fmt.Errorf("condition Null %s: want true or false, got %v", key, want)
		}
		return (len(got) == 0) == (want[0] == "true"), nil
	}
	b := bases[o.base]
	if len(got) == 0 {
		return o.ifExists || o.set == "ForAllValues" || (b.negated && o.set == ""), nil
	}
	// matches: a context value matches one of the policy's values (or, negated, none).
	matches := func(g string) bool {
		for _, w := range want {
			if b.match(w, g) {
				return !b.negated
			}
		}
		return b.negated
	}
	switch o.set {
	case "ForAllValues":
		for _, g := range got {
			if !matches(g) {
				return false, nil
			}
		}
		return true, nil
	case "ForAnyValue":
		for _, g := range got {
			if matches(g) {
				return true, nil
			}
		}
		return false, nil
	}
	// A single-valued operator on a multivalued key: every value must pass, so that a
	// negated operator stays a NOR and a positive one cannot be met by one value of many.
	for _, g := range got {
		if !matches(g) {
			return false, nil
		}
	}
	return true, nil
}

// lookup is the context's values for key, whatever the case of its name.
func lookup(ctx map[string][]string, key string) []string {
	if v, ok := ctx[key]; ok {
		return v
	}
	for k, v := range ctx {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}
