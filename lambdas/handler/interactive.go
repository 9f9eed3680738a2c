package handler

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// clickPostTimeout bounds the response_url posts a click makes before it acknowledges;
// past it the click is handed to a deferred run, which posts again.
const clickPostTimeout = 800 * time.Millisecond

// Interactive handles the interactivity Request URL: clicks on a round message's buttons
// (block_actions) and the order modal's submission (view_submission). Every message a
// click causes goes to its response_url; the HTTP answer is an empty acknowledgement,
// except a modal's field errors (response_action: errors).
func Interactive(d Deps) func(context.Context, api.Event) (*slackio.ViewResponse, error) {
	return observe(d, "interactive", func(ctx context.Context, ev api.Event, log *slog.Logger) (*slackio.ViewResponse, error) {
		if err := d.verify(ev); err != nil {
			return nil, err
		}
		ic, err := slackio.ParseInteraction(ev.Body)
		switch {
		case errors.Is(err, slackio.ErrUnsupportedInteraction):
			log.Info("interaction ignored", "reason", err.Error())
			return nil, nil
		case err != nil:
			return nil, api.BadRequest(err.Error(), err)
		}
		if ic.Type == slack.InteractionTypeViewSubmission {
			return d.submit(ctx, ev, ic, log)
		}
		return nil, d.click(ctx, ev, ic, log)
	})
}

// click acts on a round message's button: the store decides, by the click's request,
// whether it already happened; the round message is replaced with the round as it is
// now and the clicker gets an ephemeral confirmation.
func (d Deps) click(ctx context.Context, ev api.Event, ic slack.InteractionCallback, log *slog.Logger) error {
	ba := ic.ActionCallback.BlockActions[0]
	a, err := say.DecodeAction(ba.ActionID, ba.Value)
	if err != nil {
		return api.BadRequest(err.Error(), err)
	}
	c := clickOf(ic, a, requestOf(ev))
	log = log.With("action", a.Kind, "round", a.Round)
	var (
		mu     sync.Mutex
		update *slack.Msg // replaces the round message; nil leaves it
	)
	t := task{function: "interactive", ev: ev, responseURL: ic.ResponseURL, quiet: true, channel: c.ch.Channel, user: c.user}
	t.op = func(ctx context.Context) (*slack.Msg, error) {
		reply, upd, err := d.act(ctx, c, log)
		if err == nil && upd != nil && ev.Deferred {
			// The message first, then the clicker's answer (which finish posts, once): a
			// repeat of this run only replaces the message again.
			d.updateMessage(ctx, t.responseURL, upd, log)
			upd = nil
		}
		mu.Lock()
		update = upd
		mu.Unlock()
		return reply, err
	}
	t.giveUp = func(ctx context.Context) *slack.Msg { return d.giveUpClick(ctx, c, log) }
	reply, err := d.within(ctx, t, log)
	if err != nil || reply == nil {
		return err // failed, or handed over to a deferred run (which answers)
	}
	mu.Lock()
	upd := update
	mu.Unlock()
	return d.answerClick(ctx, t, reply, upd, log)
}

// updateMessage replaces the message a click's response_url belongs to. A failure is
// only logged: the click has taken effect, and the message catches up with the next one.
func (d Deps) updateMessage(ctx context.Context, responseURL string, msg *slack.Msg, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, respondTimeout)
	defer cancel()
	if err := d.respond(ctx, responseURL, say.LiveUpdate(msg)); err != nil {
		log.Warn("round message not updated", "error", err.Error())
	}
}

