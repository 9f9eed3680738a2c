package handler

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say"
	"github.com/orderbot/orderbot/lambdas/say/i18n"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// command is one slash command as its table's entries see it.
type command struct {
	fn  api.FunctionName
	cmd slack.SlashCommand
	ch  orders.Channel
	ev  api.Event
	// arg is what the entry reads: the words after the keyword (an entry's args), or the
	// whole text (a table's other).
	arg string
	log *slog.Logger
}

// work is the command's work, answering on its response_url; do and giveUp are the entry's.
func (c command) work() work {
	return work{function: c.fn, ev: c.ev, responseURL: c.cmd.ResponseURL, channel: c.cmd.ChannelID, user: c.cmd.UserID}
}

// entry is what a command's text asks for: a reply at once (usage, a problem with what
// was typed; nil: an empty 200), or work for the runner — a change or a read — when the
// work's do is set.
type entry func(Deps, context.Context, command) (now *slack.Msg, w work)

// keyword is a keyword's line in a command's table: what it asks for alone, and what
// followed by more words (nil: then the whole text is what the table's other reads —
// `/order-update cancel fee` orders "cancel fee").
type keyword struct {
	alone, args entry
}

// table is a slash command's keywords (say.NoKeyword is the empty text) and what any
// other text asks for.
type table struct {
	keywords map[say.Keyword]keyword
	other    entry
}

// commands is every slash command's table, by its function. A new keyword is a line
// here and its entry; a new command, its route in api.Routes and its table.
var commands = map[api.FunctionName]table{
	api.FunctionOrderUpdate: {
		keywords: map[say.Keyword]keyword{
			say.NoKeyword:      {alone: Deps.orderModal},
			i18n.KeywordHelp:   {alone: usage},
			i18n.KeywordCancel: {alone: Deps.cancelOrder},
			i18n.KeywordAgain:  {alone: Deps.orderAgain},
		},
		other: Deps.orderItem,
	},
	api.FunctionOrderList: {
		keywords: map[say.Keyword]keyword{
			say.NoKeyword:       {alone: Deps.listRound},
			i18n.KeywordShare:   {alone: Deps.shareRound},
			i18n.KeywordClose:   {alone: Deps.closeRound, args: Deps.setDeadline},
			i18n.KeywordHistory: {alone: Deps.history},
			i18n.KeywordHelp:    {alone: usage},
			i18n.KeywordPoke:    {alone: Deps.poke},
			// Recurring rounds (recurring.go): the set forms and `skip next` are other text.
			i18n.KeywordSchedules: {alone: Deps.recurringList},
			i18n.KeywordStop:      {args: Deps.recurringStop},
		},
		other: Deps.recurringOther,
	},
}

// pick is the entry text asks for, and what the entry reads of it.
func (t table) pick(text string) (entry, string) {
	kw, rest := say.ParseKeyword(text)
	k, ok := t.keywords[kw]
	switch {
	case ok && rest == "" && k.alone != nil:
		return k.alone, ""
	case ok && rest != "" && k.args != nil:
		return k.args, rest
	}
	return t.other, text
}

// OrderUpdate handles /order-update: `<item>` sets or replaces, `cancel` withdraws,
// `again` orders the last round's item, empty opens the order modal (or shows usage),
// `help` shows usage. Keywords count in every language (`취소`, `도움말`) and only alone:
// `cancel fee` is an item.
func OrderUpdate(d Deps) func(context.Context, api.Event) (*slack.Msg, error) {
	return Command(d, api.FunctionOrderUpdate)
}

// OrderList handles /order-list: the round (ephemeral), `share` (in the channel), `close`
// (closes it and posts the final tally), `close <when>` (a deadline), `history`; the
// keywords in every language (`공유`, `마감`). Its function also takes the schedules'
// firings, which enter through Scheduled (Functions).
func OrderList(d Deps) func(context.Context, api.Event) (*slack.Msg, error) {
	return Command(d, api.FunctionOrderList)
}

