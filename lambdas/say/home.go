package say

import (
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say/i18n"
)

// Home is the user's App Home tab (views.publish): a header, the open rounds holding
// their order — each with its tally line and their order — and their last orders in
// closed rounds with the channel and when the round closed (in zone; UTC when nil). At
// most orders.MaxHomeChannels open rounds and orders.MaxHomeOrders orders: 24 blocks,
// well inside the Home's 100.
func (m Messages) Home(h orders.Home, zone *time.Location, now time.Time) slack.HomeTabViewRequest {
	if zone == nil {
		zone = time.UTC
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(plainText(m.text(i18n.HomeTitle))),
		section(m.text(i18n.HomeOpen)),
	}
	for _, o := range h.Open {
		title := m.text(i18n.RoundTitle, len(o.Round.Orders), len(orders.Tally(o.Round)))
		blocks = append(blocks, section(m.text(i18n.HomeOpenRound, channelMention(o.Round.Channel.Channel), title, itemText(o.Order.Item))))
	}
	if len(h.Open) == 0 {
		blocks = append(blocks, contextLine(m.text(i18n.HomeOpenNone)))
	}
	blocks = append(blocks, slack.NewDividerBlock(), section(m.text(i18n.HomeLast, orders.MaxHomeOrders)))
	for _, o := range h.Last {
		when := m.ClockTime(o.Round.ClosedAt.In(zone), now)
		blocks = append(blocks, section(m.text(i18n.HomeLastOrder, channelMention(o.Round.Channel.Channel), itemText(o.Order.Item), when)))
	}
	if len(h.Last) == 0 {
		blocks = append(blocks, contextLine(m.text(i18n.HomeLastNone)))
	}
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}
}

// channelMention links a channel by id, which Slack shows as #name to those who can see it.
func channelMention(channel string) string { return "<#" + channel + ">" }
