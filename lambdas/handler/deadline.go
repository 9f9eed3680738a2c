package handler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
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

// deadlineTask is `/order-list close <arg>`: set, replace or remove the round's
// deadline, then schedule its close (and reminder) and delete the replaced one's.
func (d Deps) deadlineTask(t *task, ev api.Event, cmd slack.SlashCommand, ch orders.Channel, arg say.Deadline, log *slog.Logger) {
	req := requestOf(ev)
	req.User = cmd.UserID
	var unscheduled atomic.Bool // the last attempt could not create the schedules
	t.op = func(ctx context.Context) (*slack.Msg, error) {
		before, err := d.Orders.Current(ctx, ch)
		if err != nil {
			return nil, api.Internal("read round", err)
		}
		// The schedules first, the deadline after (issue #21): a deadline is never saved
		// that nothing will close. A schedule whose deadline was never saved finds the
		// round's deadline set by another request, or none, when it fires and does nothing.
		if !arg.At.IsZero() && !arg.At.After(d.now()) {
			// A run delayed past the deadline it was to set: saved now, it would never fire.
			return d.passedDeadline(ctx, ch, req, arg.At)
		}
		if !arg.At.IsZero() {
			if err := d.scheduleDeadline(ctx, ch, cmd, req, arg.At); err != nil {
				unscheduled.Store(true)
				return nil, api.Internal("schedule deadline", err)
			}
			unscheduled.Store(false)
		}
		res, err := d.Orders.SetDeadline(ctx, ch, arg.At, req)
		switch {
		case errors.Is(err, orders.ErrNoOpenRound):
			if !arg.At.IsZero() {
				d.unschedule(ctx, req.ID, log)
			}
			return d.Messages.NoOpenRound(), nil
		case err != nil:
			return nil, api.Internal("set deadline", err)
		}
		if !arg.At.IsZero() && res.Round.DeadlineBy != req.ID {
			d.unschedule(ctx, req.ID, log) // superseded: its schedules are tidied away
		}
		if before.DeadlineBy != "" && before.DeadlineBy != res.Round.DeadlineBy {
			d.unschedule(ctx, before.DeadlineBy, log)
		}
		log.Info("deadline set", "team", ch.Team, "channel", ch.Channel, "round", res.Round.ID,
			"deadline", res.Round.Deadline, "outcome", res.Outcome.String())
		var notes []string
		if arg.Note != "" {
			notes = append(notes, arg.Note)
		}
		if !arg.At.IsZero() && arg.At.Sub(req.At) >= api.ResponseURLValidity-respondTimeout {
			// Past the command's response_url the tally goes with the bot token, which
			// a private channel refuses until the bot is invited (issue #21, finding 3).
			notes = append(notes, d.Messages.DeadlineInviteHint())
		}
		if len(notes) > 0 && res.Round.Open() && res.Round.DeadlineBy == req.ID {
			return d.Messages.DeadlineSet(res.Round.Deadline.In(d.zone()), d.now(), notes...), nil
		}
		return d.deadlineReply(res.Round), nil
	}
	t.giveUp = func(ctx context.Context) *slack.Msg {
		res, err := d.Orders.Abandon(ctx, ch, orders.Target{Deadline: true}, req)
		switch {
		case err != nil:
			log.Error("abandon failed", "error", err.Error())
			return d.Messages.Unknown()
		case res.Outcome == orders.Applied && unscheduled.Load():
			return d.Messages.DeadlineNotScheduled()
		case res.Outcome == orders.Applied:
			return d.Messages.DeadlineNotSaved()
		}
		return d.deadlineReply(res.Round)
	}
}

// passedDeadline answers a deadline request whose time passed before it could be set: it
// is given up for good (Abandon), unless an earlier delivery set it — then the round says.
func (d Deps) passedDeadline(ctx context.Context, ch orders.Channel, req orders.Request, at time.Time) (*slack.Msg, error) {
	res, err := d.Orders.Abandon(ctx, ch, orders.Target{Deadline: true}, req)
	switch {
	case err != nil:
		return nil, api.Internal("abandon a passed deadline", err)
	case res.Outcome == orders.Applied:
		return d.Messages.Usage("/order-list", d.Messages.DeadlinePast(at.In(d.zone()), d.now())), nil
	}
	return d.deadlineReply(res.Round), nil
}

