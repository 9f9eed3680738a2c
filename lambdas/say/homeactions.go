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

// The App Home's buttons. A Home belongs to one user and no conversation, so a Home
// click carries no channel (slackio.checkHomeActions): its button carries it — and the
// round it was shown with, and the item to order again (or the one a cancel withdraws) —
// as {"c","r","i"}. Like a
// round message's buttons, each action_id is unique in the view (Kind + "." + n) and
// DecodeAction accepts only the canonical encoding HomeAction buttons are built with.
const (
	ActionHomeCancel = "home.cancel" // "Cancel mine" on an open round of the Home
	// ActionHomeAgain orders the item again: in the open round the button was shown with
	// ("Order again"), or — without a round — in whatever round is open in the channel,
	// as a typed /order-update would ("Order again in #channel").
	ActionHomeAgain = "home.again"
)

// maxHomeButtons bounds the number after a Home action's kind: a Home has at most 100
// blocks (slackio's view limit), so at most 100 buttons of one kind.
const maxHomeButtons = 100

// homeValue is a Home button's value.
type homeValue struct {
	C string `json:"c"`
	R string `json:"r,omitempty"`
	I string `json:"i,omitempty"`
}

// encodeHomeValue is the value of a Home button, refusing what DecodeAction would refuse.
func encodeHomeValue(kind, channel, round, item string) (string, error) {
	if err := checkHomeValue(kind, homeValue{C: channel, R: round, I: item}); err != nil {
		return "", err
	}
	b, err := json.Marshal(homeValue{C: channel, R: round, I: item})
	if err != nil {
		return "", err // unreachable: three strings always marshal
	}
	if n := slackio.Chars(string(b)); n > slackio.MaxButtonValue {
		return "", fmt.Errorf("button value has %d characters, limit %d", n, slackio.MaxButtonValue)
	}
	return string(b), nil
}

// checkHomeValue accepts what a button of kind may carry: a channel id always; for a
// cancel a round, and the item it withdraws (shown again after it as "Order again"); for
// an order again an item, and a round or none.
func checkHomeValue(kind string, v homeValue) error {
	if err := checkChannelID(v.C); err != nil {
		return err
	}
	if v.R != "" || kind == ActionHomeCancel {
		if err := checkRoundID(v.R); err != nil {
			return err
		}
	}
	if v.I == "" && kind == ActionHomeCancel {
		return nil
	}
	if v.I == "" || !utf8.ValidString(v.I) || utf8.RuneCountInString(v.I) > orders.MaxItemRunes {
		return fmt.Errorf("%s item: want 1–%d runes of UTF-8", kind, orders.MaxItemRunes)
	}
	return nil
}

// checkChannelID accepts a Slack channel id: 1–40 upper-case letters and digits.
func checkChannelID(id string) error {
	if id == "" || len(id) > 40 {
		return fmt.Errorf("channel id of %d bytes, want 1–40", len(id))
	}
	for i := 0; i < len(id); i++ {
		if (id[i] < 'A' || id[i] > 'Z') && (id[i] < '0' || id[i] > '9') {
			return fmt.Errorf("channel id holds byte %#x, want A–Z or 0–9", id[i])
		}
	}
	return nil
}

// homeActionID is the action_id of the n-th button of kind on a Home.
func homeActionID(kind string, n int) string { return kind + "." + strconv.Itoa(n) }

// homeKind maps a Home button's action_id to its kind; ok false when it is not one.
func homeKind(actionID string) (string, bool) {
	for _, kind := range []string{ActionHomeCancel, ActionHomeAgain} {
		if n, ok := strings.CutPrefix(actionID, kind+"."); ok {
			i, err := strconv.Atoi(n)
			return kind, err == nil && i >= 0 && i < maxHomeButtons && strconv.Itoa(i) == n
		}
	}
	return "", false
}

// decodeHomeAction decodes a Home button's click (see DecodeAction).
func decodeHomeAction(kind, value string) (Action, error) {
	var v homeValue
	dec := json.NewDecoder(strings.NewReader(value))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return Action{}, fmt.Errorf("%w: action value: %v", slackio.ErrMalformed, err)
	}
	canonical, err := encodeHomeValue(kind, v.C, v.R, v.I)
	if err != nil {
		return Action{}, fmt.Errorf("%w: action value: %v", slackio.ErrMalformed, err)
	}
	if canonical != value {
		return Action{}, fmt.Errorf("%w: action value is not in its canonical encoding", slackio.ErrMalformed)
	}
	return Action{Kind: kind, Round: v.R, Channel: v.C, Item: v.I}, nil
}
