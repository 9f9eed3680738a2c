package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/local/gateway"
)

// asyncRun is one run of a fake handler.
type asyncRun struct {
	function  string
	body      string
	start     time.Time
	deadline  time.Time
	requestID string
	arn       string
}

// In-process only: these drive the harness gateway's own asynchronous invoke (its retries,
// event age, duplicates, reordering and dead letters) with fake handlers at exact points.
// On the template the same Lambda behaviours are the Invoke stand-in's, tested in
// local/devstack (retries and the queue, event age, MaximumRetryAttempts 0, duplicates with
// --async-twice, the 1 MB payload limit).

// asyncRig is a gateway over fake handlers, one per function of api.Routes, each of
// which records its run and then does what do says for that function's nth run (from 1).
type asyncRig struct {
	gw *gateway.Gateway

	mu          sync.Mutex
	runs        []asyncRun
	deadLetters []deadLetter
}

type deadLetter struct {
	function string
	payload  []byte
	err      error
}

func newAsyncRig(t *testing.T, opts gateway.Options, do func(ctx context.Context, function string, n int) error) *asyncRig {
	t.Helper()
	rig := &asyncRig{}
	if opts.RetryDelays == nil {
		opts.RetryDelays = []time.Duration{} // retry at once unless the test says otherwise
	}
	if opts.DeadLetter == nil {
		opts.DeadLetter = func(function string, payload []byte, err error) {
			rig.mu.Lock()
			defer rig.mu.Unlock()
			rig.deadLetters = append(rig.deadLetters, deadLetter{function, bytes.Clone(payload), err})
		}
	}
	handlers := map[string]any{}
	for _, r := range api.Routes {
		function := r.Function
		handlers[function] = func(ctx context.Context, ev api.Event) (string, error) {
			run := asyncRun{function: function, body: string(ev.Body), start: time.Now()}
			run.deadline, _ = ctx.Deadline()
			if lc, ok := lambdacontext.FromContext(ctx); ok {
				run.requestID, run.arn = lc.AwsRequestID, lc.InvokedFunctionArn
			}
			rig.mu.Lock()
			rig.runs = append(rig.runs, run)
			n := 0
			for _, r := range rig.runs {
				if r.function == function {
					n++
				}
			}
			rig.mu.Unlock()
			if do == nil {
				return "ok", nil
			}
			return "ok", do(ctx, function, n)
		}
	}
	gw, err := gateway.New(handlers, opts)
	if err != nil {
		t.Fatal(err)
	}
	rig.gw = gw
	return rig
}

func eventPayload(t *testing.T, body string) []byte {
	t.Helper()
	b, err := json.Marshal(api.Event{Body: []byte(body), Deferred: true})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// invoke queues an event for function and waits for every delivery to end.
func (rig *asyncRig) invoke(t *testing.T, function, body string) {
	t.Helper()
	if err := rig.gw.InvokeAsync(context.Background(), function, eventPayload(t, body)); err != nil {
		t.Fatalf("InvokeAsync: got %v, want no error", err)
	}
	rig.gw.Wait()
}

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestAsyncRetriesThenDeadLetters: a run that keeps failing runs once and is retried
// exactly api.AsyncRetryAttempts times, after the retry delays, with the same request id;
// then the event goes to the dead letter with the last error, and Wait waited for all of it.
func TestAsyncRetriesThenDeadLetters(t *testing.T) {
	errStore := errors.New("dynamodb: throttled")
	delays := []time.Duration{30 * time.Millisecond, 60 * time.Millisecond}
	rig := newAsyncRig(t, gateway.Options{RetryDelays: delays}, func(context.Context, string, int) error { return errStore })
	payload := eventPayload(t, "token=x&text=latte")
	if err := rig.gw.InvokeAsync(context.Background(), "order-update", payload); err != nil {
		t.Fatalf("InvokeAsync: got %v, want no error", err)
	}
	rig.gw.Wait()

	if got, want := len(rig.runs), 1+api.AsyncRetryAttempts; got != want {
		t.Fatalf("got %d runs, want %d (one and %d retries)", got, want, api.AsyncRetryAttempts)
	}
	for i, r := range rig.runs {
		if r.function != "order-update" || r.body != "token=x&text=latte" {
			t.Errorf("run %d: got %s with body %q, want order-update with the queued body", i+1, r.function, r.body)
		}
		if r.requestID == "" || r.requestID != rig.runs[0].requestID {
			t.Errorf("run %d: got request id %q, want %q: retries keep the request id", i+1, r.requestID, rig.runs[0].requestID)
		}
		if i > 0 {
			if gap := r.start.Sub(rig.runs[i-1].start); gap < delays[i-1] {
				t.Errorf("retry %d: got a start %v after the run before it, want at least %v", i, gap, delays[i-1])
			}
		}
	}
	if len(rig.deadLetters) != 1 {
		t.Fatalf("got %d dead letters, want 1", len(rig.deadLetters))
	}
	dl := rig.deadLetters[0]
	if dl.function != "order-update" || !bytes.Equal(dl.payload, payload) {
		t.Errorf("dead letter: got %s %s, want order-update with the queued payload", dl.function, dl.payload)
	}
	if !errors.Is(dl.err, errStore) || errors.Is(dl.err, gateway.ErrEventTooOld) {
		t.Errorf("dead letter error: got %v, want the last run's error %v and not ErrEventTooOld", dl.err, errStore)
	}
}

// TestAsyncPanicAndTimeoutAreRetried: a panic and a run that outlives the function's
// timeout — even one that then returns success — are failed runs; a later success ends
// the retries without a dead letter.
func TestAsyncPanicAndTimeoutAreRetried(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the events function's timeout")
	}
	rig := newAsyncRig(t, gateway.Options{}, func(ctx context.Context, function string, n int) error {
		switch n {
		case 1:
			panic("nil map")
		case 2:
			<-ctx.Done()
			time.Sleep(50 * time.Millisecond) // too late: Lambda has already stopped it
			return nil
		}
		return nil
	})
	rig.invoke(t, "events", "{}")
	if got := len(rig.runs); got != 3 {
		t.Errorf("got %d runs, want 3: a panic, a timeout, a success", got)
	}
	if len(rig.deadLetters) != 0 {
		t.Errorf("got dead letters %v, want none after the successful retry", rig.deadLetters)
	}
}

