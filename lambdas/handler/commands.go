package handler

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

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

// commandHandler is what every slash command's handler does before its own work: answer
// Slack's ssl_check, verify and decode, and refuse a command that is not this route's —
// a signed `/order-list close` posted to /order-update must not order "close".
func (d Deps) commandHandler(function string, run func(context.Context, api.Event, slack.SlashCommand, orders.Channel, *slog.Logger) (*slack.Msg, error)) func(context.Context, api.Event) (*slack.Msg, error) {
	route, _ := api.RouteFor(function)
	return observe(d, function, func(ctx context.Context, ev api.Event, log *slog.Logger) (*slack.Msg, error) {
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
			return d.Messages.WrongRoute(route.Command, cmd.Command), nil
		}
		return run(ctx, ev, cmd, ch, log)
	})
}

// OrderUpdate handles /order-update: `<item>` sets or replaces, `cancel` withdraws, empty or
// `help` shows usage. Keywords count in every language (`취소`, `도움말`) and only alone:
// `cancel fee` is an item.
func OrderUpdate(d Deps) func(context.Context, api.Event) (*slack.Msg, error) {
	return d.commandHandler("order-update", func(ctx context.Context, ev api.Event, cmd slack.SlashCommand, ch orders.Channel, log *slog.Logger) (*slack.Msg, error) {
		req := requestOf(ev)
		t := task{function: "order-update", ev: ev, responseURL: cmd.ResponseURL, channel: cmd.ChannelID, user: cmd.UserID}
		kw, rest := say.ParseKeyword(cmd.Text)
		if rest != "" {
			kw = say.NoKeyword // a keyword followed by more words is an item
		}
		switch {
		case strings.TrimSpace(cmd.Text) == "":
			if d.openOrderModal(ctx, ch, cmd, log) {
				return nil, nil // the modal is the answer: an empty 200
			}
			return d.Messages.Usage(cmd.Command, ""), nil
		case kw == say.KeywordHelp:
			return d.Messages.Usage(cmd.Command, ""), nil
		case kw == say.KeywordCancel:
			t.op = func(ctx context.Context) (*slack.Msg, error) { return d.cancel(ctx, ch, cmd.UserID, req) }
			t.giveUp = func(ctx context.Context) *slack.Msg {
				return d.abandonOrder(ctx, ch, cmd.UserID, req, d.Messages.WithdrawalNotSaved(), d.cancelReply)
			}
		case kw == say.KeywordAgain:
			t.op = func(ctx context.Context) (*slack.Msg, error) { return d.again(ctx, ch, cmd, req, log) }
			t.giveUp = func(ctx context.Context) *slack.Msg {
				item, _ := d.lastOrder(ctx, ch, cmd.UserID)
				return d.abandonOrder(ctx, ch, cmd.UserID, req, d.Messages.OrderNotSaved(item), d.setReply(item, req))
			}
		default:
			item, err := orders.CleanItem(cmd.Text)
			if err != nil {
				return d.Messages.Usage(cmd.Command, d.Messages.ItemProblem(err)), nil
			}
			t.op = func(ctx context.Context) (*slack.Msg, error) {
				return d.set(ctx, ch, cmd.UserID, cmd.UserName, item, req, log)
			}
			t.giveUp = func(ctx context.Context) *slack.Msg {
				return d.abandonOrder(ctx, ch, cmd.UserID, req, d.Messages.OrderNotSaved(item), d.setReply(item, req))
			}
		}
		return d.within(ctx, t, log)
	})
}

// historyRounds is how many closed rounds `/order-list history` shows.
const historyRounds = 5

// history lists the channel's last closed rounds.
func (d Deps) history(ch orders.Channel) func(context.Context) (*slack.Msg, error) {
	return func(ctx context.Context) (*slack.Msg, error) {
		rounds, err := d.Orders.ClosedRounds(ctx, ch, historyRounds)
		if err != nil {
			return nil, api.Internal("list closed rounds", err)
		}
		return d.Messages.History(rounds, d.zone(), d.now()), nil
	}
}

