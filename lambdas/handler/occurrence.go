package handler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"github.com/slack-go/slack"
	"log/slog"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/schedule"
)

// occurrenceID is the request id of a recurring round's occurrence: its schedule and its
// scheduled time, the same on every delivery — Scheduler's at-least-once firings and
// Lambda's retries of one occurrence are one request, which the store applies once.
func occurrenceID(recurring string, f api.ScheduleFire) string {
	sum := sha256.Sum256([]byte("occurrence:" + recurring + ":" + f.At.UTC().Format("2006-01-02T15:04:05Z")))
	return occurrencePrefix + hex.EncodeToString(sum[:15]) // live.go: the prefix marks its rounds
}

// openOccurrence runs one occurrence of a recurring round: unless the recurring round was
// stopped or this occurrence skipped, it opens the channel's round — or keeps the open
// one — with the deadline the recurring round gives it (orders.RecurringStore.StartRound,
// once per occurrence), schedules that deadline's close and reminder as a deadline set by
// hand would be (the same names for every delivery), and posts the live round message to
// the channel with the bot token, once.
func (d Deps) openOccurrence(ctx context.Context, ch orders.Channel, f api.ScheduleFire, log *slog.Logger) error {
	rs, sc, ok := d.recurring()
	if !ok {
		return api.Internal("recurring round fired without its store or scheduler", nil)
	}
	log = log.With("recurring", f.Recurring, "occurrence", f.At)
	list, err := rs.ListRecurring(ctx, ch)
	if err != nil {
		return api.Internal("list recurring rounds", err)
	}
	r, found := recurringByID(list, f.Recurring)
	switch {
	case !found || !r.Active():
		log.Info("recurring round stopped: its schedule is deleted")
		if name, err := schedule.Name(api.ScheduleOpen, f.Recurring); err == nil {
			_ = sc.Delete(ctx, name)
		}
		return nil
	case !r.Skip.IsZero() && r.Skip.Equal(f.At):
		log.Info("occurrence skipped (skip next)")
		return nil
	}
	closeAt := f.At.Add(r.Rec.Length)
	if !closeAt.After(d.now()) {
		log.Warn("occurrence delivered after its round would have closed: nothing opened")
		return nil
	}
	at := f.At // the occurrence's time; earlier only when --clock-speed fires it ahead
	if now := d.now(); now.Before(at) {
		at = now
	}
	req := orders.Request{ID: occurrenceID(r.ID, f), At: at, Signed: f.At, User: r.SetBy}
	newID := orders.NewRoundID(req.At)
	res, err := rs.StartRound(ctx, ch, closeAt, req, newID)
	if err != nil {
		return api.Internal("open recurring round", err) // Lambda retries the invocation
	}
	kept := res.Round.DeadlineBy == req.ID && !res.Round.OpenedAt.Equal(req.At)
	log.Info("recurring round opened", "round", res.Round.ID, "kept", kept, "outcome", res.Outcome.String())
	if res.Outcome == orders.Superseded {
		return nil // a newer deadline request owns the open round's deadline
	}
	close := api.ScheduleFire{Kind: api.ScheduleClose, Team: ch.Team, Channel: ch.Channel, DeadlineBy: req.ID,
		Deadline: closeAt, At: closeAt, User: r.SetBy, SetAt: req.At}
	if err := d.scheduleClose(ctx, close); err != nil {
		return api.Internal("schedule the recurring round's close", err)
	}
	msg := d.Messages.RecurringOpened(d.inZone(res.Round), closeAt.In(d.zone()), kept)
	return d.postLive(ctx, ch, r, res.Round.ID, derivedID(api.ScheduleOpen, req.ID), msg, log)
}

// postLive posts an occurrence's live round message once (id's claim) and records its ts,
// so that changes keep it current. A channel that refuses the bot since the recurring
// round was set: the setter hears it in the app's direct messages, with the fix.
func (d Deps) postLive(ctx context.Context, ch orders.Channel, r orders.Recurring, round, id string, msg *slack.Msg, log *slog.Logger) error {
	rs, _, _ := d.recurring()
	poster, ok := d.Poster.(ChannelPoster)
	if !ok || d.Poster == nil {
		log.Error("live round message not posted: no bot token is configured")
		return nil
	}
	err := d.postOnce(ctx, id, func(ctx context.Context) error {
		ts, err := poster.PostMessage(ctx, ch.Channel, msg)
		if cannotPostIn(err) {
			log.Warn("live round message not postable in the channel: sent to the setter", "error", err.Error())
			_, derr := poster.PostMessage(ctx, r.SetBy, d.Messages.NotPostedInChannel(ch.Channel, msg))
			return derr
		}
		if err != nil {
			return err
		}
		return rs.MarkLive(ctx, ch, r.ID, round, ts)
	}, orders.RequestMemory, log)
	if err != nil {
		return api.Internal("post the live round message", err)
	}
	return nil
}

// scheduleClose creates the close of a deadline (and its reminder, when there is time).
func (d Deps) scheduleClose(ctx context.Context, fire api.ScheduleFire) error {
	if d.Reminder > 0 && fire.At.Sub(d.now()) > d.Reminder {
		remind := fire
		remind.Kind, remind.At = api.ScheduleRemind, fire.At.Add(-d.Reminder)
		if err := d.createSchedule(ctx, remind); err != nil {
			return err
		}
	}
	return d.createSchedule(ctx, fire)
}

func recurringByID(list []orders.Recurring, id string) (orders.Recurring, bool) {
	for _, r := range list {
		if r.ID == id {
			return r, true
		}
	}
	return orders.Recurring{}, false
}
