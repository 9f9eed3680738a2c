package handler

import (
	"context"
	"log/slog"

	"github.com/slack-go/slack/slackevents"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/slack"
)

// EventReply is the Events API answer: the challenge for url_verification, {} otherwise.
type EventReply struct {
	Challenge string `json:"challenge,omitempty"`
}

// Events handles the Events API: url_verification, app_mention (a help reply in the
// thread), and ignores the rest with a 200 so Slack does not retry.
func Events(d Deps) func(context.Context, api.Event) (EventReply, error) {
	return observe(d, "events", func(ctx context.Context, ev api.Event, log *slog.Logger) (EventReply, error) {
		if ev.Deferred {
			// Events are answered synchronously; nothing may run one with a relaxed window.
			return EventReply{}, api.BadRequest("events are never deferred", nil)
		}
		if err := d.verify(ev); err != nil {
			return EventReply{}, err
		}
		e, err := slack.ParseEvent(ev.Body)
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
		if err != nil {
			return EventReply{}, api.Internal("de-duplicate event", err)
		}
		if !first {
			log.Info("duplicate event ignored")
			return EventReply{}, nil
		}
		if e.Mention == nil {
			log.Info("event ignored")
			return EventReply{}, nil
		}
		if d.Poster == nil {
			log.Warn("app_mention not answered: no bot token configured")
			return EventReply{}, nil
		}
		thread := e.Mention.ThreadTimeStamp
		if thread == "" {
			thread = e.Mention.TimeStamp
		}
		// A failed help reply is logged, not retried: the event is already marked, and an
		// error would only make Slack redeliver it to be dropped as a duplicate.
		if err := d.Poster.PostThread(ctx, e.Mention.Channel, thread, d.Messages.MentionHelp()); err != nil {
			log.Error("app_mention reply failed", "error", err.Error())
		}
		return EventReply{}, nil
	})
}