// answerClick posts a click's update and, unless a deferred run already posted it (once),
// its reply. A synchronous attempt that cannot post in time hands the click over.
func (d Deps) answerClick(ctx context.Context, t task, reply, update *slack.Msg, log *slog.Logger) error {
	msgs := []*slack.Msg{}
	if update != nil {
		msgs = append(msgs, say.LiveUpdate(update))
	}
	if !t.ev.Deferred {
		msgs = append(msgs, reply)
	}
	pctx, cancel := context.WithTimeout(ctx, clickPostTimeout)
	if t.ev.Deferred {
		cancel()
		pctx, cancel = context.WithTimeout(ctx, respondTimeout)
	}
	defer cancel()
	for _, m := range msgs {
		if err := d.respond(pctx, t.responseURL, m); err != nil {
			if finalPost(err) {
				// Never another host, never a retry storm: the clicker's answer goes with
				// the bot token; the round message catches up with the next click.
				if m == reply {
					d.tellInstead(ctx, t, reply, err, log)
				}
				continue
			}
			if t.ev.Deferred || d.Deferrer == nil {
				return api.Internal("answer click", err)
			}
			log.Warn("click answer not posted: deferring", "error", err.Error())
			_, err := d.handOver(ctx, t, log, "response_url post failed")
			return err
		}
	}
	return nil
}

// submit sets the order the modal was submitted with. What the person entered is checked
// first, synchronously, so that a problem shows in the modal; the order is then set like
// a typed one, and the answer goes to the command's response_url.
func (d Deps) submit(ctx context.Context, ev api.Event, ic slack.InteractionCallback, log *slog.Logger) (*slackio.ViewResponse, error) {
	sub, err := d.Messages.ParseOrderSubmission(ic)
	var fe *slackio.FieldError
	switch {
	case errors.As(err, &fe):
		r := fe.Response()
		return &r, nil
	case err != nil:
		return nil, api.BadRequest(err.Error(), err)
	}
	ch := orders.Channel{Team: sub.Context.Team, Channel: sub.Context.Channel}
	req := requestOf(ev)
	t := task{function: "interactive", ev: ev, responseURL: sub.Context.ResponseURL, quiet: true, channel: sub.Context.Channel, user: sub.User}
	t.op = func(ctx context.Context) (*slack.Msg, error) {
		return d.set(ctx, ch, sub.User, ic.User.Name, sub.Item, req, log)
	}
	t.giveUp = func(ctx context.Context) *slack.Msg {
		return d.abandonOrder(ctx, ch, sub.User, req, d.Messages.OrderNotSaved(sub.Item), d.setReply(sub.Item, req))
	}
	reply, err := d.within(ctx, t, log)
	if err != nil || reply == nil {
		return nil, err // the modal closes; a deferred run answers
	}
	return nil, d.answerClick(ctx, t, reply, nil, log)
}

// clickOf is what a click asks for, and of whom.
type clickReq struct {
	action    say.Action
	ch        orders.Channel
	user      string
	userName  string
	ephemeral bool // the round message is the clicker's own ephemeral listing
	req       orders.Request
}

func clickOf(ic slack.InteractionCallback, a say.Action, req orders.Request) clickReq {
	req.Round = a.Round
	req.User = ic.User.ID // a close records who closed the round
	return clickReq{
		action: a, ch: orders.Channel{Team: ic.Team.ID, Channel: ic.Channel.ID},
		user: ic.User.ID, userName: ic.User.Name, ephemeral: ic.Container.IsEphemeral, req: req,
	}
}

// act does what the click asks of the round it was made on, and returns the clicker's
// reply and the round message's update. The store decides, in the same conditional
// write, whether that round is still open (req.Round) and whether the click already
// took effect: a repeat is answered as the first delivery was, never as stale.
func (d Deps) act(ctx context.Context, c clickReq, log *slog.Logger) (reply, update *slack.Msg, err error) {
	switch c.action.Kind {
	case say.ActionJoin:
		return d.join(ctx, c, log)
	case say.ActionCancel:
		res, err := d.Orders.Cancel(ctx, c.ch, c.user, c.req)
		switch {
		case errors.Is(err, orders.ErrStale):
			return d.Messages.StaleClick(), nil, nil
		case errors.Is(err, orders.ErrNoOpenRound), errors.Is(err, orders.ErrNoOrder):
			return d.Messages.NothingToCancel(), d.liveRound(ctx, c), nil
		case err != nil:
			return nil, nil, api.Internal("cancel order", err)
		}
		return d.cancelReply(res, c.user), d.liveRound(ctx, c), nil
	default:
		return d.closeByClick(ctx, c, log)
	}
}

