package handler

import (
	"context"
	"errors"
	"log/slog"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
)

// answer is what a request is answered with: the reply to whoever asked and, for a click,
// the round message as the change left it (nil leaves the message as it is). They are
// made together, from one result of the store.
type answer struct {
	reply *slack.Msg
	round *slack.Msg
}

// reply is an answer of a reply only.
func reply(msg *slack.Msg) answer { return answer{reply: msg} }

// change is one change to a channel's round that a person asks for — typed, clicked or
// submitted in the modal — as data: what it targets, how it applies, how its result is
// answered and what "not saved" says. One path runs every change (Deps.work, then within
// and finish): inside the reply budget or deferred, retried while the store fails, given
// up one way (Deps.giveUp), answered one way.
type change struct {
	what string // what it does, for errors and logs: "set order", "close round", …
	ch   orders.Channel
	req  orders.Request
	// target is whose request record Abandon fences when the change is given up.
	target orders.Target
	// apply makes the change. The store decides by req whether it already happened, so
	// it may run any number of times.
	apply func(context.Context) (orders.Result, error)
	// answer words what the change did — applied now, replayed, superseded, or found
	// applied after all when it was given up.
	answer func(orders.Result) answer
	// refused words the errors that are answers, not failures (ErrNoOpenRound, ErrStale,
	// ErrRoundFull, …), and passes any other error on; nil passes every error on.
	refused func(context.Context, error) (answer, error)
	// notSaved is the answer when the change was given up for good: it never happened.
	// last is the failure it was given up after (nil when none).
	notSaved func(last error) *slack.Msg
}

// do is the change as the runner repeats it: apply, then answer. An error that no
// refusal words is the store failing: internal (unless it already has a code), so that
// the runner retries or hands over.
func (c change) do(ctx context.Context) (answer, error) {
	res, err := c.apply(ctx)
	if err == nil {
		return c.answer(res), nil
	}
	if c.refused != nil {
		var a answer
		if a, err = c.refused(ctx, err); err == nil {
			return a, nil
		}
	}
	if errors.As(err, new(*api.Error)) {
		return answer{}, err
	}
	return answer{}, api.Internal(c.what, err)
}

// work is the change as work for the runner, answering on w's response_url.
func (d Deps) work(w work, c change, log *slog.Logger) work {
	c.apply = d.liveApply(w, c.ch, c.apply, log) // live.go: a recurring round's message follows its changes
	w.do = c.do
	w.giveUp = func(ctx context.Context, last error) answer { return d.giveUp(ctx, c, last, log) }
	return w
}

// giveUp is the one way a change is given up: Abandon makes sure its request can never
// take effect, unless it already has — then the answer is what it did. A store that
// cannot say gets "I can't tell": the person is never told "not saved" of a change that
// may have happened.
func (d Deps) giveUp(ctx context.Context, c change, last error, log *slog.Logger) answer {
	a, err := d.abandon(ctx, c, c.notSaved(last))
	if err != nil {
		log.Error("abandon failed", "what", c.what, "error", err.Error())
		return reply(d.Messages.Unknown())
	}
	return a
}

// abandon fences c's request (orders.Service.Abandon) and answers notSaved when that
// applied — or when the store refuses this function's writes (orders.ErrRefused): then
// the request was refused as the abandon is, and cannot have taken effect. A request
// that took effect after all is answered as c answers it.
func (d Deps) abandon(ctx context.Context, c change, notSaved *slack.Msg) (answer, error) {
	res, err := d.Orders.Abandon(ctx, c.ch, c.target, c.req)
	switch {
	case errors.Is(err, orders.ErrRefused):
		return reply(notSaved), nil
	case errors.Is(err, orders.ErrStale):
		// A click on a round no longer open: it never applied and never can — answered as
		// any delivery of it that found so (issue #21: "could not close: the round is still
		// open" beside "that round is already closed").
		return c.refused(ctx, err)
	case err != nil:
		return answer{}, err
	case res.Outcome == orders.Applied:
		return reply(notSaved), nil
	}
	return c.answer(res), nil
}

// read is work that changes nothing, as the runner takes it: it may run any number of
// times, and given up it says that it could not read.
func (d Deps) read(w work, what string, fn func(context.Context) (*slack.Msg, error)) work {
	w.do = func(ctx context.Context) (answer, error) {
		msg, err := fn(ctx)
		if err != nil {
			return answer{}, api.Internal(what, err)
		}
		return reply(msg), nil
	}
	w.giveUp = func(context.Context, error) answer { return reply(d.Messages.NotRead()) }
	return w
}