// Command is the handler of fn's slash command: it answers Slack's ssl_check, verifies
// and decodes, refuses a command that is not this route's — a signed `/order-list close`
// posted to /order-update must not order "close" — and runs what its table says the text
// asks for.
func Command(d Deps, fn api.FunctionName) func(context.Context, api.Event) (*slack.Msg, error) {
	route, _ := api.RouteFor(fn)
	t := commands[fn]
	return observe(d, fn, func(ctx context.Context, ev api.Event, log *slog.Logger) (*slack.Msg, error) {
		if ev.Live != nil {
			return nil, d.trailingLive(ctx, ev, log) // live.go: a trailing update of a live round message
		}
		if !ev.Deferred && slackio.IsSSLCheck(ev.Body) {
			log.Info("ssl_check answered")
			return nil, nil // an empty 200 (response.vtl renders a null reply as nothing)
		}
		cmd, ch, err := d.command(ev)
		if err != nil {
			return nil, err
		}
		if cmd.Command != route.Command {
			log.Warn("command posted to another command's route", "command", cmd.Command)
			return d.Messages.WrongRoute(fn, cmd.Command), nil
		}
		e, arg := t.pick(cmd.Text)
		now, w := e(d, ctx, command{fn: fn, cmd: cmd, ch: ch, ev: ev, arg: arg, log: log})
		if w.do == nil {
			return now, nil
		}
		a, err := d.within(ctx, w, log)
		return a.reply, err
	})
}

// command verifies and decodes a slash command.
func (d Deps) command(ev api.Event) (slack.SlashCommand, orders.Channel, error) {
	if err := d.verify(ev); err != nil {
		return slack.SlashCommand{}, orders.Channel{}, err
	}
	cmd, err := slackio.ParseCommand(ev.Body)
	if err != nil {
		return slack.SlashCommand{}, orders.Channel{}, api.BadRequest(err.Error(), err)
	}
	return cmd, orders.Channel{Team: cmd.TeamID, Channel: cmd.ChannelID}, nil
}

// usage answers with the command's usage.
func usage(d Deps, _ context.Context, c command) (*slack.Msg, work) {
	return d.Messages.Usage(c.fn, ""), work{}
}

// unknownArgument answers text the command does not take with its usage, quoting it.
func unknownArgument(d Deps, _ context.Context, c command) (*slack.Msg, work) {
	return d.Messages.UnknownArgument(c.fn, c.cmd.Text), work{}
}

// orderItem orders what was typed, when it can be an item.
func (d Deps) orderItem(_ context.Context, c command) (*slack.Msg, work) {
	item, err := orders.CleanItem(c.arg)
	if err != nil {
		return d.Messages.Usage(c.fn, d.Messages.ItemProblem(err)), work{}
	}
	return nil, d.work(c.work(), d.setOrder(c.ch, c.cmd.UserID, c.cmd.UserName, item, requestOf(c.ev), c.log), c.log)
}

// cancelOrder withdraws the person's order.
func (d Deps) cancelOrder(_ context.Context, c command) (*slack.Msg, work) {
	return nil, d.work(c.work(), d.withdraw(c.ch, c.cmd.UserID, requestOf(c.ev)), c.log)
}

// orderAgain orders, for the person, what they ordered in the channel's last closed
// round: the order change, once that item is read.
func (d Deps) orderAgain(_ context.Context, c command) (*slack.Msg, work) {
	w, req := c.work(), requestOf(c.ev)
	set := func(item string) change { return d.setOrder(c.ch, c.cmd.UserID, c.cmd.UserName, item, req, c.log) }
	w.do = func(ctx context.Context) (answer, error) {
		item, err := d.lastOrder(ctx, c.ch, c.cmd.UserID)
		switch {
		case err != nil:
			return answer{}, api.Internal("read last round", err)
		case item == "":
			return reply(d.Messages.AgainNone()), nil
		}
		return set(item).do(ctx)
	}
	w.giveUp = func(ctx context.Context, last error) answer {
		item, _ := d.lastOrder(ctx, c.ch, c.cmd.UserID)
		return d.giveUp(ctx, set(item), last, c.log)
	}
	return nil, w
}

// lastOrder is user's item in the channel's last closed round, "" when none.
func (d Deps) lastOrder(ctx context.Context, ch orders.Channel, user string) (string, error) {
	rounds, err := d.Orders.ClosedRounds(ctx, ch, 1)
	if err != nil || len(rounds) == 0 {
		return "", err
	}
	for _, o := range rounds[0].Orders {
		if o.User == user {
			return o.Item, nil
		}
	}
	return "", nil
}

// modalTimeout bounds reading the round and views.open: Slack takes a trigger_id for 3 s
// from the command, and the usage reply must still make it back when the modal fails.
const modalTimeout = 1500 * time.Millisecond

