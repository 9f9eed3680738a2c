package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say"
	"github.com/orderbot/orderbot/lambdas/schedule"
)

// Recurring rounds (issue #22): `/order-list every weekday at 11:00 until 11:30` (평일
// 11시~11시 30분) sets one, `schedules` (일정) lists them, `stop N` (중지 N) stops one,
// `skip next` (다음 건너뛰기) skips the next occurrence. Each is a recurring EventBridge
// Scheduler schedule (cron in the team's zone) that invokes this function with an
// api.ScheduleOpen firing; see openOccurrence.

// recurring is the store and scheduler of recurring rounds, when the function has both.
func (d Deps) recurring() (orders.RecurringStore, schedule.RecurringScheduler, bool) {
	if d.Orders == nil {
		return nil, nil, false
	}
	rs, ok1 := d.Orders.Store.(orders.RecurringStore)
	sc, ok2 := d.Scheduler.(schedule.RecurringScheduler)
	return rs, sc, ok1 && ok2
}

// recurringWork is work about recurring rounds: it may run any number of times (each
// step is decided by the store or claimed), and given up it says nothing was set.
func (d Deps) recurringWork(c command, what string, fn func(context.Context) (*slack.Msg, error)) work {
	w := d.read(c.work(), what, fn)
	w.giveUp = func(context.Context, error) answer { return reply(d.Messages.RecurringNotSaved()) }
	return w
}

// recurringList lists the channel's recurring rounds (`schedules`, `일정`).
func (d Deps) recurringList(_ context.Context, c command) (*slack.Msg, work) {
	return nil, d.read(c.work(), "list recurring rounds", func(ctx context.Context) (*slack.Msg, error) {
		return d.listRecurring(ctx, c.ch)
	})
}

// recurringStop stops the recurring round the number names (`stop 2`, `중지 2`).
func (d Deps) recurringStop(_ context.Context, c command) (*slack.Msg, work) {
	n := say.RecurringNumberOf(c.arg)
	if n == 0 {
		return d.Messages.Usage(c.fn, d.Messages.RecurringNumber(c.arg)), work{}
	}
	return nil, d.recurringWork(c, "stop recurring round", func(ctx context.Context) (*slack.Msg, error) {
		return d.stopRecurring(ctx, c.ch, c, n)
	})
}

// recurringOther reads /order-list text that is no keyword of its table: a recurring
// round to set (`every …`, `평일 …`), `skip next` (`다음 건너뛰기`) — or an unknown argument.
func (d Deps) recurringOther(ctx context.Context, c command) (*slack.Msg, work) {
	action, arg := say.ParseRecurringCommand(c.cmd.Text)
	switch action {
	case say.RecurSetAction:
		rec, err := say.ParseRecurring(arg)
		if err != nil {
			return d.Messages.Usage(c.fn, d.Messages.RecurringProblem(arg)), work{}
		}
		req := requestOf(c.ev)
		return nil, d.recurringWork(c, "set recurring round", func(ctx context.Context) (*slack.Msg, error) {
			return d.setRecurring(ctx, c, rec, req)
		})
	case say.RecurSkipNext:
		return nil, d.recurringWork(c, "skip recurring round", func(ctx context.Context) (*slack.Msg, error) {
			return d.skipRecurring(ctx, c)
		})
	case say.RecurList:
		return d.recurringList(ctx, c)
	case say.RecurStop:
		c.arg = arg
		return d.recurringStop(ctx, c)
	}
	return unknownArgument(d, ctx, c)
}

// recurringID is the id of the recurring round a request sets (also its schedule's name,
// with api.ScheduleOpen): the same for every delivery of the request.
func recurringID(req orders.Request) string { return req.ID[:min(len(req.ID), 24)] }

// setRecurring sets a recurring round: refused when the channel has MaxRecurring, or when
// the bot cannot post in it (the announcement is that test, posted with the bot token, so
// a private channel it was not invited to is refused with the fix); then stored, then its
// schedule created — a schedule that cannot be created stops the stored one again.
func (d Deps) setRecurring(ctx context.Context, c command, rec orders.Recurrence, req orders.Request) (*slack.Msg, error) {
	ch, cmd, log := c.ch, c.cmd, c.log
	rs, sc, ok := d.recurring()
	poster, canPost := d.Poster.(ChannelPoster)
	if !ok || !canPost || d.Poster == nil {
		return d.Messages.RecurringNotSaved(), nil
	}
	list, err := rs.ListRecurring(ctx, ch)
	if err != nil {
		return nil, err
	}
	r := orders.Recurring{ID: recurringID(req), Rec: rec, Zone: d.zone().String(), SetBy: cmd.UserID, SetAt: req.At}
	if activeRecurring(list, r.ID) >= orders.MaxRecurring {
		return d.Messages.Usage(c.fn, d.Messages.RecurringMax()), nil
	}
	next, _ := rec.Next(d.now(), d.zone())
	announce := d.Messages.RecurringSet(cmd.UserID, r, d.zone(), next, d.now())
	err = d.postOnce(ctx, "recurring-set-"+r.ID, func(ctx context.Context) error {
		_, err := poster.PostMessage(ctx, ch.Channel, announce)
		return err
	}, orders.RequestMemory, log)
	if cannotPostIn(err) {
		log.Info("recurring round refused: the bot cannot post in the channel", "error", err.Error())
		return d.Messages.RecurringCannotPost(), nil
	}
	if err != nil {
		return nil, err
	}
	if _, err := rs.AddRecurring(ctx, ch, r); errors.Is(err, orders.ErrTooManyRecurring) {
		return d.Messages.Usage(c.fn, d.Messages.RecurringMax()), nil
	} else if err != nil {
		return nil, err
	}
	if err := d.createRecurringSchedule(ctx, sc, ch, r); err != nil {
		log.Error("recurring round not scheduled: stopping it", "error", err.Error())
		_, _ = rs.StopRecurring(ctx, ch, r.ID, cmd.UserID, d.now())
		return d.Messages.RecurringNotSaved(), nil
	}
	log.Info("recurring round set", "team", ch.Team, "channel", ch.Channel, "recurring", r.ID, "cron", rec.Cron())
	return d.listRecurring(ctx, ch) // the announcement is in the channel; the setter sees the list
}

