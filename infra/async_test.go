package infra

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/api"
)

// eventInvokeConfigs returns the asynchronous invocation configurations of function fn.
func (f *fixture) eventInvokeConfigs(fn string) []map[string]any {
	var out []map[string]any
	for _, id := range f.ofType("AWS::Lambda::EventInvokeConfig") {
		p := f.res[id].Properties
		if render(p["FunctionName"]) == "<"+fn+">" {
			out = append(out, p)
		}
	}
	return out
}

// Each function that defers has exactly one asynchronous invocation configuration, with the
// contract's event age and retries; the events function, invoked synchronously only, has
// none. The dead-letter queue stays: it is where a run lands after the last retry.
func TestAsyncInvokeConfig(t *testing.T) {
	var total int
	for _, r := range api.Routes {
		t.Run(r.Function, func(t *testing.T) {
			rr := def.route(t, r)
			cfgs := def.eventInvokeConfigs(rr.function)
			total += len(cfgs)
			if !r.Kind.Defers() {
				if len(cfgs) != 0 {
					t.Errorf("EventInvokeConfigs: got %v, want none (invoked synchronously only)", cfgs)
				}
				return
			}
			if len(cfgs) != 1 {
				t.Fatalf("EventInvokeConfigs: got %d, want 1", len(cfgs))
			}
			p := cfgs[0]
			if got, want := p["MaximumEventAgeInSeconds"], api.MaxEventAge.Seconds(); got != want {
				t.Errorf("MaximumEventAgeInSeconds: got %v, want %v", got, want)
			}
			if got, want := p["MaximumRetryAttempts"], float64(api.AsyncRetryAttempts); got != want {
				t.Errorf("MaximumRetryAttempts: got %v, want %v", got, want)
			}
			if got, want := p["Qualifier"], "$LATEST"; got != want {
				t.Errorf("Qualifier: got %v, want %v", got, want)
			}
			dlq := "<" + deferredDLQ(t) + ".Arn>"
			if got := render(get(def.res[rr.function].Properties, "DeadLetterConfig", "TargetArn")); got != dlq {
				t.Errorf("DeadLetterConfig.TargetArn: got %s, want %s", got, dlq)
			}
		})
	}
	if n := len(def.ofType("AWS::Lambda::EventInvokeConfig")); n != total {
		t.Errorf("EventInvokeConfigs in the stack: got %d, want %d (all of them on route functions)", n, total)
	}
}

// A deferred run may start as late as the maximum event age after its event was queued and
// then lasts up to the function's timeout; all of it must fall within the 30 minutes that
// Slack accepts answers on response_url.
func TestDeferredRunFitsResponseURL(t *testing.T) {
	if got, limit := api.MaxEventAge+api.DeferredTimeout, api.ResponseURLValidity; got >= limit {
		t.Errorf("api.MaxEventAge + api.DeferredTimeout: got %v, want < api.ResponseURLValidity %v", got, limit)
	}
	var checked int
	for _, r := range api.Routes {
		if !r.Kind.Defers() {
			continue
		}
		rr := def.route(t, r)
		cfgs := def.eventInvokeConfigs(rr.function)
		if len(cfgs) != 1 {
			t.Errorf("%s: EventInvokeConfigs: got %d, want 1", r.Function, len(cfgs))
			continue
		}
		age, _ := cfgs[0]["MaximumEventAgeInSeconds"].(float64)
		timeout, _ := def.res[rr.function].Properties["Timeout"].(float64)
		if timeout != api.DeferredTimeout.Seconds() {
			t.Errorf("%s: Timeout: got %v s, want api.DeferredTimeout %v s", r.Function, timeout, api.DeferredTimeout.Seconds())
		}
		if limit := api.ResponseURLValidity.Seconds(); age <= 0 || timeout <= 0 || age+timeout >= limit {
			t.Errorf("%s: event age %v s + timeout %v s: got %v s, want < %v s", r.Function, age, timeout, age+timeout, limit)
		}
		checked++
	}
	if checked == 0 {
		t.Error("no function defers: the route table or Defers changed, this test checks nothing")
	}
}

// checkAsync refuses settings that Lambda rejects or that let a run outlive response_url.
func TestAsyncContractRejects(t *testing.T) {
	for _, c := range []struct {
		name    string
		timeout time.Duration
		maxAge  time.Duration
		retries int
		ok      bool
	}{
		{"contract", api.DeferredTimeout, api.MaxEventAge, api.AsyncRetryAttempts, true},
		{"just fits", 30 * time.Second, 29*time.Minute + 29*time.Second, 0, true},
		{"ends as response_url expires", 30 * time.Second, 29*time.Minute + 30*time.Second, 2, false},
		{"Lambda's default age", 30 * time.Second, 6 * time.Hour, 2, false},
		{"long timeout", 10 * time.Minute, api.MaxEventAge, 2, false},
		{"age below a minute", 3 * time.Second, 30 * time.Second, 2, false},
		{"fractional age", 3 * time.Second, 90*time.Second + time.Millisecond, 2, false},
		{"three retries", 3 * time.Second, api.MaxEventAge, 3, false},
		{"negative retries", 3 * time.Second, api.MaxEventAge, -1, false},
	} {
		err := checkAsync(c.timeout, c.maxAge, c.retries)
		if (err == nil) != c.ok {
			t.Errorf("%s: checkAsync(%v, %v, %d): got %v, want ok=%v", c.name, c.timeout, c.maxAge, c.retries, err, c.ok)
		}
	}
	cmd := api.Routes[0]
	for _, r := range api.Routes {
		if r.Kind.Defers() {
			cmd = r
		}
	}
	if _, _, err := asyncInvoke(cmd, nil); err == nil || !strings.Contains(err.Error(), "dead-letter") {
		t.Errorf("%s without a dead-letter queue: got %v, want an error naming the dead-letter queue", cmd.Function, err)
	}
}

