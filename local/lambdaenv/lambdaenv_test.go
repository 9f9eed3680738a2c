package lambdaenv

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/syncbuf"
)

var fnBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lambdaenv-")
	if err != nil {
		panic(err)
	}
	fnBin = filepath.Join(dir, "bootstrap")
	if out, err := exec.Command("go", "build", "-o", fnBin, "./testdata/fn").CombinedOutput(); err != nil {
		panic(string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func pool(t *testing.T, timeout time.Duration, envs int, env map[string]string) (*Pool, *syncbuf.Buffer) {
	t.Helper()
	log := &syncbuf.Buffer{}
	p := New(Function{Name: "fn", ARN: "arn:aws:lambda:us-east-1:000000000000:function:fn", Exec: fnBin,
		Env: env, Timeout: timeout, MemoryMB: 128, MaxEnvironments: envs, Log: log})
	t.Cleanup(p.Close)
	return p, log
}

type reply struct {
	PID       int    `json:"pid"`
	Env       string `json:"env"`
	RequestID string `json:"requestId"`
}

func invoke(t *testing.T, p *Pool, event string) (reply, error) {
	t.Helper()
	out, err := p.Invoke(context.Background(), "", []byte(event))
	var r reply
	if err == nil {
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("reply %s: %v", out, err)
		}
	}
	return r, err
}

// TestWarmEnvironmentIsReused: the second invocation runs in the same process, with the
// template's environment and the request id the caller gave.
func TestWarmEnvironmentIsReused(t *testing.T) {
	p, log := pool(t, 3*time.Second, 1, map[string]string{"GREETING": "hello"})
	a, err := invoke(t, p, `{"env":"GREETING"}`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Invoke(context.Background(), "req-2", []byte(`{"env":"AWS_LAMBDA_RUNTIME_API"}`))
	if err != nil {
		t.Fatal(err)
	}
	var b reply
	json.Unmarshal(out, &b)
	if a.Env != "hello" || a.PID != b.PID || b.RequestID != "req-2" || !strings.HasPrefix(b.Env, "127.0.0.1:") || p.ColdStarts() != 1 {
		t.Errorf("got %+v then %+v, %d cold starts; want GREETING=hello, one process, request id req-2, a loopback Runtime API, 1 cold start", a, b, p.ColdStarts())
	}
	if !strings.Contains(log.String(), "START RequestId: req-2") || !strings.Contains(log.String(), "Init Duration") {
		t.Errorf("log lacks START and the first REPORT's Init Duration:\n%s", log)
	}
}

// TestTimeoutKillsAndRecycles: an invocation past the timeout is killed with Lambda's
// message, and the next invocation is a cold start in a new process.
func TestTimeoutKillsAndRecycles(t *testing.T) {
	p, _ := pool(t, time.Second, 1, nil)
	first, err := invoke(t, p, `{}`)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = invoke(t, p, `{"sleepMs":3000}`)
	var fe *FunctionError
	if !errors.As(err, &fe) || !strings.Contains(fe.Message, "Task timed out after 1.00 seconds") || time.Since(start) > 2500*time.Millisecond {
		t.Fatalf("got %v after %v, want Task timed out after 1.00 seconds within about 1 s", err, time.Since(start))
	}
	next, err := invoke(t, p, `{}`)
	if err != nil || next.PID == first.PID || p.ColdStarts() != 2 {
		t.Errorf("after the timeout: pid %d (first %d), %d cold starts, error %v; want a new process, 2 cold starts", next.PID, first.PID, p.ColdStarts(), err)
	}
}

// TestCrashIsExitError: a process that exits mid-invocation gives Runtime.ExitError; an
// init failure too; a handler error is the function's own error type.
func TestCrashIsExitError(t *testing.T) {
	p, _ := pool(t, 3*time.Second, 1, nil)
	_, err := invoke(t, p, `{"exit":2}`)
	var fe *FunctionError
	if !errors.As(err, &fe) || fe.Type != "Runtime.ExitError" || !strings.Contains(fe.Message, "exit status 2") {
		t.Errorf("crash: got %v, want Runtime.ExitError with exit status 2", err)
	}
	_, err = invoke(t, p, `{"fail":"bad_request: no"}`)
	if !errors.As(err, &fe) || fe.Message != "bad_request: no" || fe.Type != "errorString" {
		t.Errorf("handler error: got %+v, want message bad_request: no, type errorString", fe)
	}
	q, _ := pool(t, 3*time.Second, 1, map[string]string{"FAIL_INIT": "1"})
	_, err = invoke(t, q, `{}`)
	if !errors.As(err, &fe) || fe.Type != "Runtime.ExitError" || !strings.Contains(fe.Message, "exit status 3") {
		t.Errorf("init failure: got %v, want Runtime.ExitError with exit status 3", err)
	}
}

// TestConcurrentInvocationsGetEnvironments: two invocations at once run in two
// processes; a cap of one makes the second wait for the first.
func TestConcurrentInvocationsGetEnvironments(t *testing.T) {
	for _, tc := range []struct{ envs, wantProcs int }{{2, 2}, {1, 1}} {
		p, _ := pool(t, 5*time.Second, tc.envs, nil)
		var wg sync.WaitGroup
		pids := make([]int, 2)
		for i := range pids {
			wg.Go(func() {
				r, err := invoke(t, p, `{"sleepMs":300}`)
				if err != nil {
					t.Error(err)
				}
				pids[i] = r.PID
			})
		}
		wg.Wait()
		distinct := 1
		if pids[0] != pids[1] {
			distinct = 2
		}
		if distinct != tc.wantProcs {
			t.Errorf("cap %d: got %d processes (%v), want %d", tc.envs, distinct, pids, tc.wantProcs)
		}
	}
}
