package infra

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/orderbot/orderbot/lambdas/api"
)

// routeResources are the resources of one route, found from the template alone: the method
// at the route's path, the function its integration invokes, that function's role and log
// group. Nothing comes from the Stack's handles, so a route that the stack forgot fails.
type routeResources struct {
	method, function, role, logGroup string
}

// paths maps each API Gateway resource (and the root, as "/") to its path.
func (f *fixture) paths(t *testing.T) map[string]string {
	t.Helper()
	apis := f.ofType("AWS::ApiGateway::RestApi")
	if len(apis) != 1 {
		t.Fatalf("RestApis: %v", apis)
	}
	rootKey := "<" + apis[0] + ".RootResourceId>"
	out := map[string]string{rootKey: "/"}
	var resolve func(key string, depth int) string
	resolve = func(key string, depth int) string {
		if p, ok := out[key]; ok || depth > 20 {
			return p
		}
		id := strings.Trim(key, "<>")
		r := f.res[id]
		parent := resolve(render(r.Properties["ParentId"]), depth+1)
		p := strings.TrimSuffix(parent, "/") + "/" + r.Properties["PathPart"].(string)
		out[key] = p
		return p
	}
	for _, id := range f.ofType("AWS::ApiGateway::Resource") {
		resolve("<"+id+">", 0)
	}
	return out
}

