package devstack_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/orderbot/orderbot/lambdas/syncbuf"
	"github.com/orderbot/orderbot/local/cfn"
	"github.com/orderbot/orderbot/local/cfn/cfntest"
	"github.com/orderbot/orderbot/local/devstack"
	"github.com/orderbot/orderbot/local/slacksim"
)

func TestMain(m *testing.M) { os.Exit(cfntest.Main(m)) }

const secret = "devstack-test-secret"

// logBuf is the dev stack's log, shared with its functions' processes.
type logBuf struct{ syncbuf.Buffer }

// count is how many log lines of function fn contain s.
func (l *logBuf) count(fn, s string) int {
	n := 0
	for _, line := range strings.Split(l.String(), "\n") {
		if strings.HasPrefix(line, "[Orderbot-"+fn+"] ") && strings.Contains(line, s) {
			n++
		}
	}
	return n
}

type running struct {
	st   *devstack.Stack
	base string
	log  *logBuf
}

func (r *running) client(user string) *slacksim.Client {
	c := slacksim.New(r.base, []byte(secret))
	c.User = user
	c.ResponseBase = r.base + "/_slack/response_url"
	return c
}

// start serves a copy of the default cloud assembly whose template edit changed, with
// opts, on a loopback port, each function a host build of the bootstrap: under qemu-user
// a cold start takes 0.3–2 s (TestArm64AssetUnderQemu), which the timeouts these tests set
// (1 s Timeout, API Gateway's 2.5 s) would count against the stack.
func start(t *testing.T, edit func(cfntest.Resources), opts devstack.Options) *running {
	t.Helper()
	opts.HostBuild = true
	return startAsIs(t, edit, opts)
}

// startAsIs is start with opts as given: the asset as deployed where the host can run it.
func startAsIs(t *testing.T, edit func(cfntest.Resources), opts devstack.Options) *running {
	t.Helper()
	if edit == nil {
		edit = func(cfntest.Resources) {}
	}
	dir := cfntest.Edited(t, cfntest.Default(t), edit)
	root, err := cfntest.Root()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &running{base: "http://" + ln.Addr().String(), log: &logBuf{}}
	opts.CDKOut, opts.StackName, opts.DataDir, opts.BaseURL = dir, "Orderbot", filepath.Join(dir, ".orderbot"), r.base
	opts.SigningSecret, opts.BotToken, opts.ModuleDir, opts.Log = secret, "xoxb-test", filepath.Join(root, "lambdas"), r.log
	if opts.RetryDelay == 0 {
		opts.RetryDelay = 50 * time.Millisecond
	}
	r.st, err = devstack.Start(context.Background(), opts)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/_slack/response_url/", &slacksim.ResponseURLs{Open: true})
	mux.Handle(devstack.AWSPath, r.st)
	mux.Handle("/", r.st.Gateway)
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		r.st.Wait()
		r.st.Close()
		if t.Failed() {
			t.Logf("dev stack log:\n%s", r.log)
		}
	})
	return r
}

func command(t *testing.T, r *running, cmd, text string) *slacksim.Reply {
	t.Helper()
	reply, err := r.client("U1").Command(context.Background(), cmd, text)
	if err != nil {
		t.Fatalf("%s %s: %v", cmd, text, err)
	}
	return reply
}

func text(r *slacksim.Reply) string {
	if r.Msg == nil {
		return string(r.Body)
	}
	b, _ := json.Marshal(r.Msg)
	return string(b)
}

// TestServesTheTemplate: commands go through the template's methods to the functions'
// processes and DynamoDB, and back through the integration responses.
func TestServesTheTemplate(t *testing.T) {
	r := start(t, nil, devstack.Options{})
	if reply := command(t, r, "/order-update", "iced americano"); reply.Status != 200 || !strings.Contains(text(reply), "iced americano") {
		t.Fatalf("/order-update: got %d %s, want 200 with the order", reply.Status, text(reply))
	}
	if reply := command(t, r, "/order-list", ""); reply.Status != 200 || !strings.Contains(text(reply), "1 order") {
		t.Errorf("/order-list: got %d %s, want the round with 1 order", reply.Status, text(reply))
	}
	bad := r.client("U1")
	bad.Secret = []byte("wrong")
	if reply, err := bad.Command(context.Background(), "/order-update", "x"); err != nil || reply.Status != 401 {
		t.Errorf("forged signature: got %+v, %v, want 401 from the unauthorized:.* response", reply, err)
	}
	if got := r.st.ColdStarts("Orderbot-order-update"); got != 1 {
		t.Errorf("order-update cold starts: got %d, want 1 (the second request is warm)", got)
	}
}