// activeRecurring counts the active recurring rounds of list other than id (a repeat of
// the request that set id is not a sixth).
func activeRecurring(list []orders.Recurring, id string) int {
	n := 0
	for _, r := range list {
		if r.Active() && r.ID != id {
			n++
		}
	}
	return n
}

// createRecurringSchedule creates r's schedule: cron in the team's zone, invoking this
// function with an open firing whose `at` Scheduler fills with the occurrence's time.
func (d Deps) createRecurringSchedule(ctx context.Context, sc schedule.RecurringScheduler, ch orders.Channel, r orders.Recurring) error {
	name, err := schedule.Name(api.ScheduleOpen, r.ID)
	if err != nil {
		return err
	}
	fire := api.ScheduleFire{Kind: api.ScheduleOpen, Team: ch.Team, Channel: ch.Channel, Recurring: r.ID, User: r.SetBy}
	input, err := occurrenceInput(fire)
	if err != nil {
		return err
	}
	return sc.CreateRecurring(ctx, schedule.Recurring{Name: name, Cron: r.Rec.Cron(), Timezone: r.Zone, Input: input})
}

// occurrenceInput is an open firing's event with `at` left to Scheduler's context
// attribute (schedule.ScheduledTime), which it replaces at every occurrence.
func occurrenceInput(f api.ScheduleFire) ([]byte, error) {
	b, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, err
	}
	fields["at"] = schedule.ScheduledTime
	// Not json.Marshal: it writes < and > as \u003c and \u003e, and Scheduler replaces
	// the attribute only as written.
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string]any{"schedule": fields}); err != nil {
		return nil, err
	}
	return bytes.TrimSpace(out.Bytes()), nil
}

// nextOpenings is each recurring round's next opening after now, past its skipped one.
func (d Deps) nextOpenings(list []orders.Recurring) []time.Time {
	out := make([]time.Time, len(list))
	for i, r := range list {
		zone, err := time.LoadLocation(r.Zone)
		if err != nil {
			zone = d.zone()
		}
		open, _ := r.Rec.Next(d.now(), zone)
		if !r.Skip.IsZero() && open.Equal(r.Skip) {
			open, _ = r.Rec.Next(open, zone)
		}
		out[i] = open
	}
	return out
}

func (d Deps) listRecurring(ctx context.Context, ch orders.Channel) (*slack.Msg, error) {
	rs, _, ok := d.recurring()
	if !ok {
		return d.Messages.NotRead(), nil
	}
	list, err := rs.ListRecurring(ctx, ch)
	if err != nil {
		return nil, err
	}
	return d.Messages.RecurringList(list, d.nextOpenings(list), d.zone(), d.now()), nil
}

// numbered is the n-th active recurring round (1-based), as the list numbers them.
func numbered(list []orders.Recurring, n int) (orders.Recurring, bool) {
	for _, r := range list {
		if r.Active() {
			if n--; n == 0 {
				return r, true
			}
		}
	}
	return orders.Recurring{}, false
}

func (d Deps) stopRecurring(ctx context.Context, ch orders.Channel, c command, n int) (*slack.Msg, error) {
	cmd, log := c.cmd, c.log
	rs, sc, ok := d.recurring()
	if !ok {
		return d.Messages.RecurringNotSaved(), nil
	}
	list, err := rs.ListRecurring(ctx, ch)
	if err != nil {
		return nil, err
	}
	r, found := numbered(list, n)
	if !found {
		return d.Messages.Usage(c.fn, d.Messages.RecurringNumber(c.arg)), nil
	}
	if r, err = rs.StopRecurring(ctx, ch, r.ID, cmd.UserID, d.now()); err != nil {
		return nil, err
	}
	if name, err := schedule.Name(api.ScheduleOpen, r.ID); err == nil {
		if err := sc.Delete(ctx, name); err != nil {
			log.Warn("recurring schedule not deleted: its firings find the round stopped", "error", err.Error())
		}
	}
	log.Info("recurring round stopped", "team", ch.Team, "channel", ch.Channel, "recurring", r.ID)
	return d.Messages.RecurringStopped(cmd.UserID, n, r, d.zone()), nil
}

// skipRecurring skips the channel's next occurrence: the soonest of its active recurring
// rounds' next openings.
func (d Deps) skipRecurring(ctx context.Context, c command) (*slack.Msg, error) {
	ch, cmd, log := c.ch, c.cmd, c.log
	rs, _, ok := d.recurring()
	if !ok {
		return d.Messages.RecurringNotSaved(), nil
	}
	list, err := rs.ListRecurring(ctx, ch)
	if err != nil {
		return nil, err
	}
	next := d.nextOpenings(list)
	best := -1
	for i, r := range list {
		if r.Active() && !next[i].IsZero() && (best < 0 || next[i].Before(next[best])) {
			best = i
		}
	}
	if best < 0 {
		return d.Messages.RecurringNoneToSkip(), nil
	}
	r, err := rs.SkipRecurring(ctx, ch, list[best].ID, next[best])
	if err != nil {
		return nil, err
	}
	log.Info("recurring occurrence skipped", "recurring", r.ID, "at", next[best])
	return d.Messages.RecurringSkipped(cmd.UserID, next[best], r, d.zone(), d.now()), nil
}
