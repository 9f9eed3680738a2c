package history

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say"
	"github.com/orderbot/orderbot/lambdas/schedule"
)

// Histories beyond typed commands (issue #21): clicks on a round message's buttons and
// the order modal's submission, as Slack posts them to the interactivity Request URL, and
// deadlines — set by a typed command, fired by their close schedule as Scheduler invokes
// the function.

// interactive reports whether k arrives at the interactivity Request URL: its answers go
// to response_url, its HTTP answer is an empty acknowledgement.
func (k kind) interactive() bool { return k.clicked() || k == opSubmit }

// functionOf is the function that handles commands of kind k.
func functionOf(k kind) string {
	switch {
	case k.interactive():
		return "interactive"
	case k == opSet || k == opCancel:
		return "order-update"
	}
	return "order-list"
}

// replies are a command's answers among its posts: a click also replaces the round
// message it was made on (replace_original), which answers nobody.
func replies(posts []post) []post {
	var out []post
	for _, p := range posts {
		if !p.msg.ReplaceOriginal {
			out = append(out, p)
		}
	}
	return out
}

// fakeScheduler is EventBridge Scheduler as the handler sees it: it keeps every schedule
// created, deleted or not — Scheduler delivers at least once, and a firing may be under
// way when its schedule is deleted — for world.fire.
type fakeScheduler struct {
	mu    sync.Mutex
	made  map[string]schedule.Schedule
	names []string
}

func (f *fakeScheduler) Create(_ context.Context, s schedule.Schedule) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.made[s.Name]; !ok {
		f.made[s.Name] = s
		f.names = append(f.names, s.Name)
	}
	return nil
}

func (f *fakeScheduler) Delete(context.Context, string) error { return nil }

// closeSchedules are the close schedules created so far.
func (f *fakeScheduler) closeSchedules() []schedule.Schedule {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []schedule.Schedule
	for _, n := range f.names {
		if strings.HasPrefix(n, string(api.ScheduleClose)+"-") {
			out = append(out, f.made[n])
		}
	}
	return out
}

// interact posts an interaction payload for command c, signed and received now.
func (w *world) interact(c *command, ms int64, payload map[string]any) {
	j, err := json.Marshal(payload)
	if err != nil {
		w.problem("interaction payload: %v", err)
		return
	}
	w.deliverFirst(c, "interactive", url.Values{"payload": {string(j)}}.Encode(), ms)
}

// interactionBase is what every interaction payload of user u carries; like Slack's, each
// is unique (trigger_id).
func (w *world) interactionBase(c *command, ms int64) map[string]any {
	u := userID(c.user)
	return map[string]any{
		"api_app_id": "A1", "token": "legacy", "trigger_id": fmt.Sprintf("%d.%d.%d", w.id, c.id, ms),
		"team": map[string]any{"id": w.ch.Team, "domain": "acme"},
		"user": map[string]any{"id": u, "username": strings.ToLower(u), "name": strings.ToLower(u), "team_id": w.ch.Team},
	}
}

// submit submits the order modal of user u's `/order-update` with item typed.
func (w *world) submit(u int, item string) *command {
	c, ms := w.newCommand(u, opSubmit, item)
	meta, _ := json.Marshal(say.ModalContext{Team: w.ch.Team, Channel: w.ch.Channel, ResponseURL: hookPrefix + strconv.Itoa(c.id)})
	p := w.interactionBase(c, ms)
	p["type"] = "view_submission"
	p["response_urls"] = []any{}
	p["view"] = map[string]any{
		"id": "V1", "type": "modal", "callback_id": say.ModalOrder, "private_metadata": string(meta), "hash": "h",
		"state": map[string]any{"values": map[string]any{
			say.BlockText: map[string]any{"text": map[string]any{"type": "plain_text_input", "value": item}},
		}},
	}
	w.interact(c, ms, p)
	return c
}

// click has user u click a button of a round message: the open round as the store holds
// it now, or now and then a round seen earlier (closed since, or still open). A join
// names an item of the round; a round without orders is closed instead.
func (w *world) click(u int, k kind, rng *rand.Rand) *command {
	r, ok := w.roundToClick(rng)
	if !ok {
		return w.send(u, opList, "")
	}
	item := ""
	if k == opJoin && len(r.Orders) > 0 {
		item = r.Orders[rng.IntN(len(r.Orders))].Item
	} else if k == opJoin {
		k = opCloseClick // a round without orders has no join button
	}
	return w.clickOn(u, k, r, item)
}

