package handler

import (
	"context"
	"errors"
	"log/slog"
	"strings"

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

// OrderUpdate handles /order-update: `<item>` sets or replaces, `cancel` withdraws, empty or
// `help` shows usage.
func OrderUpdate(d Deps) func(context.Context, api.Event) (*slackgo.Msg, error) {
	return observe(d, "order-update", func(ctx context.Context, ev api.Event, log *slog.Logger) (*slackgo.Msg, error) {
		cmd, ch, err := d.command(ev)
		if err != nil {
			return nil, err
		}
		return d.within(ctx, "order-update", ev, cmd, log, func(ctx context.Context) (*slackgo.Msg, error) {
			return d.orderUpdate(ctx, ev, cmd, ch, log)
		})
	})
}

func (d Deps) orderUpdate(ctx context.Context, ev api.Event, cmd slackgo.SlashCommand, ch orders.Channel, log *slog.Logger) (*slackgo.Msg, error) {
	switch strings.ToLower(strings.TrimSpace(cmd.Text)) {
	case "", "help":
		return slack.Usage(cmd.Command, ""), nil
	case "cancel":
		r, err := d.Orders.Cancel(ctx, ch, cmd.UserID)
		if ev.Deferred && errors.Is(err, orders.ErrNoOrder) {
			// The first attempt may have withdrawn it before it was cancelled.
			if cur, err := d.Orders.Current(ctx, ch); err == nil {
				return slack.OrderCancelled(cur), nil
			}
		}
		if errors.Is(err, orders.ErrNoOpenRound) || errors.Is(err, orders.ErrNoOrder) {
			return slack.NothingToCancel(), nil
		}
		if err != nil {
			return nil, api.Internal("cancel order", err)
		}
		return slack.OrderCancelled(r), nil
	}
	r, err := d.Orders.Set(ctx, ch, cmd.UserID, cmd.UserName, cmd.Text)
	switch {
	case errors.Is(err, orders.ErrEmptyItem), errors.Is(err, orders.ErrItemTooLong), errors.Is(err, orders.ErrInvalidItem):
		return slack.Usage(cmd.Command, slack.ItemProblem(err)), nil
	case err != nil:
		return nil, api.Internal("set order", err)
	}
	item, _ := orders.CleanItem(cmd.Text)
	log.Info("order set", "team", ch.Team, "channel", ch.Channel, "user", cmd.UserID, "round", r.ID, "round_size", len(r.Orders))
	return slack.OrderSet(r, item), nil
}

// OrderList handles /order-list: the round (ephemeral), `share` (in the channel), `close`
// (closes it and posts the final tally).
func OrderList(d Deps) func(context.Context, api.Event) (*slackgo.Msg, error) {
	return observe(d, "order-list", func(ctx context.Context, ev api.Event, log *slog.Logger) (*slackgo.Msg, error) {
		cmd, ch, err := d.command(ev)
		if err != nil {
			return nil, err
		}
		return d.within(ctx, "order-list", ev, cmd, log, func(ctx context.Context) (*slackgo.Msg, error) {
			return d.orderList(ctx, ev, cmd, ch, log)
		})
	})
}

func (d Deps) orderList(ctx context.Context, ev api.Event, cmd slackgo.SlashCommand, ch orders.Channel, log *slog.Logger) (*slackgo.Msg, error) {
	switch arg := strings.ToLower(strings.TrimSpace(cmd.Text)); arg {
	case "", "share":
		r, err := d.Orders.Current(ctx, ch)
		if err != nil {
			return nil, api.Internal("list round", err)
		}
		if r.ID == "" && arg == "share" {
			return slack.NoOpenRound(), nil
		}
		return slack.Round(r, arg == "share", false), nil
	case "close":
		if ev.Deferred {
			// The first attempt may have closed the round before it was cancelled; a
			// round opened after the request is someone else's and stays open.
			if r, err := d.Orders.Current(ctx, ch); err == nil && r.ID != "" && r.OpenedAt.After(ev.Context.ReceivedAt()) && !ev.Context.ReceivedAt().IsZero() {
				return slack.NoOpenRound(), nil
			}
		}
		r, err := d.Orders.Close(ctx, ch)
		if errors.Is(err, orders.ErrNoOpenRound) {
			return slack.NoOpenRound(), nil
		}
		if err != nil {
			return nil, api.Internal("close round", err)
		}
		log.Info("round closed", "team", ch.Team, "channel", ch.Channel, "round", r.ID, "orders", len(r.Orders))
		return slack.Round(r, true, true), nil
	case "help":
		return slack.Usage(cmd.Command, ""), nil
	default:
		return slack.Usage(cmd.Command, "I don't know `"+slack.Escape(cmd.Text)+"`."), nil
	}
}
