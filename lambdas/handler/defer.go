package handler

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/slack"
)

// DefaultBudget is how long a command may take before it answers "working on it" and
// finishes asynchronously. API Gateway gives up at 2.5 s and Slack at 3 s; 1.5 s of work
// leaves room for a cold start before it and the asynchronous hand-off after it.
const DefaultBudget = 1500 * time.Millisecond

// Deferrer hands an event to an asynchronous invocation of function: in AWS an
// InvocationType=Event self-invoke (a frozen Lambda runs no background goroutine), locally
// the gateway's in-process async invoke.
type Deferrer interface {
	Defer(ctx context.Context, function string, payload []byte) error
}

// DeferFunc adapts a function to Deferrer.
type DeferFunc func(ctx context.Context, function string, payload []byte) error

// Defer implements Deferrer.
func (f DeferFunc) Defer(ctx context.Context, function string, payload []byte) error {
	return f(ctx, function, payload)
}

// within runs op inside the reply budget. When the budget runs out it cancels op —
// so a stale write cannot land later — and hands the whole signed event to an
// asynchronous invocation, which verifies it again, redoes the (idempotent) operation and
// answers through response_url. Deferred events run op to the end and answer there.
func (d Deps) within(ctx context.Context, function string, ev api.Event, cmd slackgo.SlashCommand, log *slog.Logger,
	op func(context.Context) (*slackgo.Msg, error)) (*slackgo.Msg, error) {
	if ev.Deferred {
		msg, err := op(ctx)
		if err != nil {
			return nil, err
		}
		if err := d.respond(ctx, cmd.ResponseURL, msg); err != nil {
			return nil, api.Internal("deferred reply", err)
		}
		log.Info("deferred reply sent")
		return msg, nil
	}
	if d.Deferrer == nil || d.Budget <= 0 || cmd.ResponseURL == "" {
		return op(ctx)
	}
	opCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		msg *slackgo.Msg
		err error
	}
	done := make(chan result, 1)
	go func() {
		msg, err := op(opCtx)
		done <- result{msg, err}
	}()
	timer := time.NewTimer(d.Budget)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.msg, r.err
	case <-timer.C:
	}
	cancel()
	// A store call returns promptly once cancelled (the SDK aborts the request); wait a
	// little so it is not left running, but never past Slack's deadline.
	select {
	case <-done:
	case <-time.After(200 * time.Millisecond):
	}
	ev.Deferred = true
	payload, err := json.Marshal(ev)
	if err != nil {
		return nil, api.Internal("encode deferred event", err)
	}
	if err := d.Deferrer.Defer(ctx, function, payload); err != nil {
		return nil, api.Internal("defer", err)
	}
	log.Warn("reply budget exceeded: deferred", "budget_ms", d.Budget.Milliseconds())
	return slack.WorkingOnIt(), nil
}

func (d Deps) respond(ctx context.Context, url string, msg *slackgo.Msg) error {
	if d.Respond != nil {
		return d.Respond(ctx, url, msg)
	}
	return slack.Respond(ctx, &http.Client{Timeout: 5 * time.Second}, url, msg)
}
