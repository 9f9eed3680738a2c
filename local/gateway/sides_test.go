package gateway_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/store/dynamo"
	"github.com/orderbot/orderbot/lambdas/store/dynamo/dynamotest"
	"github.com/orderbot/orderbot/lambdas/syncbuf"
	"github.com/orderbot/orderbot/local/cfn/cfntest"
	"github.com/orderbot/orderbot/local/devstack"
	"github.com/orderbot/orderbot/local/slacksim"
)

// The end-to-end suite runs each case on every harness: the in-process gateway over the
// embedded store and over DynamoDB (dynalite) — the harness that counts writes and injects
// faults at exact points — and the synthesized template as `orderbot dev` serves it (the
// template's API and integration responses, each function its own process behind the
// Runtime API, the asynchronous-invoke stand-in, DynamoDB on dynalite). The template has
// one store: its functions are DynamoDB's, and bbolt's file cannot be shared by processes.
// On the template the oracles are what a real stack shows: the table read back through
// the DynamoDB store, Slack's stand-ins (response_urls, the Web API's recorded calls and
// messages) and the functions' logs.

// eachSide runs fn on the in-process harness over both stores and on the synthesized
// template.
func eachSide(t *testing.T, fn func(t *testing.T, s *slackSide)) {
	t.Helper()
	for name, open := range map[string]func(testing.TB) orders.Store{"bolt": boltStore, "dynamo": dynamoStore} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, newSlackSide(t, open(t), 0))
		})
	}
	// Before the in-process runs, not beside them: its processes would take the CPU their
	// timing-bound cases (a 150 ms budget, API Gateway's 2.5 s) count on.
	t.Run("template", func(t *testing.T) { fn(t, templateSide(t, &plainStack)) })
}

// eachDeferredSide runs fn where a slow store hands commands to their deferred run
// quickly: in-process over both stores with a 150 ms reply budget, and on the template
// stack whose functions have REPLY_BUDGET_MS=200.
func eachDeferredSide(t *testing.T, fn func(t *testing.T, s *slackSide)) {
	t.Helper()
	for name, open := range map[string]func(testing.TB) orders.Store{"bolt": boltStore, "dynamo": dynamoStore} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, newSlackSide(t, open(t), 150*time.Millisecond))
		})
	}
	// Before the in-process runs, as in eachSide.
	t.Run("template", func(t *testing.T) { fn(t, templateSide(t, &deferredStack)) })
}

// sharedStack is one synthesized stack that the template runs of a test binary share
// (starting one costs the processes' cold starts): each run takes it alone, on a channel
// of its own, with Slack's stand-ins of its own.
type sharedStack struct {
	opts devstack.Options // the stack's own options (faults, settings)
	once sync.Once
	err  error
	run  sync.Mutex // one test at a time: the Web API stand-in is swapped per test

	url    string
	st     *devstack.Stack
	srv    *http.Server
	db     *dynamodb.Client
	table  string
	log    *syncbuf.Buffer
	dir    string
	stopDB func()
	web    atomic.Pointer[slacksim.WebAPI]
	n      atomic.Int64 // channels handed out
}

// plainStack is the template as synthesized, its Scheduler stand-in 600× faster than
// real time (--clock-speed: a 20-minute deadline fires after 2 s; nothing else has a
// schedule) and firing every schedule twice (--schedules-twice, as Scheduler's
// at-least-once delivery may); deferredStack answers "working on it" after 200 ms
// (REPLY_BUDGET_MS) instead of 1.5 s, so that a store slowed by SetStoreFaults hands a
// command to its deferred run quickly.
var (
	plainStack    = sharedStack{opts: devstack.Options{ClockSpeed: 600, Twice: true}}
	deferredStack = sharedStack{opts: devstack.Options{Overrides: map[string]string{"REPLY_BUDGET_MS": "200"}}}
)

// closeSharedStacks stops the shared stacks: TestMain calls it after the tests.
func closeSharedStacks() {
	for _, s := range []*sharedStack{&plainStack, &deferredStack} {
		if s.st != nil {
			s.srv.Close()
			s.st.Wait()
			s.st.Close()
		}
		if s.stopDB != nil {
			s.stopDB()
		}
		if s.dir != "" {
			os.RemoveAll(s.dir)
		}
	}
}

// start serves the default cloud assembly (cfntest.Default, which outlives every test),
// unthrottled, with Slack's Web API stand-in under ORDERBOT_LOCAL_SLACK, each function a host build
// (qemu-user's cold starts, 0.3–2 s, would eat API Gateway's 2.5 s: see local/devstack).
func (s *sharedStack) start(t *testing.T) error {
	root, err := cfntest.Root()
	if err != nil {
		return err
	}
	if s.dir, err = os.MkdirTemp("", "orderbot-gateway-stack-"); err != nil {
		return err
	}
	// A dynalite of the stack's own: dynamotest.Endpoint's would stop with the first test.
	endpoint, stop, err := dynamotest.Serve(filepath.Join(s.dir, "dynamodb"))
	if err != nil {
		return err
	}
	s.stopDB = stop
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.url = "http://" + ln.Addr().String()
	// The stage's throttling raised, as for the other template runs: the race cases send
	// bursts past its 10 requests a second, which would measure the throttle.
	assembly := cfntest.Edited(keepDir{t, filepath.Join(s.dir, "cdk.out")}, cfntest.Default(t), cfntest.Unthrottled(10000))
	o := s.opts
	o.CDKOut, o.StackName, o.DataDir, o.BaseURL = assembly, "Orderbot", s.dir, s.url
	o.DynamoDBEndpoint, o.SigningSecret, o.BotToken = endpoint, string(secret), botToken
	o.ModuleDir, o.HostBuild, o.RetryDelay = filepath.Join(root, "lambdas"), true, 50*time.Millisecond
	o.ClockSpeed = max(o.ClockSpeed, 1)
	s.log = &syncbuf.Buffer{}
	o.Log, o.AccessLog = s.log, io.Discard
	if s.st, err = devstack.Start(context.Background(), o); err != nil {
		ln.Close()
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(api.LocalSlackWebAPIPath, http.StripPrefix(strings.TrimSuffix(api.LocalSlackWebAPIPath, "/"),
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.web.Load().ServeHTTP(w, r) })))
	mux.Handle(devstack.AWSPath, s.st)
	mux.Handle("/", s.st.Gateway)
	s.srv = &http.Server{Handler: mux}
	go s.srv.Serve(ln)
	s.db = dynamotest.NewClient(endpoint)
	for _, tb := range s.st.Stack.Tables {
		s.table = tb.Name
	}
	return nil
}

