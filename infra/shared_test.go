package infra

import (
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/store/dynamo"
	"github.com/orderbot/orderbot/manifest"
)

func TestStage(t *testing.T) {
	stages := def.ofType("AWS::ApiGateway::Stage")
	st := def.res[stages[0]]
	p := st.Properties
	if p["StageName"] != Defaults[KeyStageName] || p["TracingEnabled"] != true {
		t.Errorf("stage %v, tracing %v", p["StageName"], p["TracingEnabled"])
	}
	format, _ := get(p, "AccessLogSetting", "Format").(string)
	if format != AccessLogFormat() {
		t.Errorf("access log format %q", format)
	}
	var fields map[string]any
	// $context.error.messageString is the one variable API Gateway renders as a quoted
	// JSON string, so it stands unquoted in the format.
	if err := json.Unmarshal([]byte(strings.ReplaceAll(format, "$context.error.messageString", `""`)), &fields); err != nil {
		t.Errorf("access log format is not JSON: %v", err)
	}
	for _, k := range []string{"requestId", "ip", "caller", "user", "requestTime", "httpMethod", "resourcePath", "status", "protocol", "responseLength"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("access log lacks standard field %s", k)
		}
	}
	dest, _ := ref(get(p, "AccessLogSetting", "DestinationArn"))
	if def.res[dest].Type != "AWS::Logs::LogGroup" || jsonStr(def.res[dest].Properties["RetentionInDays"]) != jsonStr(Defaults[KeyLogRetentionDays]) {
		t.Errorf("access logs go to %s %v", dest, def.res[dest])
	}
	def.tmpl.HasResourceProperties(jsii.String("AWS::ApiGateway::Stage"), map[string]any{
		"MethodSettings": []any{map[string]any{
			"HttpMethod": "*", "ResourcePath": "/*",
			"LoggingLevel": Defaults[KeyExecutionLogLevel], "DataTraceEnabled": false, "MetricsEnabled": true,
			"ThrottlingRateLimit": Defaults[KeyThrottleRate], "ThrottlingBurstLimit": Defaults[KeyThrottleBurst],
		}},
	})
	def.tmpl.HasResourceProperties(jsii.String("AWS::ApiGateway::RestApi"), map[string]any{
		"EndpointConfiguration": map[string]any{"Types": []any{"REGIONAL"}},
	})
	// Execution logging needs the account's CloudWatch role before the stage exists.
	acct := def.ofType("AWS::ApiGateway::Account")
	if len(acct) != 1 || !strings.Contains(render(st.DependsOn), acct[0]) {
		t.Errorf("stage DependsOn %v, want the account %v", st.DependsOn, acct)
	}
	role, _ := ref(def.res[acct[0]].Properties["CloudWatchRoleArn"])
	if def.res[role].Type != "AWS::IAM::Role" || def.res[role].DeletionPolicy != "Retain" || def.res[acct[0]].DeletionPolicy != "Retain" {
		t.Errorf("account role %s: %+v", role, def.res[role])
	}
}

func TestTableAndSecret(t *testing.T) {
	def.tmpl.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{
		"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
		"Properties": map[string]any{
			"BillingMode": "PAY_PER_REQUEST",
			"KeySchema": []any{
				map[string]any{"AttributeName": dynamo.PartitionKey, "KeyType": "HASH"},
				map[string]any{"AttributeName": dynamo.SortKey, "KeyType": "RANGE"},
			},
			"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
			"TimeToLiveSpecification":          map[string]any{"AttributeName": dynamo.TTLAttribute, "Enabled": true},
			"DeletionProtectionEnabled":        Defaults[KeyDeletionProtection],
		},
	})
	sec := def.res[def.ofType("AWS::SecretsManager::Secret")[0]].Properties
	desc, _ := sec["Description"].(string)
	for _, want := range []string{"put-secret-value", api.SecretKeySigningSecret, api.SecretKeyBotToken} {
		if !strings.Contains(desc, want) {
			t.Errorf("secret description: got %q, want it to name %q", desc, want)
		}
	}
	if got, want := get(sec, "GenerateSecretString", "GenerateStringKey"), api.SecretKeySigningSecret; got != want {
		t.Errorf("generated key: got %v, want %s", got, want)
	}
}

