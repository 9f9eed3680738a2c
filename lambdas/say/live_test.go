package say

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// button is a button of a message with where it is.
type button struct {
	block int
	btn   *slack.ButtonBlockElement
}

// buttonsOf lists a message's buttons: section accessories and actions elements.
func buttonsOf(msg *slack.Msg) (buttons []button, actionBlocks int) {
	for i, b := range msg.Blocks.BlockSet {
		switch x := b.(type) {
		case *slack.SectionBlock:
			if x.Accessory != nil && x.Accessory.ButtonElement != nil {
				buttons = append(buttons, button{i, x.Accessory.ButtonElement})
			}
		case *slack.ActionBlock:
			actionBlocks++
			for _, el := range x.Elements.ElementSet {
				buttons = append(buttons, button{i, el.(*slack.ButtonBlockElement)})
			}
		}
	}
	return buttons, actionBlocks
}

// checkLive checks an open round's message: it is valid (also as Slack's JSON, read back
// as slacksim does), every button decodes to the round and, for a join, to an item of
// it; join buttons go to the first items in tally order, one each; one actions block
// holds cancel and close.
func checkLive(t *testing.T, m Messages, label string, r orders.Round, msg *slack.Msg) {
	t.Helper()
	checkRound(t, m, label, r, msg)
	b, err := json.Marshal(msg)
	if err != nil {
		t.Fatalf("%s: marshal: %v", label, err)
	}
	var back slack.Msg
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("%s: unmarshal: %v", label, err)
	}
	if err := slackio.Validate(&back); err != nil {
		t.Fatalf("%s: Validate(JSON round trip): got error %v, want nil", label, err)
	}
	groups := orders.Tally(r)
	buttons, actionBlocks := buttonsOf(&back)
	if actionBlocks != 1 {
		t.Fatalf("%s: actions blocks: got %d, want 1", label, actionBlocks)
	}
	joins, kinds := 0, map[string]int{}
	for _, b := range buttons {
		a, err := DecodeAction(b.btn.ActionID, b.btn.Value)
		if err != nil {
			t.Fatalf("%s: block %d: DecodeAction(%q, %q): got error %v, want nil", label, b.block, b.btn.ActionID, b.btn.Value, err)
		}
		if a.Round != r.ID {
			t.Fatalf("%s: block %d: button round: got %q, want %q", label, b.block, a.Round, r.ID)
		}
		kinds[a.Kind]++
		if a.Kind != ActionJoin {
			continue
		}
		if want := orders.ItemKey(groups[joins].Item); a.Key != want || b.btn.ActionID != joinActionID(joins) {
			t.Fatalf("%s: join button %d: got key %q, action_id %q, want %q, %q (tally order)", label, joins, a.Key, b.btn.ActionID, want, joinActionID(joins))
		}
		joins++
	}
	if kinds[ActionCancel] != 1 || kinds[ActionClose] != 1 {
		t.Fatalf("%s: cancel and close buttons: got %d and %d, want 1 each", label, kinds[ActionCancel], kinds[ActionClose])
	}
	if len(groups) <= maxGroupBlocks-1 && joins != len(groups) {
		t.Fatalf("%s: %d items fit a section each: got %d join buttons, want %d", label, len(groups), joins, len(groups))
	}
	if joins < min(len(groups), minJoinButtons) {
		t.Fatalf("%s: join buttons: got %d, want at least %d", label, joins, min(len(groups), minJoinButtons))
	}
}

// checkDead checks a message without buttons (a final tally).
func checkDead(t *testing.T, label string, msg *slack.Msg) {
	t.Helper()
	if buttons, actionBlocks := buttonsOf(msg); len(buttons) != 0 || actionBlocks != 0 {
		t.Fatalf("%s: got %d buttons in %d actions blocks, want none", label, len(buttons), actionBlocks)
	}
}

