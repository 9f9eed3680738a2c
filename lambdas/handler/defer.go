package handler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// DefaultBudget is how long a command may take before it answers "working on it" and
// finishes asynchronously. API Gateway gives up at 2.5 s and Slack at 3 s; 1.5 s of work
// leaves room for a cold start before it and the asynchronous hand-off after it.
const DefaultBudget = 1500 * time.Millisecond

// Grace is how long a command past its budget still waits for the result already on
// its way before it hands the work over: a result that arrives is kept, not thrown away.
const Grace = 200 * time.Millisecond

// HandOffTimeout bounds the self-invoke that hands a command over (issue #21, finding 5):
// it starts after DefaultBudget + Grace (1.7 s), and API Gateway's integration gives up at
// 2.5 s (infra: IntegrationTimeout), so the answer must leave by then whatever the
// Invoke API does. Queuing an asynchronous invoke takes tens of milliseconds.
const HandOffTimeout = 500 * time.Millisecond

// Deferred runs: how long one attempt may take, and what is kept back from the function's
// deadline for the answer (response_url, up to respondTimeout) and for giving up cleanly.
const (
	attemptTimeout = 8 * time.Second
	respondTimeout = 5 * time.Second
	giveUpReserve  = 3 * time.Second
	// replyLease is how long one delivery holds the right to answer: a post's timeout and
	// a margin. Lambda retries a failed run a minute later at the earliest.
	replyLease = respondTimeout + time.Second
	replyPoll  = 100 * time.Millisecond
)

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

// requestOf identifies the signed Slack request an event carries: every delivery of it
// (the synchronous attempt, the deferred run, Lambda's retries of that) has the same id
// and time. The time is when API Gateway received it — trusted, and in milliseconds, so
// one person's commands in the same second stay ordered — or Slack's signed timestamp
// when the event has none. Signed is always Slack's signed timestamp.
func requestOf(ev api.Event) orders.Request {
	h := sha256.New()
	h.Write(ev.Headers.Timestamp)
	h.Write([]byte{':'})
	h.Write(ev.Body)
	req := orders.Request{ID: hex.EncodeToString(h.Sum(nil)[:16]), At: ev.Context.ReceivedAt()}
	if ts, err := strconv.ParseInt(string(ev.Headers.Timestamp), 10, 64); err == nil {
		// Part of the request's identity (orders.Request.Key): a delivery of it arriving
		// later is stamped later by API Gateway, but signed the same (issue #21).
		req.Signed = time.Unix(ts, 0)
	}
	if req.At.IsZero() {
		req.At = req.Signed
	}
	return req
}

// work is one request's work as the one path runs it (within, finish): do is
// idempotent — the store decides by the request whether a change already happened — so
// it may run any number of times; giveUp makes sure the change never happens and says
// so, or reports what did happen, when do keeps failing. A change (change.go) and a read
// become work the same way.
type work struct {
	function api.FunctionName
	ev       api.Event
	// responseURL is where a deferred run answers: the command's or the click's.
	responseURL string
	do          func(context.Context) (answer, error)
	// giveUp is told the last failure (nil when none): what "not saved" says may depend on it.
	giveUp func(ctx context.Context, last error) answer
	// quiet hands over without a "working on it" reply: a click's HTTP answer is only an
	// acknowledgement, and every message it causes goes to response_url.
	quiet bool
	// channel and user are where and to whom the answer goes with the bot token when the
	// response_url refuses it for good (tellInstead).
	channel, user string
	// shownTS is the message a click was made on, which its response_url updates: when it
	// is the round's live message, the change does not update it again (live.go).
	shownTS string
	// home, for a click on the App Home, is whose Home answers it (homeclick.go): it has
	// no response_url, and is answered with views.publish instead.
	home *homeTarget
}

// refusedAnswer is the answer to work whose store refused it (orders.ErrRefused: not
// authorised, not valid): nothing was written and retrying would change nothing, so the
// person is told at once that it was not saved (giveUp) — never a success, never a 5xx.
// Any other result passes through.
func (w work) refusedAnswer(ctx context.Context, a answer, err error) (answer, error) {
	if errors.Is(err, orders.ErrRefused) && w.giveUp != nil {
		return w.giveUp(ctx, err), nil
	}
	return a, err
}

