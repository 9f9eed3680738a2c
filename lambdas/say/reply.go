package say

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say/i18n"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// How replies stay within Block Kit's limits (see blockkit.go; every length is counted by
// Chars, in UTF-16 code units, never less than Slack's count):
//   - a round's tally packs its lines into sections of at most maxSectionText characters
//     and stops at maxGroupBlocks blocks (title included), leaving room under Slack's 50
//     for the two context lines after it; items that do not fit are counted in
//     "…and N items more.", people that do not fit on an item's line in "…and N more";
//   - the text fallback of a tally shortens items, then drops the last ones, to stay
//     within slackio.MaxMessageText;
//   - an item is shown with at most maxItemChars characters, which no item the store
//     accepts reaches (200 runes escape to at most 1,000);
//   - a problem in a usage reply is cut to maxProblem characters;
//   - section, contextLine and message clip whatever still exceeds a limit, so no input
//     yields a payload Slack refuses.
const (
	maxGroupBlocks  = 45
	maxSectionText  = slackio.MaxTextObject
	maxItemChars    = 5 * orders.MaxItemRunes
	maxProblem      = 200
	minFallbackItem = 16
)

func mention(user string) string { return "<@" + user + ">" }

// itemText is an item as replies show it: escaped, and never longer than maxItemChars.
func itemText(item string) string { return slackio.Clip(slackio.Escape(item), maxItemChars) }

func section(text string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, slackio.Clip(text, maxSectionText), false, false), nil, nil)
}

func contextLine(text string) slack.Block {
	return slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, slackio.Clip(text, slackio.MaxTextObject), false, false))
}

func message(responseType, text string, blocks ...slack.Block) *slack.Msg {
	return &slack.Msg{ResponseType: responseType, Text: slackio.Clip(text, slackio.MaxMessageText), Blocks: slack.Blocks{BlockSet: blocks}}
}

func ephemeral(text string, blocks ...slack.Block) *slack.Msg {
	return message(slack.ResponseTypeEphemeral, text, blocks...)
}

// answer is an ephemeral reply of one section: message id with args.
func (m Messages) answer(id i18n.ID, args ...any) *slack.Msg {
	text := m.text(id, args...)
	return ephemeral(text, section(text))
}

// usages is each slash command's usage, by its function.
var usages = map[api.FunctionName]i18n.ID{
	api.FunctionOrderUpdate: i18n.UsageUpdate,
	api.FunctionOrderList:   i18n.UsageList,
}

// Usage answers an empty, unknown or invalid command of function fn; problem, if any,
// says what was wrong (ItemProblem, or a text of m's language).
func (m Messages) Usage(fn api.FunctionName, problem string) *slack.Msg {
	text := m.text(usages[fn])
	if problem != "" {
		text = shortenProblem(problem) + "\n" + text
	}
	return ephemeral(text, section(text))
}

// shortenProblem cuts a problem to maxProblem characters. A problem that quotes what the
// person typed ("I don't know `…`.", the argument escaped) keeps its words and backticks:
// only the quote is cut, with "…".
func shortenProblem(p string) string {
	if slackio.Chars(p) <= maxProblem {
		return p
	}
	if i, j := strings.Index(p, "`"), strings.LastIndex(p, "`"); i >= 0 && j > i {
		if room := maxProblem - slackio.Chars(p[:i+1]) - slackio.Chars(p[j:]); room > slackio.Chars(slackio.Ellipsis) {
			return p[:i+1] + slackio.Clip(p[i+1:j], room) + p[j:]
		}
	}
	return slackio.Clip(p, maxProblem)
}

// ItemProblem explains why an item was refused, in words for the person who typed it.
// Errors are matched with errors.Is, so a wrapped validation error reads the same.
func (m Messages) ItemProblem(err error) string {
	switch {
	case errors.Is(err, orders.ErrEmptyItem):
		return m.text(i18n.ProblemEmptyItem)
	default:
		return m.fieldProblem(err)
	}
}

