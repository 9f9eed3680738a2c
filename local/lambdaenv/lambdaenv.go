// Package lambdaenv runs a Lambda function as Lambda does: every execution environment is
// an OS process of the function's bootstrap that takes its invocations from Lambda's
// Runtime API, one at a time; concurrent invocations get more environments, up to a cap.
// An invocation that outlives the function's timeout kills its process and discards the
// environment, so the next invocation is a cold start; a process that exits gives the
// caller Lambda's Runtime.ExitError.
package lambdaenv

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sort"
	"strconv"
	"sync"
	"time"
)

// MaxResponse is Lambda's limit on a synchronous invocation's response (6 MB).
const MaxResponse = 6 << 20

// InitTimeout is how long Lambda lets an environment initialise before its first
// invocation is due (10 s for on-demand functions).
const InitTimeout = 10 * time.Second

// FunctionError is an invocation that failed in the function: what Lambda returns with
// X-Amz-Function-Error, {"errorMessage", "errorType"}.
type FunctionError struct {
	Message string
	Type    string
	// Payload is the error document as the caller receives it.
	Payload []byte
}

func (e *FunctionError) Error() string { return e.Message }

// Function is what an environment runs.
type Function struct {
	// Name is the function's name; ARN its ARN (the invoked function ARN).
	Name, ARN string
	// Exec is the bootstrap executable; Dir its working directory (the task root). Args,
	// when set, are Exec's arguments: an emulator's (qemu-aarch64 <bootstrap>).
	Exec, Dir string
	Args      []string
	// Env is the process's whole environment; the Runtime API's address is added.
	Env      map[string]string
	Timeout  time.Duration
	MemoryMB int
	// MaxEnvironments caps concurrent environments (ReservedConcurrentExecutions or a
	// local limit); 1 when 0.
	MaxEnvironments int
	// Log receives the processes' output and the platform's lines, one line per write.
	Log io.Writer
	// JSONLogs writes the platform's lines as Lambda's JSON log format does.
	JSONLogs bool
}

// Pool is a function's execution environments.
type Pool struct {
	fn    Function
	slots chan struct{}     // one per environment that exists
	idle  chan *environment // environments waiting for an invocation
	mu    sync.Mutex
	cold  int // cold starts so far
	logMu sync.Mutex
}

// New makes the pool of fn; no process starts before the first invocation.
func New(fn Function) *Pool {
	n := max(fn.MaxEnvironments, 1)
	return &Pool{fn: fn, slots: make(chan struct{}, n), idle: make(chan *environment, n)}
}

// ColdStarts is how many environments the pool has started.
func (p *Pool) ColdStarts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cold
}

// Invoke runs one invocation on an idle environment, or a new one (waiting for one while
// the cap is reached and ctx allows). A failed invocation is a *FunctionError; any other
// error means the invocation did not run.
func (p *Pool) Invoke(ctx context.Context, requestID string, payload []byte) ([]byte, error) {
	env, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	if requestID == "" {
		requestID = NewRequestID()
	}
	out, keep, err := env.invoke(requestID, payload)
	p.release(env, keep)
	return out, err
}

func (p *Pool) acquire(ctx context.Context) (*environment, error) {
	// A warm environment first, as Lambda routes to one when there is one.
	select {
	case env := <-p.idle:
		return env, nil
	default:
	}
	select {
	case env := <-p.idle:
		return env, nil
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("invoke %s: no execution environment free: %w", p.fn.Name, ctx.Err())
	}
	env, err := p.start()
	if err != nil {
		<-p.slots
		return nil, err
	}
	return env, nil
}

// release puts env back, or discards it (its process is gone or killed).
func (p *Pool) release(env *environment, keep bool) {
	if keep {
		p.idle <- env
		return
	}
	env.stop()
	<-p.slots
}

// Close stops every idle environment (busy ones stop when their invocation ends).
func (p *Pool) Close() {
	for {
		select {
		case env := <-p.idle:
			env.stop()
			<-p.slots
		default:
			return
		}
	}
}

// environment is one process and its Runtime API.
type environment struct {
	p       *Pool
	api     *runtimeAPI
	cmd     *exec.Cmd
	exited  chan struct{}
	exitErr error
	started time.Time
	first   bool // the next invocation is the first: it reports the init duration
}