func (f *fixture) route(t *testing.T, r api.Route) routeResources {
	t.Helper()
	rr, err := f.findRoute(t, r)
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

func (f *fixture) findRoute(t *testing.T, r api.Route) (routeResources, error) {
	paths := f.paths(t)
	var rr routeResources
	for _, id := range f.ofType("AWS::ApiGateway::Method") {
		p := f.res[id].Properties
		if paths[render(p["ResourceId"])] == r.Path && p["HttpMethod"] == r.Method {
			if rr.method != "" {
				return rr, fmt.Errorf("route %s %s: two methods %s and %s", r.Method, r.Path, rr.method, id)
			}
			rr.method = id
		}
	}
	if rr.method == "" {
		return rr, fmt.Errorf("route %s %s: no method at that path", r.Method, r.Path)
	}
	uri := render(get(f.res[rr.method].Properties, "Integration", "Uri"))
	for _, id := range f.ofType("AWS::Lambda::Function") {
		if strings.Contains(uri, "<"+id+".Arn>") {
			rr.function = id
		}
	}
	if rr.function == "" {
		return rr, fmt.Errorf("route %s: integration %s invokes no function of the stack", r.Path, uri)
	}
	fp := f.res[rr.function].Properties
	rr.role, _ = ref(fp["Role"])
	rr.logGroup, _ = ref(get(fp, "LoggingConfig", "LogGroup"))
	if f.res[rr.role].Type != "AWS::IAM::Role" || f.res[rr.logGroup].Type != "AWS::Logs::LogGroup" {
		return rr, fmt.Errorf("route %s: function %s: role %q, log group %q", r.Path, rr.function, rr.role, rr.logGroup)
	}
	return rr, nil
}

// A route added to the table without its method and function must fail the per-route
// tests: the lookup they all use finds nothing for it.
func TestMissingRouteIsDetected(t *testing.T) {
	for _, r := range []api.Route{
		{Path: "/order-cancel", Method: "POST", Function: "order-cancel"},
		{Path: api.Routes[0].Path, Method: "PUT", Function: "x"},
	} {
		if _, err := def.findRoute(t, r); err == nil {
			t.Errorf("route %s %s found in a stack that does not serve it", r.Method, r.Path)
		}
	}
}

func TestResourceCounts(t *testing.T) {
	n := len(api.Routes)
	var deferring int
	for _, r := range api.Routes {
		if r.Kind.Defers() {
			deferring++
		}
	}
	segments := map[string]bool{}
	for _, r := range api.Routes {
		for p := r.Path; p != "/" && p != ""; p = p[:strings.LastIndex(p, "/")] {
			segments[p] = true
			if !strings.Contains(p[1:], "/") {
				break
			}
		}
	}
	want := map[string]int{
		"AWS::Lambda::Function":          n,
		"AWS::Lambda::Permission":        n,         // one per method, no test-invoke permission
		"AWS::Lambda::EventInvokeConfig": deferring, // event age and retries of deferred runs
		"AWS::ApiGateway::Method":        n,
		"AWS::ApiGateway::Resource":      len(segments),
		"AWS::Logs::LogGroup":            n + 1,   // one per function, one for access logs
		"AWS::IAM::Role":                 n + 2,   // one per function, the API Gateway account role, Scheduler's
		"AWS::Scheduler::ScheduleGroup":  1,       // rounds' deadlines
		"AWS::CloudWatch::Alarm":         3*n + 3, // per function; API 5XX; deferred-work DLQ; deadline DLQ
		"AWS::SQS::Queue":                2,       // dead letters of deferred (asynchronous) work, of Scheduler's firings
		"AWS::SQS::QueuePolicy":          2,       // TLS only
		"AWS::Logs::MetricFilter":        2 * n,   // per function: rejected requests (Errors alarm), synchronous latency
		"AWS::ApiGateway::RestApi":       1,
		"AWS::ApiGateway::Stage":         1,
		"AWS::ApiGateway::Deployment":    1,
		"AWS::ApiGateway::Account":       1,
		"AWS::DynamoDB::Table":           1,
		"AWS::SecretsManager::Secret":    1,
	}
	got := map[string]int{}
	for _, r := range def.res {
		got[r.Type]++
	}
	for typ, c := range want {
		def.tmpl.ResourceCountIs(jsii.String(typ), jsii.Number(c))
	}
	for typ, c := range got {
		if _, ok := want[typ]; !ok {
			t.Errorf("unexpected resources: %d × %s", c, typ)
		}
	}
	var lines []string
	for typ, c := range got {
		lines = append(lines, strconv.Itoa(c)+" "+typ)
	}
	sort.Strings(lines)
	t.Logf("resources by type:\n%s", strings.Join(lines, "\n"))
}

func TestFunctions(t *testing.T) {
	seen := map[string]string{}
	table := def.ofType("AWS::DynamoDB::Table")[0]
	secret := def.ofType("AWS::SecretsManager::Secret")[0]
	for _, r := range api.Routes {
		t.Run(r.Function, func(t *testing.T) {
			rr := def.route(t, r)
			for _, id := range []string{rr.function, rr.role, rr.logGroup} {
				if other, ok := seen[id]; ok {
					t.Errorf("%s is shared with route %s", id, other)
				}
				seen[id] = r.Path
			}
			p := def.res[rr.function].Properties
			check := func(name string, got, want any) {
				t.Helper()
				if g, w := render(got), render(want); g != w {
					t.Errorf("%s: got %s, want %s", name, g, w)
				}
			}
			check("Runtime", p["Runtime"], "provided.al2023")
			check("Architectures", p["Architectures"], []any{"arm64"})
			check("Handler", p["Handler"], HandlerName)
			check("MemorySize", p["MemorySize"], float64(MemoryMB))
			check("Timeout", p["Timeout"], r.Timeout.Seconds())
			check("TracingConfig", p["TracingConfig"], map[string]any{"Mode": "Active"})
			lc := p["LoggingConfig"].(map[string]any)
			check("LogFormat", lc["LogFormat"], "JSON")
			check("ApplicationLogLevel", lc["ApplicationLogLevel"], Defaults[KeyLogLevel])
			check("SystemLogLevel", lc["SystemLogLevel"], "INFO")
			env := get(p, "Environment", "Variables").(map[string]any)
			check(api.EnvFunction, env[api.EnvFunction], r.Function)
			check(api.EnvTableName, env[api.EnvTableName], "<"+table+">")
			check(api.EnvSecretARN, env[api.EnvSecretARN], "<"+secret+">")
			check(api.EnvLogLevel, env[api.EnvLogLevel], Defaults[KeyLogLevel])
			check(api.EnvLocale, env[api.EnvLocale], Defaults[KeyLocale])
			check(api.EnvHistoryDays, env[api.EnvHistoryDays], "90")
			check(api.EnvTimeZone, env[api.EnvTimeZone], Defaults[KeyTimeZone])
			check(api.EnvReminderMinutes, env[api.EnvReminderMinutes], "5")
			if r.Function == api.ScheduleFunction {
				check(api.EnvScheduleGroup, env[api.EnvScheduleGroup], "Orderbot-deadlines")
			}
			// The whole environment: TestFunctionEnvironment.
			check("RetentionInDays", def.res[rr.logGroup].Properties["RetentionInDays"], Defaults[KeyLogRetentionDays])
		})
	}
}

// statement is one IAM policy statement, normalized.
type statement struct {
	Actions   []string
	Resources []string
	Condition string // rendered JSON, "" for none
}

func statements(doc any) []statement {
	var out []statement
	sts, _ := get(doc.(map[string]any), "Statement").([]any)
	for _, s := range sts {
		m := s.(map[string]any)
		st := statement{Actions: strs(m["Action"]), Resources: strs(m["Resource"])}
		if c, ok := m["Condition"]; ok {
			st.Condition = render(c)
		}
		if m["Effect"] != "Allow" {
			continue
		}
		out = append(out, st)
	}
	return out
}

// policies returns every statement of every policy in the template: inline role policies
// and AWS::IAM::Policy documents, keyed by the role or policy id.
func (f *fixture) policies() map[string][]statement {
	out := map[string][]statement{}
	for id, r := range f.res {
		switch r.Type {
		case "AWS::IAM::Role":
			pols, _ := r.Properties["Policies"].([]any)
			for _, p := range pols {
				out[id] = append(out[id], statements(p.(map[string]any)["PolicyDocument"])...)
			}
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy":
			out[id] = append(out[id], statements(r.Properties["PolicyDocument"])...)
		}
	}
	return out
}

func TestNoWildcardActions(t *testing.T) {
	for _, f := range []*fixture{def, variant(t)} {
		pols := f.policies()
		if len(pols) == 0 {
			t.Fatal("found no policies: the walk is broken")
		}
		for id, sts := range pols {
			for _, s := range sts {
				for _, a := range s.Actions {
					if strings.Contains(a, "*") {
						t.Errorf("%s: wildcard action %q", id, a)
					}
				}
			}
		}
		for id, r := range f.res {
			if r.Type == "AWS::IAM::Role" && r.Properties["ManagedPolicyArns"] != nil {
				t.Errorf("%s: managed policies %v", id, r.Properties["ManagedPolicyArns"])
			}
		}
	}
}

// Each function's role allows exactly the table actions its data needs, on the table, the
// secret, its own log group and X-Ray, and no other policy is attached to it.
func TestRolesLeastPrivilege(t *testing.T) {
	table := def.ofType("AWS::DynamoDB::Table")[0]
	secret := def.ofType("AWS::SecretsManager::Secret")[0]
	pols := def.policies()
	for _, r := range api.Routes {
		t.Run(r.Function, func(t *testing.T) {
			rr := def.route(t, r)
			want := []statement{
				{Actions: TableActions(r.Data), Resources: []string{"<" + table + ".Arn>"}, Condition: render(map[string]any{
					"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": wantLeadingKeys[r.Data]},
				})},
				{Actions: []string{"secretsmanager:GetSecretValue"}, Resources: []string{"<" + secret + ">"}},
				{Actions: []string{"logs:CreateLogStream", "logs:PutLogEvents"}, Resources: []string{"<" + rr.logGroup + ".Arn>"}},
				{Actions: []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, Resources: []string{"*"}},
			}
			if r.Kind == api.KindEvents {
				// The App Home: reads of rounds and Home indexes, nothing else (home.go).
				want = append(want, statement{Actions: []string{"dynamodb:GetItem", "dynamodb:Query"}, Resources: []string{"<" + table + ".Arn>"},
					Condition: render(map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": []string{"C#*", "U#*"}}})})
			}
			if r.Kind.Defers() {
				// Its own ARN only, and the ARN must name this very function.
				name := def.res[rr.function].Properties["FunctionName"]
				if name != Defaults[KeyStackName].(string)+"-"+r.Function {
					t.Errorf("function name %v", name)
				}
				want = append(want, statement{Actions: []string{"lambda:InvokeFunction"},
					Resources: []string{"arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:" + name.(string)}},
				)
				if r.Function == api.ScheduleFunction {
					want = append(want, statement{Actions: []string{"scheduler:CreateSchedule", "scheduler:DeleteSchedule"},
						Resources: []string{"arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/Orderbot-deadlines/*"}},
						statement{Actions: []string{"iam:PassRole"}, Resources: []string{"<" + schedulerRole(t) + ".Arn>"},
							Condition: render(map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "scheduler.amazonaws.com"}})})
				}
				want = append(want, statement{Actions: []string{"sqs:SendMessage"}, Resources: []string{"<" + deferredDLQ(t) + ".Arn>"}})
				if dlq := render(get(def.res[rr.function].Properties, "DeadLetterConfig", "TargetArn")); dlq != "<"+deferredDLQ(t)+".Arn>" {
					t.Errorf("dead-letter target %s", dlq)
				}
			}
			got := pols[rr.role]
			// minimizePolicies sorts actions, so compare them as sets.
			if !slices.EqualFunc(got, want, func(a, b statement) bool {
				return slices.Equal(sorted(a.Actions), sorted(b.Actions)) && slices.Equal(a.Resources, b.Resources) && a.Condition == b.Condition
			}) {
				t.Errorf("role %s statements:\n got %+v\nwant %+v", rr.role, got, want)
			}
			for id, res := range def.res {
				if res.Type == "AWS::IAM::Policy" && strings.Contains(render(res.Properties["Roles"]), "<"+rr.role+">") {
					t.Errorf("policy %s is attached to %s", id, rr.role)
				}
			}
			ap := get(def.res[rr.role].Properties, "AssumeRolePolicyDocument", "Statement").([]any)
			if len(ap) != 1 || render(get(ap[0].(map[string]any), "Principal", "Service")) != "lambda.amazonaws.com" {
				t.Errorf("role %s trust policy: %v", rr.role, ap)
			}
		})
	}
}

func TestMethods(t *testing.T) {
	for _, r := range api.Routes {
		t.Run(r.Function, func(t *testing.T) {
			rr := def.route(t, r)
			p := def.res[rr.method].Properties
			in := p["Integration"].(map[string]any)
			if in["Type"] != "AWS" || in["IntegrationHttpMethod"] != "POST" {
				t.Errorf("integration type %v %v, want AWS (non-proxy) POST", in["Type"], in["IntegrationHttpMethod"])
			}
			if in["PassthroughBehavior"] != "NEVER" {
				t.Errorf("PassthroughBehavior = %v", in["PassthroughBehavior"])
			}
			if ms := in["TimeoutInMillis"].(float64); ms != float64(api.IntegrationTimeout.Milliseconds()) || ms >= 3000 {
				t.Errorf("TimeoutInMillis = %v, want %d (< 3000)", ms, api.IntegrationTimeout.Milliseconds())
			}
			tmpl, err := api.Template(r.RequestTemplate)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := render(in["RequestTemplates"]), render(map[string]any{r.ContentType: tmpl}); got != want {
				t.Errorf("RequestTemplates = %.200s…, want only %s", got, r.ContentType)
			}
			if p["AuthorizationType"] != "NONE" {
				t.Errorf("AuthorizationType = %v", p["AuthorizationType"])
			}
			irs := in["IntegrationResponses"].([]any)
			mrs := p["MethodResponses"].([]any)
			want := r.IntegrationResponses()
			if len(irs) != len(want) || len(mrs) != len(want) {
				t.Fatalf("%d integration and %d method responses, want %d", len(irs), len(mrs), len(want))
			}
			var statuses []string
			for i, w := range want {
				ir := irs[i].(map[string]any)
				status := strconv.Itoa(w.StatusCode)
				if ir["StatusCode"] != status {
					t.Errorf("response %d: status %v, want %s", i, ir["StatusCode"], status)
				}
				if sp, _ := ir["SelectionPattern"].(string); sp != w.SelectionPattern {
					t.Errorf("response %s: SelectionPattern %q, want %q", status, sp, w.SelectionPattern)
				}
				if got := get(ir, "ResponseTemplates", ResponseContentType); got != w.Template {
					t.Errorf("response %s: template %v, want %q", status, got, w.Template)
				}
				if w.StatusCode != 200 && !json.Valid([]byte(w.Template)) {
					t.Errorf("error response %s is not static JSON: %q", status, w.Template)
				}
				statuses = append(statuses, status)
			}
			var got []string
			for _, m := range mrs {
				got = append(got, m.(map[string]any)["StatusCode"].(string))
			}
			sort.Strings(got)
			sort.Strings(statuses)
			if !slices.Equal(got, statuses) {
				t.Errorf("method responses %v, want %v", got, statuses)
			}
			// API Gateway may invoke the function from this method only.
			var perms int
			for _, id := range def.ofType("AWS::Lambda::Permission") {
				pp := def.res[id].Properties
				if render(pp["FunctionName"]) == "<"+rr.function+".Arn>" {
					perms++
					if src := render(pp["SourceArn"]); !strings.HasSuffix(src, "/"+r.Method+r.Path) {
						t.Errorf("permission %s: SourceArn %s is not scoped to %s %s", id, src, r.Method, r.Path)
					}
				}
			}
			if perms != 1 {
				t.Errorf("%d invoke permissions for %s, want 1", perms, rr.function)
			}
		})
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

// deferredDLQ is the logical id of the deferred work's dead-letter queue.
func deferredDLQ(t *testing.T) string {
	t.Helper()
	for _, id := range def.ofType("AWS::SQS::Queue") {
		if strings.HasPrefix(id, "DeferredDLQ") {
			return id
		}
	}
	t.Fatal("no DeferredDLQ queue")
	return ""
}