// WrongRoute answers a command posted to another command's Request URL: the usage of
// that route's function fn, saying so.
func (m Messages) WrongRoute(fn api.FunctionName, posted string) *slack.Msg {
	route, _ := api.RouteFor(fn)
	return m.Usage(fn, m.text(i18n.ProblemWrongRoute, route.Command, slackio.Escape(posted)))
}

// UnknownArgument answers a command of function fn whose text it does not take: the
// usage, quoting arg.
func (m Messages) UnknownArgument(fn api.FunctionName, arg string) *slack.Msg {
	return m.Usage(fn, m.text(i18n.ProblemUnknownArg, slackio.Escape(arg)))
}

// OrderSet confirms the caller's order and the size of the round it joined.
func (m Messages) OrderSet(r orders.Round, item string) *slack.Msg {
	text := m.text(i18n.OrderSet, itemText(item), len(r.Orders))
	return ephemeral(text, section(text), contextLine(m.text(i18n.OrderSetHint)))
}

// OrderInClosedRound answers a request that was saved and whose round has closed since:
// the order is in that round's final tally.
func (m Messages) OrderInClosedRound(r orders.Round, item string) *slack.Msg {
	return m.answer(i18n.OrderInClosedRound, itemText(item), len(r.Orders))
}

// Overtaken answers a repeat of an order request that was saved and has since been
// replaced or withdrawn by a newer request of the same person; r is the round it was
// saved in, as it is now.
func (m Messages) Overtaken(r orders.Round, user, item string) *slack.Msg {
	now := ""
	for _, o := range r.Orders {
		if o.User == user {
			now = slackio.Escape(slackio.Clip(o.Item, maxItemChars))
		}
	}
	item = slackio.Escape(slackio.Clip(item, maxItemChars))
	switch {
	case r.Open() && now == "":
		return m.answer(i18n.OvertakenOpenNone, item)
	case r.Open():
		return m.answer(i18n.OvertakenOpenItem, item, now)
	case now == "":
		return m.answer(i18n.OvertakenClosedNone, item)
	default:
		return m.answer(i18n.OvertakenClosedItem, item, now)
	}
}

// Superseded answers a request that arrived after a newer one of the same person: the
// newer one stands. current is the open round (zero when none).
func (m Messages) Superseded(current orders.Round, user string) *slack.Msg {
	for _, o := range current.Orders {
		if o.User == user {
			return m.answer(i18n.SupersededItem, itemText(o.Item))
		}
	}
	return m.answer(i18n.SupersededNone)
}

// RoundFull refuses a new order in a round that holds orders.MaxOrders.
func (m Messages) RoundFull() *slack.Msg { return m.answer(i18n.RoundFull, orders.MaxOrders) }

// NotSaved tells the person that a change did not happen and never will: the database
// did not answer, and the request is recorded as abandoned. what says which change, in
// m's language, already escaped: OrderNotSaved and WithdrawalNotSaved word it.
func (m Messages) NotSaved(what string) *slack.Msg { return m.answer(i18n.NotSaved, what) }

// OrderNotSaved is NotSaved for an order of item.
func (m Messages) OrderNotSaved(item string) *slack.Msg {
	return m.NotSaved(m.text(i18n.NotSavedOrder, itemText(item)))
}

// WithdrawalNotSaved is NotSaved for the withdrawal of an order.
func (m Messages) WithdrawalNotSaved() *slack.Msg {
	return m.NotSaved(m.text(i18n.NotSavedWithdrawal))
}

// NotClosed tells the closer that the round stays open.
func (m Messages) NotClosed() *slack.Msg { return m.answer(i18n.NotClosed) }

// Unknown tells the person that the database failed in a way that leaves the outcome
// unknown: the last resort, so that nobody who saw "Working on it…" is left in silence.
func (m Messages) Unknown() *slack.Msg { return m.answer(i18n.Unknown) }

// HandOffUnknown is the answer when handing a slow command to a deferred run did not
// complete in time: it may or may not run.
func (m Messages) HandOffUnknown() *slack.Msg { return m.answer(i18n.HandOffUnknown) }

