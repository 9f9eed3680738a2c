package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/orderbot/orderbot/lambdas/slackio"
)

// HomePublisher publishes a user's Home tab (views.publish); slackio.Poster is one. A
// hash that is not the Home's current one is refused with slackio.ErrHashConflict.
type HomePublisher interface {
	PublishHome(ctx context.Context, user string, v slack.HomeTabViewRequest, hash string) error
}

// publishHome answers app_home_opened on the Home tab: the user's Home, read from the
// rounds (orders.Service.Home), published with the hash of the view Slack showed them
// (republishHome). The Messages tab, and a team without a Home index, get nothing.
// Failures are logged, not retried: the event is already marked, and the Home is
// published again at the next open.
func (d Deps) publishHome(ctx context.Context, team string, e *slackevents.AppHomeOpenedEvent, log *slog.Logger) {
	if e.Tab != "home" {
		log.Info("app_home_opened ignored", "tab", e.Tab)
		return
	}
	pub, ok := d.Poster.(HomePublisher)
	if !ok {
		log.Warn("app_home_opened not answered: no bot token configured (or its Web API publishes no Home)")
		return
	}
	hash := ""
	if e.View != nil {
		hash = e.View.Hash
	}
	if err := d.republishHome(ctx, pub, homeTarget{team: team, user: e.User, hash: hash}, "", log); err != nil {
		log.Error("home not published", "error", err.Error())
	}
}

// homeTarget is whose Home is published, and the hash of the Home it was built on ("" for
// none: whatever the user has is replaced).
type homeTarget struct {
	team, user, hash string
	// again is the item a Cancel mine on the Home withdrew in channel: the Home published
	// after it offers it as "Order again" when the round holds no other item of theirs to
	// offer (orders.Home finds only orders of closed rounds).
	again struct{ channel, item string }
}

// republishHome reads t's Home from the rounds and publishes it with t.hash, notice on
// top ("" for none).
//
// hash_conflict (slackio.ErrHashConflict) says the Home the user has now is not the one
// t.hash names: another publish — a click's, an open's — replaced it since. That Home is
// newer, but not necessarily built on newer data: two clicks on one Home each read the
// rounds after their own change, and the one whose read came first may publish last,
// which is when the other one's publish conflicts. Stopping there would leave a Home
// without the later change until the next open. So a conflicting publish reads the
// rounds again and publishes once more, without a hash: that read starts after the
// conflict, hence after the winning publish had read the rounds, so what it writes is at
// least as current as the Home it replaces — a stale Home is never written over a newer
// one. Once only: without a hash there is no second conflict.
func (d Deps) republishHome(ctx context.Context, pub HomePublisher, t homeTarget, notice string, log *slog.Logger) error {
	err := d.publishHomeOnce(ctx, pub, t, notice, log)
	if errors.Is(err, slackio.ErrHashConflict) {
		log.Info("home changed since it was read: reading it again", "user", t.user)
		t.hash = ""
		err = d.publishHomeOnce(ctx, pub, t, notice, log)
	}
	return err
}

func (d Deps) publishHomeOnce(ctx context.Context, pub HomePublisher, t homeTarget, notice string, log *slog.Logger) error {
	h, err := d.Orders.Home(ctx, t.team, t.user)
	if err != nil {
		return fmt.Errorf("read home: %w", err)
	}
	for i, w := range h.Waiting {
		if w.Round.Channel.Channel == t.again.channel && w.Order.Item == "" {
			h.Waiting[i].Order.Item = t.again.item
		}
	}
	if err := pub.PublishHome(ctx, t.user, d.Messages.Home(h, d.Zone, d.now(), notice), t.hash); err != nil {
		return err
	}
	log.Info("home published", "user", t.user, "open_rounds", len(h.Open), "waiting_rounds", len(h.Waiting),
		"last_orders", len(h.Last), "recurring", len(h.Recurring))
	return nil
}
