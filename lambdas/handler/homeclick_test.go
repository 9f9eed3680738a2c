package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// slackHome plays views.publish as Slack does (and as local/slacksim's stand-in does):
// every publish gives the Home a new hash, and a hash that is not the user's current
// Home's is hash_conflict and writes nothing.
type slackHome struct {
	*fakePoster
	mu        sync.Mutex
	seq       int
	cur       map[string]shownHome
	given     []string // the hash of every views.publish, in order
	conflicts int
}

type shownHome struct {
	view slack.HomeTabViewRequest
	hash string
}

func newSlackHome(p *fakePoster) *slackHome {
	return &slackHome{fakePoster: p, cur: map[string]shownHome{}}
}

func (p *slackHome) PublishHome(_ context.Context, user string, v slack.HomeTabViewRequest, hash string) error {
	if err := slackio.ValidateHome(v); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.given = append(p.given, hash)
	if cur, ok := p.cur[user]; hash != "" && (!ok || cur.hash != hash) {
		p.conflicts++
		return fmt.Errorf("views.publish: %w", slackio.ErrHashConflict)
	}
	p.seq++
	p.cur[user] = shownHome{view: v, hash: "1700000000.h" + strconv.Itoa(p.seq)}
	return nil
}

// home is user's Home now, as text, with its view and hash.
func (p *slackHome) home(t *testing.T, user string) (string, shownHome) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	h, ok := p.cur[user]
	if !ok {
		t.Fatalf("Home of %s: got none published, want one", user)
	}
	return viewText(h.view), h
}

// homeButton finds the Home's button whose action_id starts with kind and whose value
// names channel.
func homeButton(t *testing.T, h shownHome, kind, channel string) clickable {
	t.Helper()
	msg := &slack.Msg{Blocks: h.view.Blocks}
	for _, b := range buttonsOf(msg) {
		if strings.HasPrefix(b.actionID, kind+".") && strings.Contains(b.value, `"c":"`+channel+`"`) {
			return b
		}
	}
	t.Fatalf("Home button %s in %s: got none in %+v, want one", kind, channel, buttonsOf(msg))
	return clickable{}
}

// homeClickBody is the form Slack posts for user clicking b on their Home tab whose hash
// is hash: block_actions from a view container, with the view, without response_url or
// channel (slackio.checkHomeActions cites the shape).
func homeClickBody(user string, b clickable, hash string) string {
	n := strconv.FormatInt(received.Add(1), 10)
	payload := map[string]any{
		"type": "block_actions", "api_app_id": "A1", "token": "legacy", "trigger_id": "1.2." + n,
		"team":      map[string]any{"id": "T1", "domain": "acme"},
		"user":      map[string]any{"id": user, "username": strings.ToLower(user), "name": strings.ToLower(user), "team_id": "T1"},
		"container": map[string]any{"type": "view", "view_id": "VHOME" + user},
		"view": map[string]any{"id": "VHOME" + user, "team_id": "T1", "type": "home", "blocks": []any{},
			"private_metadata": "", "callback_id": "", "state": map[string]any{"values": map[string]any{}}, "hash": hash},
		"actions": []any{map[string]any{
			"type": "button", "block_id": b.blockID, "action_id": b.actionID, "value": b.value,
			"text": map[string]any{"type": "plain_text", "text": "label"}, "action_ts": "1700000001." + n,
		}},
	}
	j, _ := json.Marshal(payload)
	return url.Values{"payload": {string(j)}}.Encode()
}

func (f *fixture) homeClick(t *testing.T, body string) {
	t.Helper()
	reply, err := Interactive(f.deps)(context.Background(), signed(body, now))
	if err != nil || reply != nil {
		t.Fatalf("Home click: got reply %v, error %v; want an empty acknowledgement", reply, err)
	}
}

// openHome is user opening the Home tab for the first time (no view yet).
func (f *fixture) openHome(t *testing.T, user string) {
	t.Helper()
	body := `{"type":"event_callback","team_id":"T1","api_app_id":"A1","event_id":"EvOpen` + strconv.FormatInt(received.Add(1), 10) +
		`","event_time":1,"event":{"type":"app_home_opened","user":"` + user + `","channel":"D1","tab":"home","event_ts":"1.2"}}`
	if _, err := Events(f.deps)(context.Background(), signed(body, now)); err != nil {
		t.Fatalf("app_home_opened: got error %v, want nil", err)
	}
}

