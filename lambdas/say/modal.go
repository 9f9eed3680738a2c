package say

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say/i18n"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// The order modal: `/order-update` without text opens it (views.open with the command's
// trigger_id). It offers the channel's recent items in a static_select and a text field;
// its view_submission sets the order.
//
// How a picked option maps back to an item, without trusting a label: the option's
// value is the item itself, JSON-encoded (`"iced americano"`, with &, < and > written as
// \u0026, \u003c, \u003e so that no character Slack escapes is in it). Only items whose
// encoding fits an option value (150 characters) are offered; a longer one can still be
// typed. A picked value is therefore exactly as trustworthy as typed text — it arrives
// in the same signed submission — and goes through the same orders.CleanItem; the label
// (the item clipped to 75 characters) is never read. The submission needs nothing but
// the payload: no second read of the channel's history inside Slack's 3 seconds.
const (
	// ModalOrder is the callback_id of the order modal.
	ModalOrder = "order.modal"

	// BlockPick and BlockText are the block_ids of the modal's two inputs: the keys of a
	// field error (ViewErrors).
	BlockPick = "order.pick"
	BlockText = "order.text"

	actionPick = "pick"
	actionText = "text"
)

// ModalContext is what the order modal carries from the command that opened it to its
// submission, in private_metadata (compact JSON, at most 3000 characters): the
// workspace and channel of the round (a view_submission names no channel), and the
// command's response_url, to answer in the channel afterwards (it lives 30 minutes).
type ModalContext struct {
	Team        string `json:"t"`
	Channel     string `json:"c"`
	ResponseURL string `json:"u,omitempty"`
}

// OrderSubmission is a valid submission of the order modal.
type OrderSubmission struct {
	Context ModalContext
	User    string // who submitted it (user.id)
	Item    string // the order, picked or typed, as orders.CleanItem returns it
}

// OrderModal is the order modal for mc, offering up to 100 of recent (most recent first,
// as given) — one per item key, each valid and short enough to be an option value (see
// the top of this file) — above a field for typing the order. Without such items it has
// the field only. private_metadata holds mc; a response_url too long to fit is left out
// (none Slack hands out is).
func (m Messages) OrderModal(mc ModalContext, recent []string) slack.ModalViewRequest {
	var blocks []slack.Block
	if opts := recentOptions(recent); len(opts) > 0 {
		pick := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plainText(m.text(i18n.ModalPickPlaceholder)), actionPick, opts...)
		blocks = append(blocks, slack.NewInputBlock(BlockPick, plainText(m.text(i18n.ModalPickLabel)), nil, pick).WithOptional(true))
	}
	text := slack.NewPlainTextInputBlockElement(plainText(m.text(i18n.ModalTextPlaceholder)), actionText)
	text.MaxLength = orders.MaxItemRunes
	blocks = append(blocks, slack.NewInputBlock(BlockText, plainText(m.text(i18n.ModalTextLabel)), nil, text).WithOptional(true))
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           plainText(m.text(i18n.ModalTitle)),
		Submit:          plainText(m.text(i18n.ModalSubmit)),
		Close:           plainText(m.text(i18n.ModalClose)),
		Blocks:          slack.Blocks{BlockSet: blocks},
		PrivateMetadata: mc.encode(),
		CallbackID:      ModalOrder,
	}
}

func (m ModalContext) encode() string {
	b, _ := json.Marshal(m) // three strings always marshal
	if slackio.Chars(string(b)) > slackio.MaxPrivateMetadata {
		m.ResponseURL = ""
		b, _ = json.Marshal(m)
	}
	return string(b)
}

// recentOptions are the options for recent: one per item key, in order, at most 100.
func recentOptions(recent []string) []*slack.OptionBlockObject {
	var opts []*slack.OptionBlockObject
	seen := map[string]bool{}
	for _, raw := range recent {
		item, err := orders.CleanItem(raw)
		if err != nil || seen[orders.ItemKey(item)] {
			continue
		}
		value := optionValue(item)
		if slackio.Chars(value) > slackio.MaxOptionValue {
			continue
		}
		seen[orders.ItemKey(item)] = true
		label := slackio.Clip(strings.Join(strings.Fields(item), " "), slackio.MaxOptionText) // one line
		opts = append(opts, slack.NewOptionBlockObject(value, plainText(label), nil))
		if len(opts) == slackio.MaxOptions {
			break
		}
	}
	return opts
}