// within runs work inside the reply budget. Past the budget it waits Grace for the
// result already on its way; only then does it hand the whole signed event to an
// asynchronous invocation and answer "working on it". Whether a write happened is never
// decided here: the deferred run asks the store, by the request's id.
func (d Deps) within(ctx context.Context, w work, log *slog.Logger) (answer, error) {
	if w.ev.Deferred {
		return d.finish(ctx, w, log)
	}
	if d.Deferrer == nil || d.Budget <= 0 || (w.home == nil && d.checkResponseURL(w.responseURL) != nil) {
		a, err := w.do(ctx)
		return w.refusedAnswer(ctx, a, err)
	}
	r, ok := d.inBudget(ctx, w)
	if !ok {
		return d.handOver(ctx, w, log, "reply budget exceeded")
	}
	if errors.Is(r.err, orders.ErrRefused) {
		return w.refusedAnswer(ctx, r.a, r.err)
	}
	if r.err != nil && api.CodeOf(r.err) == api.CodeInternal {
		// The store failed fast (throttled, unreachable): the deferred run retries it.
		log.Warn("command failed: deferring", "error", r.err.Error(), "cause", cause(r.err))
		return d.handOver(ctx, w, log, "store error")
	}
	return r.a, r.err
}

// result is what one run of work's do gave.
type result struct {
	a   answer
	err error
}

// inBudget runs w.do for at most the reply budget and Grace; ok false when it did not
// finish by then (it is cancelled).
func (d Deps) inBudget(ctx context.Context, w work) (result, bool) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan result, 1)
	go func() {
		a, err := w.do(ctx)
		done <- result{a, err}
	}()
	budget := time.NewTimer(d.Budget)
	defer budget.Stop()
	select {
	case r := <-done:
		return r, true
	case <-budget.C:
	}
	select {
	case r := <-done:
		return r, true
	case <-time.After(Grace):
		return result{}, false
	}
}

func (d Deps) handOver(ctx context.Context, w work, log *slog.Logger, why string) (answer, error) {
	ev := w.ev
	ev.Deferred, ev.DeferredAt = true, time.Now()
	payload, err := json.Marshal(ev)
	if err != nil {
		return answer{}, api.Internal("encode deferred event", err)
	}
	hctx, cancel := context.WithTimeout(ctx, HandOffTimeout)
	defer cancel()
	if err := d.Deferrer.Defer(hctx, w.function, payload); err != nil {
		if hctx.Err() != nil && ctx.Err() == nil {
			// The hand-off ran out of its time: Lambda may or may not have queued it, and
			// API Gateway will not wait. Say so, in time, rather than let Slack show a 504.
			log.Error("hand-off timed out: the deferred run may or may not come", "error", err.Error())
			return w.unlessQuiet(d.Messages.HandOffUnknown()), nil
		}
		return answer{}, api.Internal("defer", err)
	}
	log.Warn("deferred", "reason", why, "budget_ms", d.Budget.Milliseconds())
	return w.unlessQuiet(d.Messages.WorkingOnIt()), nil
}

// unlessQuiet answers msg, or nothing for quiet work (a click's acknowledgement is empty).
func (w work) unlessQuiet(msg *slack.Msg) answer {
	if w.quiet {
		return answer{}
	}
	return reply(msg)
}

