package awsfront_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/orderbot/orderbot/lambdas/config"
	"github.com/orderbot/orderbot/lambdas/schedule"
	"github.com/orderbot/orderbot/lambdas/selfinvoke"
	"github.com/orderbot/orderbot/lambdas/store/dynamo"
	"github.com/orderbot/orderbot/lambdas/store/dynamo/dynamotest"
	"github.com/orderbot/orderbot/lambdas/syncbuf"
	"github.com/orderbot/orderbot/local/awsfront"
	"github.com/orderbot/orderbot/local/cfn"
	"github.com/orderbot/orderbot/local/cfn/cfntest"
	"github.com/orderbot/orderbot/local/iam"
)

func TestMain(m *testing.M) {
	code := cfntest.Main(m)
	os.Exit(code)
}

// recorder is a stand-in that answers what the real service answers on success and
// remembers what reached it.
type recorder struct {
	mu     sync.Mutex
	status int
	paths  []string
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	rc.paths = append(rc.paths, r.Method+" "+r.URL.Path)
	rc.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rc.status)
	if r.Header.Get("X-Amz-Target") == "secretsmanager.GetSecretValue" {
		io.WriteString(w, `{"SecretString":"{\"signing_secret\":\"s\",\"bot_token\":\"\"}"}`)
		return
	}
	io.WriteString(w, `{}`)
}

func (rc *recorder) reached() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.paths...)
}

// env is a front over dynalite and recording stand-ins, for the synthesized stack.
type env struct {
	front   *awsfront.Front
	url     string
	log     *syncbuf.Buffer
	direct  *dynamodb.Client // dynalite itself, past the front
	table   string
	secret  string
	lambda  *recorder
	sched   *recorder
	secrets *recorder
	stack   *cfn.Stack
}

var (
	setupOnce sync.Once
	stack     *cfn.Stack
	model     *iam.Model
	setupErr  error
)

func newEnv(t *testing.T, mode awsfront.Mode) *env {
	t.Helper()
	setupOnce.Do(func() {
		dir := cfntest.Default(t)
		if stack, setupErr = cfn.Load(dir, "Orderbot"); setupErr == nil {
			model, setupErr = iam.Load(dir, "Orderbot")
		}
	})
	if setupErr != nil {
		t.Fatal(setupErr)
	}
	e := &env{log: &syncbuf.Buffer{}, lambda: &recorder{status: http.StatusAccepted}, sched: &recorder{status: http.StatusOK},
		secrets: &recorder{status: http.StatusOK}, stack: stack}
	for _, tb := range stack.Tables {
		e.table = tb.Name
	}
	for _, s := range stack.Secrets {
		e.secret = s
	}
	endpoint := dynamotest.Endpoint(t)
	e.direct = dynamotest.NewClient(endpoint)
	// Each test its own table: dynalite is shared by the package's tests.
	e.direct.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &e.table})
	if err := dynamo.CreateTable(context.Background(), e.direct, e.table); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(endpoint)
	e.front = &awsfront.Front{IAM: model, Stack: stack, Mode: mode, Log: e.log, Backends: map[string]http.Handler{
		"dynamodb": httputil.NewSingleHostReverseProxy(u), "lambda": e.lambda, "scheduler": e.sched, "secretsmanager": e.secrets}}
	srv := httptest.NewServer(e.front)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

// cfg is the SDK configuration a function process gets: its own credentials, the front
// as every service's endpoint.
func (e *env) cfg(t *testing.T, function string) aws.Config {
	t.Helper()
	c, err := e.front.Issue(function)
	if err != nil {
		t.Fatal(err)
	}
	return e.cfgWith(c)
}

func (e env) cfgWith(c awsfront.Credentials) aws.Config {
	return aws.Config{Region: cfn.Region, BaseEndpoint: aws.String(e.url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)}
}

func (e *env) db(cfg aws.Config) *dynamodb.Client { return dynamodb.NewFromConfig(cfg) }

func item(pk, sk string, attrs map[string]string) map[string]types.AttributeValue {
	it := map[string]types.AttributeValue{dynamo.PartitionKey: &types.AttributeValueMemberS{Value: pk}, dynamo.SortKey: &types.AttributeValueMemberS{Value: sk}}
	for k, v := range attrs {
		it[k] = &types.AttributeValueMemberS{Value: v}
	}
	return it
}

func apiErr(t *testing.T, err error) (code, msg string, status int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want an API error", err)
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return ae.ErrorCode(), ae.ErrorMessage(), status
}