// orderModal opens the order modal, offering the items of this channel's round, when the
// function has Slack's Web API (a bot token): the modal is the answer (an empty 200).
// Without it, or when it fails, the answer is the usage.
func (d Deps) orderModal(ctx context.Context, c command) (*slack.Msg, work) {
	if d.Poster == nil || c.cmd.TriggerID == "" {
		return d.Messages.Usage(c.fn, ""), work{}
	}
	ctx, cancel := context.WithTimeout(ctx, modalTimeout)
	defer cancel()
	var recent []string
	if r, err := d.Orders.Current(ctx, c.ch); err == nil {
		for _, g := range orders.Tally(r) {
			recent = append(recent, g.Item)
		}
	}
	m := say.ModalContext{Team: c.ch.Team, Channel: c.ch.Channel, ResponseURL: c.cmd.ResponseURL}
	if err := d.Poster.OpenView(ctx, c.cmd.TriggerID, d.Messages.OrderModal(m, recent)); err != nil {
		c.log.Warn("order modal not opened: answering with the usage", "error", err.Error())
		return d.Messages.Usage(c.fn, ""), work{}
	}
	c.log.Info("order modal opened", "recent_items", len(recent))
	return nil, work{}
}

// listRound shows the open round to the person who asked.
func (d Deps) listRound(_ context.Context, c command) (*slack.Msg, work) {
	return nil, d.read(c.work(), "list round", func(ctx context.Context) (*slack.Msg, error) {
		r, err := d.Orders.Current(ctx, c.ch)
		if err != nil {
			return nil, err
		}
		return d.Messages.Round(d.inZone(r), false, false), nil
	})
}

// shareRound posts the open round to the channel.
func (d Deps) shareRound(_ context.Context, c command) (*slack.Msg, work) {
	return nil, d.read(c.work(), "list round", func(ctx context.Context) (*slack.Msg, error) {
		r, err := d.Orders.Current(ctx, c.ch)
		switch {
		case err != nil:
			return nil, err
		case r.ID == "":
			return d.Messages.NoOpenRound(), nil
		}
		return d.Messages.Round(d.inZone(r), true, false), nil
	})
}

// historyRounds is how many closed rounds `/order-list history` shows.
const historyRounds = 5

// history lists the channel's last closed rounds.
func (d Deps) history(_ context.Context, c command) (*slack.Msg, work) {
	return nil, d.read(c.work(), "list closed rounds", func(ctx context.Context) (*slack.Msg, error) {
		rounds, err := d.Orders.ClosedRounds(ctx, c.ch, historyRounds)
		if err != nil {
			return nil, err
		}
		return d.Messages.History(rounds, d.zone(), d.now()), nil
	})
}

// closeRound closes the round and posts its final tally.
func (d Deps) closeRound(_ context.Context, c command) (*slack.Msg, work) {
	req := requestOf(c.ev)
	req.User = c.cmd.UserID // the round records who closed it
	cl := d.close(c.ch, req, c.log)
	cl.answer = func(res orders.Result) answer { return reply(d.closeReply(res)) }
	cl.refused = func(_ context.Context, err error) (answer, error) {
		if errors.Is(err, orders.ErrNoOpenRound) {
			return reply(d.Messages.NoOpenRound()), nil
		}
		return answer{}, err
	}
	return nil, d.work(c.work(), cl, c.log)
}

func (d Deps) closeReply(res orders.Result) *slack.Msg {
	switch {
	case res.NoChange:
		return d.Messages.NoOpenRound() // the earlier delivery found no round to close
	case res.Round.ID == "":
		return d.Messages.NotClosed() // an earlier run gave this close up
	}
	return d.Messages.Round(res.Round, true, true)
}

// poke mentions, in the channel, everyone who ordered in its last closed round but has no
// order in the open one (with none open, everyone of the last round). It changes nothing.
func (d Deps) poke(_ context.Context, c command) (*slack.Msg, work) {
	return nil, d.read(c.work(), "poke", func(ctx context.Context) (*slack.Msg, error) {
		last, err := d.Orders.ClosedRounds(ctx, c.ch, 1)
		switch {
		case err != nil:
			return nil, err
		case len(last) == 0:
			return d.Messages.PokeNoRounds(), nil
		}
		cur, err := d.Orders.Current(ctx, c.ch)
		if err != nil {
			return nil, err
		}
		ordered := map[string]bool{}
		for _, o := range cur.Orders {
			ordered[o.User] = true
		}
		var missing []string
		for _, o := range last[0].Orders {
			if !ordered[o.User] {
				missing = append(missing, o.User)
			}
		}
		return d.Messages.Poke(missing, c.cmd.UserID), nil
	})
}
