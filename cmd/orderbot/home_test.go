package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/local/slacksim"
)

// TestAppHomeEndToEnd: through `orderbot dev` (the template's functions, dynalite behind
// the policies, the Web API stand-in), a user with an order in an open round of one
// channel and in a closed round of another opens the Home tab (a signed app_home_opened
// event): the events function publishes their Home with views.publish, in the stack's
// language, and the stand-in accepts it within the Home tab's limits.
func TestAppHomeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesizes the stack and runs the binary")
	}
	bin := buildOrderbot(t)
	for _, tc := range []struct {
		locale string
		want   []string
	}{
		{"en", []string{"Your orders", "<#C0HOMEA> · Order round — 2 orders, 2 items\nYour order: *iced americano*", "• <#C0HOMEB>: *라떼 🧊* — "}},
		{"ko", []string{"내 주문", "<#C0HOMEA> · 주문 취합 — 주문 2건, 메뉴 2개\n내 주문: *iced americano*", "• <#C0HOMEB>: *라떼 🧊* — "}},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			p := startDev(t, bin, []string{"ORDERBOT_LOCALE=" + tc.locale})
			ctx := context.Background()
			for _, step := range []struct{ user, channel, command, text string }{
				{"U1", "C0HOMEA", "/order-update", "iced americano"},
				{"U2", "C0HOMEA", "/order-update", "green tea"},
				{"U1", "C0HOMEB", "/order-update", "라떼 🧊"},
				{"U1", "C0HOMEB", "/order-list", "close"},
			} {
				c := p.client(step.user)
				c.Channel = step.channel
				if _, err := c.Command(ctx, step.command, step.text); err != nil {
					t.Fatalf("%s %s %q in %s: got error %v, want an answer", step.user, step.command, step.text, step.channel, err)
				}
			}
			if _, _, err := p.client("U1").Event(ctx, "app_home_opened"); err != nil {
				t.Fatalf("app_home_opened: got error %v, want 200", err)
			}
			home := publishedHome(t, p, "U1")
			t.Logf("Home of U1 (%s):\n%s", tc.locale, home)
			for _, w := range tc.want {
				if !strings.Contains(home, w) {
					t.Errorf("Home: got\n%s\nwant it to contain %q", home, w)
				}
			}
			homeClickScenario(t, newSender(t, bin, p), homeWords[tc.locale])
			p.stop(t)
		})
	}
}

// publishedHome is the text of the one Home the stand-in accepted for user (views.publish
// in GET /_slack/calls): header, section and context texts, one per line.
func publishedHome(t *testing.T, p *devProcess, user string) string {
	t.Helper()
	resp, err := http.Get(p.url + SlackCallsPath + "?method=views.publish")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var calls []struct {
		Args  map[string]string `json:"args"`
		OK    bool              `json:"ok"`
		Error string            `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&calls); err != nil {
		t.Fatalf("GET %s: got %v, want a JSON array", SlackCallsPath, err)
	}
	if len(calls) != 1 || !calls[0].OK || calls[0].Args["user_id"] != user {
		t.Fatalf("views.publish calls: got %+v, want one accepted for %s", calls, user)
	}
	var v slack.HomeTabViewRequest
	if err := json.Unmarshal([]byte(calls[0].Args["view"]), &v); err != nil {
		t.Fatalf("views.publish view: got %v, want a Home view\n%s", err, calls[0].Args["view"])
	}
	if v.Type != slack.VTHomeTab {
		t.Errorf("view type: got %q, want %q", v.Type, slack.VTHomeTab)
	}
	var lines []string
	for _, b := range v.Blocks.BlockSet {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			lines = append(lines, b.Text.Text)
		case *slack.SectionBlock:
			lines = append(lines, b.Text.Text)
		case *slack.ContextBlock:
			for _, e := range b.ContextElements.Elements {
				if t, ok := e.(*slack.TextBlockObject); ok {
					lines = append(lines, t.Text)
				}
			}
		case *slack.DividerBlock:
			lines = append(lines, "———")
		}
	}
	return strings.Join(lines, "\n")
}

// homeWords are what the Home says in each language, for homeClickScenario.
var homeWords = map[string]struct{ mine, none, cancelled, again, list1, list2 string }{
	"en": {"Your order: *iced americano*", "You have no order in this round.", "Your order is withdrawn", "[Order again]", "1 order", "2 orders"},
	"ko": {"내 주문: *iced americano*", "이번 취합에는 내 주문이 없어요.", "주문을 취소했어요", "[다시 주문]", "주문 1건", "주문 2건"},
}

// homeClickScenario drives U1's Home with `orderbot send --home` as a person would: open
// it, Cancel mine (the round loses the order; the Home says so and offers Order again),
// Order again (the order is back); then the same signed Home click delivered twice
// applies once (dynalite), and a click made on a Home replaced since (a stale hash: the
// stand-in answers hash_conflict) still leaves the Home current.
func homeClickScenario(t *testing.T, s *sender, w struct{ mine, none, cancelled, again, list1, list2 string }) {
	out := s.want([]string{"--home", "--user", "U1"}, w.mine, "home.cancel.0")
	t.Logf("orderbot send --home --user U1:\n%s", out)
	out = s.want([]string{"--home", "--user", "U1", "--click", "home.cancel.0"}, w.none, w.cancelled, w.again, "home.again.50")
	t.Logf("orderbot send --home --user U1 --click home.cancel.0:\n%s", out)
	s.want([]string{"--channel", "C0HOMEA", "--user", "U2", "/order-list"}, w.list1)
	out = s.want([]string{"--home", "--user", "U1", "--click", "home.again.50"}, w.mine)
	t.Logf("orderbot send --home --user U1 --click home.again.50:\n%s", out)
	s.want([]string{"--channel", "C0HOMEA", "--user", "U2", "/order-list"}, w.list2)

	ctx := context.Background()
	c := s.dev.client("U1")
	shown, err := currentHome(ctx, c, "", 0)
	if err != nil || shown == nil {
		t.Fatalf("U1's Home: got %v, %v; want one", shown, err)
	}
	payload, err := c.HomeBlockActions(*shown, "home.cancel.0", "")
	if err != nil {
		t.Fatal(err)
	}
	body := slacksim.InteractionBody(payload)
	signed := c.Headers(body) // one signed request, delivered twice
	for i := range 2 {
		if r, err := c.Post(ctx, interactivePath(), api.ContentTypeForm, body, signed); err != nil || !r.OK() {
			t.Fatalf("Home click delivery %d: got %v, %v; want 200", i+1, r, err)
		}
		if i == 0 {
			s.want([]string{"--channel", "C0HOMEA", "--user", "U1", "/order-update", "latte"})
		}
	}
	s.want([]string{"--channel", "C0HOMEA", "--user", "U2", "/order-list"}, "latte", w.list2)
	// shown's hash is stale now (the first delivery's publish replaced it): the second
	// delivery's publish met hash_conflict and published the Home afresh.
	calls := slackCalls(t, s.dev)
	conflicts, last := 0, calls[len(calls)-1]
	for _, call := range calls {
		if call.Method == "views.publish" && call.Error == "hash_conflict" {
			conflicts++
		}
	}
	if conflicts != 1 || last.Method != "views.publish" || !last.OK || last.Args["hash"] != "" || !strings.Contains(last.Args["view"], "latte") {
		t.Errorf("views.publish after a stale Home click: got %d hash_conflicts, last call %s ok=%v hash=%q; want 1, then an accepted publish without a hash showing latte",
			conflicts, last.Method, last.OK, last.Args["hash"])
	}
}
