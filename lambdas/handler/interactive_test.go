package handler

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// posted records what the handlers post to response_urls.
type posted struct {
	mu   sync.Mutex
	msgs []postedMsg
}

type postedMsg struct {
	url string
	msg slack.Msg
}

func (p *posted) respond(_ context.Context, u string, msg *slack.Msg) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, postedMsg{u, *msg})
	return nil
}

// take returns what was posted since the last take.
func (p *posted) take() []postedMsg {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.msgs
	p.msgs = nil
	return out
}

func interactiveFixture(t *testing.T) (*fixture, *posted) {
	t.Helper()
	f := newFixture(t)
	p := &posted{}
	f.deps.Respond = p.respond
	return f, p
}

// clickable is a button of a message as Slack shows it.
type clickable struct{ actionID, value, blockID string }

// buttonsOf lists msg's buttons: section accessories and actions blocks' elements.
func buttonsOf(msg *slack.Msg) []clickable {
	var out []clickable
	for i, b := range msg.Blocks.BlockSet {
		id := "b" + strconv.Itoa(i)
		switch b := b.(type) {
		case *slack.SectionBlock:
			if b.Accessory != nil && b.Accessory.ButtonElement != nil {
				out = append(out, clickable{b.Accessory.ButtonElement.ActionID, b.Accessory.ButtonElement.Value, id})
			}
		case *slack.ActionBlock:
			for _, e := range b.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok {
					out = append(out, clickable{btn.ActionID, btn.Value, id})
				}
			}
		}
	}
	return out
}

// button finds the button whose action_id starts with prefix and, for a join, whose
// value names key.
func button(t *testing.T, msg *slack.Msg, prefix, key string) clickable {
	t.Helper()
	for _, b := range buttonsOf(msg) {
		if strings.HasPrefix(b.actionID, prefix) && (key == "" || strings.Contains(b.value, strconv.Quote(key)[1:len(strconv.Quote(key))-1])) {
			return b
		}
	}
	t.Fatalf("button %s %q: got none in %+v, want one", prefix, key, buttonsOf(msg))
	return clickable{}
}

// clickBody is the form Slack posts for user clicking b on a message in channel C1; like
// Slack's, every click's body is unique (action_ts, trigger_id).
func clickBody(user string, b clickable, ephemeral bool) string {
	n := strconv.FormatInt(received.Add(1), 10)
	payload := map[string]any{
		"type": "block_actions", "api_app_id": "A1", "token": "legacy", "trigger_id": "1.2." + n,
		"team":         map[string]any{"id": "T1", "domain": "acme"},
		"user":         map[string]any{"id": user, "username": strings.ToLower(user), "name": strings.ToLower(user), "team_id": "T1"},
		"container":    map[string]any{"type": "message", "message_ts": "1700000000.000100", "channel_id": "C1", "is_ephemeral": ephemeral},
		"channel":      map[string]any{"id": "C1", "name": "coffee"},
		"state":        map[string]any{"values": map[string]any{}},
		"response_url": "https://hooks.slack.com/actions/T1/" + n + "/x",
		"actions": []any{map[string]any{
			"type": "button", "block_id": b.blockID, "action_id": b.actionID, "value": b.value,
			"text": map[string]any{"type": "plain_text", "text": "label"}, "action_ts": "1700000001." + n,
		}},
	}
	if !ephemeral {
		payload["message"] = map[string]any{"type": "message", "ts": "1700000000.000100", "text": "round", "blocks": []any{}}
	}
	j, _ := json.Marshal(payload)
	return url.Values{"payload": {string(j)}}.Encode()
}

func (f *fixture) click(t *testing.T, user string, b clickable, ephemeral bool) {
	t.Helper()
	reply, err := Interactive(f.deps)(context.Background(), signed(clickBody(user, b, ephemeral), now))
	if err != nil || reply != nil {
		t.Fatalf("click %s by %s: got reply %v, error %v; want an empty acknowledgement", b.actionID, user, reply, err)
	}
}

func (f *fixture) orderOf(t *testing.T, user string) string {
	t.Helper()
	for _, o := range f.openRound(t).Orders {
		if o.User == user {
			return o.Item
		}
	}
	return ""
}

