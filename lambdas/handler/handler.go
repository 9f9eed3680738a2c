// Package handler holds the Lambda handlers: plain functions from an api.Event to a Slack
// reply. Each verifies the signature first, then decodes, then calls the domain, and
// translates the result into Block Kit. Errors carry an api.Code so API Gateway answers
// 401/400/500; bad input from a person gets a usage reply, never an error.
//
// What a person asks for is data: a slash command's text picks an entry of its table
// (commands.go), a click an entry of clicks (interactive.go), and an entry is a reply at
// once or work — a change (change.go: what it targets, how it applies, how its result is
// answered, what "not saved" says) or a read. One path runs all work (defer.go): within
// the reply budget or deferred, with one give-up and one answer.
package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say"
	"github.com/orderbot/orderbot/lambdas/schedule"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// EventTTL is how long an event id is remembered. Slack retries three times within about
// five minutes; ten leaves margin.
const EventTTL = 10 * time.Minute

// WebAPI is what the handlers call of Slack's Web API with the bot token.
type WebAPI interface {
	// PostThread posts a reply into a thread (chat.postMessage).
	PostThread(ctx context.Context, channel, threadTS, text string) error
	// OpenView opens a modal for the person whose command or click carried triggerID
	// (views.open; Slack takes a trigger for 3 seconds).
	OpenView(ctx context.Context, triggerID string, v slack.ModalViewRequest) error
}

// Deps is what the handlers need. wire.Deps fills it in a Lambda function (wire.Start
// at every cold start); tests and orderbot dev's in-process harness fill their own.
type Deps struct {
	Orders   *orders.Service
	Verifier slackio.Verifier
	// Poster calls Slack's Web API; nil when no bot token is configured: mentions are
	// logged, not answered, and /order-update alone answers with its usage, not a modal.
	Poster WebAPI
	Log    *slog.Logger
	// Deferrer and Budget let a slow command answer in time and finish asynchronously;
	// without a Deferrer commands always run to the end.
	Deferrer Deferrer
	Budget   time.Duration
	// Respond posts a deferred answer to a response_url; slackio.Respond when nil.
	Respond func(ctx context.Context, responseURL string, msg *slack.Msg) error
	// LoopbackResponseURLs also accepts response_urls on this machine (local gateway,
	// tests); in AWS only Slack's https://hooks.slack.com/ is.
	LoopbackResponseURLs bool
	// Messages words every message in the configured language (ORDERBOT_LOCALE); the
	// zero value is English.
	Messages say.Messages
	// Scheduler creates and deletes the schedules of rounds' deadlines (the schedule
	// function's only); nil: deadlines are refused.
	Scheduler schedule.Scheduler
	// Zone is the team's time zone for deadlines typed as a time of day (ORDERBOT_TIMEZONE);
	// UTC when nil.
	Zone *time.Location
	// Reminder is how long before a deadline the channel is reminded; 0: never.
	Reminder time.Duration
}

// Function is how one route's function is built from the Deps.
type Function struct {
	New func(Deps) any
	// WebAPI says whether the function calls Slack's Web API with the bot token (Deps.Poster).
	WebAPI bool
}

// Functions is every function of the route table by name, built from its route: what
// the route's kind serves (kinds), and for api.ScheduleFunction the schedules' entry
// point too. A new route of a known kind needs no line here; the stack, the local
// gateway and the bootstrap find it by name.
var Functions = functionsOf(api.Routes)

// kinds is what serves each kind of route. A command's keywords are its table in
// commands (commands.go).
var kinds = map[api.Kind]func(api.Route) Function{
	api.KindEvents: func(api.Route) Function {
		return Function{New: func(d Deps) any { return Events(d) }, WebAPI: true}
	},
	// A command opens the order modal (views.open) and posts a deadline's tally once its
	// response_url has expired: both with the bot token.
	api.KindCommand: func(r api.Route) Function {
		return Function{New: func(d Deps) any { return Command(d, r.Function) }, WebAPI: true}
	},
	// A click or a modal order on a recurring round updates its live message (chat.update,
	// live.go) with the bot token.
	api.KindInteractive: func(api.Route) Function {
		return Function{New: func(d Deps) any { return Interactive(d) }, WebAPI: true}
	},
}