// TestFollowsTemplateEdits: the local stack does what the edited template says.
func TestFollowsTemplateEdits(t *testing.T) {
	t.Run("locale of one function", func(t *testing.T) {
		r := start(t, func(res cfntest.Resources) {
			env := res.Props("AWS::Lambda::Function", "Fnorderlist")["Environment"].(map[string]any)["Variables"].(map[string]any)
			env["ORDERBOT_LOCALE"] = "ko"
		}, devstack.Options{})
		if reply := command(t, r, "/order-update", "latte"); !strings.Contains(text(reply), "Your order") {
			t.Errorf("/order-update: got %s, want English", text(reply))
		}
		if reply := command(t, r, "/order-list", ""); !strings.Contains(text(reply), "주문") {
			t.Errorf("/order-list: got %s, want Korean", text(reply))
		}
	})
	t.Run("method removed", func(t *testing.T) {
		r := start(t, func(res cfntest.Resources) {
			for id, v := range res {
				if v["Type"] == "AWS::ApiGateway::Method" && strings.Contains(id, "orderlist") {
					delete(res, id)
				}
			}
		}, devstack.Options{})
		reply := command(t, r, "/order-list", "")
		if reply.Status != 403 || !strings.Contains(string(reply.Body), "Missing Authentication Token") {
			t.Errorf("/order-list: got %d %s, want 403 Missing Authentication Token", reply.Status, reply.Body)
		}
		if reply := command(t, r, "/order-update", "latte"); reply.Status != 200 {
			t.Errorf("/order-update: got %d, want 200", reply.Status)
		}
	})
	t.Run("selection pattern and status", func(t *testing.T) {
		r := start(t, func(res cfntest.Resources) {
			in := res.Props("AWS::ApiGateway::Method", "orderupdatePOST")["Integration"].(map[string]any)
			for _, v := range in["IntegrationResponses"].([]any) {
				ir := v.(map[string]any)
				if ir["SelectionPattern"] == "unauthorized:.*" {
					ir["StatusCode"] = "418"
					ir["ResponseTemplates"] = map[string]any{"application/json": `{"error":"teapot"}`}
				}
			}
		}, devstack.Options{})
		bad := r.client("U1")
		bad.Secret = []byte("wrong")
		reply, err := bad.Command(context.Background(), "/order-update", "x")
		if err != nil || reply.Status != 418 || !strings.Contains(string(reply.Body), "teapot") {
			t.Errorf("forged signature: got %+v, %v, want 418 teapot", reply, err)
		}
	})
}

// TestTimeoutRecyclesEnvironment: a 1-second Timeout with a 2-second store kills the
// invocation (Lambda's timeout error, answered 500 by the default response) and the
// next request starts a new environment.
func TestTimeoutRecyclesEnvironment(t *testing.T) {
	r := start(t, func(res cfntest.Resources) {
		res.Props("AWS::Lambda::Function", "Fnorderupdate")["Timeout"] = 1.0
	}, devstack.Options{StoreLatency: 2 * time.Second})
	for i := 1; i <= 2; i++ {
		reply := command(t, r, "/order-update", "latte")
		if reply.Status != 500 {
			t.Errorf("request %d: got %d %s, want 500 (timed out)", i, reply.Status, reply.Body)
		}
		if got := r.st.ColdStarts("Orderbot-order-update"); got != i {
			t.Errorf("after request %d: %d cold starts, want %d (a timed-out environment is discarded)", i, got, i)
		}
	}
	if n := r.log.count("order-update", "Task timed out after 1.00 seconds"); n != 2 {
		t.Errorf("got %d timeout lines, want 2", n)
	}
}

// asyncInvoke invokes fn through the Lambda stand-in with InvocationType Event, signed
// with fn's own credentials (its self-invoke), and wants 202.
func asyncInvoke(t *testing.T, r *running, fn string, payload string) {
	t.Helper()
	if status, body := invokeEvent(t, r, fn, []byte(payload)); status != http.StatusAccepted {
		t.Fatalf("invoke: got %d %s, want 202", status, body)
	}
}

// invokeEvent is asyncInvoke's call: the status and body of the answer.
func invokeEvent(t *testing.T, r *running, fn string, payload []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.base+devstack.AWSPath+"lambda/2015-03-31/functions/"+fn+"/invocations", bytes.NewReader(payload))
	req.Header.Set("X-Amz-Invocation-Type", "Event")
	c, err := r.st.Front.Issue(fn)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(payload)
	creds := aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "lambda", cfn.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestAsyncRetriesAndDeadLetters: a failing asynchronous event runs 1 + MaximumRetryAttempts