// again orders, for the person, what they ordered in the channel's last closed round.
func (d Deps) again(ctx context.Context, ch orders.Channel, cmd slack.SlashCommand, req orders.Request, log *slog.Logger) (*slack.Msg, error) {
	item, err := d.lastOrder(ctx, ch, cmd.UserID)
	switch {
	case err != nil:
		return nil, api.Internal("read last round", err)
	case item == "":
		return d.Messages.AgainNone(), nil
	}
	return d.set(ctx, ch, cmd.UserID, cmd.UserName, item, req, log)
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

// openOrderModal opens the order modal, offering the items of this channel's round, when
// the function has Slack's Web API (a bot token). It reports false when it could not, and
// the caller answers with the usage instead.
func (d Deps) openOrderModal(ctx context.Context, ch orders.Channel, cmd slack.SlashCommand, log *slog.Logger) bool {
	if d.Poster == nil || cmd.TriggerID == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, modalTimeout)
	defer cancel()
	var recent []string
	if r, err := d.Orders.Current(ctx, ch); err == nil {
		for _, g := range orders.Tally(r) {
			recent = append(recent, g.Item)
		}
	}
	m := say.ModalContext{Team: ch.Team, Channel: ch.Channel, ResponseURL: cmd.ResponseURL}
	if err := d.Poster.OpenView(ctx, cmd.TriggerID, d.Messages.OrderModal(m, recent)); err != nil {
		log.Warn("order modal not opened: answering with the usage", "error", err.Error())
		return false
	}
	log.Info("order modal opened", "recent_items", len(recent))
	return true
}

func (d Deps) set(ctx context.Context, ch orders.Channel, user, userName, item string, req orders.Request, log *slog.Logger) (*slack.Msg, error) {
	res, err := d.Orders.Set(ctx, ch, user, userName, item, req)
	switch {
	case errors.Is(err, orders.ErrRoundFull):
		return d.Messages.RoundFull(), nil
	case err != nil:
		return nil, api.Internal("set order", err)
	}
	log.Info("order set", "team", ch.Team, "channel", ch.Channel, "user", user, "round", res.Round.ID,
		"round_size", len(res.Round.Orders), "outcome", res.Outcome.String())
	return d.setReply(item, req)(res, user), nil
}

// setReply words the outcome of an order request.
func (d Deps) setReply(item string, req orders.Request) func(orders.Result, string) *slack.Msg {
	m := d.Messages
	return func(res orders.Result, user string) *slack.Msg {
		switch {
		case res.Outcome == orders.Superseded:
			return m.Superseded(res.Round, user)
		case res.Outcome == orders.Replayed && res.Round.ID == "":
			return m.OrderNotSaved(item) // abandoned by an earlier run
		case res.Outcome == orders.Replayed && !holds(res.Round, user, req):
			// Saved by an earlier delivery, then replaced or withdrawn by a newer request.
			return m.Overtaken(res.Round, user, item)
		case !res.Round.Open():
			return m.OrderInClosedRound(res.Round, item)
		}
		return m.OrderSet(res.Round, item)
	}
}

// holds reports whether user's order in r is the one req set.
func holds(r orders.Round, user string, req orders.Request) bool {
	for _, o := range r.Orders {
		if o.User == user {
			return o.Req == req.ID
		}
	}
	return false
}

func (d Deps) cancel(ctx context.Context, ch orders.Channel, user string, req orders.Request) (*slack.Msg, error) {
	res, err := d.Orders.Cancel(ctx, ch, user, req)
	switch {
	case errors.Is(err, orders.ErrNoOpenRound), errors.Is(err, orders.ErrNoOrder):
		return d.Messages.NothingToCancel(), nil
	case err != nil:
		return nil, api.Internal("cancel order", err)
	}
	return d.cancelReply(res, user), nil
}

func (d Deps) cancelReply(res orders.Result, user string) *slack.Msg {
	switch {
	case res.Outcome == orders.Superseded:
		return d.Messages.Superseded(res.Round, user)
	case res.NoChange:
		return d.Messages.NothingToCancel() // the earlier delivery found nothing to cancel
	case res.Round.ID == "":
		return d.Messages.WithdrawalNotSaved() // abandoned by an earlier run
	}
	return d.Messages.OrderCancelled(res.Round)
}

