package say

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

const testRound = "20261125T090000.000000000Z-1a2b3c4d"

// TestActionValueRoundTrip: every key an item can have rides on a button within Slack's
// 2,000 characters, holds none of the characters Slack escapes, and decodes to itself.
func TestActionValueRoundTrip(t *testing.T) {
	g := textGen{rand.New(rand.NewPCG(4, 2))}
	keys := []string{"latte", "아이스 라떼 🧊", `"quoted" \back\slash`, "m&m <b>tea</b>", "e\u0301 ☕️ 👩‍💻 🇰🇷"}
	for range 300 {
		keys = append(keys, orders.ItemKey(g.item(orders.MaxItemRunes)), orders.ItemKey(g.worst(orders.MaxItemRunes)))
	}
	for _, key := range keys {
		if key == "" {
			continue
		}
		value, err := encodeActionValue(testRound, key)
		if err != nil {
			t.Fatalf("encodeActionValue(%q): got error %v, want nil", key, err)
		}
		if n := slackio.Chars(value); n > slackio.MaxButtonValue {
			t.Fatalf("value of %q: got %d characters, want at most %d", key, n, slackio.MaxButtonValue)
		}
		if strings.ContainsAny(value, "&<>") {
			t.Fatalf("value of %q: got %q, want no &, < or >", key, value)
		}
		got, err := DecodeAction(joinActionID(7), value)
		if want := (Action{Kind: ActionJoin, Round: testRound, Key: key}); err != nil || got != want {
			t.Fatalf("DecodeAction(%q): got %+v, %v, want %+v, nil", value, got, err, want)
		}
	}
	for _, id := range []string{ActionCancel, ActionClose} {
		value, err := encodeActionValue(testRound, "")
		if err != nil {
			t.Fatalf("encodeActionValue(round only): got error %v, want nil", err)
		}
		got, err := DecodeAction(id, value)
		if want := (Action{Kind: id, Round: testRound}); err != nil || got != want {
			t.Fatalf("DecodeAction(%s, %q): got %+v, %v, want %+v, nil", id, value, got, err, want)
		}
	}
}