func TestAlarms(t *testing.T) {
	type alarm struct{ metric, stat string }
	byDim := map[string][]alarm{}
	for _, id := range def.ofType("AWS::CloudWatch::Alarm") {
		p := def.res[id].Properties
		if p["ComparisonOperator"] != "GreaterThanThreshold" || p["TreatMissingData"] != "notBreaching" {
			t.Errorf("%s: %v, %v", id, p["ComparisonOperator"], p["TreatMissingData"])
		}
		th := p["Threshold"].(float64)
		if metrics, ok := p["Metrics"].([]any); ok {
			// The Errors alarm is metric math: Lambda's Errors minus the rejected requests
			// counted from the function's log.
			var expr, key string
			parts := map[string]string{}
			for _, m := range metrics {
				m := m.(map[string]any)
				if e, ok := m["Expression"].(string); ok {
					expr = e
					continue
				}
				ms := get(m, "MetricStat").(map[string]any)
				metric := ms["Metric"].(map[string]any)
				dims := metric["Dimensions"].([]any)
				parts[m["Id"].(string)] = metric["Namespace"].(string) + "/" + metric["MetricName"].(string) + ":" + ms["Stat"].(string)
				if metric["MetricName"] == "Errors" {
					key = render(dims[0].(map[string]any)["Value"])
				} else if v := render(dims[0].(map[string]any)["Value"]); v == "" {
					t.Errorf("%s: rejected metric without a function dimension", id)
				}
			}
			want := map[string]string{"errors": "AWS/Lambda/Errors:Sum", "rejected": MetricNamespace + "/" + MetricRejected + ":Sum"}
			if expr != "FILL(errors, 0) - FILL(rejected, 0)" || len(parts) != 2 || parts["errors"] != want["errors"] || parts["rejected"] != want["rejected"] {
				t.Errorf("%s: math alarm %q over %v", id, expr, parts)
			}
			byDim[key] = append(byDim[key], alarm{"Errors>" + jsonStr(th), "Sum"})
			continue
		}
		stat, _ := p["Statistic"].(string)
		if e, ok := p["ExtendedStatistic"].(string); ok {
			stat = e
		}
		dims := p["Dimensions"].([]any)
		key := render(dims[0].(map[string]any)["Value"])
		byDim[key] = append(byDim[key], alarm{p["MetricName"].(string) + ">" + jsonStr(th), stat})
	}
	for _, r := range api.Routes {
		rr := def.route(t, r)
		// Lambda's metrics name the function by its id, the ones counted from its log by
		// its route name.
		got := append(byDim["<"+rr.function+">"], byDim[r.Function]...)
		want := []alarm{{"Errors>0", "Sum"}, {MetricSyncDuration + ">" + jsonStr(DurationAlarmMs), "p99"}, {"Throttles>0", "Sum"}}
		sort.Slice(got, func(i, j int) bool { return got[i].metric < got[j].metric })
		if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Errorf("%s alarms %v, want %v", r.Function, got, want)
		}
	}
	for _, r := range api.Routes {
		rr := def.route(t, r)
		var filters []string
		for _, id := range def.ofType("AWS::Logs::MetricFilter") {
			p := def.res[id].Properties
			mt := p["MetricTransformations"].([]any)[0].(map[string]any)
			if render(p["LogGroupName"]) == "<"+rr.logGroup+">" && mt["MetricName"] == MetricRejected {
				filters = append(filters, render(p["FilterPattern"]))
			}
		}
		if len(filters) != 1 || !strings.Contains(filters[0], `$.code = "unauthorized"`) || !strings.Contains(filters[0], `$.code = "bad_request"`) {
			t.Errorf("%s: rejected-request metric filters %q", r.Function, filters)
		}
	}
	if got := byDim[Defaults[KeyStackName].(string)]; len(got) != 1 || got[0] != (alarm{"5XXError>0", "Sum"}) {
		t.Errorf("API alarms %v", got)
	}
}

