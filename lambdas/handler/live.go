package handler

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/orders"
)

// The live round message of a recurring round (issue #22): an occurrence posts it with
// chat.postMessage and records its ts (orders.RecurringStore.MarkLive); every applied
// change of that round then updates it in place with chat.update, coalesced, and the
// round's deadline turns it into the final tally.
//
// Coalescing: chat.update is Tier 3 — "50+ per minute", per method per workspace per app
// (docs.slack.dev/apis/web-api/rate-limits) — so a workspace's updates claim one window of
// liveWindow each (a reply claim, E#reply#live-<team>-<window>, which the order functions
// may already write): at most 60 s / 1.25 s = 48 a minute whatever the number of rounds,
// and a change in a window already claimed shows at the next update or at the close.

// liveWindow is the shortest time between two chat.updates of one workspace.
const liveWindow = 1250 * time.Millisecond

// occurrencePrefix starts the request id of an occurrence (occurrenceID): a round whose
// deadline one set is a recurring round's, with a live message.
const occurrencePrefix = "occ"

// liveUpdater is chat.update with the bot token (slackio.Poster has it).
type liveUpdater interface {
	UpdateMessage(ctx context.Context, channel, ts string, msg *slack.Msg) error
}

// liveTS is the ts of round's live message in the channel, when an occurrence posted one.
func (d Deps) liveTS(ctx context.Context, ch orders.Channel, round string) (string, bool) {
	if d.Orders == nil || round == "" {
		return "", false
	}
	rs, ok := d.Orders.Store.(orders.RecurringStore) // not d.recurring: order-update has no scheduler
	if !ok {
		return "", false
	}
	list, err := rs.ListRecurring(ctx, ch)
	if err != nil {
		return "", false
	}
	for _, r := range list {
		if r.LiveRound == round && r.LiveTS != "" {
			return r.LiveTS, true
		}
	}
	return "", false
}

// refreshLive brings r's live message up to date after a change applied to it, unless
// this workspace's window is taken (coalesced). It never fails the change: the message is
// a view of the round, which the store holds.
func (d Deps) refreshLive(ctx context.Context, ch orders.Channel, r orders.Round, log *slog.Logger) {
	up, ok := d.Poster.(liveUpdater)
	if !ok || d.Poster == nil || !r.Open() || !strings.HasPrefix(r.DeadlineBy, occurrencePrefix) {
		return
	}
	window := d.now().UnixNano() / int64(liveWindow)
	first, err := d.Orders.FirstDelivery(ctx, orders.ReplyClaim(fmt.Sprintf("live-%s-%d", ch.Team, window)), time.Minute)
	if err != nil || !first {
		return // another change of this workspace updates in this window
	}
	ts, ok := d.liveTS(ctx, ch, r.ID)
	if !ok {
		return
	}
	msg := d.Messages.RecurringOpened(d.inZone(r), r.Deadline.In(d.zone()), false)
	if err := up.UpdateMessage(ctx, ch.Channel, ts, msg); err != nil {
		log.Warn("live round message not updated", "round", r.ID, "error", err.Error())
	}
}

// liveApply is apply, then refreshLive on the round an applied change left.
func (d Deps) liveApply(ch orders.Channel, apply func(context.Context) (orders.Result, error), log *slog.Logger) func(context.Context) (orders.Result, error) {
	return func(ctx context.Context) (orders.Result, error) {
		res, err := apply(ctx)
		if err == nil && res.Outcome == orders.Applied {
			d.refreshLive(ctx, ch, res.Round, log)
		}
		return res, err
	}
}

// finalLive turns the closed round's live message into its final tally (msg), once across
// the close's deliveries (id's claim); false when it has none or the update failed, and
// the tally is posted instead.
func (d Deps) finalLive(ctx context.Context, ch orders.Channel, r orders.Round, id string, msg *slack.Msg, log *slog.Logger) bool {
	up, ok := d.Poster.(liveUpdater)
	if !ok || d.Poster == nil || !strings.HasPrefix(r.DeadlineBy, occurrencePrefix) {
		return false
	}
	ts, ok := d.liveTS(ctx, ch, r.ID)
	if !ok {
		return false
	}
	err := d.postOnce(ctx, id+"-live", func(ctx context.Context) error {
		return up.UpdateMessage(ctx, ch.Channel, ts, msg)
	}, orders.RequestMemory, log)
	if err != nil {
		log.Warn("live round message not turned into the tally: posting it", "error", err.Error())
		return false
	}
	return true
}