// finish is a deferred run: it retries do until the function's deadline comes near, then
// gives up (giveUp records the request as abandoned, or finds it applied), and answers
// through response_url either way: the round message first, when there is one, then the
// reply, once. It returns an error — so that Lambda retries the run — only when the
// answer could not be delivered.
func (d Deps) finish(ctx context.Context, w work, log *slog.Logger) (answer, error) {
	if w.home != nil {
		a, err := d.retry(ctx, w, log)
		if err == nil {
			err = d.answerHome(ctx, w, a, log)
		}
		return a, err
	}
	if err := d.checkResponseURL(w.responseURL); err != nil {
		// Not Slack's: drop it rather than have Lambda retry it (the synchronous path
		// never hands such a request over).
		log.Error("deferred run without a usable response_url", "error", err.Error())
		return answer{}, nil
	}
	a, err := d.retry(ctx, w, log)
	if err != nil {
		return answer{}, err
	}
	if a.round != nil {
		// The message first, then the answer (posted once): a repeat of this run only
		// replaces the message again.
		d.updateMessage(ctx, w.responseURL, a.round, log)
	}
	msg := a.reply
	if !w.quiet && msg.ResponseType != slack.ResponseTypeInChannel {
		// A command's ephemeral answer takes the place of its "working on it".
		replacing := *msg
		replacing.ReplaceOriginal = true
		msg = &replacing
	}
	if err := d.respondOnce(ctx, w, msg, log); err != nil {
		return answer{}, api.Internal("deferred reply", err)
	}
	return answer{reply: msg, round: a.round}, nil
}

// retry runs do until it succeeds or the run's time for work is up, then gives up. Of a
// 30 s run, 5 s are kept for the answer and 3 s for giving up; a shorter run (a test's)
// keeps the same shares.
func (d Deps) retry(ctx context.Context, w work, log *slog.Logger) (answer, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(api.DeferredTimeout)
	}
	total := time.Until(deadline)
	answerReserve := min(respondTimeout, total/5)
	workUntil := deadline.Add(-answerReserve - min(giveUpReserve, total/10))
	for attempt, backoff := 1, 100*time.Millisecond; ; attempt, backoff = attempt+1, min(2*backoff, 2*time.Second) {
		actx, cancel := context.WithDeadline(ctx, minTime(workUntil, time.Now().Add(attemptTimeout)))
		a, err := w.do(actx)
		cancel()
		switch {
		case err == nil:
			return a, nil
		case api.CodeOf(err) != api.CodeInternal:
			return answer{}, err
		case errors.Is(err, orders.ErrRefused) && w.giveUp != nil:
			log.Error("deferred work refused by the store: not retried", "error", err.Error())
			return w.giveUp(ctx, err), nil
		}
		log.Warn("deferred attempt failed", "attempt", attempt, "error", err.Error(), "cause", cause(err))
		if time.Now().Add(backoff).After(workUntil) {
			gctx, cancel := context.WithDeadline(ctx, deadline.Add(-answerReserve))
			defer cancel()
			log.Error("deferred work given up", "attempts", attempt)
			return w.giveUp(gctx, err), nil
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return answer{}, api.Internal("deferred run", ctx.Err())
		}
	}
}

// respondOnce posts msg to the command's response_url unless another delivery of the same
// request already did — so Lambda's duplicate deliveries and retries post the answer, a
// close's tally to the channel, once — and never leaves the person without one:
//   - a "sent" record, written after a successful post, tells later deliveries to stay
//     quiet;
//   - a short lease (replyLease), taken before posting and given back when the post
//     fails, keeps two deliveries running at once from both posting: the second waits for
//     the first's "sent" record, and takes over when the lease lapses without one;
//   - when the store cannot say (an error), the answer is posted anyway: twice is better
//     than never.
func (d Deps) respondOnce(ctx context.Context, w work, msg *slack.Msg, log *slog.Logger) error {
	return d.postOnce(ctx, requestOf(w.ev).ID, func(ctx context.Context) error {
		rctx, cancel := context.WithTimeout(ctx, respondTimeout) // within the run's deadline when shorter
		defer cancel()
		err := d.respond(rctx, w.responseURL, msg)
		if finalPost(err) {
			d.tellInstead(ctx, w, msg, err, log) // no retry storm: the URL will not come back
			return nil
		}
		return err
	}, api.ResponseURLValidity, log)
}