func jsonStr(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestOutputs(t *testing.T) {
	out := func(name string) string {
		t.Helper()
		o, ok := def.outs[name].(map[string]any)
		if !ok {
			t.Fatalf("no output %s", name)
		}
		return render(o["Value"])
	}
	api0 := def.ofType("AWS::ApiGateway::RestApi")[0]
	base := "https://<" + api0 + ">.execute-api.<AWS::Region>.<AWS::URLSuffix>/" + Defaults[KeyStageName].(string)
	if got := out(OutputAPIURL); got != base {
		t.Errorf("ApiUrl = %s, want %s", got, base)
	}
	for _, r := range api.Routes {
		if got, want := out(RequestURLOutput(r)), manifest.URL(base, r.Path); got != want {
			t.Errorf("%s = %s, want %s", RequestURLOutput(r), got, want)
		}
	}
	if got := out(OutputTableName); got != "<"+def.ofType("AWS::DynamoDB::Table")[0]+">" {
		t.Errorf("TableName = %s", got)
	}
	if !strings.Contains(out(OutputSecretName), def.ofType("AWS::SecretsManager::Secret")[0]) {
		t.Errorf("SecretName = %s", out(OutputSecretName))
	}
	want, err := manifest.Build(base)
	if err != nil {
		t.Fatal(err)
	}
	if got := out(OutputSlackManifest); got != string(want) {
		t.Errorf("SlackManifest =\n%s\nwant\n%s", got, want)
	}
	if n := len(def.outs); n != 4+len(api.Routes) {
		t.Errorf("%d outputs, want %d: %v", n, 4+len(api.Routes), def.outs)
	}
}

// findings returns the stack's cdk-nag annotations of one kind as "rule path" lines.
func findings(f *fixture, kind string) []string {
	find := f.ann.FindInfo
	switch kind {
	case "error":
		find = f.ann.FindError
	case "warning":
		find = f.ann.FindWarning
	}
	var out []string
	for _, m := range messages(find(jsii.String("*"), assertions.Match_AnyValue())) {
		out = append(out, m.ID+" "+strings.SplitN(m.Entry.Data, ":", 2)[0])
	}
	sort.Strings(out)
	return out
}

// message is an annotation. Annotations come back as cxapi.SynthesisMessage, whose fields
// are marked deprecated in the Go bindings with no replacement, so they are read via JSON.
type message struct {
	ID    string `json:"id"`
	Entry struct {
		Data string `json:"data"`
	} `json:"entry"`
}

func messages(v any) []message {
	var out []message
	b, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(b, &out)
	}
	if err != nil {
		panic(err)
	}
	return out
}

var suppressedRe = regexp.MustCompile(`^CdkNagSuppression(?:\[(.*)\])?: (\S+) was triggered but suppressed`)

// checkNag requires zero unsuppressed errors and warnings, and that each suppression in the
// stack was used by a finding (a suppression that matches nothing hides the next one).
func checkNag(t *testing.T, f *fixture) {
	t.Helper()
	for _, kind := range []string{"error", "warning"} {
		for _, l := range findings(f, kind) {
			t.Errorf("unsuppressed %s: %s", kind, l)
		}
	}
	checkSuppressionsUsed(t, f.ann, f.stack.Suppressions)
}

// checkSuppressionsUsed requires that each suppression was used by a finding and that
// each suppressed finding has a recorded suppression (needs cdk-nag's LogIgnores).
func checkSuppressionsUsed(t *testing.T, ann assertions.Annotations, sups []Suppression) {
	t.Helper()
	used := map[string]bool{}
	for _, m := range messages(ann.FindInfo(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("CdkNagSuppression.*")))) {
		sm := suppressedRe.FindStringSubmatch(m.Entry.Data)
		if sm == nil {
			t.Errorf("unparsed suppression message %q", m.Entry.Data)
			continue
		}
		// sm[1] is the finding within the rule, e.g. IAM5's Resource::*.
		used[m.ID+" "+sm[2]+" "+sm[1]] = true
	}
	var lines []string
	for _, s := range sups {
		if !strings.HasPrefix(s.Rule, "AwsSolutions-") && !strings.HasPrefix(s.Rule, "Serverless-") || len(s.Reason) < 40 {
			t.Errorf("suppression %s on %s: rule or reason too vague", s.Rule, s.Path)
		}
		subjects := s.AppliesTo
		if len(subjects) == 0 {
			subjects = []string{""}
		}
		for _, a := range subjects {
			key := "/" + s.Path + " " + s.Rule + " " + a
			if !used[key] {
				t.Errorf("suppression matched no finding: %s", key)
			}
			delete(used, key)
			lines = append(lines, key)
		}
	}
	for k := range used {
		t.Errorf("suppressed finding without a recorded suppression: %s", k)
	}
	sort.Strings(lines)
	t.Logf("%d suppressed findings:\n%s", len(lines), strings.Join(lines, "\n"))
}

func TestNag(t *testing.T) { checkNag(t, def) }

var (
	variantOnce sync.Once
	variantFx   *fixture
	variantErr  error
)

// variant is the stack with every optional context set: an imported secret, an alarm
// email, no account role.
func variant(t *testing.T) *fixture {
	t.Helper()
	variantOnce.Do(func() {
		variantFx, variantErr = synth(os.TempDir(), map[string]any{
			KeySecretName: "orderbot/slack", KeyAlarmEmail: "ops@example.com", KeyCloudWatchRole: "false",
			KeyLogRetentionDays: "90", KeyStageName: "v1", KeyThrottleRate: "5",
			// Every function's settings off their defaults (TestTimeZoneReachesEveryFunction).
			KeyTimeZone: "Europe/Berlin", KeyLocale: "ko", KeyReminderMinutes: "0", KeyHistoryDays: "30",
			KeyWAFRateLimit: "300",
		})
	})
	if variantErr != nil {
		t.Fatal(variantErr)
	}
	return variantFx
}

