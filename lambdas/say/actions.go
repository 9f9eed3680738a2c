package say

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// The buttons of a live round message. A button carries only ids — the round, and for
// a join the item's key (orders.ItemKey) — never a label: what a click does is decided
// by DecodeAction from its action_id and value, and the handler resolves the key against
// the round as it is now.
//
// Slack asks action_ids to be unique "among all other action_ids in the containing
// block" (docs.slack.dev, button element). orderbot keeps them unique within the whole
// message (Validate checks it), so the join button of item n has the action_id
// ActionJoin + "." + n ("round.join.0", "round.join.1", …); the number is only there to
// make the id unique and means nothing. Route on Action.Kind, not on the action_id.
const (
	ActionJoin   = "round.join"   // "+1 same": order this item for the clicker
	ActionCancel = "round.cancel" // "Cancel mine": withdraw the clicker's order
	ActionClose  = "round.close"  // "Close round": close it and post the final tally
)

// maxJoinIndex bounds the number after ActionJoin: a message has at most 50 blocks, so
// at most 50 join buttons.
const maxJoinIndex = slackio.MaxBlocks

// maxRoundID bounds the round id a button carries; orders.NewRoundID makes 35 characters.
const maxRoundID = 100

// Action is a decoded click on a round message's button.
type Action struct {
	Kind  string // ActionJoin, ActionCancel, ActionClose, ActionHomeCancel or ActionHomeAgain
	Round string // the id of the round the message showed ("" for an order again in #channel)
	Key   string // ActionJoin only: the orders.ItemKey of the item to order
	// Channel and Item are a Home button's (homeactions.go): the channel of the round, and
	// for ActionHomeAgain the item to order.
	Channel, Item string
}

// actionValue is a button's value: compact JSON, always encoded by encodeActionValue.
type actionValue struct {
	R string `json:"r"`
	K string `json:"k,omitempty"`
}

// encodeActionValue is the value of a button of round for the item key ("" for cancel
// and close): {"r":"<round>","k":"<key>"}. json.Marshal writes &, < and > as \u0026,
// \u003c and \u003e, so a value holds none of the characters Slack escapes. It refuses
// what DecodeAction would refuse, so every value Round emits decodes.
func encodeActionValue(round, key string) (string, error) {
	if err := checkRoundID(round); err != nil {
		return "", err
	}
	if key != "" {
		if err := checkItemKey(key); err != nil {
			return "", err
		}
	}
	b, err := json.Marshal(actionValue{R: round, K: key})
	if err != nil {
		return "", err // unreachable: two strings always marshal
	}
	if n := slackio.Chars(string(b)); n > slackio.MaxButtonValue {
		return "", fmt.Errorf("button value has %d characters, limit %d", n, slackio.MaxButtonValue)
	}
	return string(b), nil
}

// joinActionID is the action_id of the join button of the n-th item of a message.
func joinActionID(n int) string { return ActionJoin + "." + strconv.Itoa(n) }

// DecodeAction decodes a click on a round message's button: its action_id and value as
// the block_actions payload carries them. It accepts exactly what Round emits — one of
// the three actions (or a Home button's, decodeHomeAction) (a join as ActionJoin + "." + a number below 50, written without
// leading zeros), and the value in its canonical encoding: the round id, and for a join
// an item key that is its own orders.ItemKey of at most orders.MaxItemRunes characters
// (and no key otherwise). Anything else is an error wrapping slackio.ErrMalformed. Call it only
// on a verified request; the button's label is never read.
func DecodeAction(actionID, value string) (Action, error) {
	if n := slackio.Chars(value); n > slackio.MaxButtonValue {
		return Action{}, fmt.Errorf("%w: action value has %d characters, limit %d", slackio.ErrMalformed, n, slackio.MaxButtonValue)
	}
	if kind, ok := homeKind(actionID); ok {
		return decodeHomeAction(kind, value)
	}
	kind, err := actionKind(actionID)
	if err != nil {
		return Action{}, err
	}
	var v actionValue
	dec := json.NewDecoder(strings.NewReader(value))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return Action{}, fmt.Errorf("%w: action value: %v", slackio.ErrMalformed, err)
	}
	switch {
	case kind == ActionJoin && v.K == "":
		return Action{}, fmt.Errorf("%w: %s without an item key", slackio.ErrMalformed, ActionJoin)
	case kind != ActionJoin && v.K != "":
		return Action{}, fmt.Errorf("%w: %s with an item key", slackio.ErrMalformed, kind)
	}
	canonical, err := encodeActionValue(v.R, v.K)
	if err != nil {
		return Action{}, fmt.Errorf("%w: action value: %v", slackio.ErrMalformed, err)
	}
	if canonical != value {
		// Trailing data, duplicate or reordered keys, other escapes: not what Round wrote.
		return Action{}, fmt.Errorf("%w: action value is not in its canonical encoding", slackio.ErrMalformed)
	}
	return Action{Kind: kind, Round: v.R, Key: v.K}, nil
}

// actionKind maps an action_id to the action it names.
func actionKind(actionID string) (string, error) {
	switch actionID {
	case ActionCancel, ActionClose:
		return actionID, nil
	}
	if n, ok := strings.CutPrefix(actionID, ActionJoin+"."); ok {
		i, err := strconv.Atoi(n)
		if err == nil && i >= 0 && i < maxJoinIndex && strconv.Itoa(i) == n {
			return ActionJoin, nil
		}
	}
	return "", fmt.Errorf("%w: unknown action_id %q", slackio.ErrMalformed, slackio.Clip(actionID, 80))
}

// checkRoundID accepts a round id a button may carry: 1–100 printable ASCII characters
// without spaces (orders.NewRoundID makes "20261125T090000.000000000Z-1a2b3c4d").
func checkRoundID(id string) error {
	if id == "" || len(id) > maxRoundID {
		return fmt.Errorf("round id of %d bytes, want 1–%d", len(id), maxRoundID)
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return fmt.Errorf("round id holds byte %#x, want printable ASCII", id[i])
		}
	}
	return nil
}

// checkItemKey accepts an item key: valid UTF-8, at most orders.MaxItemRunes runes, and
// its own orders.ItemKey (lower case, single spaces, no space at either end).
func checkItemKey(key string) error {
	switch {
	case !utf8.ValidString(key):
		return fmt.Errorf("item key is not valid UTF-8")
	case utf8.RuneCountInString(key) > orders.MaxItemRunes:
		return fmt.Errorf("item key has %d runes, limit %d", utf8.RuneCountInString(key), orders.MaxItemRunes)
	case orders.ItemKey(key) != key:
		return fmt.Errorf("item key is not its own ItemKey")
	}
	return nil
}