// wantPosts checks a click's posts: first the round message replaced (when update is
// not ""), then the clicker's ephemeral answer, each holding its text.
func wantPosts(t *testing.T, got []postedMsg, update, reply string) {
	t.Helper()
	var want []string
	if update != "" {
		want = append(want, "update:"+update)
	}
	want = append(want, "reply:"+reply)
	if len(got) != len(want) {
		t.Fatalf("posts: got %d %+v, want %d (%v)", len(got), got, len(want), want)
	}
	i := 0
	if update != "" {
		if m := got[0].msg; !m.ReplaceOriginal || !strings.Contains(m.Text, update) {
			t.Errorf("update: got replace_original %v, text %q; want the original replaced with text containing %q", m.ReplaceOriginal, m.Text, update)
		}
		i++
	}
	if m := got[i].msg; m.ReplaceOriginal || m.ResponseType != slack.ResponseTypeEphemeral || !strings.Contains(m.Text, reply) {
		t.Errorf("reply: got replace_original %v, %s, text %q; want a new ephemeral message containing %q", m.ReplaceOriginal, m.ResponseType, m.Text, reply)
	}
}

func TestClicksRunARound(t *testing.T) {
	f, p := interactiveFixture(t)
	f.update(t, "U1", "Iced Latte")
	shared := f.list(t, "U1", "share")

	f.click(t, "U2", button(t, shared, say.ActionJoin, "iced latte"), false)
	if got := f.orderOf(t, "U2"); got != "Iced Latte" {
		t.Fatalf("U2's order after +1 same: got %q, want %q (the round's spelling)", got, "Iced Latte")
	}
	wantPosts(t, p.take(), "2 orders", "*Iced Latte*")

	// A double click: a second payload of the same button changes nothing more.
	f.click(t, "U2", button(t, shared, say.ActionJoin, "iced latte"), false)
	if n := len(f.openRound(t).Orders); n != 2 {
		t.Fatalf("orders after a double click: got %d, want 2", n)
	}
	wantPosts(t, p.take(), "2 orders", "*Iced Latte*")

	f.click(t, "U2", button(t, shared, say.ActionCancel, ""), false)
	if got := f.orderOf(t, "U2"); got != "" {
		t.Fatalf("U2's order after Cancel mine: got %q, want none", got)
	}
	wantPosts(t, p.take(), "1 order", "withdrawn")

	f.click(t, "U3", button(t, shared, say.ActionClose, ""), false)
	if r := f.openRound(t); r.ID != "" {
		t.Fatalf("open round after Close round: got %s, want none", r.ID)
	}
	got := p.take()
	wantPosts(t, got, "final tally", "You closed the round")
	if got[0].msg.ResponseType != slack.ResponseTypeInChannel {
		t.Errorf("final tally: got %s, want in_channel", got[0].msg.ResponseType)
	}
	if n := len(buttonsOf(&got[0].msg)); n != 0 {
		t.Errorf("buttons on the final tally: got %d, want none", n)
	}
}

// A click on a message of a round that has closed changes nothing — not even by opening
// the next round — and says so.
func TestClickOnAClosedRoundChangesNothing(t *testing.T) {
	f, p := interactiveFixture(t)
	f.update(t, "U1", "mocha")
	shared := f.list(t, "U1", "share")
	f.list(t, "U1", "close")

	for _, b := range []clickable{button(t, shared, say.ActionJoin, "mocha"), button(t, shared, say.ActionCancel, ""), button(t, shared, say.ActionClose, "")} {
		f.click(t, "U2", b, false)
		if r := f.openRound(t); r.ID != "" {
			t.Fatalf("%s on a closed round: got round %s opened with %+v, want no open round", b.actionID, r.ID, r.Orders)
		}
		wantPosts(t, p.take(), "", "already closed")
	}

	// And a round opened since is not the message's round either.
	f.update(t, "U3", "tea")
	f.click(t, "U2", button(t, shared, say.ActionClose, ""), false)
	if r := f.openRound(t); r.ID == "" || len(r.Orders) != 1 {
		t.Fatalf("round after a stale close click: got %+v, want the new round open with U3's tea", r)
	}
	wantPosts(t, p.take(), "", "already closed")
}