func (p *Pool) start() (*environment, error) {
	api, err := newRuntimeAPI()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(p.fn.Exec, p.fn.Args...)
	cmd.Dir = p.fn.Dir
	env := make([]string, 0, len(p.fn.Env)+1)
	for _, k := range sortedKeys(p.fn.Env) {
		env = append(env, k+"="+p.fn.Env[k])
	}
	cmd.Env = append(env, "AWS_LAMBDA_RUNTIME_API="+api.addr())
	out := p.lineWriter()
	cmd.Stdout, cmd.Stderr = out, out
	e := &environment{p: p, api: api, cmd: cmd, exited: make(chan struct{}), started: time.Now(), first: true}
	if err := cmd.Start(); err != nil {
		api.close()
		return nil, fmt.Errorf("start %s: %w", p.fn.Name, err)
	}
	p.mu.Lock()
	p.cold++
	p.mu.Unlock()
	go func() {
		e.exitErr = cmd.Wait()
		out.Close()
		close(e.exited)
	}()
	return e, nil
}

// invoke hands the event to the process and waits for its outcome, its exit or the
// timeout. keep reports whether the environment can take another invocation.
func (e *environment) invoke(id string, payload []byte) (out []byte, keep bool, err error) {
	fn := e.p.fn
	start := time.Now()
	deadline := start.Add(fn.Timeout)
	inv := &invocation{id: id, payload: payload, deadline: deadline, arn: fn.ARN, result: make(chan outcome, 1)}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	var initDur time.Duration
	e.p.platform("start", id, nil)
	handed := false
	for !handed {
		select {
		case e.api.next <- inv:
			handed = true
			if e.first {
				initDur, e.first = time.Since(e.started), false
			}
		case fe := <-e.api.initErr:
			return e.fail(id, start, fe)
		case <-e.exited:
			return e.fail(id, start, e.exitError(id))
		case <-timer.C:
			return e.timedOut(id, start)
		}
	}
	select {
	case o := <-inv.result:
		e.p.report(id, time.Since(start), initDur, fn)
		if o.err != nil {
			return nil, true, o.err
		}
		return o.body, true, nil
	case <-e.exited:
		return e.fail(id, start, e.exitError(id))
	case <-timer.C:
		return e.timedOut(id, start)
	}
}

func (e *environment) fail(id string, start time.Time, fe *FunctionError) ([]byte, bool, error) {
	e.p.report(id, time.Since(start), 0, e.p.fn)
	return nil, false, fe
}

// timedOut kills the process: Lambda discards a timed-out environment, and the next
// invocation starts a new one. Lambda's payload carries no errorType (only the message).
func (e *environment) timedOut(id string, start time.Time) ([]byte, bool, error) {
	secs := strconv.FormatFloat(e.p.fn.Timeout.Seconds(), 'f', 2, 64)
	msg := time.Now().UTC().Format("2006-01-02T15:04:05.000Z") + " " + id + " Task timed out after " + secs + " seconds"
	e.p.logLine(msg)
	payload, _ := json.Marshal(map[string]string{"errorMessage": msg})
	return e.fail(id, start, &FunctionError{Message: msg, Type: "Sandbox.Timedout", Payload: payload})
}

// exitError is Lambda's error for a runtime that exited during an invocation or init.
func (e *environment) exitError(id string) *FunctionError {
	reason := "Runtime exited without providing a reason"
	if e.exitErr != nil {
		reason = "Runtime exited with error: " + e.exitErr.Error()
	}
	msg := "RequestId: " + id + " Error: " + reason
	// The field order is the runtime interface emulator's (TestSameAsRuntimeInterfaceEmulator).
	payload, _ := json.Marshal(struct {
		Type    string `json:"errorType"`
		Message string `json:"errorMessage"`
	}{"Runtime.ExitError", msg})
	return &FunctionError{Message: msg, Type: "Runtime.ExitError", Payload: payload}
}

// stop kills the process and closes its Runtime API.
func (e *environment) stop() {
	if e.cmd.Process != nil {
		e.cmd.Process.Kill()
	}
	<-e.exited
	e.api.close()
}

// NewRequestID is a Lambda-style request id (a UUID).
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// ErrClosed is returned for an invocation of a closed pool.
var ErrClosed = errors.New("pool closed")

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// lineWriter is a process's output, written to the log one line at a time.
func (p *Pool) lineWriter() *io.PipeWriter {
	pr, pw := io.Pipe()
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.logLine(sc.Text())
		}
		io.Copy(io.Discard, pr)
	}()
	return pw
}

func (p *Pool) logLine(line string) {
	if p.fn.Log == nil {
		return
	}
	p.logMu.Lock()
	defer p.logMu.Unlock()
	io.WriteString(p.fn.Log, line+"\n")
}
