// Package dynamotest gives tests a real DynamoDB-compatible server: dynalite, installed by
// `make deps` into the repository's node_modules and run as a child process. Tests use the
// real SDK against it, so request shapes, expressions and conditions are checked by a
// server rather than by a mock that agrees with whatever the code sends.
//
// Environment:
//   - DYNAMODB_ENDPOINT: use this already-running server (e.g. DynamoDB Local) instead.
//   - DYNALITE: path of the dynalite executable, instead of searching node_modules.
//
// A test binary whose TestMain calls Main shares one server among its tests; otherwise
// every Start gets its own server, stopped when the test ends.
package dynamotest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orderbot/orderbot/lambdas/store/dynamo"
)

// Environment variables that change where the server comes from.
const (
	EnvEndpoint = "DYNAMODB_ENDPOINT"
	EnvDynalite = "DYNALITE"
)

const startTimeout = 30 * time.Second

var shared struct {
	enabled bool // set by Main before any test runs
	once    sync.Once
	srv     *server
	err     error
}

// Main runs the tests of a package with one dynalite shared by all of them and stops it
// afterwards. Call it from TestMain.
func Main(m *testing.M) {
	shared.enabled = true
	code := m.Run()
	if shared.srv != nil {
		shared.srv.stop()
	}
	os.Exit(code)
}

// Endpoint returns the URL of a running server for t.
func Endpoint(t testing.TB) string {
	t.Helper()
	if ep := os.Getenv(EnvEndpoint); ep != "" {
		return ep
	}
	if shared.enabled {
		shared.once.Do(func() { shared.srv, shared.err = start() })
		if shared.err != nil {
			t.Fatal(shared.err)
		}
		return shared.srv.endpoint
	}
	srv, err := start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.stop)
	return srv.endpoint
}

// Start returns a client of a running server for t.
func Start(t testing.TB) *dynamodb.Client {
	t.Helper()
	return NewClient(Endpoint(t))
}

// NewClient returns a client of the server at endpoint with dummy credentials: local
// servers accept any signature.
func NewClient(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("dummy", "dummy", ""),
		BaseEndpoint: aws.String(endpoint),
	})
}

// NewTable creates an empty table with the dynamo package's schema for t, deleted when t
// ends, and returns a client and the table name.
func NewTable(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	client := Start(t)
	name := TableName(t)
	if err := dynamo.CreateTable(context.Background(), client, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Only matters for a long-lived server (DYNAMODB_ENDPOINT); dynalite forgets all.
		_, _ = client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &name})
	})
	return client, name
}

var notTableChars = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// TableName returns a table name unique to t, also among test binaries sharing a server.
func TableName(t testing.TB) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := notTableChars.ReplaceAllString(t.Name(), "_")
	if len(name) > 200 {
		name = name[:200]
	}
	return name + "-" + hex.EncodeToString(b[:])
}

type server struct {
	endpoint string
	cmd      *exec.Cmd
	exited   chan struct{}
}

func (s *server) stop() {
	kill(s.cmd)
	<-s.exited
}

// Serve starts dynalite for a program that is not a test (the local stack of `orderbot
// dev`): with dir, the tables persist in that directory (dynalite --path). stop ends it.
func Serve(dir string) (endpoint string, stop func(), err error) {
	var args []string
	if dir != "" {
		args = []string{"--path", dir}
	}
	s, err := start(args...)
	if err != nil {
		return "", nil, err
	}
	return s.endpoint, s.stop, nil
}

func start(args ...string) (*server, error) {
	bin, err := dynalite()
	if err != nil {
		return nil, err
	}
	if _, err := exec.LookPath("node"); err != nil {
		return nil, fmt.Errorf("dynalite needs node on PATH: %w", err)
	}
	// dynalite cannot take port 0 (it reads 0 as "default", 4567), so pick a free port;
	// another process may grab it before dynalite binds, hence the retries.
	for attempt := 1; ; attempt++ {
		s, err := startOn(bin, args...)
		if err == nil || attempt == 3 {
			return s, err
		}
	}
}

func startOn(bin string, args ...string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, append([]string{"--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"}, args...)...)
	ready := &readyWriter{found: make(chan string, 1)}
	cmd.Stdout = ready
	cmd.Stderr = os.Stderr
	cmd.WaitDelay = time.Second
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &server{cmd: cmd, exited: make(chan struct{})}
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(s.exited)
	}()
	select {
	case s.endpoint = <-ready.found:
		return s, nil
	case <-s.exited:
		return nil, fmt.Errorf("%s exited before listening on port %d: %v", bin, port, waitErr)
	case <-time.After(startTimeout):
		s.stop()
		return nil, fmt.Errorf("%s did not report listening within %v", bin, startTimeout)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// dynalite finds the executable: $DYNALITE, else node_modules/.bin/dynalite in the working
// directory or the nearest parent that has one (the repository root).
func dynalite() (string, error) {
	if p := os.Getenv(EnvDynalite); p != "" {
		return p, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		p := filepath.Join(dir, "node_modules", ".bin", "dynalite")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	return "", errors.New("dynalite not found in node_modules/.bin of " + wd + " or any parent: " +
		"run `make deps` at the repository root (or set " + EnvDynalite + " to the executable, or " +
		EnvEndpoint + " to a running server)")
}

// readyWriter takes dynalite's stdout and reports the URL it announces. exec calls Write
// from a single goroutine.
type readyWriter struct {
	buf   []byte
	done  bool
	found chan string
}

var listening = regexp.MustCompile(`Dynalite listening at: (\S+)\n`)

func (w *readyWriter) Write(p []byte) (int, error) {
	if w.done {
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	if m := listening.FindSubmatch(w.buf); m != nil {
		w.done = true
		w.found <- string(bytes.Clone(m[1]))
		w.buf = nil
	}
	return len(p), nil
}