// NotRead answers a read (list, share) that kept failing.
func (m Messages) NotRead() *slack.Msg { return m.answer(i18n.NotRead) }

// OrderCancelled confirms a withdrawn order.
func (m Messages) OrderCancelled(r orders.Round) *slack.Msg {
	return m.answer(i18n.OrderCancelled, len(r.Orders))
}

// NothingToCancel answers a cancel without an order.
func (m Messages) NothingToCancel() *slack.Msg { return m.answer(i18n.NothingToCancel) }

// NoOpenRound answers a list or close in a channel without a round.
func (m Messages) NoOpenRound() *slack.Msg { return m.answer(i18n.NoOpenRound) }

// Round shows a round grouped by item. shared posts it to the channel; closed marks the
// final tally, which has no buttons.
//
// The message of an open round with orders is live (shared or not): each item shown in
// a section of its own has a "+1 same" button (ActionJoin, value: the round id and the
// item's key), and an actions block holds "Cancel mine" (ActionCancel) and "Close round"
// (ActionClose, behind a confirmation dialog). Items get a section and a button of their
// own, most ordered first, as long as the rest still fit packed into the sections left,
// and the first minJoinButtons items always do; the rest are packed as in a final tally,
// and items that do not fit are counted in "…and N items more.". No block has a
// block_id (Slack generates unique ones).
func (m Messages) Round(r orders.Round, shared, closed bool) *slack.Msg {
	responseType := slack.ResponseTypeEphemeral
	if shared || closed {
		responseType = slack.ResponseTypeInChannel
	}
	if len(r.Orders) == 0 {
		text := m.text(i18n.RoundEmpty)
		if closed {
			text = m.text(i18n.RoundClosedEmpty)
		}
		return message(responseType, text, section(text))
	}
	groups := orders.Tally(r)
	title := m.text(i18n.RoundTitle, len(r.Orders), len(groups))
	if closed {
		title = m.text(i18n.RoundTitleClosed, len(r.Orders), len(groups))
	}
	blocks := []slack.Block{section("*" + title + "*")}
	lines := make([]string, len(groups))
	for i, g := range groups {
		lines[i] = m.tallyLine(g, itemText(g.Item), true, maxSectionText)
	}
	// The actions block needs a round id a button can carry; without one, no buttons.
	var actions slack.Block
	if !closed {
		actions = m.roundActions(r.ID)
	}
	own := 0
	if actions != nil {
		own = ownSections(lines)
		for i := range own {
			blocks = append(blocks, m.joinSection(r.ID, i, groups[i], lines[i]))
		}
	}
	// Lines are packed into sections of at most maxSectionText characters, so a round of
	// many distinct items still fits Slack's 50 blocks: the final tally must name everyone.
	shown, packed := packLines(lines[own:], maxGroupBlocks-len(blocks))
	blocks = append(blocks, packed...)
	if shown += own; shown < len(groups) {
		blocks = append(blocks, contextLine(m.text(i18n.RoundMoreItems, len(groups)-shown)))
	}
	if actions != nil {
		blocks = append(blocks, actions)
	}
	if !closed {
		if !r.Deadline.IsZero() {
			blocks = append(blocks, contextLine(m.DeadlineLine(r.Deadline)))
		}
		blocks = append(blocks, contextLine(m.text(i18n.RoundHint)))
	}
	if who := m.roundPeople(r, closed); who != "" {
		blocks = append(blocks, contextLine(who))
	}
	return message(responseType, m.tallyText(title, groups), blocks...)
}

// roundPeople is who opened the round and, once closed, who closed it.
func (m Messages) roundPeople(r orders.Round, closed bool) string {
	var parts []string
	if r.OpenedBy != "" {
		parts = append(parts, m.text(i18n.RoundOpenedBy, mention(r.OpenedBy)))
	}
	// A round closed at its deadline says so on a line of its own (DeadlineTally).
	if closed && r.ClosedBy != "" && r.ClosedBy != orders.ClosedByDeadline {
		parts = append(parts, m.text(i18n.RoundClosedBy, mention(r.ClosedBy)))
	}
	return strings.Join(parts, " · ")
}

