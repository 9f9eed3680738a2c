package say

import (
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// TestHomeView: the Home in both languages — the notice, an open round with the user's
// order and Cancel mine, one without it and Order again of their last item there, their
// last orders with Order again in that channel, and the recurring rounds of their
// channels with the next opening — within the Home's limits, and every button decodes to
// the action it shows.
func TestHomeView(t *testing.T) {
	seoul, _ := time.LoadLocation("Asia/Seoul")
	now := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC) // Monday 10:00 KST
	c1, c2 := orders.Channel{Team: "T1", Channel: "C1"}, orders.Channel{Team: "T1", Channel: "C2"}
	open := orders.Round{ID: "r1", Channel: c1, Orders: []orders.Order{{User: "U1", Item: "latte"}, {User: "U2", Item: "tea"}}}
	waiting := orders.Round{ID: "r2", Channel: c2, Orders: []orders.Order{{User: "U2", Item: "mocha"}}}
	closed := orders.Round{ID: "r0", Channel: c2, ClosedAt: now.Add(-time.Hour)}
	h := orders.Home{
		Open:      []orders.HomeOrder{{Round: open, Order: open.Orders[0]}},
		Waiting:   []orders.HomeOrder{{Round: waiting, Order: orders.Order{User: "U1", Item: "mocha <b>"}}},
		Last:      []orders.HomeOrder{{Round: closed, Order: orders.Order{User: "U1", Item: "mocha <b>"}}},
		Recurring: []orders.HomeRecurring{{Channel: c1, Recurring: orders.Recurring{ID: "x", Rec: orders.Recurrence{Days: orders.WorkingDays, Open: 11 * 60, Length: 30 * time.Minute}}}},
	}
	for _, tc := range []struct {
		locale string
		want   []string
	}{
		{"en", []string{"Done.", "<#C1> · Order round — 2 orders, 2 items\nYour order: *latte*", "<#C2> · Order round — 1 order, 1 item\nYou have no order in this round.\nLast time: *mocha &lt;b&gt;*",
			"• <#C2>: *mocha &lt;b&gt;* — 09:00 KST", "*Recurring rounds in your channels*", "• <#C1>: weekdays 11:00–11:30 KST — next 11:00 KST"}},
		{"ko", []string{"Done.", "<#C1> · 주문 취합 — 주문 2건, 메뉴 2개\n내 주문: *latte*", "이번 취합에는 내 주문이 없어요.\n지난번: *mocha &lt;b&gt;*", "*내 채널의 정기 취합*", "• <#C1>: 평일 11:00~11:30 KST — 다음: 11:00 KST"}},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			m, err := NewMessages(tc.locale)
			if err != nil {
				t.Fatal(err)
			}
			v := m.Home(h, seoul, now, "Done.")
			if err := slackio.ValidateHome(v); err != nil {
				t.Fatalf("Home: got %v, want a valid Home tab", err)
			}
			text := homeText(v)
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("Home: got\n%s\nwant %q", text, w)
				}
			}
			got := homeActions(t, v)
			want := []Action{{Kind: ActionHomeCancel, Round: "r1", Channel: "C1", Item: "latte"},
				{Kind: ActionHomeAgain, Round: "r2", Channel: "C2", Item: "mocha <b>"}, {Kind: ActionHomeAgain, Channel: "C2", Item: "mocha <b>"}}
			if len(got) != len(want) {
				t.Fatalf("buttons: got %+v, want %+v", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("button %d: got %+v, want %+v", i, got[i], want[i])
				}
			}
		})
	}
}

// TestDecodeHomeActionRefuses: what a Home button never carries is malformed.
func TestDecodeHomeActionRefuses(t *testing.T) {
	for _, tc := range []struct{ id, value string }{
		{"home.cancel.0", `{"c":"C1"}`},                    // a cancel without its round
		{"home.again.0", `{"c":"C1","r":"r1"}`},            // an order again without an item
		{"home.again.0", `{"c":"c1","i":"latte"}`},         // not a channel id
		{"home.again.0", `{"i":"latte","c":"C1"}`},         // not the canonical encoding
		{"home.again.0", `{"c":"C1","i":"latte","x":"1"}`}, // an unknown field
		{"home.again.100", `{"c":"C1","i":"latte"}`},       // past the Home's buttons
		{"home.again.01", `{"c":"C1","i":"latte"}`},        // a leading zero
	} {
		if a, err := DecodeAction(tc.id, tc.value); err == nil {
			t.Errorf("DecodeAction(%s, %s): got %+v, want an error", tc.id, tc.value, a)
		}
	}
}

func homeText(v slack.HomeTabViewRequest) string {
	var lines []string
	for _, b := range v.Blocks.BlockSet {
		switch b := b.(type) {
		case *slack.SectionBlock:
			lines = append(lines, b.Text.Text)
		case *slack.ContextBlock:
			lines = append(lines, b.ContextElements.Elements[0].(*slack.TextBlockObject).Text)
		}
	}
	return strings.Join(lines, "\n")
}

func homeActions(t *testing.T, v slack.HomeTabViewRequest) []Action {
	t.Helper()
	var out []Action
	add := func(b *slack.ButtonBlockElement) {
		a, err := DecodeAction(b.ActionID, b.Value)
		if err != nil {
			t.Errorf("button %s %s: got %v, want it decoded", b.ActionID, b.Value, err)
		}
		out = append(out, a)
	}
	for _, b := range v.Blocks.BlockSet {
		switch b := b.(type) {
		case *slack.ActionBlock:
			for _, e := range b.Elements.ElementSet {
				add(e.(*slack.ButtonBlockElement))
			}
		case *slack.SectionBlock:
			if b.Accessory != nil && b.Accessory.ButtonElement != nil {
				add(b.Accessory.ButtonElement)
			}
		}
	}
	return out
}
