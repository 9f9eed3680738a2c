package handler

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/slack"
)

// command verifies and decodes a slash command.
func (d Deps) command(ev api.Event) (slackgo.SlashCommand, orders.Channel, error) {
	if err := d.verify(ev); err != nil {
		return slackgo.SlashCommand{}, orders.Channel{}, err
	}
	cmd, err := slack.ParseCommand(ev.Body)
	if err != nil {
		return slackgo.SlashCommand{}, orders.Channel{}, api.BadRequest(err.Error(), err)
	}
	return cmd, orders.Channel{Team: cmd.TeamID, Channel: cmd.ChannelID}, nil
}

// commandHandler is what every slash command's handler does before its own work: answer
// Slack's ssl_check, verify and decode, and refuse a command that is not this route's —
// a signed `/order-list close` posted to /order-update must not order "close".
func (d Deps) commandHandler(function string, run func(context.Context, api.Event, slackgo.SlashCommand, orders.Channel, *slog.Logger) (*slackgo.Msg, error)) func(context.Context, api.Event) (*slackgo.Msg, error) {
	route, _ := api.RouteFor(function)
	return observe(d, function, func(ctx context.Context, ev api.Event, log *slog.Logger) (*slackgo.Msg, error) {
		if !ev.Deferred && slack.IsSSLCheck(ev.Body) {
			log.Info("ssl_check answered")
			return nil, nil // an empty 200 (response.vtl renders a null reply as nothing)
		}
		cmd, ch, err := d.command(ev)
		if err != nil {
			return nil, err
		}
		if cmd.Command != route.Command {
			log.Warn("command posted to another command's route", "command", cmd.Command)
			return slack.Usage(route.Command, "This is the Request URL of `"+route.Command+"`, not of `"+slack.Escape(cmd.Command)+"`."), nil
		}
		return run(ctx, ev, cmd, ch, log)
	})
}

// OrderUpdate handles /order-update: `<item>` sets or replaces, `cancel` withdraws, empty or
// `help` shows usage.
func OrderUpdate(d Deps) func(context.Context, api.Event) (*slackgo.Msg, error) {
	return d.commandHandler("order-update", func(ctx context.Context, ev api.Event, cmd slackgo.SlashCommand, ch orders.Channel, log *slog.Logger) (*slackgo.Msg, error) {
		req := requestOf(ev)
		t := task{function: "order-update", ev: ev, responseURL: cmd.ResponseURL}
		switch strings.ToLower(strings.TrimSpace(cmd.Text)) {
		case "":
			if d.openOrderModal(ctx, ch, cmd, log) {
				return nil, nil // the modal is the answer: an empty 200
			}
			return slack.Usage(cmd.Command, ""), nil
		case "help":
			return slack.Usage(cmd.Command, ""), nil
		case "cancel":
			t.op = func(ctx context.Context) (*slackgo.Msg, error) { return d.cancel(ctx, ch, cmd.UserID, req) }
			t.giveUp = func(ctx context.Context) *slackgo.Msg {
				return d.abandonOrder(ctx, ch, cmd.UserID, req, "the withdrawal of your order", cancelReply)
			}
		default:
			item, err := orders.CleanItem(cmd.Text)
			if err != nil {
				return slack.Usage(cmd.Command, slack.ItemProblem(err)), nil
			}
			t.op = func(ctx context.Context) (*slackgo.Msg, error) {
				return d.set(ctx, ch, cmd.UserID, cmd.UserName, item, req, log)
			}
			t.giveUp = func(ctx context.Context) *slackgo.Msg {
				return d.abandonOrder(ctx, ch, cmd.UserID, req, "your order *"+slack.Escape(item)+"*", setReply(item, req))
			}
		}
		return d.within(ctx, t, log)
	})
}

// modalTimeout bounds reading the round and views.open: Slack takes a trigger_id for 3 s
// from the command, and the usage reply must still make it back when the modal fails.
const modalTimeout = 1500 * time.Millisecond

// openOrderModal opens the order modal, offering the items of this channel's round, when
// the function has Slack's Web API (a bot token). It reports false when it could not, and
// the caller answers with the usage instead.
func (d Deps) openOrderModal(ctx context.Context, ch orders.Channel, cmd slackgo.SlashCommand, log *slog.Logger) bool {
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
	m := slack.ModalContext{Team: ch.Team, Channel: ch.Channel, ResponseURL: cmd.ResponseURL}
	if err := d.Poster.OpenView(ctx, cmd.TriggerID, slack.OrderModal(m, recent)); err != nil {
		log.Warn("order modal not opened: answering with the usage", "error", err.Error())
		return false
	}
	log.Info("order modal opened", "recent_items", len(recent))
	return true
}

func (d Deps) set(ctx context.Context, ch orders.Channel, user, userName, item string, req orders.Request, log *slog.Logger) (*slackgo.Msg, error) {
	res, err := d.Orders.Set(ctx, ch, user, userName, item, req)
	switch {
	case errors.Is(err, orders.ErrRoundFull):
		return slack.RoundFull(), nil
	case err != nil:
		return nil, api.Internal("set order", err)
	}
	log.Info("order set", "team", ch.Team, "channel", ch.Channel, "user", user, "round", res.Round.ID,
		"round_size", len(res.Round.Orders), "outcome", res.Outcome.String())
	return setReply(item, req)(res, user), nil
}

