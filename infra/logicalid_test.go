package infra

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/orderbot/orderbot/lambdas/api"
)

// statefulLogicalIDs are the logical IDs of the default stack's resources that hold data or
// that the outside world knows, spelled out by exact string. CloudFormation identifies a
// resource by its logical ID: deploying a template where one changed creates a new resource
// and deletes the old one. For the table that is a new, empty table — users' orders stay
// behind in the old one (retained, but no longer the stack's); for the secret, a new random
// signing secret and every request refused until someone puts Slack's values in again; for
// a log group, its history gone from the stack; for the queue, the dead-lettered deferred
// work in it lost. CDK derives the IDs from construct ids and paths, so moving a resource
// into another construct, or renaming one, changes them silently: this test is what
// notices. A change here needs a migration plan, not a new expected value.
var statefulLogicalIDs = map[string]string{
	"TableCD117FA1":                 "AWS::DynamoDB::Table",
	"SecretA720EF05":                "AWS::SecretsManager::Secret",
	"AccessLogs8B620ECA":            "AWS::Logs::LogGroup",
	"FneventsLogGroup5E990A8A":      "AWS::Logs::LogGroup",
	"FnorderupdateLogGroup510A3C9A": "AWS::Logs::LogGroup",
	"FnorderlistLogGroup19E96A5F":   "AWS::Logs::LogGroup",
	"DeferredDLQFE6A1B17":           "AWS::SQS::Queue",
	"DeadlineDLQ7408A16D":           "AWS::SQS::Queue",
	// Holds the pending deadline schedules (a new group would start empty: open rounds'
	// deadlines would never fire), and its fixed name would collide.
	"DeadlineSchedules": "AWS::Scheduler::ScheduleGroup",
	// Not data, but known outside the stack: a new RestApi has a new URL, which the Slack
	// app is configured with; a new function would take the fixed name (FunctionName) the
	// old one still holds, and the deploy fails.
	"ApiF70053CD":                   "AWS::ApiGateway::RestApi",
	"FneventsFunction082B9568":      "AWS::Lambda::Function",
	"FnorderupdateFunction5B4C74B5": "AWS::Lambda::Function",
	"FnorderlistFunctionCB07A7BF":   "AWS::Lambda::Function",
}

func TestStatefulLogicalIDs(t *testing.T) {
	for _, id := range slices.Sorted(maps.Keys(statefulLogicalIDs)) {
		want := statefulLogicalIDs[id]
		r, ok := def.res[id]
		switch {
		case !ok:
			t.Errorf("logical ID %s: got no resource, want the %s (a changed logical ID replaces the resource)", id, want)
		case r.Type != want:
			t.Errorf("logical ID %s: got a %s, want the %s", id, r.Type, want)
		}
	}
	// Every resource of these types is pinned, so a new one gets its ID written down here
	// too — except a route's own function and log group ("Fn<function>…"): a new route is
	// a line in the route table and its handler, and its IDs are pinned here after its
	// first deploy, when they start to matter.
	types := map[string]bool{}
	for _, typ := range statefulLogicalIDs {
		types[typ] = true
	}
	for _, typ := range slices.Sorted(maps.Keys(types)) {
		for _, id := range def.ofType(typ) {
			if _, ok := statefulLogicalIDs[id]; !ok && !newRouteResource(id) {
				t.Errorf("%s %s: got a logical ID that is not pinned, want it in statefulLogicalIDs", typ, id)
			}
		}
	}
}

// newRouteResource reports whether id is a resource of a route whose resources are not
// pinned yet: the function or log group of a route added since the list was written.
func newRouteResource(id string) bool {
	for _, r := range api.Routes {
		prefix := "Fn" + strings.ReplaceAll(r.Function, "-", "")
		if strings.HasPrefix(id, prefix+"LogGroup") || strings.HasPrefix(id, prefix+"Function") {
			_, pinned := statefulLogicalIDs[id]
			return !pinned && !pinnedFunction(prefix)
		}
	}
	return false
}

// pinnedFunction reports whether the route whose resources start with prefix has pinned
// IDs: then a different ID for it is a rename, not a new route.
func pinnedFunction(prefix string) bool {
	for id := range statefulLogicalIDs {
		if strings.HasPrefix(id, prefix+"LogGroup") || strings.HasPrefix(id, prefix+"Function") {
			return true
		}
	}
	return false
}
