package handler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
)

// Scheduled handles the firings of the schedules a round's deadline creates (its close
// and its reminder): the entry point of api.ScheduleFunction's events that carry only
// Schedule (see api.Event.IsScheduleOnly), which Functions routes here. They come from
// EventBridge Scheduler invoking the function directly, never through API Gateway.
func Scheduled(d Deps) func(context.Context, api.Event) (*slack.Msg, error) {
	return observe(d, api.ScheduleFunction, d.scheduled)
}

// derivedID is the request id of what a schedule does for deadline request by: the same
// for every firing of it.
func derivedID(kind api.ScheduleKind, by string) string {
	sum := sha256.Sum256([]byte("deadline:" + string(kind) + ":" + by))
	return hex.EncodeToString(sum[:16])
}

// scheduled runs a schedule firing. It accepts only the shape a direct invoke makes (see
// api.Event.IsScheduleOnly). Scheduler and Lambda deliver at least once, so the close is
// a request of its own (derivedID) that the store applies once, only while the round's
// deadline is still the one that fired, and the post is claimed like a deferred answer.
func (d Deps) scheduled(ctx context.Context, ev api.Event, log *slog.Logger) (*slack.Msg, error) {
	if !ev.IsScheduleOnly() {
		return nil, api.BadRequest("schedule field alongside a request", nil)
	}
	f := *ev.Schedule
	ch := orders.Channel{Team: f.Team, Channel: f.Channel}
	log = log.With("schedule", string(f.Kind), "deadline_by", f.DeadlineBy, "team", f.Team, "channel", f.Channel)
	if f.Kind == api.ScheduleOpen && f.Recurring != "" && !f.At.IsZero() {
		return nil, d.openOccurrence(ctx, ch, f, log) // occurrence.go
	}
	if f.DeadlineBy == "" || f.Deadline.IsZero() {
		return nil, api.BadRequest("schedule without its deadline", nil)
	}
	switch f.Kind {
	case api.ScheduleClose:
		return nil, d.closeAtDeadline(ctx, ch, f, log)
	case api.ScheduleRemind:
		return nil, d.remind(ctx, ch, f, log)
	}
	return nil, api.BadRequest("unknown schedule kind", nil)
}

func (d Deps) closeAtDeadline(ctx context.Context, ch orders.Channel, f api.ScheduleFire, log *slog.Logger) error {
	req := orders.Request{ID: derivedID(api.ScheduleClose, f.DeadlineBy), At: f.Deadline, DeadlineBy: f.DeadlineBy,
		User: orders.ClosedByDeadline}
	res, err := d.Orders.Close(ctx, ch, req)
	switch {
	case errors.Is(err, orders.ErrStale), errors.Is(err, orders.ErrNoOpenRound):
		log.Info("deadline no longer applies: replaced, removed or closed by hand")
		return nil
	case err != nil:
		return api.Internal("close at deadline", err) // Lambda retries the invocation
	case res.NoChange || res.Round.ID == "":
		log.Info("deadline close found nothing to close")
		return nil
	}
	log.Info("round closed at its deadline", "round", res.Round.ID, "orders", len(res.Round.Orders), "outcome", res.Outcome.String())
	msg := d.Messages.ClosedAtDeadline(res.Round, f.Deadline.In(d.zone()))
	if d.finalLive(ctx, ch, res.Round, req.ID, msg, log) {
		return nil // live.go: the live round message became the final tally
	}
	return d.postToChannel(ctx, req.ID, f, msg, log)
}

func (d Deps) remind(ctx context.Context, ch orders.Channel, f api.ScheduleFire, log *slog.Logger) error {
	r, err := d.Orders.Current(ctx, ch)
	switch {
	case err != nil:
		return api.Internal("read round", err)
	case !r.Open() || r.ID == "" || r.DeadlineBy != f.DeadlineBy:
		log.Info("reminder no longer applies: the deadline was replaced or removed, or the round closed")
		return nil
	}
	msg := d.Messages.Reminder(r, f.Deadline.In(d.zone()), f.Deadline.Sub(f.At))
	return d.postToChannel(ctx, derivedID(api.ScheduleRemind, f.DeadlineBy), f, msg, log)
}

// postToChannel posts msg to the channel once across every firing (id's claim): through
// the deadline-setting command's response_url while Slack still takes it, else with the
// bot token (chat.postMessage). With neither, the round is closed all the same and the
// error is logged: someone's /order-list shows the tally.
func (d Deps) postToChannel(ctx context.Context, id string, f api.ScheduleFire, msg *slack.Msg, log *slog.Logger) error {
	urlOK := f.ResponseURL != "" && d.checkResponseURL(f.ResponseURL) == nil &&
		d.now().Sub(f.SetAt) < api.ResponseURLValidity-respondTimeout
	poster, botOK := d.Poster.(ChannelPoster)
	if !urlOK && (!botOK || d.Poster == nil) {
		log.Error("deadline message not posted: the command's response_url has expired and no bot token is configured")
		return nil
	}
	post := func(ctx context.Context) error {
		pctx, cancel := context.WithTimeout(ctx, respondTimeout)
		defer cancel()
		if urlOK {
			err := d.respond(pctx, f.ResponseURL, msg)
			if !finalPost(err) {
				return err
			}
			if !botOK || d.Poster == nil {
				// Used up or expired early: no retry brings it back.
				log.Error("deadline message not posted: the command's response_url refused it for good and no bot token is configured", "error", err.Error())
				return nil
			}
		}
		_, err := poster.PostMessage(pctx, f.Channel, msg)
		if !cannotPostIn(err) {
			return err
		}
		if f.Kind != api.ScheduleClose || f.User == "" {
			log.Warn("reminder not postable in the channel: the bot is not in it", "error", err.Error())
			return nil // final; the tally, when it comes, goes to the setter
		}
		// A channel the bot cannot post in (private and not invited; public without
		// chat:write.public): no retry changes that. The setter hears it in the app's
		// direct messages, with how to fix it (issue #21, finding 3).
		log.Warn("deadline message not postable in the channel: sent to the setter", "error", err.Error())
		if _, derr := poster.PostMessage(pctx, f.User, d.Messages.NotPostedInChannel(f.Channel, msg)); derr != nil {
			log.Error("deadline message not delivered: the channel refused the bot and so did the setter's direct messages", "error", derr.Error())
		}
		return nil
	}
	if err := d.postOnce(ctx, id, post, orders.RequestMemory, log); err != nil {
		return api.Internal("post deadline message", err)
	}
	return nil
}

// cannotPostIn reports whether Slack refused a chat.postMessage because the bot cannot post
// in that channel: not_in_channel (a public channel, without chat:write.public) or
// channel_not_found (a private channel it was not invited to, which Slack does not reveal).
func cannotPostIn(err error) bool {
	var e slack.SlackErrorResponse
	return errors.As(err, &e) && (e.Err == "not_in_channel" || e.Err == "channel_not_found")
}

// ChannelPoster posts a message to a channel with the bot token (chat.postMessage); a
// Poster that has it posts deadline messages once the command's response_url expired.
type ChannelPoster interface {
	PostMessage(ctx context.Context, channel string, msg *slack.Msg) (string, error)
}
