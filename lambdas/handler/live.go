package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
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
// may already write): at most 60 s / 1.25 s = 48 a minute whatever the number of rounds.
//
// Trailing edge: a change that finds its window taken hands a trailing update of its
// round to an asynchronous self-invoke (the Deferrer, as a deferred run is handed over:
// the reply does not wait), unless one is pending for that round already (a claim
// released just before the update reads the round, so every change applied before the
// read is shown and every change after it starts a new one). The trailing run reserves
// the first free window after its change's — claims are first come, first served, and a
// window reserved is never taken by another round — sleeps until it starts, then reads
// the round afresh and updates. A burst in one channel therefore delays another
// channel's update by at most one window per round pending before it, never forever;
// beyond liveLookAhead windows of backlog the run gives up (logged) and the round's next
// change or its close brings the message current.

// liveWindow is the shortest time between two chat.updates of one workspace.
const liveWindow = 1250 * time.Millisecond

// liveLookAhead is how many windows ahead a trailing update may reserve: its run sleeps
// until then, well inside api.DeferredTimeout (30 s): 16 × 1.25 s = 20 s.
const liveLookAhead = 16

// liveClaim is the claim of a workspace's chat.update window.
func liveClaim(team string, window int64) string {
	return orders.ReplyClaim(fmt.Sprintf("live-%s-%d", team, window))
}

// livePending is held while a trailing update of round is on its way.
func livePending(ch orders.Channel, round string) string {
	return orders.ReplyClaim("live-pending-" + ch.Team + "-" + ch.Channel + "-" + round)
}

func liveWindowOf(t time.Time) int64 { return t.UnixNano() / int64(liveWindow) }

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

// refreshLive brings r's live message up to date after a change applied to it by fn:
// now when this workspace's window is free, else by a trailing update (trailLive). It
// never fails the change: the message is a view of the round, which the store holds.
func (d Deps) refreshLive(ctx context.Context, fn api.FunctionName, ch orders.Channel, r orders.Round, log *slog.Logger) {
	up, ok := d.Poster.(liveUpdater)
	if !ok || d.Poster == nil || !r.Open() || !strings.HasPrefix(r.DeadlineBy, occurrencePrefix) {
		return
	}
	window := liveWindowOf(d.now())
	first, err := d.Orders.FirstDelivery(ctx, liveClaim(ch.Team, window), time.Minute)
	switch {
	case err != nil:
		log.Warn("live round message: window not claimed", "error", err.Error())
	case first:
		d.updateLive(ctx, up, ch, r, log)
	default:
		d.trailLive(ctx, fn, ch, r.ID, window, log)
	}
}

// updateLive shows r in its live message.
func (d Deps) updateLive(ctx context.Context, up liveUpdater, ch orders.Channel, r orders.Round, log *slog.Logger) {
	ts, ok := d.liveTS(ctx, ch, r.ID)
	if !ok {
		return
	}
	msg := d.Messages.RecurringOpened(d.inZone(r), r.Deadline.In(d.zone()), false)
	if err := up.UpdateMessage(ctx, ch.Channel, ts, msg); err != nil {
		log.Warn("live round message not updated", "round", r.ID, "error", err.Error())
	}
}

// trailLive hands a trailing update of round to fn's asynchronous self-invoke, unless
// one is pending already: that one reads the round after this change.
func (d Deps) trailLive(ctx context.Context, fn api.FunctionName, ch orders.Channel, round string, window int64, log *slog.Logger) {
	if d.Deferrer == nil {
		return
	}
	pending := livePending(ch, round)
	first, err := d.Orders.FirstDelivery(ctx, pending, api.DeferredTimeout)
	if err != nil || !first {
		return
	}
	payload, err := json.Marshal(api.Event{Live: &api.LiveRefresh{Team: ch.Team, Channel: ch.Channel, Round: round, Window: window}})
	if err == nil {
		hctx, cancel := context.WithTimeout(ctx, HandOffTimeout)
		defer cancel()
		err = d.Deferrer.Defer(hctx, fn, payload)
	}
	if err != nil {
		log.Warn("live round message: trailing update not handed over", "error", err.Error())
		if err := d.Orders.Release(ctx, pending); err != nil {
			log.Warn("live round message: pending claim kept until it expires", "error", err.Error())
		}
	}
}

// trailingLive is the trailing update's run (an api.Event with only Live): it reserves
// the first free window after l.Window, waits for it, releases the pending claim and
// shows the round as the store has it then.
func (d Deps) trailingLive(ctx context.Context, ev api.Event, log *slog.Logger) error {
	if !ev.IsLiveOnly() {
		return api.BadRequest("live field alongside a request", nil)
	}
	l := *ev.Live
	ch := orders.Channel{Team: l.Team, Channel: l.Channel}
	up, ok := d.Poster.(liveUpdater)
	if !ok || d.Poster == nil || d.Orders == nil {
		return nil
	}
	k, err := d.reserveLiveWindow(ctx, l)
	if err != nil || k == 0 {
		_ = d.Orders.Release(ctx, livePending(ch, l.Round))
		if k == 0 && err == nil {
			log.Warn("live round message: no update window free ahead; its next change or its close brings it current", "round", l.Round)
		}
		return err
	}
	wait := time.Unix(0, k*int64(liveWindow)).Sub(d.now())
	select {
	case <-ctx.Done():
		return api.Internal("trailing live update", ctx.Err())
	case <-time.After(wait):
	}
	// Released before the read: a change applied after it starts the next trailing update.
	if err := d.Orders.Release(ctx, livePending(ch, l.Round)); err != nil {
		log.Warn("live round message: pending claim kept until it expires", "error", err.Error())
	}
	r, err := d.Orders.Current(ctx, ch)
	if err != nil {
		return api.Internal("read round", err) // Lambda retries the invocation
	}
	if r.ID == l.Round && r.Open() {
		d.updateLive(ctx, up, ch, r, log) // a closed round's message is its tally (finalLive)
	}
	return nil
}

// reserveLiveWindow claims the first free window of the workspace after l.Window, within
// liveLookAhead; 0 when none is free.
func (d Deps) reserveLiveWindow(ctx context.Context, l api.LiveRefresh) (int64, error) {
	from := max(l.Window, liveWindowOf(d.now())) + 1
	for k := from; k < l.Window+1+liveLookAhead; k++ {
		first, err := d.Orders.FirstDelivery(ctx, liveClaim(l.Team, k), time.Minute)
		if err != nil {
			return 0, api.Internal("claim live window", err)
		}
		if first {
			return k, nil
		}
	}
	return 0, nil
}

// liveApply is apply, then refreshLive on the round an applied change of w left — unless
// w is a click on that round's live message, which its response_url updates.
func (d Deps) liveApply(w work, ch orders.Channel, apply func(context.Context) (orders.Result, error), log *slog.Logger) func(context.Context) (orders.Result, error) {
	return func(ctx context.Context) (orders.Result, error) {
		res, err := apply(ctx)
		if err == nil && res.Outcome == orders.Applied {
			if !d.onLiveMessage(ctx, w, ch, res.Round) {
				d.refreshLive(ctx, w.function, ch, res.Round, log)
			}
		}
		return res, err
	}
}

// onLiveMessage says whether w is a click on r's live message.
func (d Deps) onLiveMessage(ctx context.Context, w work, ch orders.Channel, r orders.Round) bool {
	if w.shownTS == "" || !strings.HasPrefix(r.DeadlineBy, occurrencePrefix) {
		return false
	}
	ts, ok := d.liveTS(ctx, ch, r.ID)
	return ok && ts == w.shownTS
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
