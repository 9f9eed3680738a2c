package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"
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
