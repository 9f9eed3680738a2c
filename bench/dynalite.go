package bench

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orderbot/orderbot/lambdas/store/dynamo"
)

// dynalite is a DynamoDB-compatible server (the one `make deps` installs for the tests)
// with one table of the dynamo package's schema. dynamotest does the same for tests but
// needs a testing.TB; the harness is a program.
type dynalite struct {
	Endpoint string
	Table    string
	cmd      *exec.Cmd
	exited   chan struct{}
}

var listening = regexp.MustCompile(`Dynalite listening at: (\S+)\n`)

func startDynalite(ctx context.Context, root string) (*dynalite, error) {
	bin := filepath.Join(root, "node_modules", ".bin", "dynalite")
	if p := os.Getenv("DYNALITE"); p != "" {
		bin = p
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("dynalite not installed (%v): run make deps", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
	w := &lineWatcher{found: make(chan string, 1)}
	cmd.Stdout = w
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	d := &dynalite{cmd: cmd, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(d.exited) }()
	select {
	case d.Endpoint = <-w.found:
	case <-d.exited:
		return nil, fmt.Errorf("dynalite exited before listening")
	case <-time.After(30 * time.Second):
		d.stop()
		return nil, fmt.Errorf("dynalite did not start within 30s")
	}
	d.Table = "orderbot-bench"
	client := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(d.Endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "dummy", SecretAccessKey: "dummy", Source: "bench"}, nil
		}),
	})
	if err := dynamo.CreateTable(ctx, client, d.Table); err != nil {
		d.stop()
		return nil, err
	}
	return d, nil
}

func (d *dynalite) stop() {
	d.cmd.Process.Kill()
	<-d.exited
}

// lineWatcher reports dynalite's "listening at" URL; exec writes from one goroutine.
type lineWatcher struct {
	mu    sync.Mutex
	buf   []byte
	done  bool
	found chan string
}

func (w *lineWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.buf = append(w.buf, p...)
		if m := listening.FindSubmatch(w.buf); m != nil {
			w.done = true
			w.found <- string(m[1])
		}
	}
	return len(p), nil
}