// times and then lands in the dead-letter queue; with MaximumRetryAttempts 0 it goes
// straight there.
func TestAsyncRetriesAndDeadLetters(t *testing.T) {
	for _, tc := range []struct {
		retries float64
		runs    int
	}{{2, 3}, {0, 1}} {
		r := start(t, func(res cfntest.Resources) {
			res.Props("AWS::Lambda::EventInvokeConfig", "Fnorderupdate")["MaximumRetryAttempts"] = tc.retries
		}, devstack.Options{})
		// Neither a request nor a deferred run nor a schedule: the handler refuses it.
		asyncInvoke(t, r, "Orderbot-order-update", `{"unexpected":true}`)
		r.st.Wait()
		if n := r.log.count("order-update", "platform.start"); n != tc.runs {
			t.Errorf("MaximumRetryAttempts %v: got %d runs, want %d", tc.retries, n, tc.runs)
		}
		var dlq []map[string]any
		for id := range r.st.Stack.Queues {
			msgs, err := r.st.DeadLetters(id)
			if err != nil {
				t.Fatal(err)
			}
			dlq = append(dlq, msgs...)
		}
		if len(dlq) != 1 || dlq[0]["Body"] != `{"unexpected":true}` {
			t.Errorf("MaximumRetryAttempts %v: dead letters %v, want the one event", tc.retries, dlq)
		}
	}
}

// TestScheduleFiresTwice: a deadline's schedule, created by the function through the
// Scheduler stand-in and fired twice (at least once delivery), closes the round once.
func TestScheduleFiresTwice(t *testing.T) {
	r := start(t, nil, devstack.Options{ClockSpeed: 600, Twice: true})
	command(t, r, "/order-update", "latte")
	if reply := command(t, r, "/order-list", "close in 1m"); reply.Status != 200 {
		t.Fatalf("close in 1m: got %d %s", reply.Status, reply.Body)
	}
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(r.log.String(), "fired") && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second)
	r.st.Wait()
	if n := strings.Count(r.log.String(), "/close-"); n != 1 {
		t.Errorf("got %d close firings logged, want 1 (fired twice)", n)
	}
	if runs, applied := r.log.count("order-list", "round closed at its deadline"), r.log.count("order-list", `"outcome":"applied"`); runs != 2 || applied != 2 {
		// applied twice: the deadline's own request, and the close
		t.Errorf("close runs: got %d (applied lines %d), want 2 runs, one applying the close", runs, applied)
	}
	if n := r.log.count("order-list", `"msg":"reply sent"`); n != 1 {
		t.Errorf("tally posts: got %d, want 1", n)
	}
	reply := command(t, r, "/order-list", "history")
	if reply.Msg == nil || strings.Count(reply.Msg.Text, "latte") != 1 || !strings.Contains(reply.Msg.Text, "closed by its deadline") {
		t.Errorf("history: got %s, want one round closed by its deadline with the latte", text(reply))
	}
}

// TestAsyncEventAge: an event older than MaximumEventAgeInSeconds when its retry is due
// is not run again: it goes to the dead-letter queue, saying why.
func TestAsyncEventAge(t *testing.T) {
	r := start(t, func(res cfntest.Resources) {
		res.Props("AWS::Lambda::EventInvokeConfig", "Fnorderupdate")["MaximumEventAgeInSeconds"] = 1.0
	}, devstack.Options{RetryDelay: 1500 * time.Millisecond})
	asyncInvoke(t, r, "Orderbot-order-update", `{"unexpected":true}`)
	r.st.Wait()
	if n := r.log.count("order-update", "platform.start"); n != 1 {
		t.Errorf("got %d runs, want 1 (the retry would start after the event's maximum age)", n)
	}
	var dlq []map[string]any
	for id := range r.st.Stack.Queues {
		msgs, _ := r.st.DeadLetters(id)
		dlq = append(dlq, msgs...)
	}
	if len(dlq) != 1 {
		t.Fatalf("dead letters %v, want one", dlq)
	}
	attrs, _ := dlq[0]["MessageAttributes"].(map[string]any)
	if msg, _ := attrs["ErrorMessage"].(string); !strings.Contains(msg, "older than MaximumEventAgeInSeconds") {
		t.Errorf("dead letter's ErrorMessage %q, want it to say the event was too old", msg)
	}
}

// TestSettingOverrides: a setting given to orderbot dev (ORDERBOT_LOCALE=ko make dev)
// replaces the template's in every function.
func TestSettingOverrides(t *testing.T) {
	r := start(t, nil, devstack.Options{Overrides: map[string]string{"ORDERBOT_LOCALE": "ko"}})
	if reply := command(t, r, "/order-update", "라떼"); !strings.Contains(text(reply), "내 주문") {
		t.Errorf("/order-update: got %s, want Korean", text(reply))
	}
}
