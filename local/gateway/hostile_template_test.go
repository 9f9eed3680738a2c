package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/store/dynamo"
	"github.com/orderbot/orderbot/lambdas/store/dynamo/dynamotest"
	"github.com/orderbot/orderbot/local/cfn"
	"github.com/orderbot/orderbot/local/cfn/cfntest"
	"github.com/orderbot/orderbot/local/devstack"
	"github.com/orderbot/orderbot/local/slacksim"
)

// TestMain removes the cloud assembly cfntest.Default synthesized for the template runs
// and stops the stacks they share.
func TestMain(m *testing.M) {
	code := cfntest.Main(m)
	closeSharedStacks()
	os.Exit(code)
}

// templateStack is the synthesized stack served as `orderbot dev` serves it (the
// template's API, each function its own process, DynamoDB in dynalite), with the table's
// client to read it back and empty it between cases.
type templateStack struct {
	h     *harness // gw and url only: sendHostile's
	db    *dynamodb.Client
	table cfn.Table
	st    *devstack.Stack
	calls *invocations
	// unknownFor bounds how long a request API Gateway gave up on (504) may still run:
	// the longest function timeout plus Lambda's 10 s init limit.
	unknownFor time.Duration
}

// startTemplate serves a copy of the default cloud assembly whose stage throttling is
// raised (the matrix sends ~60 requests at once to one method, the stage allows 10/s).
func startTemplate(t *testing.T) *templateStack {
	t.Helper()
	return startTemplateWith(t, cfntest.Unthrottled(10000), 0)
}

// startTemplateWith is startTemplate with the template edited by edit and every DynamoDB
// call delayed by storeLatency.
func startTemplateWith(t *testing.T, edit func(cfntest.Resources), storeLatency time.Duration) *templateStack {
	t.Helper()
	endpoint := dynamotest.Endpoint(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	root, err := cfntest.Root()
	if err != nil {
		t.Fatal(err)
	}
	dir := cfntest.Edited(t, cfntest.Default(t), edit)
	calls := &invocations{}
	st, err := devstack.Start(context.Background(), devstack.Options{
		CDKOut: dir, StackName: "Orderbot", DataDir: filepath.Join(dir, ".orderbot"), BaseURL: base,
		DynamoDBEndpoint: endpoint, SigningSecret: string(secret), BotToken: "xoxb-test",
		ModuleDir: filepath.Join(root, "lambdas"), Log: calls, ClockSpeed: 1, StoreLatency: storeLatency,
		RetryDelay: 100 * time.Millisecond, // settle waits for retries of deferred runs: not a minute each
		HostBuild:  true,                   // qemu-user's 0.3–2 s cold starts would eat API Gateway's 2.5 s in a burst
	})
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(devstack.AWSPath, st)
	mux.Handle("/", st.Gateway)
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close(); st.Wait(); st.Close() })
	ts := &templateStack{h: &harness{gw: st.Gateway, url: base, client: slacksim.New(base, secret)}, db: dynamotest.NewClient(endpoint),
		st: st, calls: calls}
	for _, tb := range st.Stack.Tables {
		ts.table = tb
	}
	for _, f := range st.Stack.Functions {
		ts.unknownFor = max(ts.unknownFor, f.Timeout+lambdaInitLimit)
	}
	ts.h.client.HTTP = &http.Client{Timeout: 30 * time.Second}
	return ts
}

// items are the table's items (a scan: the matrix's tables hold a handful).
func (s *templateStack) items(t *testing.T) []map[string]types.AttributeValue {
	t.Helper()
	out, err := s.db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(s.table.Name)})
	if err != nil {
		t.Fatalf("scan %s: %v", s.table.Name, err)
	}
	return out.Items
}

// clear deletes every item, so that each case starts from an empty table.
func (s *templateStack) clear(t *testing.T) {
	t.Helper()
	for _, item := range s.items(t) {
		key := map[string]types.AttributeValue{s.table.PartitionKey: item[s.table.PartitionKey]}
		if s.table.SortKey != "" {
			key[s.table.SortKey] = item[s.table.SortKey]
		}
		if _, err := s.db.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String(s.table.Name), Key: key}); err != nil {
			t.Fatalf("delete: %v", err)
		}
	}
}

