package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say"
	"github.com/orderbot/orderbot/lambdas/schedule"
)

// now is the orders service's clock (a test's), else the wall clock.
func (d Deps) now() time.Time {
	if d.Orders != nil && d.Orders.Now != nil {
		return d.Orders.Now()
	}
	return time.Now()
}

func (d Deps) zone() *time.Location {
	if d.Zone != nil {
		return d.Zone
	}
	return time.UTC
}

// inZone is r with its deadline in the team's zone, as messages show it.
func (d Deps) inZone(r orders.Round) orders.Round {
	if !r.Deadline.IsZero() {
		r.Deadline = r.Deadline.In(d.zone())
	}
	return r
}

// setDeadline is `/order-list close <when>`: set, replace or remove the round's deadline.
func (d Deps) setDeadline(_ context.Context, c command) (*slack.Msg, work) {
	arg := d.Messages.ParseDeadline(c.arg, d.now(), d.zone())
	if arg.Problem != "" {
		return d.Messages.Usage(c.fn, arg.Problem), work{}
	}
	req := requestOf(c.ev)
	req.User = c.cmd.UserID
	return nil, d.work(c.work(), d.deadline(c.ch, c.cmd, req, arg, c.log), c.log)
}

// Why a deadline change did not apply, for its refusal and its "not saved".
var (
	// errDeadlinePassed: a run delayed past the deadline it was to set; saved now, the
	// deadline would never fire.
	errDeadlinePassed = errors.New("the deadline has passed")
	// errNotScheduled: the schedules that close the round could not be created, so no
	// deadline was saved (issue #21).
	errNotScheduled = errors.New("deadline not scheduled")
)

// deadline is the change that sets arg as the round's deadline (or removes it): first its
// schedules, then the deadline, then the replaced one's schedules are deleted.
func (d Deps) deadline(ch orders.Channel, cmd slack.SlashCommand, req orders.Request, arg say.Deadline, log *slog.Logger) change {
	var c change
	var probe atomic.Int32 // a channelProbe, set by apply (answer may run while a cut-off apply still does)
	c = change{
		what: "set deadline", ch: ch, req: req, target: orders.Target{Deadline: true},
		apply: func(ctx context.Context) (orders.Result, error) {
			res, err := d.applyDeadline(ctx, ch, cmd, req, arg.At, log)
			if err == nil {
				probe.Store(int32(d.announceDeadline(ctx, ch, res, req, arg, log)))
			}
			return res, err
		},
		answer: func(res orders.Result) answer {
			return reply(d.deadlineAnswer(res, req, arg, channelProbe(probe.Load())))
		},
		refused: func(ctx context.Context, err error) (answer, error) {
			switch {
			case errors.Is(err, orders.ErrNoOpenRound):
				return reply(d.Messages.NoOpenRound()), nil
			case errors.Is(err, errDeadlinePassed):
				// Given up for good at once, unless an earlier delivery set it: then the
				// round says.
				return d.abandon(ctx, c, d.Messages.Usage(api.FunctionOrderList, d.Messages.DeadlinePast(arg.At.In(d.zone()), d.now())))
			}
			return answer{}, err
		},
		notSaved: func(last error) *slack.Msg {
			if errors.Is(last, errNotScheduled) {
				return d.Messages.DeadlineNotScheduled()
			}
			return d.Messages.DeadlineNotSaved()
		},
	}
	return c
}

// applyDeadline sets the round's deadline to at (zero: none). The schedules come first,
// the deadline after (issue #21): a deadline is never saved that nothing will close. A
// schedule whose deadline was never saved finds the round's deadline set by another
// request, or none, when it fires and does nothing.
func (d Deps) applyDeadline(ctx context.Context, ch orders.Channel, cmd slack.SlashCommand, req orders.Request, at time.Time, log *slog.Logger) (orders.Result, error) {
	before, err := d.Orders.Current(ctx, ch)
	if err != nil {
		return orders.Result{}, err
	}
	if !at.IsZero() && !at.After(d.now()) {
		return orders.Result{}, errDeadlinePassed
	}
	if !at.IsZero() {
		if err := d.scheduleDeadline(ctx, ch, cmd, req, at); err != nil {
			return orders.Result{}, fmt.Errorf("%w: %w", errNotScheduled, err)
		}
	}
	res, err := d.Orders.SetDeadline(ctx, ch, at, req)
	switch {
	case errors.Is(err, orders.ErrNoOpenRound) && !at.IsZero():
		d.unschedule(ctx, req.ID, log)
		return res, err
	case err != nil:
		return res, err
	}
	if !at.IsZero() && res.Round.DeadlineBy != req.ID {
		d.unschedule(ctx, req.ID, log) // superseded: its schedules are tidied away
	}
	if before.DeadlineBy != "" && before.DeadlineBy != res.Round.DeadlineBy {
		d.unschedule(ctx, before.DeadlineBy, log)
	}
	log.Info("deadline set", "team", ch.Team, "channel", ch.Channel, "round", res.Round.ID,
		"deadline", res.Round.Deadline, "outcome", res.Outcome.String())
	return res, nil
}