// deadlineReply says what the round's deadline is now.
func (d Deps) deadlineReply(r orders.Round) *slack.Msg {
	if r.Deadline.IsZero() || !r.Open() {
		return d.Messages.DeadlineRemoved()
	}
	return d.Messages.DeadlineSet(r.Deadline.In(d.zone()), d.now())
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

// derivedID is the request id of what a schedule does for deadline request by: the same
// for every firing of it.
func derivedID(kind api.ScheduleKind, by string) string {
	sum := sha256.Sum256([]byte("deadline:" + string(kind) + ":" + by))
	return hex.EncodeToString(sum[:16])
}

// scheduled runs a schedule firing. It accepts only the shape a direct invoke makes (see
// api.Event.IsScheduleOnly). Scheduler and Lambda deliver at least once, so the close is
// a request of its own (derivedID) that the store applies once, only while the round's
// deadline is still the one that fired, and the post is claimed like a deferred answer.
func (d Deps) scheduled(ctx context.Context, ev api.Event, log *slog.Logger) (*slack.Msg, error) {
	if !ev.IsScheduleOnly() {
		return nil, api.BadRequest("schedule field alongside a request", nil)
	}
	f := *ev.Schedule
	ch := orders.Channel{Team: f.Team, Channel: f.Channel}
	log = log.With("schedule", string(f.Kind), "deadline_by", f.DeadlineBy, "team", f.Team, "channel", f.Channel)
	if f.DeadlineBy == "" || f.Deadline.IsZero() {
		return nil, api.BadRequest("schedule without its deadline", nil)
	}
	switch f.Kind {
	case api.ScheduleClose:
		return nil, d.closeAtDeadline(ctx, ch, f, log)
	case api.ScheduleRemind:
		return nil, d.remind(ctx, ch, f, log)
	}
	return nil, api.BadRequest("unknown schedule kind", nil)
}

func (d Deps) closeAtDeadline(ctx context.Context, ch orders.Channel, f api.ScheduleFire, log *slog.Logger) error {
	req := orders.Request{ID: derivedID(api.ScheduleClose, f.DeadlineBy), At: f.Deadline, DeadlineBy: f.DeadlineBy,
		User: orders.ClosedByDeadline}
	res, err := d.Orders.Close(ctx, ch, req)
	switch {
	case errors.Is(err, orders.ErrStale), errors.Is(err, orders.ErrNoOpenRound):
		log.Info("deadline no longer applies: replaced, removed or closed by hand")
		return nil
	case err != nil:
		return api.Internal("close at deadline", err) // Lambda retries the invocation
	case res.NoChange || res.Round.ID == "":
		log.Info("deadline close found nothing to close")
		return nil
	}
	log.Info("round closed at its deadline", "round", res.Round.ID, "orders", len(res.Round.Orders), "outcome", res.Outcome.String())
	msg := d.Messages.ClosedAtDeadline(res.Round, f.Deadline.In(d.zone()))
	return d.postToChannel(ctx, req.ID, f, msg, log)
}

func (d Deps) remind(ctx context.Context, ch orders.Channel, f api.ScheduleFire, log *slog.Logger) error {
	r, err := d.Orders.Current(ctx, ch)
	switch {
	case err != nil:
		return api.Internal("read round", err)
	case !r.Open() || r.ID == "" || r.DeadlineBy != f.DeadlineBy:
		log.Info("reminder no longer applies: the deadline was replaced or removed, or the round closed")
		return nil
	}
	msg := d.Messages.Reminder(r, f.Deadline.In(d.zone()), f.Deadline.Sub(f.At))
	return d.postToChannel(ctx, derivedID(api.ScheduleRemind, f.DeadlineBy), f, msg, log)
}

// postToChannel posts msg to the channel once across every firing (id's claim): through
// the deadline-setting command's response_url while Slack still takes it, else with the
// bot token (chat.postMessage). With neither, the round is closed all the same and the
// error is logged: someone's /order-list shows the tally.
func (d Deps) postToChannel(ctx context.Context, id string, f api.ScheduleFire, msg *slack.Msg, log *slog.Logger) error {
	urlOK := f.ResponseURL != "" && d.checkResponseURL(f.ResponseURL) == nil &&
		d.now().Sub(f.SetAt) < api.ResponseURLValidity-respondTimeout
	poster, botOK := d.Poster.(ChannelPoster)
	if !urlOK && (!botOK || d.Poster == nil) {
		log.Error("deadline message not posted: the command's response_url has expired and no bot token is configured")
		return nil
	}
	post := func(ctx context.Context) error {
		pctx, cancel := context.WithTimeout(ctx, respondTimeout)
		defer cancel()
		if urlOK {
			err := d.respond(pctx, f.ResponseURL, msg)
			if !finalPost(err) {
				return err
			}
			if !botOK || d.Poster == nil {
				// Used up or expired early: no retry brings it back.
				log.Error("deadline message not posted: the command's response_url refused it for good and no bot token is configured", "error", err.Error())
				return nil
			}
		}
		_, err := poster.PostMessage(pctx, f.Channel, msg)
		if !cannotPostIn(err) {
			return err
		}
		if f.Kind != api.ScheduleClose || f.User == "" {
			log.Warn("reminder not postable in the channel: the bot is not in it", "error", err.Error())
			return nil // final; the tally, when it comes, goes to the setter
		}
		// A channel the bot cannot post in (private and not invited; public without
		// chat:write.public): no retry changes that. The setter hears it in the app's
		// direct messages, with how to fix it (issue #21, finding 3).
		log.Warn("deadline message not postable in the channel: sent to the setter", "error", err.Error())
		if _, derr := poster.PostMessage(pctx, f.User, d.Messages.NotPostedInChannel(f.Channel, msg)); derr != nil {
			log.Error("deadline message not delivered: the channel refused the bot and so did the setter's direct messages", "error", derr.Error())
		}
		return nil
	}
	if err := d.postOnce(ctx, id, post, orders.RequestMemory, log); err != nil {
		return api.Internal("post deadline message", err)
	}
	return nil
}

// cannotPostIn reports whether Slack refused a chat.postMessage because the bot cannot post
// in that channel: not_in_channel (a public channel, without chat:write.public) or
// channel_not_found (a private channel it was not invited to, which Slack does not reveal).
func cannotPostIn(err error) bool {
	var e slack.SlackErrorResponse
	return errors.As(err, &e) && (e.Err == "not_in_channel" || e.Err == "channel_not_found")
}

// ChannelPoster posts a message to a channel with the bot token (chat.postMessage); a
// Poster that has it posts deadline messages once the command's response_url expired.
type ChannelPoster interface {
	PostMessage(ctx context.Context, channel string, msg *slack.Msg) (string, error)
}
