package wire

import (
	"context"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/slackio"
)

// UpdateMessage replaces a message the bot posted (chat.update) with the current bot
// token: a recurring round's live message (handler/live.go).
func (p *livePoster) UpdateMessage(ctx context.Context, channel, ts string, msg *slack.Msg) error {
	return p.withToken(ctx, func(sp *slackio.Poster) error { return sp.UpdateMessage(ctx, channel, ts, msg) })
}