func TestDecodeActionRejects(t *testing.T) {
	join := `{"r":"` + testRound + `","k":"latte"}`
	only := `{"r":"` + testRound + `"}`
	for _, tc := range []struct {
		name, actionID, value, want string
	}{
		{"unknown action", "round.delete", only, "unknown action_id"},
		{"bare join", ActionJoin, join, "unknown action_id"},
		{"join with leading zero", ActionJoin + ".01", join, "unknown action_id"},
		{"join with sign", ActionJoin + ".+1", join, "unknown action_id"},
		{"join past the blocks", ActionJoin + ".50", join, "unknown action_id"},
		{"join with empty number", ActionJoin + ".", join, "unknown action_id"},
		{"prefix of an action", "round.cance", only, "unknown action_id"},
		{"empty action_id", "", only, "unknown action_id"},
		{"not JSON", ActionCancel, "r=" + testRound, "action value"},
		{"JSON string", ActionCancel, `"` + testRound + `"`, "action value"},
		{"unknown field", ActionCancel, `{"r":"` + testRound + `","x":1}`, "unknown field"},
		{"no round", ActionJoin + ".0", `{"k":"latte"}`, "round id of 0 bytes"},
		{"empty round", ActionCancel, `{"r":""}`, "round id of 0 bytes"},
		{"round with a space", ActionCancel, `{"r":"r 1"}`, "printable ASCII"},
		{"round too long", ActionCancel, `{"r":"` + strings.Repeat("r", 101) + `"}`, "round id of 101 bytes"},
		{"join without key", ActionJoin + ".0", only, "without an item key"},
		{"join with empty key", ActionJoin + ".0", `{"r":"` + testRound + `","k":""}`, "without an item key"},
		{"cancel with a key", ActionCancel, join, "with an item key"},
		{"close with a key", ActionClose, join, "with an item key"},
		{"key not its own ItemKey", ActionJoin + ".0", `{"r":"` + testRound + `","k":"Latte"}`, "not its own ItemKey"},
		{"key with double space", ActionJoin + ".0", `{"r":"` + testRound + `","k":"iced  latte"}`, "not its own ItemKey"},
		{"key too long", ActionJoin + ".0", `{"r":"` + testRound + `","k":"` + strings.Repeat("a", 201) + `"}`, "201 runes"},
		{"trailing data", ActionCancel, only + " ", "canonical"},
		{"spaces", ActionCancel, `{"r": "` + testRound + `"}`, "canonical"},
		{"keys reordered", ActionJoin + ".0", `{"k":"latte","r":"` + testRound + `"}`, "canonical"},
		{"duplicate key", ActionCancel, `{"r":"x","r":"` + testRound + `"}`, "canonical"},
		{"raw ampersand", ActionJoin + ".0", `{"r":"` + testRound + `","k":"m&m"}`, "canonical"},
		{"null key", ActionCancel, `{"r":"` + testRound + `","k":null}`, "canonical"},
		{"value past 2000", ActionCancel, `{"r":"` + testRound + `"}` + strings.Repeat(" ", 2000), "limit 2000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeAction(tc.actionID, tc.value)
			switch {
			case err == nil:
				t.Fatalf("DecodeAction: got %+v, nil, want an error containing %q", got, tc.want)
			case !errors.Is(err, slackio.ErrMalformed):
				t.Fatalf("DecodeAction: got error %v, want it to wrap ErrMalformed", err)
			case !strings.Contains(err.Error(), tc.want):
				t.Fatalf("DecodeAction: got error %q, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestItemKeyIdempotent: a key made from any item is its own key, so every join button
// Round makes for a stored item decodes.
func TestItemKeyIdempotent(t *testing.T) {
	g := textGen{rand.New(rand.NewPCG(8, 8))}
	for range 2000 {
		item := g.item(orders.MaxItemRunes)
		if k := orders.ItemKey(item); orders.ItemKey(k) != k {
			t.Fatalf("ItemKey(ItemKey(%q)) = %q, want %q", item, orders.ItemKey(k), k)
		}
	}
}

// FuzzDecodeAction: whatever the click, DecodeAction never panics, refuses with
// ErrMalformed, and accepts only values it would itself write.
func FuzzDecodeAction(f *testing.F) {
	f.Add(joinActionID(0), `{"r":"`+testRound+`","k":"latte"}`)
	f.Add(ActionCancel, `{"r":"`+testRound+`"}`)
	f.Add(ActionClose, `{"r":"r1","k":"\u0026"}`)
	f.Fuzz(func(t *testing.T, actionID, value string) {
		a, err := DecodeAction(actionID, value)
		if err != nil {
			if !errors.Is(err, slackio.ErrMalformed) {
				t.Fatalf("got error %v, want ErrMalformed", err)
			}
			return
		}
		key := a.Key
		if a.Kind != ActionJoin {
			key = ""
		}
		if again, err := encodeActionValue(a.Round, key); err != nil || again != value {
			t.Fatalf("accepted %q as %+v: re-encoded %q, %v, want the same value", value, a, again, err)
		}
	})
}

// TestDecodeDocumentedClick: the click of Slack's documented block_actions payload (the
// transport's testdata) decodes to the round and item its button was made for.
func TestDecodeDocumentedClick(t *testing.T) {
	ic, err := slackio.ParseInteraction(formOf(payloadFile(t, "block_actions_join.json")))
	if err != nil {
		t.Fatalf("ParseInteraction: got error %v, want nil", err)
	}
	a := ic.ActionCallback.BlockActions[0]
	got, err := DecodeAction(a.ActionID, a.Value)
	if want := (Action{Kind: ActionJoin, Round: testRound, Key: "iced americano"}); err != nil || got != want {
		t.Fatalf("DecodeAction: got %+v, %v, want %+v, nil", got, err, want)
	}
}