func TestClickOnEphemeralListingClosesIntoTheChannel(t *testing.T) {
	f, p := interactiveFixture(t)
	f.update(t, "U1", "chai")
	listing := f.list(t, "U1", "")
	f.click(t, "U1", button(t, listing, say.ActionClose, ""), true)
	got := p.take()
	if len(got) != 2 {
		t.Fatalf("posts: got %d %+v, want the listing replaced and the tally posted anew", len(got), got)
	}
	if m := got[0].msg; !m.ReplaceOriginal || !strings.Contains(m.Text, "You closed the round") {
		t.Errorf("listing: got replace_original %v, text %q; want it replaced with the confirmation", m.ReplaceOriginal, m.Text)
	}
	if m := got[1].msg; m.ReplaceOriginal || m.ResponseType != slack.ResponseTypeInChannel || !strings.Contains(m.Text, "final tally") {
		t.Errorf("tally: got replace_original %v, %s, text %q; want a new in_channel final tally", m.ReplaceOriginal, m.ResponseType, m.Text)
	}
}

func TestRefusedInteractionsChangeNothing(t *testing.T) {
	f, p := interactiveFixture(t)
	f.update(t, "U1", "latte")
	shared := f.list(t, "U1", "share")
	join := button(t, shared, say.ActionJoin, "latte")
	body := clickBody("U2", join, false)

	forged := signed(body, now)
	forged.Headers.Signature = []byte(slackio.Sign([]byte("not-the-secret"), string(forged.Headers.Timestamp), forged.Body))
	stale := signed(body, now.Add(-6*60e9))
	tampered := signed(body, now)
	tampered.Body = []byte(strings.Replace(body, "U2", "U9", 1))
	badValue := join
	badValue.value = strings.Replace(join.value, `"k"`, `"K"`, 1)
	unknownAction := join
	unknownAction.actionID = "round.explode"
	for _, tc := range []struct {
		name string
		ev   api.Event
		code api.Code
	}{
		{"forged", forged, api.CodeUnauthorized},
		{"stale", stale, api.CodeUnauthorized},
		{"tampered", tampered, api.CodeUnauthorized},
		{"not a form", signed(`{"type":"block_actions"}`, now), api.CodeBadRequest},
		{"payload not JSON", signed("payload=%7Bnope", now), api.CodeBadRequest},
		{"value not ours", signed(clickBody("U2", badValue, false), now), api.CodeBadRequest},
		{"unknown action", signed(clickBody("U2", unknownAction, false), now), api.CodeBadRequest},
	} {
		_, err := Interactive(f.deps)(context.Background(), tc.ev)
		if got := api.CodeOf(err); got != tc.code {
			t.Errorf("%s: got code %q (%v), want %q", tc.name, got, err, tc.code)
		}
	}
	if got := f.orderOf(t, "U2"); got != "" {
		t.Errorf("U2's order after refused clicks: got %q, want none", got)
	}
	if got := p.take(); len(got) != 0 {
		t.Errorf("posts after refused clicks: got %+v, want none", got)
	}

	// An interaction orderbot does not act on is acknowledged and ignored.
	shortcut := url.Values{"payload": {`{"type":"shortcut","team":{"id":"T1"},"user":{"id":"U2"},"callback_id":"x","trigger_id":"1.2.3"}`}}.Encode()
	if reply, err := Interactive(f.deps)(context.Background(), signed(shortcut, now)); reply != nil || err != nil {
		t.Errorf("shortcut: got %v, %v; want an empty acknowledgement", reply, err)
	}
}

// submitBody is the view_submission of the order modal v with typed text.
func submitBody(user string, v slack.ModalViewRequest, typed string) string {
	payload := map[string]any{
		"type": "view_submission", "api_app_id": "A1", "token": "legacy", "trigger_id": "1.2." + strconv.FormatInt(received.Add(1), 10),
		"team": map[string]any{"id": "T1", "domain": "acme"},
		"user": map[string]any{"id": user, "username": strings.ToLower(user), "name": strings.ToLower(user), "team_id": "T1"},
		"view": map[string]any{
			"id": "V1", "type": "modal", "callback_id": v.CallbackID, "private_metadata": v.PrivateMetadata, "hash": "h",
			"state": map[string]any{"values": map[string]any{
				say.BlockText: map[string]any{"text": map[string]any{"type": "plain_text_input", "value": typed}},
			}},
		},
		"response_urls": []any{},
	}
	j, _ := json.Marshal(payload)
	return url.Values{"payload": {string(j)}}.Encode()
}