// open is the matrix channel's open round in the table, or the zero Round.
func (s *templateStack) open(t *testing.T) orders.Round {
	t.Helper()
	r, err := dynamo.New(s.db, s.table.Name).OpenRound(context.Background(), orders.Channel{Team: hTeam, Channel: hChannel})
	if errors.Is(err, orders.ErrNoOpenRound) {
		return orders.Round{}
	}
	if err != nil {
		t.Fatalf("OpenRound: %v", err)
	}
	return r
}

// TestHostileInputMatrixTemplate sends the hostile-input matrix to the synthesized stack
// (what `orderbot dev` serves and what deploys: the template's methods and integration
// responses, each function its own process, dynalite): the same answers as the
// in-process harness, and a refused request writes nothing to the table. The cases
// signed exactly at the ±5-minute boundaries stay with the in-process matrix, whose
// verifier's clock the test fixes; the functions here read the real clock.
func TestHostileInputMatrixTemplate(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesizes the stack and starts the function processes")
	}
	s := startTemplate(t)
	statuses := map[int]int{}
	n, timedOut := 0, 0
	for _, tc := range hostileCases() {
		if d := tc.signAt; (d >= 299 && d <= 301) || (d >= -301 && d <= -299) {
			continue
		}
		n++
		t.Run(tc.name, func(t *testing.T) {
			status, body, timeouts := s.runCase(t, tc, 3)
			timedOut += timeouts
			if status == http.StatusGatewayTimeout {
				t.Fatalf("got API Gateway's 504 on all %d attempts: the stack never answered in time (outcome unknown — not the case's answer, not a refusal)", timeouts)
			}
			statuses[status]++
			checkHostile(t, tc, status, body, func() orders.Round { return s.open(t) }, s.leftover(t))
		})
	}
	t.Logf("%d cases on the template, statuses %s; %d attempts timed out (504) and were sent again", n, histogram(statuses), timedOut)
}

// runCase sends tc to the stack on an empty table, up to attempts times while API Gateway
// answers 504, and returns the last answer (504 if every attempt timed out) and how many
// attempts timed out. A 504 is not
// an answer: API Gateway stopped waiting (2.5 s; a machine too busy), the function goes on
// and may still write, so the outcome is unknown — neither the case's answer nor a
// refusal. Such an attempt is waited out (settle) and must have done nothing the case's
// own answer would not allow (checkTimedOut); then the case is sent again, signed anew.
// Every answer is settled too: deferred work it queued ends before the table is checked,
// so a late write is blamed on its own case, never on the next one.
func (s *templateStack) runCase(t *testing.T, tc hostileCase, attempts int) (status int, body string, timeouts int) {
	t.Helper()
	for range attempts {
		s.clear(t)
		before := s.calls.count()
		sent := time.Now()
		status, body = s.h.sendHostile(t, tc, time.Unix(sent.Unix(), 0))
		s.settle(t, status == http.StatusGatewayTimeout, before, sent)
		if status != http.StatusGatewayTimeout {
			return status, body, timeouts
		}
		timeouts++
		t.Logf("API Gateway's 504 (%s): outcome unknown, waited out", strings.TrimSpace(body))
		checkTimedOut(t, tc, s.open(t), s.leftover(t))
	}
	return status, body, timeouts
}