// deadlineAnswer says what the round's deadline is now, with what the setter should know
// of the one they set: a choice the time left open, and — only when posting in the
// channel failed so (probe) — that the tally will need the bot invited. A repeat never
// denies what its first delivery did (issue #21: one whose round had closed since, or that
// had found no round, said "the deadline is removed: the round stays open").
func (d Deps) deadlineAnswer(res orders.Result, req orders.Request, arg say.Deadline, probe channelProbe) *slack.Msg {
	r := res.Round
	var notes []string
	if arg.Note != "" {
		notes = append(notes, arg.Note)
	}
	if probe == probeRefused {
		notes = append(notes, d.Messages.DeadlineInviteHint())
	}
	switch {
	case res.NoChange:
		return d.Messages.NoOpenRound() // it found no round to change
	case r.ID == "":
		return d.Messages.DeadlineNotSaved() // given up by an earlier run
	case !r.Open():
		return d.Messages.DeadlineRoundClosed()
	case r.Deadline.IsZero():
		return d.Messages.DeadlineRemoved()
	case r.DeadlineBy == req.ID && probe == probePosted:
		// The channel has it from the bot (announceDeadline): the setter alone sees this.
		msg := d.Messages.DeadlineSet(r.Deadline.In(d.zone()), d.now(), notes...)
		msg.ResponseType = slack.ResponseTypeEphemeral
		return msg
	case len(notes) > 0 && r.DeadlineBy == req.ID:
		return d.Messages.DeadlineSet(r.Deadline.In(d.zone()), d.now(), notes...)
	}
	return d.Messages.DeadlineSet(r.Deadline.In(d.zone()), d.now())
}

// channelProbe is what posting a deadline in its channel with the bot token found.
type channelProbe int32

const (
	probeNone    channelProbe = iota // not tried (no need, no bot token) or failed otherwise: unknown
	probePosted                      // posted: the tally at the deadline will reach the channel too
	probeRefused                     // Slack refused the bot in the channel (cannotPostIn)
)

// announceDeadline posts the deadline req set in the channel with the bot token, once per
// request, when the command's response_url will have expired by the deadline — the tally
// then goes with the bot token, which a private channel refuses until the bot is invited
// (issue #21, finding 3). The post is the test, as for recurring rounds: chat.postMessage
// answers channel_not_found for a private channel the bot is not in and not_in_channel
// for one it may not post in (https://api.slack.com/methods/chat.postMessage#errors);
// conversations.info would tell beforehand only with channels:read, groups:read, im:read
// and mpim:read — four more scopes (https://docs.slack.dev/reference/scopes/groups:read)
// for what one post tells. The post is the announcement the channel would get anyway.
func (d Deps) announceDeadline(ctx context.Context, ch orders.Channel, res orders.Result, req orders.Request, arg say.Deadline, log *slog.Logger) channelProbe {
	poster, ok := d.Poster.(ChannelPoster)
	r := res.Round
	if !ok || d.Poster == nil || arg.At.IsZero() || r.DeadlineBy != req.ID || !r.Open() ||
		arg.At.Sub(req.At) < api.ResponseURLValidity-respondTimeout {
		return probeNone
	}
	msg := d.Messages.DeadlineSet(r.Deadline.In(d.zone()), d.now())
	err := d.postOnce(ctx, "deadline-set-"+req.ID, func(ctx context.Context) error {
		pctx, cancel := context.WithTimeout(ctx, respondTimeout)
		defer cancel()
		_, err := poster.PostMessage(pctx, ch.Channel, msg)
		return err
	}, orders.RequestMemory, log)
	switch {
	case err == nil:
		return probePosted
	case cannotPostIn(err):
		log.Info("deadline set in a channel the bot cannot post in", "error", err.Error())
		return probeRefused
	}
	log.Warn("deadline not announced in the channel: whether the tally can reach it is unknown", "error", err.Error())
	return probeNone
}

// scheduleDeadline creates the close at `at` and, when there is time for it, the
// reminder d.Reminder before. Names are the request's, so a repeat creates nothing new.
func (d Deps) scheduleDeadline(ctx context.Context, ch orders.Channel, cmd slack.SlashCommand, req orders.Request, at time.Time) error {
	if d.Scheduler == nil {
		return errors.New("no scheduler configured")
	}
	fire := api.ScheduleFire{Kind: api.ScheduleClose, Team: ch.Team, Channel: ch.Channel, DeadlineBy: req.ID,
		Deadline: at, At: at, User: cmd.UserID, ResponseURL: cmd.ResponseURL, SetAt: req.At}
	if d.Reminder > 0 && at.Sub(d.now()) > d.Reminder {
		remind := fire
		remind.Kind, remind.At = api.ScheduleRemind, at.Add(-d.Reminder)
		if err := d.createSchedule(ctx, remind); err != nil {
			return err
		}
	}
	return d.createSchedule(ctx, fire)
}

func (d Deps) createSchedule(ctx context.Context, f api.ScheduleFire) error {
	name, err := schedule.Name(f.Kind, f.DeadlineBy)
	if err != nil {
		return err
	}
	input, err := json.Marshal(api.Event{Schedule: &f})
	if err != nil {
		return err
	}
	return d.Scheduler.Create(ctx, schedule.Schedule{Name: name, At: f.At, Input: input})
}

// unschedule deletes a replaced or removed deadline's schedules. It is tidying only: a
// schedule that fires anyway finds the round's deadline set by another request and does
// nothing.
func (d Deps) unschedule(ctx context.Context, deadlineBy string, log *slog.Logger) {
	if d.Scheduler == nil {
		return
	}
	for _, k := range []api.ScheduleKind{api.ScheduleRemind, api.ScheduleClose} {
		name, err := schedule.Name(k, deadlineBy)
		if err == nil {
			err = d.Scheduler.Delete(ctx, name)
		}
		if err != nil {
			log.Warn("schedule not deleted: it will find its deadline gone", "kind", k, "error", err.Error())
		}
	}
}
