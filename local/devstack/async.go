package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/orderbot/orderbot/local/awsfront"
	"github.com/orderbot/orderbot/local/cfn"
	"github.com/orderbot/orderbot/local/lambdaenv"
)

// asyncQueue is Lambda's asynchronous invocation: an event is queued and run on the
// function; a run that fails (an error, a crash, a timeout) is retried
// MaximumRetryAttempts times, about 1 and then 2 minutes later (retryDelay and twice it
// here), unless it is older than MaximumEventAgeInSeconds by then; an event Lambda gives
// up on goes to the on-failure destination or the dead-letter queue
// (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
type asyncQueue struct {
	s          *Stack
	retryDelay time.Duration
	// twice delivers every event a second time: Lambda's queue is at least once —
	// "Occasionally, your function may receive the same event multiple times, even if no
	// error occurs" (https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html).
	twice bool
	wg    sync.WaitGroup
	now   func() time.Time
}

func newAsyncQueue(s *Stack, retryDelay time.Duration, twice bool) *asyncQueue {
	if retryDelay <= 0 {
		retryDelay = time.Minute
	}
	return &asyncQueue{s: s, retryDelay: retryDelay, twice: twice, now: time.Now}
}

// enqueue queues payload for the function with logical id fn and returns at once. The
// payload limit is Lambda's for the Event invocation type (awsfront.MaxAsyncPayload,
// 1 MB since October 2025; the front refuses a larger Invoke before it gets here).
func (q *asyncQueue) enqueue(fn string, payload []byte) error {
	if len(payload) > awsfront.MaxAsyncPayload {
		return fmt.Errorf("RequestTooLargeException: Request must be smaller than %d bytes for the InvokeFunction operation", awsfront.MaxAsyncPayload)
	}
	f, queued := q.s.Stack.Functions[fn], q.now()
	deliveries := 1
	if q.twice {
		deliveries = 2
	}
	for n := range deliveries {
		q.wg.Add(1)
		go func() {
			defer q.wg.Done()
			if n > 0 {
				q.s.logf("async event of %s delivered again (--async-twice: Lambda's queue is at least once)", f.Name)
			}
			q.deliver(f, payload, queued)
		}()
	}
	return nil
}

func (q *asyncQueue) deliver(f *cfn.Function, payload []byte, queued time.Time) {
	id := lambdaenv.NewRequestID() // kept across retries, as Lambda keeps it
	pool := q.s.pools[f.LogicalID]
	var last error
	for run := 0; ; run++ {
		if age := q.now().Sub(queued); age > f.Async.MaxEventAge {
			err := fmt.Errorf("event older than MaximumEventAgeInSeconds (%v): queued %v ago", f.Async.MaxEventAge, age.Round(time.Millisecond))
			if last != nil {
				err = fmt.Errorf("%w; the last of %d runs failed: %w", err, run, last)
			}
			q.deadLetter(f, id, payload, err)
			return
		}
		if _, last = pool.Invoke(context.Background(), id, payload); last == nil {
			return
		}
		if run >= f.Async.MaxRetries {
			q.deadLetter(f, id, payload, fmt.Errorf("all %d runs failed (MaximumRetryAttempts %d), the last: %w", run+1, f.Async.MaxRetries, last))
			return
		}
		wait := q.retryDelay * time.Duration(run+1)
		q.s.logf("async run of %s failed (request %s, run %d): %v; retrying in %v", f.Name, id, run+1, last, wait)
		time.Sleep(wait)
	}
}

// deadLetter sends the event to the function's on-failure destination or dead-letter
// queue: an SQS stand-in whose messages are files under <data>/sqs/<queue>/.
func (q *asyncQueue) deadLetter(f *cfn.Function, id string, payload []byte, cause error) {
	queueID := f.Async.OnFailure
	if queueID == "" {
		queueID = f.DeadLetterQueue
	}
	if queueID == "" {
		q.s.logf("async event of %s dropped (request %s, no dead-letter queue): %v", f.Name, id, cause)
		return
	}
	queue := q.s.Stack.Queues[queueID]
	if err := q.s.deadLetterAllowed(f, queue.ARN); err != nil {
		q.s.logf("async event of %s lost: Lambda may not send it to the dead-letter queue %s with the function's role: %v (the event's error: %v)", f.Name, queue.Name, err, cause)
		return
	}
	code := "200"
	var fe *lambdaenv.FunctionError
	if errors.As(cause, &fe) {
		code = "Unhandled"
	}
	// A dead-letter queue's message is the event, with the request id and the error in
	// its attributes.
	msg, _ := json.MarshalIndent(map[string]any{
		"MessageId": lambdaenv.NewRequestID(), "Body": string(payload),
		"MessageAttributes": map[string]string{"RequestID": id, "ErrorCode": code, "ErrorMessage": cause.Error()},
	}, "", "  ")
	dir := filepath.Join(q.s.opts.DataDir, "sqs", queue.Name)
	path := filepath.Join(dir, strconv.FormatInt(time.Now().UnixNano(), 10)+"-"+id+".json")
	err := os.MkdirAll(dir, 0o700)
	if err == nil {
		err = os.WriteFile(path, msg, 0o600)
	}
	if err != nil {
		q.s.logf("async event of %s lost: the dead-letter queue %s cannot be written: %v (the event's error: %v)", f.Name, queue.Name, err, cause)
		return
	}
	q.s.logf("async event of %s sent to the dead-letter queue %s (%s): %v", f.Name, queue.Name, path, cause)
}

// DeadLetters are the messages of the queue with logical id or name queue, oldest first.
func (s *Stack) DeadLetters(queue string) ([]map[string]any, error) {
	name := queue
	if q, ok := s.Stack.Queues[queue]; ok {
		name = q.Name
	}
	entries, err := os.ReadDir(filepath.Join(s.opts.DataDir, "sqs", name))
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	var out []map[string]any
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(s.opts.DataDir, "sqs", name, e.Name()))
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func (s *Stack) logf(format string, args ...any) {
	if s.opts.Log != nil {
		fmt.Fprintf(s.opts.Log, "orderbot dev: "+format+"\n", args...)
	}
}
