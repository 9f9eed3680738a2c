package handler

import (
	"context"
	"log/slog"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// HomePublisher publishes a user's Home tab (views.publish); slackio.Poster is one.
type HomePublisher interface {
	PublishHome(ctx context.Context, user string, v slack.HomeTabViewRequest, hash string) error
}

// publishHome answers app_home_opened on the Home tab: the user's Home, read from the
// rounds (orders.Service.Home), published with the hash of the view Slack showed them,
// so that a Home published meanwhile is not overwritten by this one (hash_conflict). The
// Messages tab, and a team without a Home index, get nothing. Failures are logged, not
// retried: the event is already marked, and the Home is published again at the next open.
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
	h, err := d.Orders.Home(ctx, team, e.User)
	if err != nil {
		log.Error("home not read", "error", err.Error())
		return
	}
	hash := ""
	if e.View != nil {
		hash = e.View.Hash
	}
	if err := pub.PublishHome(ctx, e.User, d.Messages.Home(h, d.Zone, d.now()), hash); err != nil {
		log.Error("home not published", "error", err.Error())
		return
	}
	log.Info("home published", "open_rounds", len(h.Open), "last_orders", len(h.Last))
}