func homeFixture(t *testing.T, f *fixture, locale string) (*slackHome, say.Messages) {
	t.Helper()
	m, err := say.NewMessages(locale)
	if err != nil {
		t.Fatal(err)
	}
	p := newSlackHome(f.poster)
	f.deps.Poster, f.deps.Messages = p, m
	return p, m
}

// TestHomeClicks: on both stores and in both languages, Cancel mine on the Home withdraws
// the clicker's order and publishes the Home again over the one clicked on (its hash),
// saying so and offering Order again; Order again orders the item again; and the same
// signed click delivered a second time — after the clicker ordered something else —
// applies nothing.
func TestHomeClicks(t *testing.T) {
	for _, tc := range []struct{ locale, mine, none, cancelled string }{
		{"en", "Your order: *iced americano*", "You have no order in this round.", "withdrawn"},
		{"ko", "내 주문: *iced americano*", "이번 취합에는 내 주문이 없어요.", "취소"},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			pokeStores(t, func(t *testing.T, f *fixture) {
				p, _ := homeFixture(t, f, tc.locale)
				f.update(t, "U1", "iced americano")
				f.update(t, "U2", "green tea")
				f.openHome(t, "U1")
				text, h1 := p.home(t, "U1")
				if !strings.Contains(text, tc.mine) {
					t.Fatalf("Home: got\n%s\nwant %q", text, tc.mine)
				}
				cancel := homeClickBody("U1", homeButton(t, h1, say.ActionHomeCancel, "C1"), h1.hash)
				f.homeClick(t, cancel)
				if got := f.homeOrderOf(t, "U1"); got != "" {
					t.Errorf("U1's order after Cancel mine: got %q, want none", got)
				}
				text, h2 := p.home(t, "U1")
				t.Logf("Home after Cancel mine (%s):\n%s", tc.locale, text)
				if !strings.Contains(text, tc.none) || !strings.Contains(text, tc.cancelled) || strings.Contains(text, tc.mine) {
					t.Errorf("Home after Cancel mine: got\n%s\nwant %q and a notice containing %q, and not %q", text, tc.none, tc.cancelled, tc.mine)
				}
				f.homeClick(t, homeClickBody("U1", homeButton(t, h2, say.ActionHomeAgain, "C1"), h2.hash))
				if got := f.homeOrderOf(t, "U1"); got != "iced americano" {
					t.Errorf("U1's order after Order again: got %q, want iced americano", got)
				}
				if text, _ := p.home(t, "U1"); !strings.Contains(text, tc.mine) {
					t.Errorf("Home after Order again: got\n%s\nwant %q", text, tc.mine)
				}
				if p.conflicts != 0 {
					t.Errorf("hash conflicts: got %d, want 0 (every click was on the current Home)", p.conflicts)
				}
				f.update(t, "U1", "latte")
				f.homeClick(t, cancel) // the first Cancel mine, delivered again
				if got := f.homeOrderOf(t, "U1"); got != "latte" {
					t.Errorf("U1's order after the Cancel mine was delivered again: got %q, want latte (applied once)", got)
				}
			})
		})
	}
}

// TestHomeClickOnAStaleHome: two clicks on one Home — the second publishes with the hash
// of a Home already replaced by the first's (hash_conflict, as Slack answers): it reads
// the rounds again and publishes once more without a hash, so the Home ends up showing
// both changes, not the one the first click's publish showed.
func TestHomeClickOnAStaleHome(t *testing.T) {
	pokeStores(t, func(t *testing.T, f *fixture) {
		p, _ := homeFixture(t, f, "en")
		f.update(t, "U1", "iced americano")
		c2 := orders.Channel{Team: "T1", Channel: "C2"}
		if _, err := f.deps.Orders.Set(context.Background(), c2, "U1", "u1", "mocha", orders.Request{ID: "c2-1", At: now}); err != nil {
			t.Fatal(err)
		}
		f.openHome(t, "U1")
		_, h1 := p.home(t, "U1")
		f.homeClick(t, homeClickBody("U1", homeButton(t, h1, say.ActionHomeCancel, "C1"), h1.hash))
		f.homeClick(t, homeClickBody("U1", homeButton(t, h1, say.ActionHomeCancel, "C2"), h1.hash)) // made on the Home h1, replaced since
		text, _ := p.home(t, "U1")
		if p.conflicts != 1 || strings.Contains(text, "Your order:") || strings.Count(text, "You have no order in this round.") != 2 {
			t.Errorf("Home after two clicks on one Home: got %d conflicts and\n%s\nwant 1 conflict and both rounds without U1's order", p.conflicts, text)
		}
		if want := []string{"", h1.hash, h1.hash, ""}; strings.Join(p.given, ",") != strings.Join(want, ",") {
			t.Errorf("views.publish hashes: got %q, want %q (open, click, stale click, its fresh publish)", p.given, want)
		}
	})
}