// clickOn has user u click the button of kind k (a join: of item) on round r's message.
func (w *world) clickOn(u int, k kind, r orders.Round, item string) *command {
	msg := say.Messages{}.Round(r, true, false)
	var (
		b  button
		ok bool
	)
	switch k {
	case opJoin:
		b, ok = buttonOf(msg, say.ActionJoin, orders.ItemKey(item))
	case opCloseClick:
		b, ok = buttonOf(msg, say.ActionClose, "")
	default:
		b, ok = buttonOf(msg, say.ActionCancel, "")
	}
	if !ok {
		return w.send(u, opList, "") // a round without orders shows no buttons
	}
	c, ms := w.newCommand(u, k, item)
	c.round = r.OpenedAt.UnixMilli() - w.startMs
	p := w.interactionBase(c, ms)
	p["type"] = "block_actions"
	p["container"] = map[string]any{"type": "message", "message_ts": "1700000000.000100", "channel_id": w.ch.Channel, "is_ephemeral": false}
	p["channel"] = map[string]any{"id": w.ch.Channel, "name": "coffee"}
	p["message"] = map[string]any{"type": "message", "ts": "1700000000.000100", "text": "round", "blocks": []any{}}
	p["state"] = map[string]any{"values": map[string]any{}}
	p["response_url"] = hookPrefix + strconv.Itoa(c.id)
	p["actions"] = []any{map[string]any{
		"type": "button", "block_id": b.blockID, "action_id": b.actionID, "value": b.value,
		"text": map[string]any{"type": "plain_text", "text": "label"}, "action_ts": fmt.Sprintf("1700000001.%d", c.id),
	}}
	w.interact(c, ms, p)
	return c
}

// roundToClick is the round whose message a click is made on: the open one, read from
// the store itself (faults aside) as the message would show it, or one seen before.
func (w *world) roundToClick(rng *rand.Rand) (orders.Round, bool) {
	r, err := w.inner.OpenRound(context.Background(), w.ch)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err == nil && r.ID != "" {
		w.seen = append(w.seen, r)
	}
	if len(w.seen) == 0 {
		return orders.Round{}, false
	}
	if err != nil || r.ID == "" || rng.IntN(5) == 0 {
		return w.seen[rng.IntN(len(w.seen))], true
	}
	return r, true
}

// button is a button of a message as Slack shows it.
type button struct{ actionID, value, blockID string }

// buttonOf finds the button of msg whose action_id starts with prefix and, for a join,
// whose value names key.
func buttonOf(msg *slack.Msg, prefix, key string) (button, bool) {
	for i, b := range msg.Blocks.BlockSet {
		var els []*slack.ButtonBlockElement
		switch b := b.(type) {
		case *slack.SectionBlock:
			if b.Accessory != nil && b.Accessory.ButtonElement != nil {
				els = append(els, b.Accessory.ButtonElement)
			}
		case *slack.ActionBlock:
			for _, e := range b.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok {
					els = append(els, btn)
				}
			}
		}
		for _, e := range els {
			if !strings.HasPrefix(e.ActionID, prefix) {
				continue
			}
			if a, err := say.DecodeAction(e.ActionID, e.Value); err == nil && a.Key == key {
				return button{e.ActionID, e.Value, "b" + strconv.Itoa(i)}, true
			}
		}
	}
	return button{}, false
}

// fire runs one firing of a close schedule created so far — at any time, as a late or
// repeated firing may come — as Scheduler invokes the function (asynchronously: Lambda
// retries a failed run twice), and reports whether there was one.
func (w *world) fire(rng *rand.Rand) bool {
	all := w.sched.closeSchedules()
	if len(all) == 0 {
		return false
	}
	s := all[rng.IntN(len(all))]
	var ev api.Event
	if err := json.Unmarshal(s.Input, &ev); err != nil || ev.Schedule == nil {
		w.problem("schedule %s: input %s does not decode (%v)", s.Name, s.Input, err)
		return false
	}
	setter := w.commandByRequest(ev.Schedule.DeadlineBy)
	if setter == nil {
		w.problem("schedule %s: no command sent request %s", s.Name, ev.Schedule.DeadlineBy)
		return false
	}
	c, _ := w.newCommand(setter.user, opFire, "")
	c.deadlineBy = setter.at
	// Every firing of one schedule is one request (the handler's derivedID): the first
	// fired stands for it, the others are its repeats, as duplicate deliveries are.
	c.replayOf = w.firstFiring(c)
	sum := sha256.Sum256([]byte("deadline:" + string(api.ScheduleClose) + ":" + ev.Schedule.DeadlineBy))
	c.reqID = hex.EncodeToString(sum[:16]) // handler's derivedID: every firing's request
	ctx := context.WithValue(context.Background(), deliveryKey{}, c.id)
	var err error
	for attempt := 0; attempt < 3 && (attempt == 0 || err != nil); attempt++ {
		rctx, cancel := context.WithTimeout(ctx, deferredReserve+time.Second)
		_, err = w.run["order-list"](rctx, ev)
		cancel()
	}
	w.mu.Lock()
	c.returned = w.since()
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		c.syncErr = err
	}
	w.mu.Unlock()
	return true
}

// firstFiring is the first firing of the schedule c fires, nil when c is.
func (w *world) firstFiring(c *command) *command {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, f := range w.cmds {
		if f.kind == opFire && f.deadlineBy == c.deadlineBy && f != c {
			return f
		}
	}
	return nil
}

// commandByRequest is the command whose first delivery was request id.
func (w *world) commandByRequest(id string) *command {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.cmds {
		if c.reqID == id && c.replayOf == nil {
			return c
		}
	}
	return nil
}
