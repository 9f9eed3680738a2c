package infra

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestPerClientThrottling (issue #21, finding 9): the stage's throttling is shared by
// every caller; with context wafRateLimit a regional web ACL on the stage blocks one IP
// address past that many requests in 5 minutes. Off by default: no web ACL.
func TestPerClientThrottling(t *testing.T) {
	if got := def.ofType("AWS::WAFv2::WebACL"); len(got) != 0 {
		t.Fatalf("default stack: got web ACLs %v, want none (wafRateLimit defaults to 0)", got)
	}
	v := variant(t)
	acls, assocs := v.ofType("AWS::WAFv2::WebACL"), v.ofType("AWS::WAFv2::WebACLAssociation")
	if len(acls) != 1 || len(assocs) != 1 {
		t.Fatalf("wafRateLimit=300: got web ACLs %v and associations %v, want one of each", acls, assocs)
	}
	acl := v.res[acls[0]].Properties
	rules, _ := json.Marshal(acl["Rules"])
	for _, want := range []string{`"Limit":300`, `"AggregateKeyType":"IP"`, `"EvaluationWindowSec":300`, `"Block":{}`} {
		if !strings.Contains(string(rules), want) {
			t.Errorf("rules: got %s, want %s in them", rules, want)
		}
	}
	if acl["Scope"] != "REGIONAL" || !strings.Contains(render(acl["DefaultAction"]), "Allow") {
		t.Errorf("web ACL: got scope %v, default action %s; want REGIONAL, allow", acl["Scope"], render(acl["DefaultAction"]))
	}
	assoc := v.res[assocs[0]].Properties
	if arn := render(assoc["ResourceArn"]); !strings.Contains(arn, "/restapis/") || !strings.Contains(arn, "/stages/") {
		t.Errorf("association: got resource %s, want the API's stage", arn)
	}
	if got := render(assoc["WebACLArn"]); got != "<"+acls[0]+".Arn>" {
		t.Errorf("association: got web ACL %s, want <%s.Arn>", got, acls[0])
	}
}
