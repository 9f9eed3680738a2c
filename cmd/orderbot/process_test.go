package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/store/boltdb"
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

// lockedBuffer collects a child's stderr for failure messages.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type devProcess struct {
	cmd    *exec.Cmd
	url    string
	stderr *lockedBuffer
	exited chan struct{}
}

// startDev runs `orderbot dev` on a free port with db and waits until it answers.
func startDev(t *testing.T, bin, db string) *devProcess {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(bin, "dev", "--in-process", "--port", strconv.Itoa(port), "--db", db, "--quiet")
	cmd.Env = append(os.Environ(), "SLACK_SIGNING_SECRET="+procSecret, "SLACK_BOT_TOKEN=")
	cmd.Dir = t.TempDir() // .orderbot/ of a generated secret never lands in the repository
	p := &devProcess{cmd: cmd, url: "http://127.0.0.1:" + strconv.Itoa(port), stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() { p.kill() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		// Any HTTP answer means it is serving (GET / is API Gateway's 403).
		resp, err := http.Get(p.url + "/")
		if err == nil {
			resp.Body.Close()
			return p
		}
		select {
		case <-p.exited:
			t.Fatalf("orderbot dev: got an exit before serving, want it serving; stderr:\n%s", p.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("orderbot dev: got no HTTP answer within 30s, want it serving; stderr:\n%s", p.stderr.String())
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
