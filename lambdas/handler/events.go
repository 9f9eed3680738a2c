package handler

import (
	"context"
	"log/slog"

	"github.com/slack-go/slack/slackevents"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// mentionID is the event record of one message mentioning the bot.
func mentionID(channel, ts string) string { return "mention#" + channel + "#" + ts }

// EventReply is the Events API answer: the challenge for url_verification, {} otherwise.
type EventReply struct {
	Challenge string `json:"challenge,omitempty"`
}

// Events handles the Events API: url_verification, app_mention (a help reply in the
// thread), app_home_opened (the user's Home, home.go), and ignores the rest with a 200 so Slack does not retry.
func Events(d Deps) func(context.Context, api.Event) (EventReply, error) {
	return observe(d, api.FunctionEvents, func(ctx context.Context, ev api.Event, log *slog.Logger) (EventReply, error) {
		if ev.Deferred {
			// Events are answered synchronously; nothing may run one with a relaxed window.
			return EventReply{}, api.BadRequest("events are never deferred", nil)
		}
		if err := d.verify(ev); err != nil {
			return EventReply{}, err
		}
		e, err := slackio.ParseEvent(ev.Body)
		if err != nil {
			return EventReply{}, api.BadRequest(err.Error(), err)
		}
		if e.Type == slackevents.URLVerification {
			return EventReply{Challenge: e.Challenge}, nil
		}
		if e.Type != slackevents.CallbackEvent {
			log.Info("event ignored", "type", e.Type)
			return EventReply{}, nil
		}
		log = log.With("event_id", e.ID, "event_type", e.Inner)
		first, err := d.Orders.FirstDelivery(ctx, e.ID, EventTTL)
		switch {
		case err != nil && ev.Headers.Retry() > 0:
			// Slack's retry (X-Slack-Retry-Num) of an event an earlier delivery may have
			// answered: without the record, dropping it is the safe side — a 500 would
			// only bring the next retry, and an answer could be the second.
			log.Warn("event retry dropped: its delivery record cannot be read", "error", err.Error(),
				"slack_retry", ev.Headers.Retry(), "slack_retry_reason", string(ev.Headers.RetryReason))
			return EventReply{}, nil
		case err != nil:
			return EventReply{}, api.Internal("de-duplicate event", err) // Slack retries it
		case !first:
			log.Info("duplicate event ignored")
			return EventReply{}, nil
		case e.Home != nil:
			d.publishHome(ctx, e.TeamID, e.Home, log)
			return EventReply{}, nil
		case e.Mention == nil:
			log.Info("event ignored")
			return EventReply{}, nil
		}
		d.answerMention(ctx, e.Mention, log)
		return EventReply{}, nil
	})
}

// answerMention posts the help reply into the mention's thread, once per message: Slack
// also delivers one message under several event_ids (node-slack-sdk #2141), so a mention
// is answered once per channel + ts (issue #21). A failed reply is logged, not retried:
// the event is already marked, and an error would only make Slack redeliver it to be
// dropped as a duplicate.
func (d Deps) answerMention(ctx context.Context, m *slackevents.AppMentionEvent, log *slog.Logger) {
	if fresh, err := d.Orders.FirstDelivery(ctx, mentionID(m.Channel, m.TimeStamp), EventTTL); err == nil && !fresh {
		log.Info("mention already answered under another event_id")
		return
	} else if err != nil {
		log.Warn("mention not de-duplicated on its message: answering", "error", err.Error())
	}
	if d.Poster == nil {
		log.Warn("app_mention not answered: no bot token configured")
		return
	}
	thread := m.ThreadTimeStamp
	if thread == "" {
		thread = m.TimeStamp
	}
	if err := d.Poster.PostThread(ctx, m.Channel, thread, d.Messages.MentionHelp()); err != nil {
		log.Error("app_mention reply failed", "error", err.Error())
	}
}