// TestHomeClickBadInputChangesNothing: a Home click on a round that has closed since,
// and an Order again naming a channel that is not on the clicker's Home, change nothing
// and are answered on the Home; a Home button clicked from a message is refused.
func TestHomeClickBadInputChangesNothing(t *testing.T) {
	pokeStores(t, func(t *testing.T, f *fixture) {
		p, m := homeFixture(t, f, "en")
		f.update(t, "U1", "iced americano")
		f.openHome(t, "U1")
		_, h1 := p.home(t, "U1")
		cancel := homeButton(t, h1, say.ActionHomeCancel, "C1")
		f.list(t, "U2", "close")
		f.homeClick(t, homeClickBody("U1", cancel, h1.hash))
		text, h2 := p.home(t, "U1")
		if !strings.Contains(text, m.StaleClick().Text) {
			t.Errorf("Home after Cancel mine on a closed round: got\n%s\nwant the notice %q", text, m.StaleClick().Text)
		}
		closed, err := f.deps.Orders.ClosedRounds(context.Background(), orders.Channel{Team: "T1", Channel: "C1"}, 1)
		if err != nil || len(closed) != 1 || len(closed[0].Orders) != 1 {
			t.Errorf("closed round: got %+v, %v; want it to keep U1's order", closed, err)
		}
		foreign := clickable{actionID: say.ActionHomeAgain + ".0", value: `{"c":"C9","i":"latte"}`, blockID: "b1"}
		f.homeClick(t, homeClickBody("U1", foreign, h2.hash))
		if text, _ := p.home(t, "U1"); !strings.Contains(text, m.HomeForeignChannel().Text) {
			t.Errorf("Home after Order again in a channel not on it: got\n%s\nwant the notice %q", text, m.HomeForeignChannel().Text)
		}
		if r, err := f.deps.Orders.Current(context.Background(), orders.Channel{Team: "T1", Channel: "C9"}); err != nil || r.ID != "" {
			t.Errorf("C9 after a refused Order again: got round %+v, %v; want none opened", r, err)
		}
		_, err = Interactive(f.deps)(context.Background(), signed(clickBody("U1", foreign, false), now))
		if api := err; api == nil || !strings.Contains(api.Error(), "from a message container") {
			t.Errorf("Home button clicked on a message: got %v, want refused", err)
		}
	})
}

// homeOrderOf is user's order in C1's open round, read through the service (either store).
func (f *fixture) homeOrderOf(t *testing.T, user string) string {
	t.Helper()
	for _, o := range f.roundOf(t).Orders {
		if o.User == user {
			return o.Item
		}
	}
	return ""
}

// liveHome is a poster with chat.update (the live message) and views.publish (the Home).
type liveHome struct {
	*updatingPoster
	home *slackHome
}

func (p *liveHome) PublishHome(ctx context.Context, user string, v slack.HomeTabViewRequest, hash string) error {
	return p.home.PublishHome(ctx, user, v, hash)
}

// TestHomeClickUpdatesTheLiveMessage: a Cancel mine on the Home of a recurring round's
// order updates the round's live message in the channel (chat.update of its ts), as a
// click on the round message or a typed change does.
func TestHomeClickUpdatesTheLiveMessage(t *testing.T) {
	f, up := liveFixture(t, "1700000000.000555")
	sh := newSlackHome(f.poster)
	f.deps.Poster = &liveHome{updatingPoster: up, home: sh}
	f.update(t, "U2", "mocha")
	if got := waitUpdates(t, up, 1); len(got) != 1 || !strings.Contains(got[0], "mocha") {
		t.Fatalf("typed order: got updates %q, want the live message with mocha", got)
	}
	f.openHome(t, "U2")
	_, h := sh.home(t, "U2")
	f.homeClick(t, homeClickBody("U2", homeButton(t, h, say.ActionHomeCancel, "C1"), h.hash))
	got := waitUpdates(t, up, 1)
	if len(got) != 1 || !strings.HasPrefix(got[0], "C1|1700000000.000555|") || strings.Contains(got[0], "mocha") {
		t.Errorf("Cancel mine on the Home: got updates %q, want the live message updated without mocha", got)
	}
}
