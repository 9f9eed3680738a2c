package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
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

// TestMain removes the cloud assembly cfntest.Default synthesized for the template run.
func TestMain(m *testing.M) { os.Exit(cfntest.Main(m)) }

// templateStack is the synthesized stack served as `orderbot dev` serves it (the
// template's API, each function its own process, DynamoDB in dynalite), with the table's
// client to read it back and empty it between cases.
type templateStack struct {
	h     *harness // gw and url only: sendHostile's
	db    *dynamodb.Client
	table cfn.Table
}

// startTemplate serves a copy of the default cloud assembly whose stage throttling is
// raised (the matrix sends ~60 requests at once to one method, the stage allows 10/s).
func startTemplate(t *testing.T) *templateStack {
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
	dir := cfntest.Edited(t, cfntest.Default(t), cfntest.Unthrottled(10000))
	st, err := devstack.Start(context.Background(), devstack.Options{
		CDKOut: dir, StackName: "Orderbot", DataDir: filepath.Join(dir, ".orderbot"), BaseURL: base,
		DynamoDBEndpoint: endpoint, SigningSecret: string(secret), BotToken: "xoxb-test",
		ModuleDir: filepath.Join(root, "lambdas"), Log: io.Discard, ClockSpeed: 1,
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
	ts := &templateStack{h: &harness{gw: st.Gateway, url: base, client: slacksim.New(base, secret)}, db: dynamotest.NewClient(endpoint)}
	for _, tb := range st.Stack.Tables {
		ts.table = tb
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
	n := 0
	for _, tc := range hostileCases() {
		if d := tc.signAt; (d >= 299 && d <= 301) || (d >= -301 && d <= -299) {
			continue
		}
		n++
		t.Run(tc.name, func(t *testing.T) {
			s.clear(t)
			clock := time.Unix(time.Now().Unix(), 0)
			status, body := s.h.sendHostile(t, tc, clock)
			statuses[status]++
			checkHostile(t, tc, status, body, func() orders.Round { return s.open(t) }, func() string {
				if items := s.items(t); len(items) > 0 {
					return fmt.Sprintf("%d items in the table", len(items))
				}
				return ""
			})
		})
	}
	t.Logf("%d cases on the template, statuses %s", n, histogram(statuses))
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
	ch := orders.Channel{Team: hTeam, Channel: hChannel}
	closed, err := dynamo.New(s.db, s.table.Name).ClosedRounds(context.Background(), ch, 10, time.Now())
	if err != nil {
		t.Fatalf("ClosedRounds: %v", err)
	}
	checkRace(t, run, byUser(s.open(t)), closed)
	t.Logf("template: %s", run)
}