func TestLiveRound(t *testing.T) {
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	r := orders.Round{ID: testRound, OpenedAt: at, Orders: []orders.Order{
		{User: "U1", Item: "Iced  Americano", At: at},
		{User: "U2", Item: "latte", At: at.Add(time.Second)},
		{User: "U3", Item: "iced americano", At: at.Add(2 * time.Second)},
	}}
	msg := en.Round(r, true, false)
	checkLive(t, Messages{}, "shared", r, msg)
	checkLive(t, Messages{}, "listing", r, en.Round(r, false, false))
	blocks := msg.Blocks.BlockSet
	first := blocks[1].(*slack.SectionBlock)
	if first.Text.Text != "*2× Iced  Americano* — <@U1>, <@U3>" || first.Accessory.ButtonElement.Text.Text != "+1 same" {
		t.Fatalf("first item: got %q with button %q, want the most ordered item with \"+1 same\"", first.Text.Text, first.Accessory.ButtonElement.Text.Text)
	}
	if got := first.Accessory.ButtonElement.Value; got != `{"r":"`+testRound+`","k":"iced americano"}` {
		t.Fatalf("join value: got %s, want the round id and the item key only", got)
	}
	actions := blocks[3].(*slack.ActionBlock).Elements.ElementSet
	cancel, closeBtn := actions[0].(*slack.ButtonBlockElement), actions[1].(*slack.ButtonBlockElement)
	if cancel.Text.Text != "Cancel mine" || closeBtn.Text.Text != "Close round" {
		t.Fatalf("actions: got %q and %q, want \"Cancel mine\" and \"Close round\"", cancel.Text.Text, closeBtn.Text.Text)
	}
	c := closeBtn.Confirm
	if c == nil || c.Confirm.Text != "Close it" || c.Deny.Text != "Keep it open" || c.Style != slack.StyleDanger || c.Title.Text == "" || c.Text.Text == "" {
		t.Fatalf("close confirmation: got %+v, want a title, a text, \"Close it\", \"Keep it open\", style danger", c)
	}
	if cancel.Confirm != nil {
		t.Fatalf("cancel: got a confirmation, want none")
	}
	closed := r
	closed.ClosedAt = at.Add(time.Minute)
	checkDead(t, "final tally", en.Round(closed, true, true))
	checkDead(t, "empty round", en.Round(orders.Round{ID: testRound}, true, false))
}

// TestLiveRoundWithoutRoundID: a round id no button can carry leaves the message as it
// was, without buttons — never a button whose click fails.
func TestLiveRoundWithoutRoundID(t *testing.T) {
	for _, id := range []string{"", "r 1", strings.Repeat("r", 101), "r\n1"} {
		r := roundOf(3, func(i int) string { return "item " + strconv.Itoa(i) })
		r.ID = id
		msg := en.Round(r, true, false)
		checkRound(t, Messages{}, fmt.Sprintf("round id %q", id), r, msg)
		checkDead(t, fmt.Sprintf("round id %q", id), msg)
	}
}

// TestLiveRoundRandom is the property: for random rounds — items of Korean, emoji,
// markup characters and newlines, 0 to 250 orders, up to 300 items — the open round's
// message passes Validate, and every button decodes to this round and an item of it.
func TestLiveRoundRandom(t *testing.T) {
	forEachLocale(t, testLiveRoundRandom)
}