// postOnce runs post unless another delivery already did for id, as respondOnce
// describes: a "sent" record after a successful post, kept for remember, and a lease
// before it.
func (d Deps) postOnce(ctx context.Context, id string, post func(context.Context) error, remember time.Duration, log *slog.Logger) error {
	claim, sent := orders.ReplyClaim(id), orders.ReplySent(id)
	for {
		if done, err := d.Orders.Recorded(ctx, sent); err == nil && done {
			log.Info("reply already sent by another delivery")
			return nil
		}
		first, err := d.Orders.FirstDelivery(ctx, claim, replyLease)
		if err != nil {
			log.Warn("reply claim failed: answering anyway", "error", err.Error(), "cause", cause(err))
			break
		}
		if first {
			break
		}
		// Another delivery is posting: wait for its record or for its lease to lapse.
		select {
		case <-time.After(replyPoll):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := post(ctx); err != nil {
		if rerr := d.Orders.Release(context.WithoutCancel(ctx), claim); rerr != nil {
			log.Warn("reply claim not given back: the next delivery waits for its lease", "error", rerr.Error())
		}
		return err
	}
	if _, err := d.Orders.FirstDelivery(context.WithoutCancel(ctx), sent, remember); err != nil {
		log.Warn("reply sent but not recorded: a duplicate delivery may answer again", "error", err.Error())
	}
	log.Info("reply sent")
	return nil
}

// respond is the one place that posts to a response_url, on every path (commands, clicks,
// modal submissions, deferred runs, deadlines): the URL is checked first — it comes from
// the signed body, but only Slack's may ever receive a POST (issue #21, finding 4).
// An error for which finalPost holds cannot be retried away.
func (d Deps) respond(ctx context.Context, url string, msg *slack.Msg) error {
	if err := d.checkResponseURL(url); err != nil {
		return fmt.Errorf("post to response_url: %w", err)
	}
	if d.Respond != nil {
		return d.Respond(ctx, url, msg)
	}
	return slackio.Respond(ctx, &http.Client{Timeout: respondTimeout}, url, msg)
}

// finalPost reports whether a response_url post failed for good: not Slack's URL, or
// expired or used up (404). Retrying it — Lambda's retries, a hand-off — only repeats the
// failure, so the answer goes through the bot token instead (tellInstead).
func finalPost(err error) bool {
	return errors.Is(err, slackio.ErrResponseURL) || errors.Is(err, slackio.ErrResponseURLGone)
}

// EphemeralPoster shows a message to one person in a channel with the bot token
// (chat.postEphemeral).
type EphemeralPoster interface {
	PostEphemeral(ctx context.Context, channel, user string, msg *slack.Msg) error
}

// tellInstead shows msg to the person who asked, with the bot token, when the
// response_url cannot take it (finalPost). Without a bot token, or when that fails too,
// it is logged: the work is done either way, and retrying would not reach anyone.
func (d Deps) tellInstead(ctx context.Context, w work, msg *slack.Msg, why error, log *slog.Logger) {
	poster, ok := d.Poster.(EphemeralPoster)
	if !ok || d.Poster == nil || w.channel == "" || w.user == "" {
		log.Error("answer not delivered: response_url refused it for good and no bot token is configured", "error", why.Error())
		return
	}
	plain := *msg
	plain.ReplaceOriginal, plain.DeleteOriginal, plain.ResponseType = false, false, ""
	timeout := respondTimeout
	if !w.ev.Deferred {
		timeout = clickPostTimeout // the synchronous path answers within API Gateway's budget
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := poster.PostEphemeral(pctx, w.channel, w.user, &plain); err != nil {
		log.Error("answer not delivered: response_url refused it for good, chat.postEphemeral failed", "error", why.Error(), "fallback_error", err.Error())
		return
	}
	log.Warn("answered with chat.postEphemeral: response_url refused it for good", "error", why.Error())
}

func (d Deps) checkResponseURL(u string) error {
	return slackio.CheckResponseURL(u, d.LoopbackResponseURLs)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// cause is what an api.Error wraps: the store's own words, for the log only.
func cause(err error) string {
	if u := errors.Unwrap(err); u != nil {
		return u.Error()
	}
	return ""
}
