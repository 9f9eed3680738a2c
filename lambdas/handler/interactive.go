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
	return observe(d, api.FunctionInteractive, func(ctx context.Context, ev api.Event, log *slog.Logger) (*slackio.ViewResponse, error) {
		if ev.Live != nil {
			return nil, d.trailingLive(ctx, ev, log) // live.go: a trailing update of a live round message
		}
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
// whether it already happened; the round message is replaced with the round as the
// change left it and the clicker gets an ephemeral confirmation.
func (d Deps) click(ctx context.Context, ev api.Event, ic slack.InteractionCallback, log *slog.Logger) error {
	ba := ic.ActionCallback.BlockActions[0]
	a, err := say.DecodeAction(ba.ActionID, ba.Value)
	if err != nil {
		return api.BadRequest(err.Error(), err)
	}
	act, ok := clicks[a.Kind]
	if !ok {
		return api.BadRequest("no change for action "+a.Kind, nil)
	}
	if fromHome := ic.Container.Type == "view"; fromHome != (a.Channel != "") {
		// A Home button clicked on a message, or a message's button on the Home: not
		// what the bot showed.
		return api.BadRequest("action "+a.Kind+" from a "+ic.Container.Type+" container", nil)
	}
	c := clickOf(ic, a, requestOf(ev), ev, log.With("action", a.Kind, "round", a.Round))
	w := act(d, c)
	ans, err := d.within(ctx, w, c.log)
	if err != nil || ev.Deferred || ans.reply == nil {
		return err // failed, answered by this deferred run, or handed over to one
	}
	if w.home != nil {
		return d.answerHome(ctx, w, ans, c.log) // homeclick.go
	}
	return d.answerClick(ctx, w, ans, c.log)
}

// clicks is what each of the round message's buttons asks for, by its action
// (say.Action.Kind): a change, as work. A new button is its line here and its button in
// package say.
var clicks = map[string]func(Deps, clickReq) work{
	say.ActionJoin:   Deps.joinClick,
	say.ActionCancel: Deps.cancelClick,
	say.ActionClose:  Deps.closeClick,
	// The App Home's (homeclick.go).
	say.ActionHomeCancel: Deps.homeCancelClick,
	say.ActionHomeAgain:  Deps.homeAgainClick,
}

// clickReq is what a click asks for, and of whom.
type clickReq struct {
	action    say.Action
	ch        orders.Channel
	user      string
	userName  string
	ephemeral bool // the round message is the clicker's own ephemeral listing
	req       orders.Request
	work      work // answers on the click's response_url, quietly
	log       *slog.Logger
}

// clickOf reads what a click asks for: the round it was made on is the request's
// precondition (the store refuses a click on a round no longer open: ErrStale).
func clickOf(ic slack.InteractionCallback, a say.Action, req orders.Request, ev api.Event, log *slog.Logger) clickReq {
	req.Round = a.Round
	req.User = ic.User.ID // a close records who closed the round
	c := clickReq{
		action: a, ch: orders.Channel{Team: ic.Team.ID, Channel: ic.Channel.ID},
		user: ic.User.ID, userName: ic.User.Name, ephemeral: ic.Container.IsEphemeral, req: req,
		work: work{function: api.FunctionInteractive, ev: ev, responseURL: ic.ResponseURL, quiet: true, channel: ic.Channel.ID, user: ic.User.ID,
			shownTS: ic.Container.MessageTs},
		log: log,
	}
	if a.Channel != "" {
		// A Home click: the button names the channel; the answer is the Home, published
		// again over the one clicked on (its hash).
		c.ch.Channel, c.work.channel = a.Channel, a.Channel
		c.work.home = &homeTarget{team: ic.Team.ID, user: ic.User.ID, hash: ic.View.Hash}
		if a.Kind == say.ActionHomeCancel {
			c.work.home.again.channel, c.work.home.again.item = a.Channel, a.Item
		}
	}
	return c
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

// answerClick posts a click's answer within the synchronous attempt: the round message's
// update, then the reply. One that cannot post in time hands the click over (the deferred
// run posts both again, the reply once).
func (d Deps) answerClick(ctx context.Context, w work, a answer, log *slog.Logger) error {
	msgs := []*slack.Msg{}
	if a.round != nil {
		msgs = append(msgs, say.LiveUpdate(a.round))
	}
	msgs = append(msgs, a.reply)
	pctx, cancel := context.WithTimeout(ctx, clickPostTimeout)
	defer cancel()
	for _, m := range msgs {
		err := d.respond(pctx, w.responseURL, m)
		switch {
		case err == nil:
		case finalPost(err):
			// Never another host, never a retry storm: the clicker's answer goes with the
			// bot token; the round message catches up with the next click.
			if m == a.reply {
				d.tellInstead(ctx, w, a.reply, err, log)
			}
		case d.Deferrer == nil:
			return api.Internal("answer click", err)
		default:
			log.Warn("click answer not posted: deferring", "error", err.Error())
			_, err := d.handOver(ctx, w, log, "response_url post failed")
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
	w := work{function: api.FunctionInteractive, ev: ev, responseURL: sub.Context.ResponseURL, quiet: true, channel: sub.Context.Channel, user: sub.User}
	w = d.work(w, d.setOrder(ch, sub.User, ic.User.Name, sub.Item, requestOf(ev), log), log)
	a, err := d.within(ctx, w, log)
	if err != nil || ev.Deferred || a.reply == nil {
		return nil, err // the modal closes; a deferred run answers
	}
	return nil, d.answerClick(ctx, w, a, log)
}

// joinClick orders the item the button names for the clicker, spelled as the round shows
// it. The button carries only the item's key: an item nobody has any more is not ordered.
func (d Deps) joinClick(c clickReq) work {
	w := c.work
	join := func(item string) change {
		j := d.onMessage(d.setOrder(c.ch, c.user, c.userName, item, c.req, c.log), c)
		j.apply = d.liveApply(w, c.ch, j.apply, c.log) // run here, not through d.work
		return j
	}
	w.do = func(ctx context.Context) (answer, error) {
		cur, err := d.Orders.Current(ctx, c.ch)
		if err != nil {
			return answer{}, api.Internal("read round", err)
		}
		item := spelling(cur, c.action.Key)
		if item == "" && cur.ID == c.action.Round {
			// Nobody has the item any more: the click never applies — recorded, so that a
			// later delivery cannot apply it either — unless an earlier delivery applied it;
			// then it is answered as that one was (issue #21: it was told "nothing changed").
			res, err := d.Orders.Abandon(ctx, c.ch, orders.Target{User: c.user}, c.req)
			switch {
			case err != nil:
				return answer{}, api.Internal("record click", err)
			case res.Outcome == orders.Applied:
				return answer{reply: d.Messages.ItemGone(), round: d.roundMessage(cur, c.ephemeral)}, nil
			}
			return join(c.action.Key).answer(res), nil
		}
		if item == "" {
			// The round has closed (or another is open): the store tells a repeat of an
			// applied click from a stale one; the key stands in for the spelling.
			item = c.action.Key
		}
		return join(item).do(ctx)
	}
	w.giveUp = func(ctx context.Context, last error) answer {
		return d.giveUp(ctx, join(c.action.Key), last, c.log)
	}
	return w
}

// spelling is the item of r whose key is key, as the round shows it; "" when none.
func spelling(r orders.Round, key string) string {
	for _, g := range orders.Tally(r) {
		if orders.ItemKey(g.Item) == key {
			return g.Item
		}
	}
	return ""
}

// cancelClick withdraws the clicker's order.
func (d Deps) cancelClick(c clickReq) work {
	return d.work(c.work, d.onMessage(d.withdraw(c.ch, c.user, c.req), c), c.log)
}

// closeClick closes the round: the message becomes the final tally, and the clicker is
// told so.
func (d Deps) closeClick(c clickReq) work {
	cl := d.close(c.ch, c.req, c.log)
	cl.answer = func(res orders.Result) answer {
		tally := d.closeReply(res)
		switch {
		case res.NoChange || res.Round.ID == "":
			return reply(tally)
		case c.ephemeral:
			// An ephemeral listing cannot become the channel's message: the tally is
			// posted anew (once), and the listing is replaced by the confirmation.
			return answer{reply: tally, round: d.Messages.YouClosed(res.Round)}
		}
		return answer{reply: d.Messages.YouClosed(res.Round), round: tally}
	}
	cl.refused = func(_ context.Context, err error) (answer, error) {
		if errors.Is(err, orders.ErrStale) || errors.Is(err, orders.ErrNoOpenRound) {
			return reply(d.Messages.StaleClick()), nil
		}
		return answer{}, err
	}
	return d.work(c.work, cl, c.log)
}

// onMessage is c made by a click on a round message: its answer also replaces the
// message with the round as the change left it — the round the store returned, read
// once — and a click on a round that is no longer open (ErrStale) changes nothing.
func (d Deps) onMessage(c change, k clickReq) change {
	answerOf, refused := c.answer, c.refused
	c.answer = func(res orders.Result) answer {
		a := answerOf(res)
		a.round = d.roundMessage(res.Round, k.ephemeral)
		return a
	}
	c.refused = func(ctx context.Context, err error) (answer, error) {
		if errors.Is(err, orders.ErrStale) {
			return reply(d.Messages.StaleClick()), nil
		}
		a, err := refused(ctx, err)
		if err == nil {
			// Refused, nothing changed and no round came back: the message shows the
			// round as it is (or stays as it is when it cannot be read).
			if r, rerr := d.Orders.Current(ctx, k.ch); rerr == nil {
				a.round = d.roundMessage(r, k.ephemeral)
			}
		}
		return a, err
	}
	return c
}

// roundMessage is r as its live message, in the team's zone; nil when r is no longer
// open (the message is left as it is: the close has answered).
func (d Deps) roundMessage(r orders.Round, ephemeral bool) *slack.Msg {
	if r.ID == "" || !r.Open() {
		return nil
	}
	return d.Messages.Round(d.inZone(r), !ephemeral, false)
}