func testLiveRoundRandom(t *testing.T, m Messages) {
	g := textGen{rand.New(rand.NewPCG(12, 34))}
	runs := 100
	if testing.Short() {
		runs = 20
	}
	for i := range runs {
		n, k := g.rng.IntN(orders.MaxOrders+1), 1+g.rng.IntN(300)
		worst := g.rng.IntN(4) == 0
		r := g.round(n, k, func(j int) string {
			prefix := strconv.Itoa(j) + " "
			if worst {
				return prefix + g.worst(orders.MaxItemRunes-len(prefix))
			}
			if g.rng.IntN(10) == 0 {
				return prefix + "two\nlines " + g.item(20)
			}
			return prefix + g.item(g.rng.IntN(orders.MaxItemRunes-len(prefix)))
		})
		r.ID = orders.NewRoundID(r.OpenedAt)
		label := fmt.Sprintf("run %d (%d orders, %d items)", i, n, len(orders.Tally(r)))
		if n == 0 {
			checkDead(t, label, m.Round(r, true, false))
			continue
		}
		checkLive(t, m, label+" shared", r, m.Round(r, true, false))
		checkLive(t, m, label+" listing", r, m.Round(r, false, false))
		closed := r
		closed.ClosedAt = r.OpenedAt.Add(time.Hour)
		checkDead(t, label+" closed", m.Round(closed, true, true))
	}
}

// TestLiveRoundManyItems: 250 short items get as many buttons as leave every item
// shown; 250 items of 200 "&" (1,000 characters each once escaped) cannot all be shown,
// and the most ordered keep their buttons.
func TestLiveRoundManyItems(t *testing.T) {
	short := roundOf(orders.MaxOrders, func(i int) string { return fmt.Sprintf("item %03d", i) })
	short.ID = testRound
	msg := en.Round(short, true, false)
	checkLive(t, Messages{}, "250 short items", short, msg)
	buttons, _ := buttonsOf(msg)
	if text := blocksText(t, msg); strings.Contains(text, "items more.") {
		t.Fatalf("250 short items: got some left out, want every item shown")
	}
	if joins := len(buttons) - 2; joins < 30 {
		t.Fatalf("250 short items: join buttons: got %d, want at least 30", joins)
	}
	long := roundOf(orders.MaxOrders, func(i int) string { return fmt.Sprintf("%03d%s", i, strings.Repeat("&", orders.MaxItemRunes-3)) })
	long.ID = testRound
	msg = en.Round(long, true, false)
	checkLive(t, Messages{}, "250 long items", long, msg)
	if text := blocksText(t, msg); !strings.Contains(text, "items more.") {
		t.Fatalf("250 long items: got every item shown, want \"…and N items more.\"")
	}
	if buttons, _ := buttonsOf(msg); len(buttons)-2 != minJoinButtons {
		t.Fatalf("250 long items: join buttons: got %d, want %d", len(buttons)-2, minJoinButtons)
	}
}

// FuzzLiveRound: a round of fuzzed items and sizes never yields a live message that
// breaks a limit or a button that does not decode.
func FuzzLiveRound(f *testing.F) {
	f.Add(uint64(1), uint16(3), uint16(2), "latte")
	f.Add(uint64(2), uint16(250), uint16(250), strings.Repeat("&", 200))
	f.Add(uint64(3), uint16(250), uint16(60), "아이스 아메리카노 ☕️\n<b>")
	f.Fuzz(func(t *testing.T, seed uint64, nOrders, nItems uint16, item string) {
		if len(item) > 1000 {
			item = item[:1000]
		}
		g := textGen{rand.New(rand.NewPCG(seed, 2))}
		n, k := 1+int(nOrders%orders.MaxOrders), 1+int(nItems%300)
		r := g.round(n, k, func(j int) string { return strconv.Itoa(j) + " " + item })
		r.ID = testRound
		for _, m := range localeMessages(t) {
			msg := m.Round(r, true, false)
			if err := slackio.Validate(msg); err != nil {
				t.Fatalf("%s: Validate: got error %v, want nil", m.Locale(), err)
			}
			buttons, _ := buttonsOf(msg)
			for _, b := range buttons {
				if _, err := DecodeAction(b.btn.ActionID, b.btn.Value); err != nil {
					t.Fatalf("%s: DecodeAction(%q, %q): got error %v, want nil", m.Locale(), b.btn.ActionID, b.btn.Value, err)
				}
			}
		}
	})
}