func functionsOf(routes []api.Route) map[api.FunctionName]Function {
	out := make(map[api.FunctionName]Function, len(routes))
	for _, r := range routes {
		f := kinds[r.Kind](r)
		if r.Function == api.ScheduleFunction {
			f.New = withSchedules(f.New)
		}
		out[r.Function] = f
	}
	return out
}

// withSchedules is a function's handler that also takes schedule firings: an event with
// only Schedule set enters through Scheduled, anything else through the route's handler
// (which must answer a *slack.Msg, as commands do).
func withSchedules(route func(Deps) any) func(Deps) any {
	return func(d Deps) any {
		scheduled, other := Scheduled(d), route(d).(func(context.Context, api.Event) (*slack.Msg, error))
		return func(ctx context.Context, ev api.Event) (*slack.Msg, error) {
			if ev.Schedule != nil {
				return scheduled(ctx, ev)
			}
			return other(ctx, ev)
		}
	}
}

// Handlers returns every function's handler by name, as the route table names them.
func Handlers(d Deps) map[api.FunctionName]any {
	out := make(map[string]any, len(Functions))
	for name, f := range Functions {
		out[name] = f.New(d)
	}
	return out
}

func (d Deps) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.Default()
}

// verify is the first thing every handler does: nothing in the body is trusted before it.
func (d Deps) verify(ev api.Event) error {
	if ev.BodyTooLarge {
		return api.BadRequest(fmt.Sprintf("body exceeds %d bytes", api.MaxBodyBytes), nil)
	}
	if len(ev.Body) > api.MaxBodyBytes {
		return api.BadRequest(fmt.Sprintf("body of %d bytes exceeds %d", len(ev.Body), api.MaxBodyBytes), nil)
	}
	ts, sig := string(ev.Headers.Timestamp), string(ev.Headers.Signature)
	var err error
	if ev.Deferred {
		// Verified within Slack's window when it arrived; a deferred run may be a Lambda
		// retry minutes later. Only the function's own role can invoke it this way.
		err = d.Verifier.VerifyAge(ts, sig, ev.Body, api.ResponseURLValidity)
	} else {
		err = d.Verifier.Verify(ts, sig, ev.Body)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, slackio.ErrNoSecret):
		return api.Internal("signing secret not configured", err)
	default:
		return api.Unauthorized(err.Error(), err)
	}
}

// observe logs one line per request with the ids that tie it to API Gateway's and
// Lambda's logs. It never logs the body, headers or replies.
func observe[T any](d Deps, function api.FunctionName, fn func(context.Context, api.Event, *slog.Logger) (T, error)) func(context.Context, api.Event) (T, error) {
	return func(ctx context.Context, ev api.Event) (T, error) {
		start := time.Now()
		log := d.log().With("function", function, "api_request_id", ev.Context.RequestID)
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			log = log.With("aws_request_id", lc.AwsRequestID)
		}
		if ev.Deferred {
			log = log.With("deferred", true)
		}
		if n := ev.Headers.Retry(); n > 0 {
			log = log.With("slack_retry", n, "slack_retry_reason", string(ev.Headers.RetryReason))
		}
		reply, err := fn(ctx, ev, log)
		elapsed := float64(time.Since(start).Microseconds()) / 1000
		if err != nil {
			level := slog.LevelWarn
			if api.CodeOf(err) == api.CodeInternal {
				level = slog.LevelError
			}
			log.Log(ctx, level, "request failed", "code", api.CodeOf(err), "error", err.Error(), "ms", elapsed)
			return reply, err
		}
		log.Info("request handled", "ms", elapsed)
		return reply, nil
	}
}
