package awsfront_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/config"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/orders/orderstest"
	"github.com/orderbot/orderbot/lambdas/schedule"
	"github.com/orderbot/orderbot/lambdas/selfinvoke"
	"github.com/orderbot/orderbot/lambdas/store/dynamo"
	"github.com/orderbot/orderbot/lambdas/store/dynamo/dynamotest"
	"github.com/orderbot/orderbot/local/awsfront"
	"github.com/orderbot/orderbot/local/cfn"
	"github.com/orderbot/orderbot/local/cfn/cfntest"
	"github.com/orderbot/orderbot/local/iam"
)

// local is a stack of the template under its own name: every table, queue and role its
// own, so that tests sharing one dynalite do not share data.
type local struct {
	stack *cfn.Stack
	model *iam.Model
	raw   cfn.Template
	table string
}

var stackSeq atomic.Int64

func newLocal(t *testing.T, endpoint string) local {
	t.Helper()
	dir := cfntest.Default(t)
	b, err := os.ReadFile(filepath.Join(dir, "Orderbot.template.json"))
	if err != nil {
		t.Fatal(err)
	}
	var l local
	if err := json.Unmarshal(b, &l.raw); err != nil {
		t.Fatal(err)
	}
	if l.stack, err = cfn.Parse(l.raw, fmt.Sprintf("OB%d", stackSeq.Add(1)), dir); err != nil {
		t.Fatal(err)
	}
	if l.model, err = iam.FromTemplate(l.raw, l.stack); err != nil {
		t.Fatal(err)
	}
	for _, tb := range l.stack.Tables {
		l.table = tb.Name
	}
	if err := dynamo.CreateTable(context.Background(), dynamotest.NewClient(endpoint), l.table); err != nil {
		t.Fatal(err)
	}
	return l
}