// TestAsyncTimeoutIsDeadLettered: a run that returns success only once its deadline has
// passed timed out, and the dead letter says so.
func TestAsyncTimeoutIsDeadLettered(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the events function's timeout")
	}
	rig := newAsyncRig(t, gateway.Options{}, func(ctx context.Context, _ string, n int) error {
		if n < 3 {
			panic("nil map")
		}
		<-ctx.Done()
		return nil
	})
	rig.invoke(t, "events", "{}")
	if got := len(rig.runs); got != 3 {
		t.Errorf("got %d runs, want 3", got)
	}
	if len(rig.deadLetters) != 1 || !errors.Is(rig.deadLetters[0].err, context.DeadlineExceeded) ||
		!strings.Contains(rig.deadLetters[0].err.Error(), "timed out after 3.00 seconds") {
		t.Errorf("got dead letters %v, want one for the last run's timeout", rig.deadLetters)
	}
}

// TestAsyncExpiredEventIsDeadLettered: an event older than api.MaxEventAge when its run is
// due is dead-lettered without running — also between retries — while one exactly
// MaxEventAge old still runs.
func TestAsyncExpiredEventIsDeadLettered(t *testing.T) {
	clock := &fakeClock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	var age time.Duration // how long the queue holds an event before each delivery
	rig := newAsyncRig(t, gateway.Options{
		Now:   clock.Now,
		Delay: func() time.Duration { clock.Advance(age); return 0 },
	}, func(context.Context, string, int) error { return errors.New("crashed") })

	age = api.MaxEventAge + time.Second
	rig.invoke(t, "order-list", "old")
	if len(rig.runs) != 0 {
		t.Errorf("expired event: got %d runs, want none", len(rig.runs))
	}
	if len(rig.deadLetters) != 1 || !errors.Is(rig.deadLetters[0].err, gateway.ErrEventTooOld) {
		t.Fatalf("expired event: got dead letters %v, want one wrapping ErrEventTooOld", rig.deadLetters)
	}

	// Queued 13 minutes before its run and 13 more before its retry: it runs once, and
	// expires before the retry.
	rig.deadLetters = nil
	age = 13 * time.Minute
	rig.invoke(t, "order-list", "aging")
	if len(rig.runs) != 1 {
		t.Errorf("aging event: got %d runs, want 1", len(rig.runs))
	}
	if len(rig.deadLetters) != 1 || !errors.Is(rig.deadLetters[0].err, gateway.ErrEventTooOld) ||
		!strings.Contains(rig.deadLetters[0].err.Error(), "crashed") {
		t.Errorf("aging event: got dead letters %v, want one wrapping ErrEventTooOld and the run's error", rig.deadLetters)
	}

	rig.runs, rig.deadLetters = nil, nil
	age = api.MaxEventAge
	rig.invoke(t, "order-list", "just in time")
	if len(rig.runs) != 1 {
		t.Errorf("event exactly MaxEventAge old: got %d runs, want 1", len(rig.runs))
	}
}