// setReply words the outcome of an order request.
func setReply(item string, req orders.Request) func(orders.Result, string) *slackgo.Msg {
	return func(res orders.Result, user string) *slackgo.Msg {
		switch {
		case res.Outcome == orders.Superseded:
			return slack.Superseded(res.Round, user)
		case res.Outcome == orders.Replayed && res.Round.ID == "":
			return slack.NotSaved("your order *" + slack.Escape(item) + "*") // abandoned by an earlier run
		case res.Outcome == orders.Replayed && !holds(res.Round, user, req):
			// Saved by an earlier delivery, then replaced or withdrawn by a newer request.
			return slack.Overtaken(res.Round, user, item)
		case !res.Round.Open():
			return slack.OrderInClosedRound(res.Round, item)
		}
		return slack.OrderSet(res.Round, item)
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

func (d Deps) cancel(ctx context.Context, ch orders.Channel, user string, req orders.Request) (*slackgo.Msg, error) {
	res, err := d.Orders.Cancel(ctx, ch, user, req)
	switch {
	case errors.Is(err, orders.ErrNoOpenRound), errors.Is(err, orders.ErrNoOrder):
		return slack.NothingToCancel(), nil
	case err != nil:
		return nil, api.Internal("cancel order", err)
	}
	return cancelReply(res, user), nil
}

func cancelReply(res orders.Result, user string) *slackgo.Msg {
	switch {
	case res.Outcome == orders.Superseded:
		return slack.Superseded(res.Round, user)
	case res.NoChange:
		return slack.NothingToCancel() // the earlier delivery found nothing to cancel
	case res.Round.ID == "":
		return slack.NotSaved("the withdrawal of your order") // abandoned by an earlier run
	}
	return slack.OrderCancelled(res.Round)
}

// abandonOrder gives up on an order request for good, unless it has taken effect after
// all: then the answer is what it did.
func (d Deps) abandonOrder(ctx context.Context, ch orders.Channel, user string, req orders.Request, what string,
	reply func(orders.Result, string) *slackgo.Msg) *slackgo.Msg {
	res, err := d.Orders.Abandon(ctx, ch, orders.Target{User: user}, req)
	switch {
	case err != nil:
		d.log().Error("abandon failed", "error", err.Error())
		return slack.Unknown()
	case res.Outcome == orders.Applied:
		return slack.NotSaved(what)
	}
	return reply(res, user)
}

// OrderList handles /order-list: the round (ephemeral), `share` (in the channel), `close`
// (closes it and posts the final tally).
func OrderList(d Deps) func(context.Context, api.Event) (*slackgo.Msg, error) {
	return d.commandHandler("order-list", func(ctx context.Context, ev api.Event, cmd slackgo.SlashCommand, ch orders.Channel, log *slog.Logger) (*slackgo.Msg, error) {
		t := task{function: "order-list", ev: ev, responseURL: cmd.ResponseURL}
		switch arg := strings.ToLower(strings.TrimSpace(cmd.Text)); arg {
		case "", "share":
			t.op = func(ctx context.Context) (*slackgo.Msg, error) {
				r, err := d.Orders.Current(ctx, ch)
				if err != nil {
					return nil, api.Internal("list round", err)
				}
				if r.ID == "" && arg == "share" {
					return slack.NoOpenRound(), nil
				}
				return slack.Round(r, arg == "share", false), nil
			}
			t.giveUp = func(context.Context) *slackgo.Msg { return slack.NotRead() }
		case "close":
			req := requestOf(ev)
			t.op = func(ctx context.Context) (*slackgo.Msg, error) {
				res, err := d.Orders.Close(ctx, ch, req)
				switch {
				case errors.Is(err, orders.ErrNoOpenRound):
					return slack.NoOpenRound(), nil
				case err != nil:
					return nil, api.Internal("close round", err)
				}
				log.Info("round closed", "team", ch.Team, "channel", ch.Channel, "round", res.Round.ID,
					"orders", len(res.Round.Orders), "outcome", res.Outcome.String())
				return closeReply(res), nil
			}
			t.giveUp = func(ctx context.Context) *slackgo.Msg {
				res, err := d.Orders.Abandon(ctx, ch, orders.Target{Close: true}, req)
				switch {
				case err != nil:
					log.Error("abandon failed", "error", err.Error())
					return slack.Unknown()
				case res.Outcome == orders.Applied:
					return slack.NotClosed()
				}
				return closeReply(res)
			}
		case "help":
			return slack.Usage(cmd.Command, ""), nil
		default:
			return slack.Usage(cmd.Command, "I don't know `"+slack.Escape(cmd.Text)+"`."), nil
		}
		return d.within(ctx, t, log)
	})
}

func closeReply(res orders.Result) *slackgo.Msg {
	switch {
	case res.NoChange:
		return slack.NoOpenRound() // the earlier delivery found no round to close
	case res.Round.ID == "":
		return slack.NotClosed() // an earlier run gave this close up
	}
	return slack.Round(res.Round, true, true)
}