// front serves a front over dynalite and recording stand-ins for model.
func (l local) front(t *testing.T, endpoint string, model *iam.Model) (*awsfront.Front, string) {
	t.Helper()
	u, _ := url.Parse(endpoint)
	f := &awsfront.Front{IAM: model, Stack: l.stack, Backends: map[string]http.Handler{
		"dynamodb": httputil.NewSingleHostReverseProxy(u), "lambda": &recorder{status: http.StatusAccepted},
		"scheduler": &recorder{status: http.StatusOK}, "secretsmanager": &recorder{status: http.StatusOK}}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

// replyClaims is the store as an order function uses it: its event records are the
// claims of deferred replies (lambdas/handler), ids "reply#…".
type replyClaims struct{ *dynamo.Store }

func (r replyClaims) MarkEvent(ctx context.Context, id string, now, expires time.Time) (bool, error) {
	return r.Store.MarkEvent(ctx, dynamo.ReplyClaimPrefix+id, now, expires)
}

func (r replyClaims) ForgetEvent(ctx context.Context, id string) error {
	return r.Store.ForgetEvent(ctx, dynamo.ReplyClaimPrefix+id)
}

func (r replyClaims) EventRecorded(ctx context.Context, id string, now time.Time) (bool, error) {
	return r.Store.EventRecorded(ctx, dynamo.ReplyClaimPrefix+id, now)
}

// The whole store conformance suite runs as the order-update function — signed with its
// credentials, authorised by its role in the template, on dynalite — with no denial; and
// the events function's de-duplication with its own.
func TestStoreSuiteThroughTheFront(t *testing.T) {
	endpoint := dynamotest.Endpoint(t)
	orderstest.Run(t, func(t *testing.T) orders.Store {
		l := newLocal(t, endpoint)
		f, u := l.front(t, endpoint, l.model)
		t.Cleanup(func() {
			if d := f.Denials(); len(d) > 0 {
				t.Errorf("denials: got %+v, want none", d)
			}
		})
		return replyClaims{dynamo.New(functionDB(t, f, u, "Orderbot-order-update"), l.table)}
	})
	l := newLocal(t, endpoint)
	f, u := l.front(t, endpoint, l.model)
	s := dynamo.New(functionDB(t, f, u, "Orderbot-events"), l.table)
	now := time.Now()
	for i, want := range []bool{true, false} {
		if first, err := s.MarkEvent(context.Background(), "Ev0123ABCDEF", now, now.Add(time.Hour)); err != nil || first != want {
			t.Errorf("MarkEvent #%d: got %v, %v; want %v", i+1, first, err, want)
		}
	}
}

func functionDB(t *testing.T, f *awsfront.Front, u, fn string) *dynamodb.Client {
	t.Helper()
	c, err := f.Issue(fn)
	if err != nil {
		t.Fatal(err)
	}
	e := env{url: u}
	return dynamodb.NewFromConfig(e.cfgWith(c))
}

// step is one thing a function does with its role: a name for the table, and the call.
type step struct {
	name string
	run  func(ctx context.Context, w *workload) error
}

// workload is one function's calls, made through a front.
type workload struct {
	fn    *cfn.Function
	front *awsfront.Front
	url   string
	l     local
	creds awsfront.Credentials
}

func (w *workload) cfg() env { return env{url: w.url} }

// steps are what function (a route of api.Routes) does with AWS, in the order a
// request would: the cold start reads the secret; Lambda writes its logs and traces with
// its role; its store calls; deferred work invokes itself, and Lambda hands a failed
// deferred event to the dead-letter queue with its role; the schedule function creates
// and deletes deadline schedules, passing the scheduler role.
func steps(r api.Route) []step {
	s := []step{
		{"cold start: GetSecretValue", func(ctx context.Context, w *workload) error {
			_, err := config.FetchSecret(ctx, config.SecretsManagerAPI{AWS: w.cfg().cfgWith(w.creds)}, w.fn.Env[api.EnvSecretARN])
			return err
		}},
		{"Lambda writes the function's logs", func(ctx context.Context, w *workload) error {
			group := logGroup(w)
			stream := group + ":log-stream:2026/12/07/[$LATEST]0123456789abcdef"
			if err := w.front.Authorize(w.fn.Name, "logs:CreateLogStream", stream, nil); err != nil {
				return err
			}
			return w.front.Authorize(w.fn.Name, "logs:PutLogEvents", stream, nil)
		}},
		{"Lambda sends the function's traces (Tracing Active)", func(ctx context.Context, w *workload) error {
			if err := w.front.Authorize(w.fn.Name, "xray:PutTraceSegments", "*", nil); err != nil {
				return err
			}
			return w.front.Authorize(w.fn.Name, "xray:PutTelemetryRecords", "*", nil)
		}},
	}
	s = append(s, storeSteps(r)...)
	if r.Kind.Defers() {
		s = append(s, step{"deferred work: self-invoke (Event)", func(ctx context.Context, w *workload) error {
			return selfinvoke.Deferrer{AWS: w.cfg().cfgWith(w.creds), Self: w.fn.Name}.Defer(ctx, r.Function, []byte(`{}`))
		}}, step{"Lambda sends a failed deferred event to the dead-letter queue", func(ctx context.Context, w *workload) error {
			return w.front.Authorize(w.fn.Name, "sqs:SendMessage", w.l.stack.Queues[w.fn.DeadLetterQueue].ARN, nil)
		}})
	}
	if r.Function == api.ScheduleFunction {
		s = append(s, step{"close at: CreateSchedule (passes the scheduler role)", func(ctx context.Context, w *workload) error {
			return scheduler(w).Create(ctx, schedule.Schedule{Name: "round-1", At: time.Now().Add(time.Hour), Input: []byte(`{}`)})
		}}, step{"close never: DeleteSchedule", func(ctx context.Context, w *workload) error {
			return scheduler(w).Delete(ctx, "round-1")
		}})
	}
	return s
}

func scheduler(w *workload) schedule.AWS {
	return schedule.AWS{AWS: w.cfg().cfgWith(w.creds), Group: w.fn.Env[api.EnvScheduleGroup], RoleARN: w.fn.Env[api.EnvScheduleRoleARN],
		TargetARN: w.fn.Env[api.EnvScheduleTargetARN], DeadLetterARN: w.fn.Env[api.EnvScheduleDLQARN]}
}

// logGroup is the ARN of the function's log group, streams included.
func logGroup(w *workload) string { return w.front.IAM.Functions[w.fn.Name].LogGroupARN }

// storeSteps are the function's store calls, each the store method a command runs.
func storeSteps(r api.Route) []step {
	store := func(w *workload) orders.Store {
		return replyClaims{dynamo.New(dynamodb.NewFromConfig(w.cfg().cfgWith(w.creds)), w.l.table)}
	}
	ch := orders.Channel{Team: "T1", Channel: "C1"}
	at := time.Now()
	rq := func(id string) orders.Request { return orders.Request{ID: id, At: at} }
	if r.Data == api.DataEvents {
		events := func(w *workload) *dynamo.Store {
			return dynamo.New(dynamodb.NewFromConfig(w.cfg().cfgWith(w.creds)), w.l.table)
		}
		return []step{{"Events API retry de-duplication: MarkEvent", func(ctx context.Context, w *workload) error {
			_, err := events(w).MarkEvent(ctx, "Ev0123ABCDEF", at, at.Add(time.Hour))
			return err
		}}, {"app_home_opened: the Home index (OrderChannels)", func(ctx context.Context, w *workload) error {
			_, err := events(w).OrderChannels(ctx, "T1", "U1", at)
			return err
		}}, {"app_home_opened: an indexed channel's open round (OpenRound)", func(ctx context.Context, w *workload) error {
			if _, err := events(w).OpenRound(ctx, ch); err != nil && !errors.Is(err, orders.ErrNoOpenRound) {
				return err
			}
			return nil
		}}, {"app_home_opened: an indexed channel's closed rounds (ClosedRounds)", func(ctx context.Context, w *workload) error {
			_, err := events(w).ClosedRounds(ctx, ch, orders.MaxHomeOrders, at)
			return err
		}}}
	}
	return []step{
		{"/order-update latte: SetOrder", func(ctx context.Context, w *workload) error {
			_, err := store(w).SetOrder(ctx, ch, orders.Order{User: "U1", Item: "latte", At: at}, rq("r1"), orders.NewRoundID(at))
			return err
		}},
		{"/order-list: OpenRound", func(ctx context.Context, w *workload) error { _, err := store(w).OpenRound(ctx, ch); return err }},
		{"/order-update cancel: CancelOrder", func(ctx context.Context, w *workload) error {
			_, err := store(w).CancelOrder(ctx, ch, "U1", rq("r2"))
			return err
		}},
		{"/order-list close: CloseRound", func(ctx context.Context, w *workload) error {
			_, err := store(w).CloseRound(ctx, ch, rq("r3"), at)
			return err
		}},
		{"/order-list history: ClosedRounds", func(ctx context.Context, w *workload) error {
			_, err := store(w).ClosedRounds(ctx, ch, 5, at)
			return err
		}},
		{"deferred reply claimed: MarkEvent", func(ctx context.Context, w *workload) error {
			_, err := store(w).MarkEvent(ctx, "r4", at, at.Add(time.Hour))
			return err
		}},
		{"deferred reply released: ForgetEvent", func(ctx context.Context, w *workload) error { return store(w).ForgetEvent(ctx, "r4") }},
	}
}

// run runs the steps of r through a front of model and returns the first step that is
// denied, "" when none is; an error other than a denial fails the test.
func run(t *testing.T, endpoint string, r api.Route, removed func(l local) *iam.Model) string {
	t.Helper()
	l := newLocal(t, endpoint)
	model := l.model
	if removed != nil {
		model = removed(l)
	}
	f, u := l.front(t, endpoint, model)
	w := &workload{fn: l.stack.FunctionNamed("Orderbot-" + r.Function), front: f, url: u, l: l}
	var err error
	if w.creds, err = f.Issue(w.fn.Name); err != nil {
		t.Fatal(err)
	}
	for _, s := range steps(r) {
		if err := s.run(context.Background(), w); err != nil {
			if !denied(err) {
				t.Fatalf("%s: %s: %v", r.Function, s.name, err)
			}
			return s.name
		}
	}
	if d := f.Denials(); len(d) > 0 {
		return "denied without failing: " + d[0].Action
	}
	return ""
}

func denied(err error) bool {
	if err == nil {
		return false
	}
	var ae smithy.APIError
	var de *awsfront.DeniedError
	return errors.As(err, &de) || (errors.As(err, &ae) && ae.ErrorCode() == "AccessDeniedException") ||
		strings.Contains(err.Error(), "AccessDeniedException") || strings.Contains(err.Error(), "is not authorized to perform")
}

// Least privilege, shown by removal: every Allow statement of every function's role —
// each action of a multi-action statement on its own — is removed in turn, and the
// function's calls run again; the removal must make one of them AccessDenied. The table
// (go test -run LeastPrivilege -v) names the role, the statement, the action and the
// first call that needs it.
func TestLeastPrivilege(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every function's calls once per permission")
	}
	endpoint := dynamotest.Endpoint(t)
	var rows []string
	for _, r := range api.Routes {
		if got := run(t, endpoint, r, nil); got != "" {
			t.Fatalf("%s with its whole role: %s denied, want no denial", r.Function, got)
		}
		base := newLocal(t, endpoint)
		role := base.model.Functions["Orderbot-"+r.Function].Role
		for pi, p := range role.Policies {
			for si, st := range p.Statements {
				actions := []string{""}
				if len(st.Action) > 1 {
					actions = st.Action
				}
				for _, a := range actions {
					needed := run(t, endpoint, r, func(l local) *iam.Model { return l.model.Without(role.LogicalID, pi, si, a) })
					label := a
					if a == "" {
						label = strings.Join(st.Action, ",")
					}
					if needed == "" {
						needed = "UNUSED: nothing fails without it"
						t.Errorf("%s: statement %s, %s: removing it fails nothing", r.Function, st.Label(si), label)
					}
					rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s |", r.Function, st.Label(si), label, needed))
				}
			}
		}
	}
	rows = append(rows, schedulerRoleRows(t, endpoint)...)
	sort.Strings(rows)
	t.Logf("least privilege:\n| function (role) | statement | action | the call that needs it |\n|---|---|---|---|\n%s", strings.Join(rows, "\n"))
}

// schedulerRoleRows: the scheduler role's statements, each removed in turn, against what
// Scheduler does with the role — when a deadline fires, assume it (its trust policy) and
// invoke the schedule function as it; when it cannot deliver a firing, send it to the
// target's dead-letter queue as it (Target.DeadLetterConfig).
func schedulerRoleRows(t *testing.T, endpoint string) []string {
	t.Helper()
	type use struct {
		name string
		run  func(f *awsfront.Front, role *iam.Role, fn *cfn.Function) error
	}
	uses := []use{
		{"Scheduler fires a deadline: invokes " + api.ScheduleFunction + " as the role", func(f *awsfront.Front, role *iam.Role, fn *cfn.Function) error {
			group := "arn:aws:scheduler:" + cfn.Region + ":" + cfn.Account + ":schedule-group/" + fn.Env[api.EnvScheduleGroup]
			if err := f.AssumeRole("scheduler.amazonaws.com", role.ARN, group); err != nil {
				return err
			}
			return f.AuthorizeRole(role.ARN, "round-1", "lambda:InvokeFunction", fn.ARN)
		}},
		{"Scheduler sends an undeliverable firing to the dead-letter queue", func(f *awsfront.Front, role *iam.Role, fn *cfn.Function) error {
			return f.AuthorizeRole(role.ARN, "round-1", "sqs:SendMessage", fn.Env[api.EnvScheduleDLQARN])
		}},
	}
	fire := func(l local, m *iam.Model) string {
		f, _ := l.front(t, endpoint, m)
		var role *iam.Role
		for _, r := range m.Roles {
			if strings.Contains(r.LogicalID, "DeadlineSchedulerRole") {
				role = r
			}
		}
		fn := l.stack.FunctionNamed("Orderbot-" + api.ScheduleFunction)
		for _, u := range uses {
			if err := u.run(f, role, fn); err != nil {
				if !denied(err) {
					t.Fatalf("%s: %v", u.name, err)
				}
				return u.name
			}
		}
		return ""
	}
	l := newLocal(t, endpoint)
	if got := fire(l, l.model); got != "" {
		t.Fatalf("with the whole scheduler role: %s denied, want no denial", got)
	}
	var rows []string
	for id, role := range l.model.Roles {
		if !strings.Contains(id, "DeadlineSchedulerRole") {
			continue
		}
		for pi, p := range role.Policies {
			for si, st := range p.Statements {
				needed := fire(l, l.model.Without(id, pi, si, ""))
				if needed == "" {
					needed = "UNUSED: nothing fails without it"
					t.Errorf("scheduler role: statement %s: removing it fails nothing", st.Label(si))
				}
				rows = append(rows, fmt.Sprintf("| (scheduler role) | %s | %s | %s |", st.Label(si), strings.Join(st.Action, ","), needed))
			}
		}
	}
	return rows
}
