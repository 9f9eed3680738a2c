package iam

import (
	"strings"
	"testing"
)

func mustPolicy(t *testing.T, name, doc string) Policy {
	t.Helper()
	p, err := ParsePolicyJSON(name, doc)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var carlos = Principal{ARN: "arn:aws:iam::111122223333:user/carlossalazar", Account: "111122223333"}

// The example of "Policy evaluation for requests within a single account"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html):
// Carlos's identity-based policy allows s3:* on his bucket but explicitly denies every
// bucket with "log" in its name; the bucket policy of his bucket allows him too.
func TestCarlosExample(t *testing.T) {
	identity := mustPolicy(t, "carlossalazar", `{"Version":"2012-10-17","Statement":[
	 {"Sid":"AllowS3ListRead","Effect":"Allow","Action":["s3:GetBucketLocation","s3:GetAccountPublicAccessBlock","s3:ListAccessPoints","s3:ListAllMyBuckets"],"Resource":"arn:aws:s3:::*"},
	 {"Sid":"AllowS3Self","Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/*","arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar"]},
	 {"Sid":"DenyS3Logs","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::*log*"}]}`)
	bucket := mustPolicy(t, "bucket policy", `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/carlossalazar"},"Action":"s3:*","Resource":"arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/*"}]}`)
	cases := []struct {
		action, resource string
		resource2        []Policy
		want             Outcome
		sid              string
	}{
		// "Carlos … tries to save a file to the amzn-s3-demo-bucket-carlossalazar-logs … the
		// DenyS3Logs statement … explicitly denies": the Deny wins over s3:* on his bucket.
		{"s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/file.txt", nil, ExplicitDeny, "DenyS3Logs"},
		{"s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/file.txt", []Policy{bucket}, Allowed, "AllowS3Self"},
		{"s3:ListAllMyBuckets", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar", nil, Allowed, "AllowS3ListRead"},
		// A bucket that is neither his nor a log bucket: nothing allows it.
		{"s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket-other/file.txt", nil, ImplicitDeny, ""},
	}
	for _, c := range cases {
		d := Evaluate(Request{Principal: carlos, Action: c.action, Resource: c.resource}, []Policy{identity}, c.resource2)
		sid := ""
		if d.Statement != nil {
			sid = d.Statement.Sid
		}
		if d.Outcome != c.want || sid != c.sid {
			t.Errorf("%s on %s: got %v by %q, want %v by %q", c.action, c.resource, d.Outcome, sid, c.want, c.sid)
		}
	}
	// "If either the identity-based policy or the resource-based policy within the same
	// account allows the request and the other doesn't, the request is still allowed."
	none := mustPolicy(t, "nothing", `{"Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`)
	d := Evaluate(Request{Principal: carlos, Action: "s3:GetObject", Resource: "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/a"}, []Policy{none}, []Policy{bucket})
	if !d.Allowed() {
		t.Errorf("bucket policy alone: got %v, want allowed", d.Outcome)
	}
}

// The example of "The difference between explicit and implicit denies"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay.html):
// Get* and List* are allowed, *Report explicitly denied, everything else implicitly.
func TestExplicitAndImplicitDenyExample(t *testing.T) {
	p := mustPolicy(t, "example", `{"Version":"2012-10-17","Statement":[
	 {"Sid":"AllowGetList","Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"},
	 {"Sid":"DenyReports","Effect":"Deny","Action":"iam:*Report","Resource":"*"}]}`)
	for action, want := range map[string]Outcome{
		"iam:GetUser":                      Allowed,
		"iam:listroles":                    Allowed, // actions are case-insensitive
		"iam:CreatePolicy":                 ImplicitDeny,
		"iam:GetOrganizationsAccessReport": ExplicitDeny,
		"iam:GenerateCredentialReport":     ExplicitDeny,
	} {
		if got := Evaluate(Request{Principal: carlos, Action: action, Resource: "*"}, []Policy{p}, nil).Outcome; got != want {
			t.Errorf("%s: got %v, want %v", action, got, want)
		}
	}
}

// The table of "Multivalued context keys examples", Deny with ForAllValues:StringNotLike
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html):
// "For a Deny statement, Match is denied" — including when the request has no tag keys.
func TestForAllValuesExample(t *testing.T) {
	KnownKeys["aws:tagkeys"] = "the example's key"
	defer delete(KnownKeys, "aws:tagkeys")
	p := mustPolicy(t, "tags", `{"Version":"2012-10-17","Statement":[
	 {"Sid":"DenyRestrictedTags","Effect":"Deny","Action":["iam:Tag*","iam:UnTag*"],"Resource":["*"],
	  "Condition":{"ForAllValues:StringNotLike":{"aws:TagKeys":"key1*"}}},
	 {"Sid":"AllowTagging","Effect":"Allow","Action":"iam:Tag*","Resource":"*"}]}`)
	for _, c := range []struct {
		keys []string
		want Outcome
	}{
		{[]string{"key1:legal"}, Allowed},
		{[]string{"key1:hr", "key1:personnel"}, Allowed},
		{[]string{"key2:audit"}, ExplicitDeny},
		{nil, ExplicitDeny},
	} {
		ctx := map[string][]string{}
		if c.keys != nil {
			ctx["aws:TagKeys"] = c.keys
		}
		if got := Evaluate(Request{Principal: carlos, Action: "iam:TagRole", Resource: "*", Context: ctx}, []Policy{p}, nil).Outcome; got != c.want {
			t.Errorf("aws:TagKeys %v: got %v, want %v", c.keys, got, c.want)
		}
	}
}

// The stack's LeadingKeys statement: every partition key a request names must match.
func TestLeadingKeys(t *testing.T) {
	p := mustPolicy(t, "route", `{"Statement":[{"Sid":"Table","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:PutItem"],
	 "Resource":"arn:aws:dynamodb:us-east-1:000000000000:table/T","Condition":{"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["C#*","E#reply#*"]}}}]}`)
	table := "arn:aws:dynamodb:us-east-1:000000000000:table/T"
	for _, c := range []struct {
		keys []string
		want Outcome
	}{
		{[]string{"C#T1#C1"}, Allowed},
		{[]string{"E#reply#abc"}, Allowed},
		{[]string{"C#T1#C1", "E#reply#x"}, Allowed},
		{[]string{"E#evt1"}, ImplicitDeny},
		{[]string{"C#T1#C1", "X#1"}, ImplicitDeny},
	} {
		d := Evaluate(Request{Principal: carlos, Action: "dynamodb:PutItem", Resource: table,
			Context: map[string][]string{"dynamodb:LeadingKeys": c.keys}}, []Policy{p}, nil)
		if d.Outcome != c.want {
			t.Errorf("LeadingKeys %v: got %v, want %v", c.keys, d.Outcome, c.want)
		}
		if c.want == ImplicitDeny && (len(d.Near) != 1 || !strings.Contains(d.Near[0], "dynamodb:LeadingKeys")) {
			t.Errorf("LeadingKeys %v: near %q, want the Table statement's failing condition", c.keys, d.Near)
		}
	}
	// A table-wide action, or another table's ARN, is outside the statement.
	if d := Evaluate(Request{Principal: carlos, Action: "dynamodb:PutItem", Resource: table + "X"}, []Policy{p}, nil); d.Outcome != ImplicitDeny {
		t.Errorf("another table: got %v, want implicit deny", d.Outcome)
	}
}

// An operator or a key the evaluator does not know denies, naming itself, whatever the
// statement's Effect; an unrelated statement's does not matter.
func TestUnknownOperatorOrKeyDenies(t *testing.T) {
	for _, c := range []struct{ effect, op, key, name string }{
		{"Allow", "NumericLessThan", "aws:MultiFactorAuthAge", "NumericLessThan"},
		{"Allow", "StringEquals", "aws:RequestedRegion", "aws:RequestedRegion"},
		{"Deny", "DateGreaterThan", "aws:CurrentTime", "DateGreaterThan"},
		{"Allow", "ForSomeValues:StringLike", "dynamodb:LeadingKeys", "ForSomeValues"},
		{"Allow", "StringLike", "aws:SourceArn", "policy variable"},
	} {
		value := `"x"`
		if c.name == "policy variable" {
			value = `"${aws:username}"`
		}
		p := mustPolicy(t, "p", `{"Statement":[{"Sid":"S","Effect":"`+c.effect+`","Action":"lambda:InvokeFunction","Resource":"*","Condition":{"`+c.op+`":{"`+c.key+`":`+value+`}}},
		 {"Effect":"Allow","Action":"lambda:*","Resource":"*"}]}`)
		d := Evaluate(Request{Principal: carlos, Action: "lambda:InvokeFunction", Resource: "arn:aws:lambda:us-east-1:1:function:f"}, []Policy{p}, nil)
		if d.Outcome != EvalError || d.Err == nil || !strings.Contains(d.Err.Error(), c.name) {
			t.Errorf("%s %s %s: got %v (%v), want an error naming %s", c.effect, c.op, c.key, d.Outcome, d.Err, c.name)
		}
		d = Evaluate(Request{Principal: carlos, Action: "lambda:GetFunction", Resource: "arn:aws:lambda:us-east-1:1:function:f"}, []Policy{p}, nil)
		if !d.Allowed() {
			t.Errorf("%s %s: another action: got %v (%v), want allowed", c.op, c.key, d.Outcome, d.Err)
		}
	}
}

// Condition operators on present and absent keys, as "IAM JSON policy elements: Condition
// operators" states: an absent key fails a condition, but holds for a negated operator
// and for …IfExists; several values are ORed (NORed when negated).
func TestConditionOperators(t *testing.T) {
	ctx := map[string][]string{"aws:SourceAccount": {"000000000000"}, "aws:SourceArn": {"arn:aws:scheduler:us-east-1:000000000000:schedule-group/g"}}
	for _, c := range []struct {
		op, key string
		want    []string
		holds   bool
	}{
		{"StringEquals", "aws:SourceAccount", []string{"000000000000"}, true},
		{"StringEquals", "aws:sourceaccount", []string{"111111111111", "000000000000"}, true},
		{"StringNotEquals", "aws:SourceAccount", []string{"111111111111", "000000000000"}, false},
		{"StringEquals", "aws:PrincipalArn", []string{"x"}, false},
		{"StringNotEquals", "aws:PrincipalArn", []string{"x"}, true},
		{"StringEqualsIfExists", "aws:PrincipalArn", []string{"x"}, true},
		{"ArnEquals", "aws:SourceArn", []string{"arn:aws:scheduler:us-east-1:000000000000:schedule-group/g"}, true},
		{"ArnLike", "aws:SourceArn", []string{"arn:aws:scheduler:*:000000000000:schedule-group/*"}, true},
		{"ArnLike", "aws:SourceArn", []string{"arn:aws:scheduler:us-east-1:000000000000:schedule-group/h"}, false},
		{"ArnNotLike", "aws:SourceArn", []string{"arn:aws:scheduler:*:*:*"}, false},
		{"StringLike", "aws:SourceArn", []string{"*schedule-group/?"}, true},
		{"Null", "aws:PrincipalArn", []string{"true"}, true},
		{"Null", "aws:SourceArn", []string{"true"}, false},
		{"ForAnyValue:StringLike", "dynamodb:LeadingKeys", []string{"C#*"}, false},
		{"ForAllValues:StringLike", "dynamodb:LeadingKeys", []string{"C#*"}, true},
	} {
		got, err := evalCondition(c.op, c.key, c.want, ctx)
		if err != nil || got != c.holds {
			t.Errorf("%s %s %v: got %v, %v; want %v", c.op, c.key, c.want, got, err, c.holds)
		}
	}
}

// Resource ARNs match part by part: a wildcard does not cross a colon, except in the
// resource part (a log group's ARN ends in ":*").
func TestMatchARN(t *testing.T) {
	for _, c := range []struct {
		pattern, arn string
		want         bool
	}{
		{"arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/f:*", "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/f:log-stream:x", true},
		{"arn:aws:scheduler:us-east-1:000000000000:schedule/G/*", "arn:aws:scheduler:us-east-1:000000000000:schedule/G/round-1", true},
		{"arn:aws:scheduler:us-east-1:000000000000:schedule/G/*", "arn:aws:scheduler:us-east-1:000000000000:schedule/H/round-1", false},
		{"arn:aws:*:us-east-1:000000000000:table/T", "arn:aws:dynamodb:us-east-1:000000000000:table/T", true},
		{"arn:aws:dynamodb:*", "arn:aws:dynamodb:us-east-1:000000000000:table/T", false},
		{"*", "anything", true},
		{"arn:aws:lambda:us-east-1:000000000000:function:f", "arn:aws:lambda:us-east-1:000000000000:function:f2", false},
		{"arn:aws:lambda:us-east-1:000000000000:function:f?", "arn:aws:lambda:us-east-1:000000000000:function:f2", true},
	} {
		if got := MatchARN(c.pattern, c.arn); got != c.want {
			t.Errorf("MatchARN(%s, %s): got %v, want %v", c.pattern, c.arn, got, c.want)
		}
	}
}

// NotAction and NotResource: the statement applies to everything but what they list.
func TestNotActionNotResource(t *testing.T) {
	p := mustPolicy(t, "p", `{"Statement":[{"Effect":"Allow","NotAction":"iam:*","NotResource":"arn:aws:s3:::secret/*"}]}`)
	for _, c := range []struct {
		action, resource string
		want             bool
	}{
		{"s3:GetObject", "arn:aws:s3:::open/a", true},
		{"s3:GetObject", "arn:aws:s3:::secret/a", false},
		{"iam:PassRole", "arn:aws:s3:::open/a", false},
	} {
		if got := Evaluate(Request{Principal: carlos, Action: c.action, Resource: c.resource}, []Policy{p}, nil).Allowed(); got != c.want {
			t.Errorf("%s on %s: got %v, want %v", c.action, c.resource, got, c.want)
		}
	}
}

func TestParseRefusesWhatItDoesNotImplement(t *testing.T) {
	for _, doc := range []string{
		`{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"x"},"Action":"s3:*","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Maybe","Action":"s3:*","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":{"a":1}}]}`,
	} {
		if _, err := ParsePolicyJSON("p", doc); err == nil {
			t.Errorf("%s: got no error", doc)
		}
	}
}