// minJoinButtons is how many items (the most ordered) always have a "+1 same" button,
// even when that leaves items out of a round's message that packing would have shown.
const minJoinButtons = 10

// ownSections is how many of lines (most ordered first) get a section of their own: the
// most that leave room for the rest packed, within maxGroupBlocks with the title, and
// never fewer than minJoinButtons.
func ownSections(lines []string) int {
	sizes := make([]int, len(lines))
	for i, l := range lines {
		sizes[i] = slackio.Chars(l)
	}
	floor := min(len(lines), minJoinButtons)
	for k := min(len(lines), maxGroupBlocks-1); k > floor; k-- {
		if 1+k+sectionsNeeded(sizes[k:]) <= maxGroupBlocks {
			return k
		}
	}
	return floor
}

// sectionsNeeded is how many sections packLines fills with lines of these sizes (in
// Chars), given room for all.
func sectionsNeeded(sizes []int) int {
	n, size := 0, 0
	for _, c := range sizes {
		if size == 0 || size+1+c > maxSectionText {
			n, size = n+1, c
			continue
		}
		size += 1 + c
	}
	return n
}

// packLines packs lines, in order, into at most room sections of at most maxSectionText
// characters, and says how many lines it placed: those that do not fit are left out.
func packLines(lines []string, room int) (int, []slack.Block) {
	var blocks []slack.Block
	var chunk []string
	size, shown := 0, 0
	for _, line := range lines {
		if room <= 0 {
			break
		}
		n := slackio.Chars(line)
		if size > 0 && size+1+n > maxSectionText {
			if len(blocks)+1 >= room {
				break // this chunk is the last section there is room for
			}
			blocks = append(blocks, section(strings.Join(chunk, "\n")))
			chunk, size = nil, 0
		}
		chunk = append(chunk, line)
		if size > 0 {
			size++ // the newline
		}
		size += n
		shown++
	}
	if len(chunk) > 0 {
		blocks = append(blocks, section(strings.Join(chunk, "\n")))
	}
	return shown, blocks
}

// joinSection is the n-th item's section with its "+1 same" button; the section alone
// when the item's key cannot ride on a button (no item the store accepts is such).
func (m Messages) joinSection(round string, n int, g orders.Group, line string) slack.Block {
	b := section(line)
	value, err := encodeActionValue(round, orders.ItemKey(g.Item))
	if err != nil {
		return b
	}
	btn := slack.NewButtonBlockElement(joinActionID(n), value, plainText(m.text(i18n.ButtonJoin)))
	b.(*slack.SectionBlock).Accessory = slack.NewAccessory(btn)
	return b
}

// roundActions is the actions block of a live round message: "Cancel mine" and "Close
// round" behind a confirmation; nil when the round id cannot ride on a button.
func (m Messages) roundActions(round string) slack.Block {
	value, err := encodeActionValue(round, "")
	if err != nil {
		return nil
	}
	cancel := slack.NewButtonBlockElement(ActionCancel, value, plainText(m.text(i18n.ButtonCancel)))
	closeBtn := slack.NewButtonBlockElement(ActionClose, value, plainText(m.text(i18n.ButtonClose)))
	closeBtn.Confirm = slack.NewConfirmationBlockObject(
		plainText(m.text(i18n.ConfirmCloseTitle)),
		plainText(m.text(i18n.ConfirmCloseText)),
		plainText(m.text(i18n.ConfirmCloseYes)),
		plainText(m.text(i18n.ConfirmCloseNo)),
	).WithStyle(slack.StyleDanger)
	return slack.NewActionBlock("", cancel, closeBtn)
}

func plainText(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, text, false, false)
}