// The calls order-update makes, with its own credentials, are allowed and reach the
// stand-ins: no denial.
func TestFunctionCallsAreAllowed(t *testing.T) {
	e := newEnv(t, awsfront.Enforce)
	ctx := context.Background()
	cfg := e.cfg(t, "Orderbot-order-update")
	db := e.db(cfg)
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &e.table, Item: item("C#T1#C1", "round", map[string]string{"a": "아이스 라떼 🧊"})}); err != nil {
		t.Fatalf("PutItem: %v", err)
	}
	out, err := db.Query(ctx, &dynamodb.QueryInput{TableName: &e.table, KeyConditionExpression: aws.String("#pk = :pk AND begins_with(#sk, :r)"),
		ExpressionAttributeNames:  map[string]string{"#pk": dynamo.PartitionKey, "#sk": dynamo.SortKey},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "C#T1#C1"}, ":r": &types.AttributeValueMemberS{Value: "r"}}})
	if err != nil || len(out.Items) != 1 {
		t.Fatalf("Query: got %v items, %v; want 1", out, err)
	}
	if _, err := (config.SecretsManagerAPI{AWS: config.ForService(cfg, "SECRETS_MANAGER")}).GetSecretString(ctx, e.secret); err != nil {
		t.Fatalf("GetSecretValue: %v", err)
	}
	if err := (selfinvoke.Deferrer{AWS: cfg, Self: "Orderbot-order-update"}).Defer(ctx, "order-update", []byte(`{}`)); err != nil {
		t.Fatalf("self-invoke: %v", err)
	}
	if d := e.front.Denials(); len(d) != 0 {
		t.Errorf("denials: got %+v, want none", d)
	}
	if got := e.lambda.reached(); len(got) != 1 || got[0] != "POST /2015-03-31/functions/Orderbot-order-update/invocations" {
		t.Errorf("Lambda stand-in: got %v, want the one invoke", got)
	}
}

// A function writing outside its data is refused as DynamoDB refuses it: 400,
// AccessDeniedException, AWS's message; nothing is written; the log names the role, the
// action, the resource and the statement that comes closest.
func TestDeniedAsAWSDoes(t *testing.T) {
	e := newEnv(t, awsfront.Enforce)
	ctx := context.Background()
	db := e.db(e.cfg(t, "Orderbot-events"))
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &e.table, Item: item("C#T1#C1", "round", nil)})
	code, msg, status := apiErr(t, err)
	role := model.Functions["Orderbot-events"].Role.Name
	tableARN := "arn:aws:dynamodb:us-east-1:000000000000:table/" + e.table
	want := "User: arn:aws:sts::000000000000:assumed-role/" + role + "/Orderbot-events is not authorized to perform: dynamodb:PutItem on resource: " +
		tableARN + " because no identity-based policy allows the dynamodb:PutItem action"
	if code != "AccessDeniedException" || status != http.StatusBadRequest || msg != want {
		t.Errorf("got %s %d %q, want AccessDeniedException 400 %q", code, status, msg, want)
	}
	got, err := e.direct.GetItem(ctx, &dynamodb.GetItemInput{TableName: &e.table, Key: item("C#T1#C1", "round", nil)})
	if err != nil || got.Item != nil {
		t.Errorf("the item: got %v, %v; want nothing written", got.Item, err)
	}
	log := e.log.String()
	for _, w := range []string{"DENIED", "role " + role, "dynamodb:PutItem on " + tableARN, "Table", "dynamodb:LeadingKeys"} {
		if !strings.Contains(log, w) {
			t.Errorf("log %q: want %q in it", log, w)
		}
	}
	// Lambda answers a denied Invoke with 403.
	err = selfinvoke.Deferrer{AWS: e.cfg(t, "Orderbot-order-update"), Self: "Orderbot-order-list"}.Defer(ctx, "order-list", []byte(`{}`))
	if err == nil || !strings.Contains(err.Error(), "status 403") || !strings.Contains(err.Error(), "lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:000000000000:function:Orderbot-order-list") {
		t.Errorf("invoking another function: got %v, want 403 AccessDeniedException", err)
	}
	if n := len(e.lambda.reached()); n != 0 {
		t.Errorf("Lambda stand-in: got %d invokes, want none", n)
	}
}

// --iam warn: the denial is logged and the call goes through.
func TestWarnModeLogsAndAllows(t *testing.T) {
	e := newEnv(t, awsfront.Warn)
	db := e.db(e.cfg(t, "Orderbot-events"))
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &e.table, Item: item("C#T1#C1", "round", nil)}); err != nil {
		t.Fatalf("PutItem in warn mode: %v", err)
	}
	if log := e.log.String(); !strings.Contains(log, "WOULD BE DENIED") {
		t.Errorf("log %q: want the denial", log)
	}
	if n := len(e.front.Denials()); n != 1 {
		t.Errorf("denials: got %d, want 1", n)
	}
}

