package main

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/store/boltdb"
	"github.com/orderbot/orderbot/lambdas/syncbuf"
	"github.com/orderbot/orderbot/local/cfn/cfntest"
	"github.com/orderbot/orderbot/local/slacksim"
)

// Helpers for the tests that run the real `orderbot dev` binary as a separate process:
// only a process can be SIGKILLed mid-write and only its /proc entry shows its memory.

const procSecret = "process-test-signing-secret"

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

// devMode is how a test runs `orderbot dev`: the route table's handlers in the dev
// process (--in-process), or the synthesized template with each function its own process
// and dynalite for the table (what deploys).
type devMode struct {
	name string
	// args are the mode's flags; dir is the working directory (the template mode's host
	// build of the bootstrap needs the module).
	args func(t *testing.T) (args []string, dir string)
}

var (
	inProcess = devMode{name: "in-process", args: func(t *testing.T) ([]string, string) {
		return []string{"--in-process"}, t.TempDir() // .orderbot/ of a generated secret never lands in the repository
	}}
	// template shares one synthesized cloud assembly per test binary (cfntest.Default).
	templateMode = devMode{name: "template", args: func(t *testing.T) ([]string, string) {
		root, err := filepath.Abs("../..")
		if err != nil {
			t.Fatal(err)
		}
		return []string{"--cdk-out", cfntest.Default(t)}, root
	}}
	bothModes = []devMode{inProcess, templateMode}
)

// startDev runs `orderbot dev --in-process` on a free port with db and waits until it answers.
func startDev(t *testing.T, bin, db string) *devProcess {
	t.Helper()
	return startDevIn(t, inProcess, bin, nil, "--db", db)
}

// startDevIn runs `orderbot dev` in mode on a free port with env and args (a --db in a
// temporary directory unless args give one) and waits until it says it is serving.
func startDevIn(t *testing.T, mode devMode, bin string, env []string, args ...string) *devProcess {
	t.Helper()
	port := freePort(t)
	modeArgs, dir := mode.args(t)
	all := append([]string{"dev", "--port", strconv.Itoa(port), "--quiet"}, modeArgs...)
	if !slices.Contains(args, "--db") {
		all = append(all, "--db", filepath.Join(t.TempDir(), "orders.db"))
	}
	cmd := exec.Command(bin, append(all, args...)...)
	cmd.Env = append(append(os.Environ(), "SLACK_SIGNING_SECRET="+procSecret, "SLACK_BOT_TOKEN="), env...)
	cmd.Dir = dir
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
	// Both modes print this line once they serve; the template mode may first build the
	// bootstrap for the host and start dynalite.
	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(p.stderr.String(), "orderbot dev: serving") {
		select {
		case <-p.exited:
			t.Fatalf("orderbot dev (%s): got an exit before serving, want it serving; stderr:\n%s", mode.name, p.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("orderbot dev (%s): not serving within 90s; stderr:\n%s", mode.name, p.stderr.String())
		}
	}
	return p
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

// openRound reads the channel's open round straight from the database file; the process
// holding it must be gone.
func openRound(t *testing.T, db string) orders.Round {
	t.Helper()
	s, err := boltdb.Open(db)
	if err != nil {
		t.Fatalf("opening %s: got error %v, want nil", db, err)
	}
	defer s.Close()
	c := slacksim.New("", nil)
	r, err := s.OpenRound(context.Background(), orders.Channel{Team: c.Team, Channel: c.Channel})
	if errors.Is(err, orders.ErrNoOpenRound) {
		return orders.Round{}
	}
	if err != nil {
		t.Fatalf("OpenRound in %s: got error %v, want nil", db, err)
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