// keepDir is t with a TempDir that outlives it: the shared stack's, removed by
// closeSharedStacks.
type keepDir struct {
	testing.TB
	dir string
}

func (k keepDir) TempDir() string {
	if err := os.MkdirAll(k.dir, 0o700); err != nil {
		k.Fatal(err)
	}
	return k.dir
}

// templateSide is a slackSide on the shared stack s, which t holds until it ends: a
// channel of its own, fresh Slack stand-ins, the store faults cleared.
func templateSide(t *testing.T, s *sharedStack) *slackSide {
	t.Helper()
	if testing.Short() {
		t.Skip("synthesizes the stack and starts the function processes")
	}
	s.once.Do(func() { s.err = s.start(t) })
	if s.err != nil {
		t.Fatalf("template stack: %v", s.err)
	}
	s.run.Lock()
	t.Cleanup(s.run.Unlock)
	side := &slackSide{urls: &slacksim.ResponseURLs{}, web: slacksim.NewWebAPI(botToken), statuses: map[int]int{},
		store: dynamo.New(s.db, s.table), stack: s, logFrom: len(s.log.String())}
	side.wait = s.st.Wait
	side.slow = func(d time.Duration) { s.st.SetStoreFaults(d, 0) }
	side.loseAcks = func(n int) { s.st.SetStoreFaults(0, n) }
	s.st.SetStoreFaults(0, 0)
	t.Cleanup(func() { s.st.SetStoreFaults(0, 0); s.st.Wait() })
	s.web.Store(side.web)
	hooks := httptest.NewServer(side.urls)
	t.Cleanup(hooks.Close)
	side.client = slacksim.New(s.url, secret)
	side.client.Channel = fmt.Sprintf("C0TPL%04d", s.n.Add(1))
	side.client.Responses, side.client.ResponseBase, side.client.Triggers = side.urls, hooks.URL, side.web
	side.client.HTTP = &http.Client{Timeout: 30 * time.Second}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("function logs of this test:\n%s", side.logs())
		}
	})
	return side
}

// logs are the functions' log lines written since the side was made (template only).
func (s *slackSide) logs() string {
	if s.stack == nil {
		return ""
	}
	return s.stack.log.String()[s.logFrom:]
}

// logged is how many lines of the side's function logs contain every one of parts.
func (s *slackSide) logged(parts ...string) int {
	n := 0
	for _, line := range strings.Split(s.logs(), "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}

// waitLogged is logged(parts...) once it reaches want, or after 5 s: a function's lines
// reach the log through a pipe, possibly just after its invocation has answered.
func (s *slackSide) waitLogged(want int, parts ...string) int {
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := s.logged(parts...)
		if n >= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// threadReplies are the messages the bot posted in a thread of the side's channel (the
// answers to mentions).
func (s *slackSide) threadReplies() int {
	n := 0
	for _, c := range s.web.CallRecords() {
		if c.Method == "chat.postMessage" && c.OK && c.Args["thread_ts"] != "" {
			n++
		}
	}
	return n
}

// open is the side's channel's open round, or the zero Round.
func (s *slackSide) open(t *testing.T) orders.Round {
	t.Helper()
	r, err := s.store.OpenRound(context.Background(), orders.Channel{Team: s.client.Team, Channel: s.client.Channel})
	if err != nil && err != orders.ErrNoOpenRound {
		t.Fatalf("OpenRound: got error %v, want nil", err)
	}
	return r
}

// send posts a command as user and returns the synchronous answer and the command's
// response_url.
func (s *slackSide) send(t *testing.T, user, command, text string) (*slack.Msg, string) {
	t.Helper()
	c := s.as(user)
	form := c.CommandForm(command, text)
	r := s.count(t)(c.Post(context.Background(), command, api.ContentTypeForm, []byte(form.Encode()), nil))
	if r.Status != http.StatusOK || r.Msg == nil {
		t.Fatalf("%s %q: got HTTP %d %s, want 200 with a message", command, text, r.Status, r.Body)
	}
	return r.Msg, form.Get("response_url")
}

// finalAnswer is what the person is finally told of a command answered msg with
// response_url url: msg itself, or — when msg says the work goes on — the one answer the
// deferred run posts to url.
func (s *slackSide) finalAnswer(t *testing.T, msg *slack.Msg, url string) string {
	t.Helper()
	s.wait()
	msgs := s.urls.Messages(url)
	if !strings.Contains(msg.Text, "Working on it") {
		if len(msgs) != 0 {
			t.Fatalf("answered %q, then on the response_url %v: want nothing more", msg.Text, texts(msgs))
		}
		return msg.Text
	}
	if len(msgs) != 1 {
		t.Fatalf("answered %q, then on the response_url %v: want exactly one answer", msg.Text, texts(msgs))
	}
	return msgs[0].Text
}