// The latency alarm watches synchronous requests only: a metric filter on the function's log
// group takes "ms" from the handler's request lines except deferred runs, and the alarm is on
// that metric's p99. Lambda's own Duration, which mixes both, is alarmed on nowhere.
func TestSyncDurationAlarm(t *testing.T) {
	const wantPattern = `{ (($.msg = "request handled") || ($.msg = "request failed")) && ($.deferred NOT EXISTS) }`
	for _, r := range api.Routes {
		t.Run(r.Function, func(t *testing.T) {
			rr := def.route(t, r)
			var filters []map[string]any
			for _, id := range def.ofType("AWS::Logs::MetricFilter") {
				p := def.res[id].Properties
				mt := p["MetricTransformations"].([]any)[0].(map[string]any)
				if render(p["LogGroupName"]) == "<"+rr.logGroup+">" && mt["MetricName"] == MetricSyncDuration {
					filters = append(filters, p)
				}
			}
			if len(filters) != 1 {
				t.Fatalf("%s metric filters on %s: got %d, want 1", MetricSyncDuration, rr.logGroup, len(filters))
			}
			p := filters[0]
			if got := p["FilterPattern"]; got != wantPattern {
				t.Errorf("FilterPattern: got %v, want %s", got, wantPattern)
			}
			mt := p["MetricTransformations"].([]any)[0].(map[string]any)
			want := map[string]any{
				"MetricNamespace": MetricNamespace, "MetricValue": "$.ms", "Unit": "Milliseconds",
				"Dimensions": []any{map[string]any{"Key": "Function", "Value": "$.function"}},
			}
			for k, w := range want {
				if g := render(mt[k]); g != render(w) {
					t.Errorf("MetricTransformations.%s: got %s, want %s", k, g, render(w))
				}
			}

			var alarms []map[string]any
			for _, id := range def.ofType("AWS::CloudWatch::Alarm") {
				a := def.res[id].Properties
				if a["Namespace"] == MetricNamespace && a["MetricName"] == MetricSyncDuration &&
					render(a["Dimensions"]) == render([]any{map[string]any{"Name": "Function", "Value": r.Function}}) {
					alarms = append(alarms, a)
				}
			}
			if len(alarms) != 1 {
				t.Fatalf("alarms on %s for %s: got %d, want 1", MetricSyncDuration, r.Function, len(alarms))
			}
			a := alarms[0]
			for k, w := range map[string]any{
				"ExtendedStatistic": "p99", "Period": 300.0, "EvaluationPeriods": 1.0,
				"Threshold": float64(DurationAlarmMs), "ComparisonOperator": "GreaterThanThreshold",
			} {
				if g := a[k]; g != w {
					t.Errorf("alarm %s: got %v, want %v", k, g, w)
				}
			}
		})
	}
	for _, id := range def.ofType("AWS::CloudWatch::Alarm") {
		if a := def.res[id].Properties; a["Namespace"] == "AWS/Lambda" && a["MetricName"] == "Duration" {
			t.Errorf("alarm %s: got one on Lambda's Duration, want none (it mixes deferred runs in)", id)
		}
	}
}

// The metric filter depends on the line the handlers log; if its message or fields change,
// the filter matches nothing and the alarm, missing data, stays quiet. Guard against that
// drift by reading the handler package's source.
func TestSyncDurationLogContract(t *testing.T) {
	files, err := filepath.Glob("../lambdas/handler/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("handler sources: got %v (%v), want lambdas/handler/*.go", files, err)
	}
	var src strings.Builder
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	for _, want := range []string{
		`"` + logMsgHandled + `"`, `"` + logMsgFailed + `"`,
		`"` + logFieldMs + `",`, `"` + logFieldFn + `",`, `"` + logFieldDefers + `", true`,
	} {
		if !strings.Contains(src.String(), want) {
			t.Errorf("lambdas/handler: got no %s, want it (the %s metric filter selects on it)", want, MetricSyncDuration)
		}
	}
}

// A deferred run that fails every retry (or outlives its event age) lands in the
// dead-letter queue, and an alarm fires as soon as one is there.
func TestDeferredDLQAlarm(t *testing.T) {
	queue := deferredDLQ(t)
	var found int
	for _, id := range def.ofType("AWS::CloudWatch::Alarm") {
		a := def.res[id].Properties
		if a["Namespace"] != "AWS/SQS" || strings.HasPrefix(id, "DeadlineDLQ") { // Scheduler's: TestSchedulerDeadLetterQueue
			continue
		}
		found++
		dims, _ := a["Dimensions"].([]any)
		if len(dims) != 1 || get(dims[0].(map[string]any), "Name") != "QueueName" ||
			render(get(dims[0].(map[string]any), "Value")) != "<"+queue+".QueueName>" {
			t.Errorf("alarm %s dimensions: got %v, want QueueName of %s", id, dims, queue)
		}
		for k, w := range map[string]any{
			"MetricName": "ApproximateNumberOfMessagesVisible", "Statistic": "Maximum",
			"Threshold": 0.0, "ComparisonOperator": "GreaterThanThreshold",
		} {
			if g := a[k]; g != w {
				t.Errorf("alarm %s %s: got %v, want %v", id, k, g, w)
			}
		}
	}
	if found != 1 {
		t.Errorf("alarms on the dead-letter queue: got %d, want 1", found)
	}
}