// Scheduler: the schedule function creates schedules in its group and passes the
// scheduler role; another function may not.
func TestSchedulerPassRole(t *testing.T) {
	e := newEnv(t, awsfront.Enforce)
	ctx := context.Background()
	var roleARN string
	for _, r := range model.Roles {
		if strings.Contains(r.LogicalID, "DeadlineSchedulerRole") {
			roleARN = r.ARN
		}
	}
	s := schedule.Schedule{Name: "round-1", At: time.Now().Add(time.Hour), Input: []byte(`{"x":1}`)}
	aws := func(fn string) schedule.AWS {
		return schedule.AWS{AWS: e.cfg(t, fn), Group: "Orderbot-deadlines", RoleARN: roleARN,
			TargetARN: "arn:aws:lambda:us-east-1:000000000000:function:Orderbot-order-list"}
	}
	if err := aws("Orderbot-order-list").Create(ctx, s); err != nil {
		t.Fatalf("order-list creates a schedule: %v", err)
	}
	if err := aws("Orderbot-order-list").Delete(ctx, s.Name); err != nil {
		t.Fatalf("order-list deletes a schedule: %v", err)
	}
	err := aws("Orderbot-order-update").Create(ctx, s)
	if err == nil || !strings.Contains(err.Error(), "status 403") || !strings.Contains(err.Error(), "scheduler:CreateSchedule") {
		t.Errorf("order-update creates a schedule: got %v, want 403 naming scheduler:CreateSchedule", err)
	}
	if got := e.sched.reached(); len(got) != 2 {
		t.Errorf("Scheduler stand-in: got %v, want the create and the delete", got)
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]awsfront.Mode{"": awsfront.Enforce, "enforce": awsfront.Enforce, "warn": awsfront.Warn} {
		if got, err := awsfront.ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q): got %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := awsfront.ParseMode("off"); err == nil {
		t.Error("ParseMode(off): got no error")
	}
}

func jsonBody(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Mounted under a prefix (the dev server's /_aws/<service>), the front verifies the
// signature over the path as sent and routes by the service's own path.
func TestMountedUnderAPrefix(t *testing.T) {
	e := newEnv(t, awsfront.Enforce)
	e.front.Prefix = "/_aws/"
	ctx := context.Background()
	cfg := e.cfg(t, "Orderbot-order-update")
	at := func(service string) aws.Config {
		c := cfg
		c.BaseEndpoint = aws.String(e.url + "/_aws/" + service)
		return c
	}
	if _, err := dynamodb.NewFromConfig(at("dynamodb")).PutItem(ctx, &dynamodb.PutItemInput{TableName: &e.table, Item: item("C#T1#C1", "round", nil)}); err != nil {
		t.Errorf("PutItem: %v", err)
	}
	if _, err := (config.SecretsManagerAPI{AWS: at("secretsmanager")}).GetSecretString(ctx, e.secret); err != nil {
		t.Errorf("GetSecretValue: %v", err)
	}
	if err := (selfinvoke.Deferrer{AWS: at("lambda"), Self: "Orderbot-order-update"}).Defer(ctx, "order-update", []byte(`{}`)); err != nil {
		t.Errorf("self-invoke: %v", err)
	}
	err := selfinvoke.Deferrer{AWS: at("lambda"), Self: "Orderbot-order-list"}.Defer(ctx, "order-list", []byte(`{}`))
	if err == nil || !strings.Contains(err.Error(), "status 403") {
		t.Errorf("invoking another function: got %v, want 403", err)
	}
	if got := e.lambda.reached(); len(got) != 1 || got[0] != "POST /_aws/lambda/2015-03-31/functions/Orderbot-order-update/invocations" {
		t.Errorf("Lambda stand-in: got %v, want the one invoke, path as sent", got)
	}
}

// The hooks for what AWS services do with a function's role or resource policy.
func TestServiceHooks(t *testing.T) {
	e := newEnv(t, awsfront.Enforce)
	if err := e.front.Authorize("Orderbot-events", "xray:PutTraceSegments", "*", nil); err != nil {
		t.Errorf("events sends traces: %v", err)
	}
	var de *awsfront.DeniedError
	if err := e.front.Authorize("Orderbot-events", "sqs:SendMessage", "arn:aws:sqs:us-east-1:000000000000:q", nil); !errors.As(err, &de) {
		t.Errorf("events sends a dead letter: got %v, want a DeniedError", err)
	}
	var fn string
	for _, m := range e.stack.API.Methods {
		if m.Path == "/order-update" {
			fn = e.stack.Functions[m.Function].Name
		}
	}
	src, err := iam.ExecuteAPIArn(e.stack, newLocal(t, dynamotest.Endpoint(t)).raw, "POST", "/order-update")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.front.ServiceInvoke("apigateway.amazonaws.com", fn, src); err != nil {
		t.Errorf("API Gateway invokes %s from its method: %v", fn, err)
	}
	if err := e.front.ServiceInvoke("apigateway.amazonaws.com", fn, strings.Replace(src, "order-update", "order-list", 1)); !errors.As(err, &de) {
		t.Errorf("API Gateway invokes %s from another method: got %v, want denied", fn, err)
	}
	var roleARN string
	for _, r := range model.Roles {
		if strings.Contains(r.LogicalID, "DeadlineSchedulerRole") {
			roleARN = r.ARN
		}
	}
	group := "arn:aws:scheduler:us-east-1:000000000000:schedule-group/Orderbot-deadlines"
	if err := e.front.AssumeRole("scheduler.amazonaws.com", roleARN, group); err != nil {
		t.Errorf("Scheduler assumes its role for the group: %v", err)
	}
	if err := e.front.AssumeRole("scheduler.amazonaws.com", roleARN, group+"x"); !errors.As(err, &de) {
		t.Errorf("Scheduler assumes its role for another group: got %v, want denied", err)
	}
}
