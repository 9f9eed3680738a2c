package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/store/dynamo"
	"github.com/orderbot/orderbot/lambdas/store/dynamo/dynamotest"
	"github.com/orderbot/orderbot/lambdas/syncbuf"
	"github.com/orderbot/orderbot/local/cfn"
	"github.com/orderbot/orderbot/local/cfn/cfntest"
	"github.com/orderbot/orderbot/local/slacksim"
)

// Helpers for the tests that run the real `orderbot dev` binary as a separate process:
// only a process can be SIGKILLed mid-write and only its /proc entry shows its memory.

const procSecret = "process-test-signing-secret"

// TestMain removes the cloud assembly cfntest.Default synthesized for the package.
func TestMain(m *testing.M) { os.Exit(cfntest.Main(m)) }

// buildOrderbot builds this command into a temporary directory (the build cache makes
// every build after the first a link).
func buildOrderbot(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "orderbot")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: got error %v, want nil\n%s", err, out)
	}
	return bin
}

type devProcess struct {
	cmd    *exec.Cmd
	url    string
	stderr *syncbuf.Buffer // the child's stderr, for failure messages
	exited chan struct{}
}

// startDev runs `orderbot dev` on a free port with env and args and waits until it says
// it is serving: the synthesized template (one cloud assembly per test binary,
// cfntest.Default, unless args give --cdk-out), each function its own processes, the
// table in dynalite under the data directory (a temporary one unless args give --db).
// The working directory is the repository root: the host build of the bootstrap needs
// the module. Functions run a host build (--host-build): under qemu-user a cold start
// takes 0.3–2 s, which these tests' bursts would push past API Gateway's 2.5 s on a busy
// machine; a test that wants the asset as deployed passes --host-build=false (the last
// value wins).
func startDev(t *testing.T, bin string, env []string, args ...string) *devProcess {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	all := []string{"dev", "--port", strconv.Itoa(port), "--quiet", "--host-build"}
	if !slices.Contains(args, "--cdk-out") {
		all = append(all, "--cdk-out", cfntest.Default(t))
	}
	if !slices.Contains(args, "--db") {
		all = append(all, "--db", filepath.Join(t.TempDir(), "orders.db"))
	}
	cmd := exec.Command(bin, append(all, args...)...)
	cmd.Env = append(append(os.Environ(), "SLACK_SIGNING_SECRET="+procSecret, "SLACK_BOT_TOKEN="), env...)
	cmd.Dir = root
	p := &devProcess{cmd: cmd, url: "http://127.0.0.1:" + strconv.Itoa(port), stderr: &syncbuf.Buffer{}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(p.kill)
	p.waitServing(t)
	return p
}

// warmUp starts n execution environments of order-update (n updates at once, in a
// channel of their own), so that a test's stream does not begin with a burst of cold
// starts, which on a busy 2-core machine can pass API Gateway's 2.5 s.
func warmUp(t *testing.T, p *devProcess, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c := p.client(fmt.Sprintf("UWARM%d", i))
			c.Channel = "C0WARMUP"
			if _, err := c.Command(context.Background(), "/order-update", "warm-up"); err != nil {
				t.Errorf("warm-up: got error %v, want an answer", err)
			}
		})
	}
	wg.Wait()
}

// unthrottled is the default cloud assembly with the stage's throttling raised to
// 10,000 requests a second (cfntest.Unthrottled), for tests that load the stack itself.
func unthrottled(t *testing.T) string {
	t.Helper()
	return cfntest.Edited(t, cfntest.Default(t), cfntest.Unthrottled(10000))
}

// waitServing waits for the line orderbot dev prints once it serves (after the host
// build of the bootstrap and dynalite's start).
func (p *devProcess) waitServing(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(p.stderr.String(), "orderbot dev: serving") {
		select {
		case <-p.exited:
			t.Fatalf("orderbot dev: got an exit before serving, want it serving; stderr:\n%s", p.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("orderbot dev: not serving within 90s; stderr:\n%s", p.stderr.String())
		}
	}
}

// kill sends SIGKILL (no shutdown, no deferred Close) and waits for the process to go.
func (p *devProcess) kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Kill()
	<-p.exited
}

// stop asks for a graceful shutdown (SIGINT) and waits.
func (p *devProcess) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		t.Fatalf("orderbot dev after SIGINT: got no exit within 15s, want a graceful shutdown; stderr:\n%s", p.stderr.String())
	}
}

// rssKB reads VmRSS of the process from /proc (Linux only; 0 elsewhere).
func (p *devProcess) rssKB() int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

func (p *devProcess) client(user string) *slacksim.Client {
	c := slacksim.New(p.url, []byte(procSecret))
	c.User, c.UserName = user, strings.ToLower(user)
	return c
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// openRound reads the channel's open round straight from the table orderbot dev kept in
// dataDir (its --db's directory), with a dynalite of its own on those files and the
// DynamoDB store: the dev server that held them (and its dynalite) must be gone.
func openRound(t *testing.T, dataDir string) orders.Round {
	t.Helper()
	st, err := cfn.Load(cfntest.Default(t), "Orderbot")
	if err != nil {
		t.Fatal(err)
	}
	var table string
	for _, tb := range st.Tables {
		table = tb.Name
	}
	endpoint, stop, err := dynamotest.Serve(filepath.Join(dataDir, "dynamodb"))
	if err != nil {
		t.Fatalf("dynalite on %s: got error %v, want nil", dataDir, err)
	}
	defer stop()
	s := dynamo.New(dynamotest.NewClient(endpoint), table)
	c := slacksim.New("", nil)
	r, err := s.OpenRound(context.Background(), orders.Channel{Team: c.Team, Channel: c.Channel})
	if errors.Is(err, orders.ErrNoOpenRound) {
		return orders.Round{}
	}
	if err != nil {
		t.Fatalf("OpenRound in %s: got error %v, want nil", dataDir, err)
	}
	return r
}

func byUser(r orders.Round) map[string]string {
	m := map[string]string{}
	for _, o := range r.Orders {
		m[o.User] = o.Item
	}
	return m
}