func TestVariant(t *testing.T) {
	v := variant(t)
	checkNag(t, v)
	v.tmpl.ResourceCountIs(jsii.String("AWS::SecretsManager::Secret"), jsii.Number(0))
	v.tmpl.ResourceCountIs(jsii.String("AWS::ApiGateway::Account"), jsii.Number(0))
	// One per route, and the one EventBridge Scheduler assumes for deadlines.
	v.tmpl.ResourceCountIs(jsii.String("AWS::IAM::Role"), jsii.Number(len(api.Routes)+1))
	v.tmpl.ResourceCountIs(jsii.String("AWS::SNS::Topic"), jsii.Number(1))
	v.tmpl.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]any{
		"Protocol": "email", "Endpoint": "ops@example.com",
	})
	topic := v.ofType("AWS::SNS::Topic")[0]
	for _, id := range v.ofType("AWS::CloudWatch::Alarm") {
		if got := strs(v.res[id].Properties["AlarmActions"]); len(got) != 1 || got[0] != "<"+topic+">" {
			t.Errorf("alarm %s actions %v, want the topic", id, got)
		}
	}
	for _, r := range api.Routes {
		rr := v.route(t, r)
		var found bool
		for _, s := range v.policies()[rr.role] {
			if s.Actions[0] == "secretsmanager:GetSecretValue" {
				found = true
				if len(s.Resources) != 1 || !strings.HasSuffix(s.Resources[0], ":secret:orderbot/slack-??????") {
					t.Errorf("%s: secret resource %v", r.Function, s.Resources)
				}
			}
		}
		if !found {
			t.Errorf("%s: no secret statement", r.Function)
		}
		if got := v.res[rr.logGroup].Properties["RetentionInDays"]; got != 90.0 {
			t.Errorf("%s: retention %v", r.Function, got)
		}
	}
	v.tmpl.HasResourceProperties(jsii.String("AWS::ApiGateway::Stage"), map[string]any{
		"StageName":      "v1",
		"MethodSettings": []any{assertions.Match_ObjectLike(&map[string]any{"ThrottlingRateLimit": 5})},
	})
}

// cdk.json documents every context key with its default; the two must not drift.
func TestCdkJSONContext(t *testing.T) {
	keys := map[string]bool{}
	for k, v := range cdkContext {
		if strings.HasPrefix(k, "@aws-cdk/") {
			continue
		}
		keys[k] = true
		d, ok := Defaults[k]
		if !ok {
			t.Errorf("cdk.json context %s is not a key the app reads", k)
			continue
		}
		if jsonStr(v) != jsonStr(d) {
			t.Errorf("cdk.json %s = %s, default %s", k, jsonStr(v), jsonStr(d))
		}
	}
	for k := range Defaults {
		if !keys[k] {
			t.Errorf("context key %s is missing from cdk.json", k)
		}
	}
}

func TestConfigRejects(t *testing.T) {
	for name, ctx := range map[string]map[string]any{
		"retention":      {KeyLogRetentionDays: 31},
		"log level":      {KeyLogLevel: "verbose"},
		"exec log level": {KeyExecutionLogLevel: "DEBUG"},
		"rate":           {KeyThrottleRate: "0"},
		"bool":           {KeyDeletionProtection: "maybe"},
		"email":          {KeyAlarmEmail: "ops"},
		"stage":          {KeyStageName: ""},
		"locale":         {KeyLocale: "fr"},
	} {
		app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
		if _, err := ConfigFrom(app); err == nil {
			t.Errorf("%s: %v accepted", name, ctx)
		}
	}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]any{KeyLogRetentionDays: "7", KeyDeletionProtection: "false", KeyLocale: " KO "}})
	c, err := ConfigFrom(app)
	if err != nil || c.LogRetentionDays != 7 || c.DeletionProtection || c.Locale != "ko" {
		t.Errorf("string context: %+v, %v", c, err)
	}
}

func TestMissingBuild(t *testing.T) {
	_, _, err := NewApp(AppOptions{Context: map[string]any{KeyBuildDir: t.TempDir()}, Outdir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "make build") {
		t.Errorf("err = %v, want a hint to run make build", err)
	}
}