// optionValue encodes an item as an option value: a JSON string, &, < and > escaped.
func optionValue(item string) string {
	b, _ := json.Marshal(item) // a string always marshals
	return string(b)
}

// pickedItem decodes an option value, accepting only optionValue's encoding.
func pickedItem(value string) (string, bool) {
	var item string
	if json.Unmarshal([]byte(value), &item) != nil || optionValue(item) != value {
		return "", false
	}
	return item, true
}

// ParseOrderSubmission reads a view_submission of the order modal (as ParseInteraction
// returns it). A submission that is not one — another callback_id, private_metadata
// that is not a ModalContext of this workspace, a picked value OrderModal never offered
// — is an error wrapping slackio.ErrMalformed. What the person entered is checked as a typed
// order is: nothing, both a pick and text, or an item orders.CleanItem refuses is a
// *slackio.FieldError to show in the modal.
func (m Messages) ParseOrderSubmission(ic slack.InteractionCallback) (OrderSubmission, error) {
	if ic.Type != slack.InteractionTypeViewSubmission || ic.View.CallbackID != ModalOrder {
		return OrderSubmission{}, fmt.Errorf("%w: %s %q is not the order modal's submission", slackio.ErrMalformed, ic.Type, slackio.Clip(ic.View.CallbackID, 80))
	}
	var mc ModalContext
	if err := json.Unmarshal([]byte(ic.View.PrivateMetadata), &mc); err != nil || mc.Team == "" || mc.Channel == "" || mc.encode() != ic.View.PrivateMetadata {
		return OrderSubmission{}, fmt.Errorf("%w: private_metadata is not an order modal's context", slackio.ErrMalformed)
	}
	if ic.User.ID == "" {
		return OrderSubmission{}, fmt.Errorf("%w: submission without user.id", slackio.ErrMalformed)
	}
	if mc.Team != ic.Team.ID {
		return OrderSubmission{}, fmt.Errorf("%w: modal of team %q submitted in team %q", slackio.ErrMalformed, slackio.Clip(mc.Team, 40), slackio.Clip(ic.Team.ID, 40))
	}
	picked, typed := submittedValues(ic.View.State)
	if picked != "" {
		var ok bool
		if picked, ok = pickedItem(picked); !ok {
			return OrderSubmission{}, fmt.Errorf("%w: picked option is not one the modal offers", slackio.ErrMalformed)
		}
	}
	entered, block := typed, BlockText
	switch {
	case strings.TrimSpace(picked) != "" && strings.TrimSpace(typed) != "":
		return OrderSubmission{}, &slackio.FieldError{BlockID: BlockText, Message: m.text(i18n.FieldBoth)}
	case strings.TrimSpace(picked) != "":
		entered, block = picked, BlockPick
	case strings.TrimSpace(typed) == "":
		return OrderSubmission{}, &slackio.FieldError{BlockID: BlockText, Message: m.text(i18n.FieldEmpty)}
	}
	item, err := orders.CleanItem(entered)
	if err != nil {
		return OrderSubmission{}, &slackio.FieldError{BlockID: block, Message: m.fieldProblem(err)}
	}
	return OrderSubmission{Context: mc, User: ic.User.ID, Item: item}, nil
}

// submittedValues reads the picked option's value and the typed text from a modal's
// state; an input left empty is "".
func submittedValues(state *slack.ViewState) (picked, typed string) {
	if state == nil {
		return "", ""
	}
	if a, ok := state.Values[BlockPick][actionPick]; ok {
		picked = a.SelectedOption.Value
	}
	if a, ok := state.Values[BlockText][actionText]; ok {
		typed = a.Value
	}
	return picked, typed
}

// fieldProblem is ItemProblem for the modal, which has no command to show.
func (m Messages) fieldProblem(err error) string {
	switch {
	case errors.Is(err, orders.ErrItemTooLong):
		return m.text(i18n.ProblemItemTooLong, orders.MaxItemRunes)
	case errors.Is(err, orders.ErrInvalidItem):
		return m.text(i18n.ProblemInvalidItem)
	case errors.Is(err, orders.ErrEmptyItem):
		return m.text(i18n.FieldEmpty)
	default:
		return m.text(i18n.ProblemOtherItem)
	}
}