// TestAsyncDuplicateDeliversTwice: a duplicated event runs twice with the same payload,
// each delivery with its own request id, and Wait waits for both.
func TestAsyncDuplicateDeliversTwice(t *testing.T) {
	calls := 0
	rig := newAsyncRig(t, gateway.Options{Duplicate: func() bool { calls++; return calls == 1 }}, nil)
	rig.invoke(t, "order-update", "twice")
	rig.invoke(t, "order-update", "once")
	var bodies []string
	for _, r := range rig.runs {
		bodies = append(bodies, r.body)
	}
	if got := fmt.Sprint(bodies); got != "[twice twice once]" {
		t.Errorf("got runs %s, want [twice twice once]", got)
	}
	if len(rig.runs) == 3 && rig.runs[0].requestID == rig.runs[1].requestID {
		t.Errorf("both deliveries got request id %s, want one each", rig.runs[0].requestID)
	}
	if calls != 2 {
		t.Errorf("Duplicate calls: got %d, want once per event (2)", calls)
	}
}

// TestAsyncDelayReorders: an event the queue holds longer runs after one queued later.
func TestAsyncDelayReorders(t *testing.T) {
	delays := []time.Duration{100 * time.Millisecond, 0}
	rig := newAsyncRig(t, gateway.Options{Delay: func() time.Duration {
		d := delays[0]
		delays = delays[1:]
		return d
	}}, nil)
	for _, body := range []string{"first", "second"} {
		if err := rig.gw.InvokeAsync(context.Background(), "order-update", eventPayload(t, body)); err != nil {
			t.Fatalf("InvokeAsync(order-update, %s): got error %v, want nil", body, err)
		}
	}
	rig.gw.Wait()
	if len(rig.runs) != 2 || rig.runs[0].body != "second" || rig.runs[1].body != "first" {
		t.Errorf("got runs %+v, want second, then first", rig.runs)
	}
}

// TestAsyncRunHasRouteTimeout: each run's context ends after its function's timeout (the
// deferred commands' 30 s, not the integration's 2.5 s) and carries a Lambda context.
func TestAsyncRunHasRouteTimeout(t *testing.T) {
	rig := newAsyncRig(t, gateway.Options{}, nil)
	for _, r := range api.Routes {
		rig.invoke(t, r.Function, r.Path)
	}
	if len(rig.runs) != len(api.Routes) {
		t.Fatalf("got %d runs, want %d", len(rig.runs), len(api.Routes))
	}
	for i, r := range api.Routes {
		run := rig.runs[i]
		if run.deadline.IsZero() {
			t.Errorf("%s: got a run without a deadline, want one %v after its start", r.Function, r.Timeout)
			continue
		}
		if got := run.deadline.Sub(run.start); got > r.Timeout || got < r.Timeout-time.Second {
			t.Errorf("%s: got a deadline %v after the run started, want %v", r.Function, got, r.Timeout)
		}
		if run.requestID == "" || !strings.HasSuffix(run.arn, ":function:"+r.Function) {
			t.Errorf("%s: got Lambda context request id %q, ARN %q; want an id and the function's ARN", r.Function, run.requestID, run.arn)
		}
	}
}

func TestAsyncUnknownFunction(t *testing.T) {
	rig := newAsyncRig(t, gateway.Options{}, nil)
	if err := rig.gw.InvokeAsync(context.Background(), "nope", []byte("{}")); err == nil {
		t.Error("got no error for an unknown function, want one")
	}
}

// TestCloseDeadLettersWaitingRetries: Close, as a dev server calls it on SIGINT, lets a
// failed run's retry wait no longer (Lambda's back-off is minutes): the event goes to the
// dead letter as stopped, at once, and its queued payload is kept there.
func TestCloseDeadLettersWaitingRetries(t *testing.T) {
	errStore := errors.New("dynamodb: throttled")
	rig := newAsyncRig(t, gateway.Options{RetryDelays: []time.Duration{time.Hour}},
		func(context.Context, string, int) error { return errStore })
	payload := eventPayload(t, "token=x&text=latte")
	if err := rig.gw.InvokeAsync(context.Background(), "order-update", payload); err != nil {
		t.Fatalf("InvokeAsync: got %v, want no error", err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		rig.mu.Lock()
		n := len(rig.runs)
		rig.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d runs after 10s, want the first run", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	closed := make(chan struct{})
	go func() { rig.gw.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close: got no return within 10s, want it at once (the retry waits an hour)")
	}
	rig.mu.Lock()
	defer rig.mu.Unlock()
	if len(rig.runs) != 1 {
		t.Errorf("got %d runs, want 1: a stopped queue starts no retry", len(rig.runs))
	}
	if len(rig.deadLetters) != 1 || !errors.Is(rig.deadLetters[0].err, gateway.ErrStopped) ||
		!bytes.Equal(rig.deadLetters[0].payload, payload) {
		t.Fatalf("dead letters: got %+v, want one with the payload, wrapping ErrStopped", rig.deadLetters)
	}
}