// abandonOrder gives up on an order request for good, unless it has taken effect after
// all: then the answer is what it did. notSaved is the answer when the abandon applied.
func (d Deps) abandonOrder(ctx context.Context, ch orders.Channel, user string, req orders.Request, notSaved *slack.Msg,
	reply func(orders.Result, string) *slack.Msg) *slack.Msg {
	res, err := d.Orders.Abandon(ctx, ch, orders.Target{User: user}, req)
	switch {
	case errors.Is(err, orders.ErrRefused):
		// The store refuses this function's writes: the request was refused as the
		// abandon is, so it cannot have taken effect.
		return notSaved
	case err != nil:
		d.log().Error("abandon failed", "error", err.Error())
		return d.Messages.Unknown()
	case res.Outcome == orders.Applied:
		return notSaved
	}
	return reply(res, user)
}

// OrderList handles /order-list: the round (ephemeral), `share` (in the channel), `close`
// (closes it and posts the final tally); the keywords in every language (`공유`, `마감`).
//
// It is also the schedule function (api.ScheduleFunction): a schedule firing (a round's
// deadline, its reminder) arrives as an event with only Schedule set; see deadline.go.
func OrderList(d Deps) func(context.Context, api.Event) (*slack.Msg, error) {
	scheduled := observe(d, "order-list", d.scheduled)
	command := d.commandHandler("order-list", func(ctx context.Context, ev api.Event, cmd slack.SlashCommand, ch orders.Channel, log *slog.Logger) (*slack.Msg, error) {
		t := task{function: "order-list", ev: ev, responseURL: cmd.ResponseURL, channel: cmd.ChannelID, user: cmd.UserID}
		kw, rest := say.ParseKeyword(cmd.Text)
		if kw == say.KeywordClose && rest != "" {
			arg := d.Messages.ParseDeadline(rest, d.now(), d.zone())
			if arg.Problem != "" {
				return d.Messages.Usage(cmd.Command, arg.Problem), nil
			}
			d.deadlineTask(&t, ev, cmd, ch, arg, log)
			return d.within(ctx, t, log)
		}
		if rest != "" {
			return d.Messages.UnknownArgument(cmd.Command, cmd.Text), nil
		}
		switch kw {
		case say.NoKeyword, say.KeywordShare: // NoKeyword without rest: no text
			share := kw == say.KeywordShare
			t.op = func(ctx context.Context) (*slack.Msg, error) {
				r, err := d.Orders.Current(ctx, ch)
				if err != nil {
					return nil, api.Internal("list round", err)
				}
				if r.ID == "" && share {
					return d.Messages.NoOpenRound(), nil
				}
				return d.Messages.Round(d.inZone(r), share, false), nil
			}
			t.giveUp = func(context.Context) *slack.Msg { return d.Messages.NotRead() }
		case say.KeywordClose:
			req := requestOf(ev)
			req.User = cmd.UserID // the round records who closed it
			t.op = func(ctx context.Context) (*slack.Msg, error) {
				res, err := d.Orders.Close(ctx, ch, req)
				switch {
				case errors.Is(err, orders.ErrNoOpenRound):
					return d.Messages.NoOpenRound(), nil
				case err != nil:
					return nil, api.Internal("close round", err)
				}
				log.Info("round closed", "team", ch.Team, "channel", ch.Channel, "round", res.Round.ID,
					"orders", len(res.Round.Orders), "outcome", res.Outcome.String())
				if res.Round.DeadlineBy != "" {
					d.unschedule(ctx, res.Round.DeadlineBy, log) // it would find the round closed anyway
				}
				return d.closeReply(res), nil
			}
			t.giveUp = func(ctx context.Context) *slack.Msg {
				res, err := d.Orders.Abandon(ctx, ch, orders.Target{Close: true}, req)
				switch {
				case err != nil:
					log.Error("abandon failed", "error", err.Error())
					return d.Messages.Unknown()
				case res.Outcome == orders.Applied:
					return d.Messages.NotClosed()
				}
				return d.closeReply(res)
			}
		case say.KeywordHelp:
			return d.Messages.Usage(cmd.Command, ""), nil
		case say.KeywordHistory:
			t.op, t.giveUp = d.history(ch), func(context.Context) *slack.Msg { return d.Messages.NotRead() }
		default:
			return d.Messages.UnknownArgument(cmd.Command, cmd.Text), nil
		}
		return d.within(ctx, t, log)
	})
	return func(ctx context.Context, ev api.Event) (*slack.Msg, error) {
		if ev.Schedule != nil {
			return scheduled(ctx, ev)
		}
		return command(ctx, ev)
	}
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