// join orders the item the button names for the clicker, spelled as the round shows it.
// The button carries only the item's key: an item nobody has any more is not ordered.
func (d Deps) join(ctx context.Context, c clickReq, log *slog.Logger) (reply, update *slack.Msg, err error) {
	cur, err := d.Orders.Current(ctx, c.ch)
	if err != nil {
		return nil, nil, api.Internal("read round", err)
	}
	item := ""
	for _, g := range orders.Tally(cur) {
		if orders.ItemKey(g.Item) == c.action.Key {
			item = g.Item
			break
		}
	}
	if item == "" && cur.ID == c.action.Round {
		return d.Messages.ItemGone(), d.Messages.Round(cur, !c.ephemeral, false), nil
	}
	if item == "" {
		// The round has closed (or another is open): the store tells a repeat of an
		// applied click from a stale one; the key stands in for the spelling.
		item = c.action.Key
	}
	reply, err = d.set(ctx, c.ch, c.user, c.userName, item, c.req, log)
	switch {
	case errors.Is(err, orders.ErrStale):
		return d.Messages.StaleClick(), nil, nil
	case err != nil:
		return nil, nil, err
	}
	return reply, d.liveRound(ctx, c), nil
}

func (d Deps) closeByClick(ctx context.Context, c clickReq, log *slog.Logger) (reply, update *slack.Msg, err error) {
	res, err := d.Orders.Close(ctx, c.ch, c.req)
	switch {
	case errors.Is(err, orders.ErrStale), errors.Is(err, orders.ErrNoOpenRound):
		return d.Messages.StaleClick(), nil, nil
	case err != nil:
		return nil, nil, api.Internal("close round", err)
	}
	log.Info("round closed", "team", c.ch.Team, "channel", c.ch.Channel, "round", res.Round.ID,
		"orders", len(res.Round.Orders), "outcome", res.Outcome.String())
	tally := d.closeReply(res)
	if c.ephemeral {
		// An ephemeral listing cannot become the channel's message: the tally is posted
		// anew (once), and the listing is replaced by the confirmation.
		return tally, d.Messages.YouClosed(res.Round), nil
	}
	return d.Messages.YouClosed(res.Round), tally, nil
}

// liveRound is the round message as it is now, or nil when it cannot be read (the click
// has taken effect; the message catches up with the next click).
func (d Deps) liveRound(ctx context.Context, c clickReq) *slack.Msg {
	r, err := d.Orders.Current(ctx, c.ch)
	if err != nil {
		return nil
	}
	return d.Messages.Round(d.inZone(r), !c.ephemeral, false)
}

// giveUpClick makes sure a click that kept failing never takes effect, and says so.
func (d Deps) giveUpClick(ctx context.Context, c clickReq, log *slog.Logger) *slack.Msg {
	switch c.action.Kind {
	case say.ActionJoin:
		return d.abandonOrder(ctx, c.ch, c.user, c.req, d.Messages.OrderNotSaved(c.action.Key), d.setReply(c.action.Key, c.req))
	case say.ActionCancel:
		return d.abandonOrder(ctx, c.ch, c.user, c.req, d.Messages.WithdrawalNotSaved(), d.cancelReply)
	}
	res, err := d.Orders.Abandon(ctx, c.ch, orders.Target{Close: true}, c.req)
	switch {
	case err != nil:
		log.Error("abandon failed", "error", err.Error())
		return d.Messages.Unknown()
	case res.Outcome == orders.Applied:
		return d.Messages.NotClosed()
	}
	return d.closeReply(res)
}