func TestOrderModal(t *testing.T) {
	f, p := interactiveFixture(t)
	f.update(t, "U1", "flat white")
	if msg := f.update(t, "U2", ""); !strings.Contains(msg.Text, "/order-update") {
		t.Fatalf("/order-update alone without views.open: got %q, want the usage", msg.Text)
	}
	f.poster.modals = true
	if msg := f.update(t, "U2", ""); msg != nil {
		t.Fatalf("/order-update alone with a bot token: got reply %q, want none (the modal)", msg.Text)
	}
	if len(f.poster.views) != 1 {
		t.Fatalf("views opened: got %d, want 1", len(f.poster.views))
	}
	v := f.poster.views[0]
	if err := slackio.ValidateView(v); err != nil {
		t.Fatalf("modal: got invalid view %v, want a valid one", err)
	}
	if !strings.Contains(mustJSON(t, v), "flat white") {
		t.Errorf("modal: got %s, want the round's item offered", mustJSON(t, v))
	}

	reply, err := Interactive(f.deps)(context.Background(), signed(submitBody("U2", v, "  "), now))
	if err != nil || reply == nil || reply.ResponseAction != "errors" || reply.Errors[say.BlockText] == "" {
		t.Fatalf("empty submission: got %+v, %v; want field errors under %s", reply, err, say.BlockText)
	}
	if reply, err := Interactive(f.deps)(context.Background(), signed(submitBody("U2", v, "oat latte"), now)); reply != nil || err != nil {
		t.Fatalf("submission: got %+v, %v; want the modal closed", reply, err)
	}
	if got := f.orderOf(t, "U2"); got != "oat latte" {
		t.Fatalf("U2's order after the modal: got %q, want %q", got, "oat latte")
	}
	got := p.take()
	if len(got) != 1 || !strings.Contains(got[0].msg.Text, "*oat latte*") || got[0].url != "https://hooks.slack.com/commands/T1/1/x" {
		t.Fatalf("answer to the modal: got %+v, want one post of the order to the command's response_url", got)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding %T: got error %v, want nil", v, err)
	}
	return string(b)
}

// readCounter counts the reads of the open round a handler makes.
type readCounter struct {
	orders.Store
	reads atomic.Int64
}

func (c *readCounter) OpenRound(ctx context.Context, ch orders.Channel) (orders.Round, error) {
	c.reads.Add(1)
	return c.Store.OpenRound(ctx, ch)
}

// TestClickReadsTheRoundOnce (issue #25): the round message a click leaves is the round
// the store returned from the change — every returned round reflects the state right
// after the operation — not a second read: "+1 same" reads the round once (for the
// item's spelling, which the button does not carry), "Cancel mine" not at all.
func TestClickReadsTheRoundOnce(t *testing.T) {
	f, p := interactiveFixture(t)
	f.update(t, "U1", "Iced Latte")
	shared := f.list(t, "U1", "share")
	counter := &readCounter{Store: f.store}
	f.deps.Orders = &orders.Service{Store: counter, Now: f.deps.Orders.Now}

	f.click(t, "U2", button(t, shared, say.ActionJoin, "iced latte"), false)
	wantPosts(t, p.take(), "2 orders", "*Iced Latte*")
	if n := counter.reads.Swap(0); n != 1 {
		t.Errorf("+1 same: got %d reads of the open round, want 1", n)
	}
	f.click(t, "U2", button(t, shared, say.ActionCancel, ""), false)
	wantPosts(t, p.take(), "1 order", "withdrawn")
	if n := counter.reads.Swap(0); n != 0 {
		t.Errorf("Cancel mine: got %d reads of the open round, want none", n)
	}
}
