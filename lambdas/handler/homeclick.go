package handler

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// Clicks on the App Home tab (issue #22). A Home click is a block_actions from a view of
// type home: no response_url and no channel (slackio.checkHomeActions) — the button names
// the channel and round (say/homeactions.go). It runs as every click does — its change
// through Deps.work and the one runner (within, finish), exactly once by its request —
// and is answered by publishing the Home again with the hash of the Home it was made on
// (republishHome), the answer's words on top. A change of a round with a live message
// updates it (liveApply, as every change does).

// errNotOnHome refuses a Home click naming a channel that is not on the clicker's Home
// (not in their Home index): a button the bot never showed them.
var errNotOnHome = errors.New("the channel is not on the user's Home")

// homeCancelClick withdraws the clicker's order from the round the Home showed.
func (d Deps) homeCancelClick(c clickReq) work {
	return d.work(c.work, d.onHome(d.withdraw(c.ch, c.user, c.req), c), c.log)
}

// homeAgainClick orders the button's item for the clicker: in the round the Home showed,
// or — from their last orders, with no round — in the channel's open round, as a typed
// /order-update would.
func (d Deps) homeAgainClick(c clickReq) work {
	return d.work(c.work, d.onHome(d.setOrder(c.ch, c.user, c.userName, c.action.Item, c.req, c.log), c), c.log)
}

// onHome is c made from the Home: it applies only in a channel on the clicker's Home, and
// a click on a round that is no longer open (ErrStale) changes nothing; both are answered
// on the Home.
func (d Deps) onHome(c change, k clickReq) change {
	apply, refused := c.apply, c.refused
	c.apply = func(ctx context.Context) (orders.Result, error) {
		if err := d.onUsersHome(ctx, k); err != nil {
			return orders.Result{}, err
		}
		return apply(ctx)
	}
	c.refused = func(ctx context.Context, err error) (answer, error) {
		switch {
		case errors.Is(err, errNotOnHome):
			return reply(d.Messages.HomeForeignChannel()), nil
		case errors.Is(err, orders.ErrStale):
			return reply(d.Messages.StaleClick()), nil
		case refused != nil:
			return refused(ctx, err)
		}
		return answer{}, err
	}
	return c
}

// onUsersHome is errNotOnHome unless k's channel is in the clicker's Home index.
func (d Deps) onUsersHome(ctx context.Context, k clickReq) error {
	idx, ok := d.Orders.Store.(orders.HomeIndex)
	if !ok {
		return errNotOnHome
	}
	channels, err := idx.OrderChannels(ctx, k.ch.Team, k.user, d.now())
	if err != nil {
		return api.Internal("read home index", err)
	}
	if !slices.Contains(channels, k.ch.Channel) {
		return errNotOnHome
	}
	return nil
}

// answerHome publishes the clicker's Home again, with the answer's words on top. A Home
// that cannot be published in time hands the click over (the deferred run applies nothing
// again — its request is Replayed — and publishes); any other failure is logged: the change
// has taken effect and the next open shows it.
func (d Deps) answerHome(ctx context.Context, w work, a answer, log *slog.Logger) error {
	pub, ok := d.Poster.(HomePublisher)
	if !ok || d.Poster == nil {
		log.Warn("home click not answered: no bot token configured")
		return nil
	}
	notice := ""
	if a.reply != nil {
		notice = a.reply.Text
	}
	pctx, cancel := context.WithTimeout(ctx, homePublishTimeout(w))
	defer cancel()
	err := d.republishHome(pctx, pub, *w.home, notice, log)
	switch {
	case err == nil:
	case pctx.Err() != nil && ctx.Err() == nil && !w.ev.Deferred && d.Deferrer != nil:
		log.Warn("home not published in time: deferring", "error", err.Error())
		_, err := d.handOver(ctx, w, log, "views.publish too slow")
		return err
	case errors.Is(err, slackio.ErrHashConflict):
		log.Warn("home not published: it changed again", "error", err.Error())
	default:
		log.Error("home not published", "error", err.Error())
	}
	return nil
}

// homePublishTimeout bounds the Home's read and publish: inside the synchronous attempt,
// what is left for it of API Gateway's wait; in a deferred run, respondTimeout.
func homePublishTimeout(w work) time.Duration {
	if w.ev.Deferred {
		return respondTimeout
	}
	return clickPostTimeout
}