// setOrder is the change that makes item user's order in the channel's open round.
func (d Deps) setOrder(ch orders.Channel, user, userName, item string, req orders.Request, log *slog.Logger) change {
	return change{
		what: "set order", ch: ch, req: req, target: orders.Target{User: user},
		apply: func(ctx context.Context) (orders.Result, error) {
			res, err := d.Orders.Set(ctx, ch, user, userName, item, req)
			if err == nil {
				log.Info("order set", "team", ch.Team, "channel", ch.Channel, "user", user, "round", res.Round.ID,
					"round_size", len(res.Round.Orders), "outcome", res.Outcome.String())
			}
			return res, err
		},
		answer: func(res orders.Result) answer { return reply(d.setReply(res, user, item, req)) },
		refused: func(_ context.Context, err error) (answer, error) {
			if errors.Is(err, orders.ErrRoundFull) {
				return reply(d.Messages.RoundFull()), nil
			}
			return answer{}, err
		},
		notSaved: func(error) *slack.Msg { return d.Messages.OrderNotSaved(item) },
	}
}

// setReply words the outcome of an order request.
func (d Deps) setReply(res orders.Result, user, item string, req orders.Request) *slack.Msg {
	m := d.Messages
	switch {
	case res.Outcome == orders.Superseded:
		return m.Superseded(res.Round, user)
	case res.Outcome == orders.Replayed && res.Round.ID == "":
		return m.OrderNotSaved(item) // abandoned by an earlier run
	case res.Outcome == orders.Replayed && !holds(res.Round, user, req):
		// Saved by an earlier delivery, then replaced or withdrawn by a newer request.
		return m.Overtaken(res.Round, user, item)
	case !res.Round.Open():
		return m.OrderInClosedRound(res.Round, item)
	}
	return m.OrderSet(res.Round, item)
}

// holds reports whether user's order in r is the one req set.
func holds(r orders.Round, user string, req orders.Request) bool {
	for _, o := range r.Orders {
		if o.User == user {
			return o.Req == req.ID
		}
	}
	return false
}

// withdraw is the change that withdraws user's order.
func (d Deps) withdraw(ch orders.Channel, user string, req orders.Request) change {
	return change{
		what: "cancel order", ch: ch, req: req, target: orders.Target{User: user},
		apply:  func(ctx context.Context) (orders.Result, error) { return d.Orders.Cancel(ctx, ch, user, req) },
		answer: func(res orders.Result) answer { return reply(d.cancelReply(res, user)) },
		refused: func(_ context.Context, err error) (answer, error) {
			if errors.Is(err, orders.ErrNoOpenRound) || errors.Is(err, orders.ErrNoOrder) {
				return reply(d.Messages.NothingToCancel()), nil
			}
			return answer{}, err
		},
		notSaved: func(error) *slack.Msg { return d.Messages.WithdrawalNotSaved() },
	}
}

func (d Deps) cancelReply(res orders.Result, user string) *slack.Msg {
	switch {
	case res.Outcome == orders.Superseded:
		return d.Messages.Superseded(res.Round, user)
	case res.NoChange:
		return d.Messages.NothingToCancel() // the earlier delivery found nothing to cancel
	case res.Round.ID == "":
		return d.Messages.WithdrawalNotSaved() // abandoned by an earlier run
	}
	return d.Messages.OrderCancelled(res.Round)
}

// close is the change that closes the channel's open round; how it is answered depends on
// where it was asked (a typed close posts the tally, a click turns the message into it).
// A closed round's deadline schedules are deleted: tidying only, they would find it closed.
func (d Deps) close(ch orders.Channel, req orders.Request, log *slog.Logger) change {
	return change{
		what: "close round", ch: ch, req: req, target: orders.Target{Close: true},
		apply: func(ctx context.Context) (orders.Result, error) {
			res, err := d.Orders.Close(ctx, ch, req)
			if err != nil {
				return res, err
			}
			log.Info("round closed", "team", ch.Team, "channel", ch.Channel, "round", res.Round.ID,
				"orders", len(res.Round.Orders), "outcome", res.Outcome.String())
			if res.Round.DeadlineBy != "" {
				d.unschedule(ctx, res.Round.DeadlineBy, log)
			}
			return res, nil
		},
		notSaved: func(error) *slack.Msg { return d.Messages.NotClosed() },
	}
}
