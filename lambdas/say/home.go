package say

import (
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say/i18n"
)

// Home is the user's App Home tab (views.publish): a header, notice (what their last
// click on the Home did; "" for none), the open rounds of their channels — each with its
// tally line, their order and *Cancel mine*, or, without their order, *Order again* of
// their last item there — their last orders in closed rounds with *Order again in
// channel*, and the recurring rounds of their channels (zone: the team's; UTC when nil).
// At most orders.MaxHomeChannels rounds (2 blocks each), orders.MaxHomeOrders orders and
// one section of recurring rounds per channel: ≤ 48 blocks, inside the Home's 100.
func (m Messages) Home(h orders.Home, zone *time.Location, now time.Time, notice string) slack.HomeTabViewRequest {
	if zone == nil {
		zone = time.UTC
	}
	blocks := []slack.Block{slack.NewHeaderBlock(plainText(m.text(i18n.HomeTitle)))}
	if notice != "" {
		blocks = append(blocks, contextLine(notice))
	}
	blocks = append(blocks, section(m.text(i18n.HomeOpen)))
	blocks = append(blocks, m.homeOpen(h)...)
	blocks = append(blocks, slack.NewDividerBlock(), section(m.text(i18n.HomeLast, orders.MaxHomeOrders)))
	for n, o := range h.Last {
		when := m.ClockTime(o.Round.ClosedAt.In(zone), now)
		b := section(m.text(i18n.HomeLastOrder, channelMention(o.Round.Channel.Channel), itemText(o.Order.Item), when))
		if btn := m.homeButton(ActionHomeAgain, n, i18n.ButtonHomeAgainIn, o.Round.Channel.Channel, "", o.Order.Item); btn != nil {
			b.(*slack.SectionBlock).Accessory = slack.NewAccessory(btn)
		}
		blocks = append(blocks, b)
	}
	if len(h.Last) == 0 {
		blocks = append(blocks, contextLine(m.text(i18n.HomeLastNone)))
	}
	blocks = append(blocks, m.homeRecurring(h.Recurring, zone, now)...)
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}
}

// homeOpen is the open rounds of the user's channels: those holding their order, then
// those without it. The n-th button of a kind gets action_id kind.n, unique in the view:
// the last orders' "Order again" are 0–9, the open rounds' from 50.
func (m Messages) homeOpen(h orders.Home) []slack.Block {
	var blocks []slack.Block
	for n, o := range h.Open {
		title := m.text(i18n.RoundTitle, len(o.Round.Orders), len(orders.Tally(o.Round)))
		blocks = append(blocks, section(m.text(i18n.HomeOpenRound, channelMention(o.Round.Channel.Channel), title, itemText(o.Order.Item))))
		if btn := m.homeButton(ActionHomeCancel, n, i18n.ButtonCancel, o.Round.Channel.Channel, o.Round.ID, o.Order.Item); btn != nil {
			blocks = append(blocks, slack.NewActionBlock("", btn))
		}
	}
	for n, o := range h.Waiting {
		title := m.text(i18n.RoundTitle, len(o.Round.Orders), len(orders.Tally(o.Round)))
		text := m.text(i18n.HomeWaitingRound, channelMention(o.Round.Channel.Channel), title)
		if o.Order.Item != "" {
			text += "\n" + m.text(i18n.HomeWaitingLast, itemText(o.Order.Item))
		}
		blocks = append(blocks, section(text))
		if btn := m.homeButton(ActionHomeAgain, 50+n, i18n.ButtonHomeAgain, o.Round.Channel.Channel, o.Round.ID, o.Order.Item); btn != nil {
			blocks = append(blocks, slack.NewActionBlock("", btn))
		}
	}
	if len(h.Open)+len(h.Waiting) == 0 {
		blocks = append(blocks, contextLine(m.text(i18n.HomeOpenNone)))
	}
	return blocks
}

// homeButton is the n-th Home button of kind, labelled label; nil when its value cannot
// ride on a button (no item the store holds is such; an order again without an item).
func (m Messages) homeButton(kind string, n int, label i18n.ID, channel, round, item string) *slack.ButtonBlockElement {
	value, err := encodeHomeValue(kind, channel, round, item)
	if err != nil {
		return nil
	}
	return slack.NewButtonBlockElement(homeActionID(kind, n), value, plainText(m.text(label)))
}

// homeRecurring is the recurring rounds of the user's channels, one section per channel,
// each with its next opening; nothing when there are none.
func (m Messages) homeRecurring(rs []orders.HomeRecurring, zone *time.Location, now time.Time) []slack.Block {
	if len(rs) == 0 {
		return nil
	}
	blocks := []slack.Block{slack.NewDividerBlock(), section(m.text(i18n.HomeRecurring))}
	text, channel := "", ""
	for _, r := range rs {
		if r.Channel.Channel != channel && text != "" {
			blocks, text = append(blocks, section(text)), ""
		}
		channel = r.Channel.Channel
		next, _ := r.Recurring.Rec.Next(now, zone)
		if !r.Recurring.Skip.IsZero() && next.Equal(r.Recurring.Skip) {
			next, _ = r.Recurring.Rec.Next(next, zone)
		}
		if text != "" {
			text += "\n"
		}
		text += m.text(i18n.HomeRecurringLine, channelMention(channel), m.RecurWhen(r.Recurring.Rec, zone), m.ClockTime(next.In(zone), now))
	}
	return append(blocks, section(text))
}

// channelMention links a channel by id, which Slack shows as #name to those who can see it.
func channelMention(channel string) string { return "<#" + channel + ">" }

// HomeForeignChannel answers a Home click naming a channel that is not on the clicker's
// Home: nothing changed.
func (m Messages) HomeForeignChannel() *slack.Msg { return m.answer(i18n.HomeForeignChannel) }