// settle waits until the stack is idle: after a 504, until the function invocation API
// Gateway gave up on has ended (its END line after its START) — or, if none started,
// until it no longer could (unknownFor); then until every asynchronous invocation queued
// (deferred work, its retries) has finished.
func (s *templateStack) settle(t *testing.T, timedOut bool, before invocationCount, sent time.Time) {
	t.Helper()
	for timedOut && time.Since(sent) < s.unknownFor {
		if now := s.calls.count(); now.started > before.started && now.started == now.ended {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.st.Wait()
}

// leftover describes the table's items for checkHostile ("" when empty).
func (s *templateStack) leftover(t *testing.T) func() string {
	return func() string {
		if items := s.items(t); len(items) > 0 {
			return fmt.Sprintf("%d items in the table", len(items))
		}
		return ""
	}
}

// checkTimedOut checks what an attempt that got a 504 left in the table once it ended: a
// request the case refuses wrote nothing, one that stores an order stored that one or
// nothing.
func checkTimedOut(t *testing.T, tc hostileCase, round orders.Round, writes func() string) {
	t.Helper()
	switch got := byUser(round)[hUser]; {
	case tc.stored != "" || tc.status == 0:
		want := tc.stored
		if want == "" {
			want = "latte"
		}
		if (got != "" && got != want) || len(round.Orders) > 1 {
			t.Fatalf("after a 504: stored %q (%d orders), want nothing or %q only", got, len(round.Orders), want)
		}
	case tc.writes:
	default:
		if w := writes(); w != "" {
			t.Fatalf("after a 504 of a request the case refuses: got %s, want no writes", w)
		}
	}
}

// lambdaInitLimit is how long Lambda lets a function's init run (10 s).
const lambdaInitLimit = 10 * time.Second

// invocations counts the functions' invocations from the platform lines lambdaenv logs
// for each one as Lambda does (START before it runs; END after it returns, fails or times
// out), in the text format and in the JSON one (platform.start, platform.report).
type invocations struct {
	mu sync.Mutex
	n  invocationCount
}

type invocationCount struct{ started, ended int }

var platformLine = regexp.MustCompile(`(?m)^\[[^\]]*\] (?:(START) RequestId: |(END) RequestId: |\{.*"type":"platform\.(?:(start)|(report))")`)

func (c *invocations) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range platformLine.FindAllSubmatch(b, -1) {
		if len(m[1]) > 0 || len(m[3]) > 0 {
			c.n.started++
		} else {
			c.n.ended++
		}
	}
	return len(b), nil
}

func (c *invocations) count() invocationCount {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// TestConcurrentUpdatesRacingCloseTemplate is TestConcurrentUpdatesRacingClose on the
// synthesized stack: each request through the template's method to a function process,
// the close and the updates serialised by DynamoDB's conditional writes (dynalite) across
// processes. 10 users: as many as order-update's execution environments, so requests
// rarely wait for one and stay inside API Gateway's 2.5 s integration timeout on a busy
// machine.
func TestConcurrentUpdatesRacingCloseTemplate(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesizes the stack and starts the function processes")
	}
	s := startTemplate(t)
	transport := &http.Transport{MaxIdleConnsPerHost: 32}
	as := func(user string) *slacksim.Client {
		c := slacksim.New(s.h.url, secret)
		c.User, c.UserName = user, strings.ToLower(user)
		c.HTTP = &http.Client{Timeout: 30 * time.Second, Transport: transport}
		return c
	}
	run := raceUpdatesAndClose(t, 10, as)
	s.st.Wait() // deferred runs of updates of unknown outcome ("working on it")
	ch := orders.Channel{Team: hTeam, Channel: hChannel}
	closed, err := dynamo.New(s.db, s.table.Name).ClosedRounds(context.Background(), ch, 10, time.Now())
	if err != nil {
		t.Fatalf("ClosedRounds: %v", err)
	}
	checkRace(t, run, byUser(s.open(t)), closed)
	t.Logf("template: %s", run)
}

// TestHostileTemplateTimeoutIsNotARefusal: an order API Gateway gives up on (504) is still
// saved by its function afterwards — its outcome was unknown, not refused — and the case
// after it is not blamed for that late write. order-update here answers slowly (every
// DynamoDB call takes 400 ms) behind an integration timeout of 200 ms, so its signed latte
// always gets the 504 (its first store call alone outlasts it); the refused request sent
// next (duplicated signatures, good one first: 401, no store call) must find an empty
// table.
func TestHostileTemplateTimeoutIsNotARefusal(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesizes the stack and starts the function processes")
	}
	slow := func(res cfntest.Resources) {
		cfntest.Unthrottled(10000)(res)
		res.Props("AWS::ApiGateway::Method", "orderupdatePOST")["Integration"].(map[string]any)["TimeoutInMillis"] = 200
	}
	s := startTemplateWith(t, slow, 400*time.Millisecond)
	cases := map[string]hostileCase{}
	for _, tc := range hostileCases() {
		cases[tc.name] = tc
	}
	good, refused := cases["signature duplicated, good last"], cases["signature duplicated, good first"]
	if good.stored != "latte" || refused.status != http.StatusUnauthorized {
		t.Fatalf("cases: got %+v and %+v, want a stored latte and a 401", good, refused)
	}
	status, _, timeouts := s.runCase(t, good, 1)
	if status != http.StatusGatewayTimeout || timeouts != 1 {
		t.Fatalf("slow latte: got HTTP %d with %d timeouts, want 504 once", status, timeouts)
	}
	if got := byUser(s.open(t))[hUser]; got != "latte" {
		t.Errorf("after the 504 was waited out: stored %q, want %q (the function went on and saved it)", got, "latte")
	}
	status, body, _ := s.runCase(t, refused, 3)
	checkHostile(t, refused, status, body, func() orders.Round { return s.open(t) }, s.leftover(t))
}