// tallyLine is one item of a tally: "*2× latte* — <@U1>, <@U2>" (bold in blocks, plain in
// the text fallback), item already escaped. It has at most max characters: the people
// that do not fit are counted in "…and N more".
func (m Messages) tallyLine(g orders.Group, item string, bold bool, max int) string {
	head := fmt.Sprintf("%d× %s", len(g.Orders), item)
	if bold {
		head = "*" + head + "*"
	}
	head += " — "
	more := func(n int) string { return m.text(i18n.RoundMorePeople, n) }
	// The length of "…and N more" depends only on how many digits N has (the message has
	// no plural forms, a test keeps it so): measured once per digit count, not once per
	// person.
	var moreChars [20]int
	reserveFor := func(n int) int {
		d := len(strconv.Itoa(n))
		if moreChars[d] == 0 {
			moreChars[d] = slackio.Chars(", " + more(n))
		}
		return moreChars[d]
	}
	if last := reserveFor(len(g.Orders)) - slackio.Chars(", "); slackio.Chars(head)+last > max {
		head = slackio.Clip(head, max-last) // only for a max far below any Slack limit
	}
	var b strings.Builder
	b.WriteString(head)
	size := slackio.Chars(head)
	for i, o := range g.Orders {
		m := mention(o.User)
		if i > 0 {
			m = ", " + m
		}
		// Room for this mention and, if anyone is left after it, for saying how many.
		reserve := 0
		if left := len(g.Orders) - i - 1; left > 0 {
			reserve = reserveFor(left)
		}
		if size+slackio.Chars(m)+reserve > max {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(more(len(g.Orders) - i))
			break
		}
		b.WriteString(m)
		size += slackio.Chars(m)
	}
	return b.String()
}

// tallyText is the text fallback of a tally (notifications, clients without blocks): the
// title and every item with everyone who ordered it. Past slackio.MaxMessageText, items are
// shortened so that everyone is still named (to no fewer than minFallbackItem characters);
// only if that is not enough are the last items left out, counted in "…and N items more.".
func (m Messages) tallyText(title string, groups []orders.Group) string {
	type line struct {
		prefix, item, tail string // "2× ", "latte", " — <@U1>, <@U2>"
		fixed, itemChars   int
	}
	lines := make([]line, len(groups))
	full := slackio.Chars(title)
	for i, g := range groups {
		l := line{prefix: fmt.Sprintf("%d× ", len(g.Orders)), item: itemText(g.Item)}
		// Room left for any item, so that no single line can pass the limit.
		l.tail = strings.TrimPrefix(m.tallyLine(g, "", false, slackio.MaxMessageText-maxItemChars), l.prefix)
		l.fixed, l.itemChars = slackio.Chars(l.prefix)+slackio.Chars(l.tail), slackio.Chars(l.item)
		lines[i] = l
		full += 1 + l.fixed + l.itemChars
	}
	itemMax := maxItemChars
	if full > slackio.MaxMessageText {
		// The largest item length that fits; slackio.Clip(item, k) has at most k characters, so
		// the sum below is an upper bound of the text's length.
		size := func(k int) int {
			n := slackio.Chars(title)
			for _, l := range lines {
				n += 1 + l.fixed + min(l.itemChars, k)
			}
			return n
		}
		lo, hi := minFallbackItem, maxItemChars
		for lo < hi {
			if mid := (lo + hi + 1) / 2; size(mid) <= slackio.MaxMessageText {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		itemMax = lo
	}
	text := make([]string, 0, len(lines)+2)
	text = append(text, title)
	total := slackio.Chars(title)
	for _, l := range lines {
		s := l.prefix + slackio.Clip(l.item, itemMax) + l.tail
		text = append(text, s)
		total += 1 + slackio.Chars(s)
	}
	if total <= slackio.MaxMessageText {
		return strings.Join(text, "\n")
	}
	more := func(n int) string { return m.text(i18n.RoundMoreItems, n) }
	for n := len(lines); n > 0; n-- { // text[n] is the last line shown so far
		total -= 1 + slackio.Chars(text[n])
		if left := len(lines) - n + 1; total+1+slackio.Chars(more(left)) <= slackio.MaxMessageText {
			return strings.Join(append(text[:n], more(left)), "\n")
		}
	}
	return slackio.Clip(title, slackio.MaxMessageText) // unreachable: a title is short
}

// MentionHelp is the reply to an @-mention.
func (m Messages) MentionHelp() string { return m.text(i18n.MentionHelp) }
