package wire

import (
	"context"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/handler"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// The events function's Poster must publish Homes, or app_home_opened goes unanswered.
var _ handler.HomePublisher = (*livePoster)(nil)

// PublishHome publishes a user's App Home (views.publish) with the current bot token:
// the events function's answer to app_home_opened (handler/home.go).
func (p *livePoster) PublishHome(ctx context.Context, user string, v slack.HomeTabViewRequest, hash string) error {
	return p.withToken(ctx, func(sp *slackio.Poster) error { return sp.PublishHome(ctx, user, v, hash) })
}
