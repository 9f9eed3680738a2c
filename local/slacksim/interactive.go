package slacksim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// TriggerIssuer issues trigger_ids (a WebAPI does), so that the views.open an app makes
// with the trigger_id of a command or a click can be checked.
type TriggerIssuer interface {
	Trigger() string
}

// Posted is a message as it sits in a channel, for a person to click its buttons.
type Posted struct {
	Msg       slack.Msg
	Channel   string // the client's Channel when empty
	Ephemeral bool   // only the person sees it: a reply that is not in_channel, or chat.postEphemeral
}

// PostedReply is the message a reply put in front of the person: ephemeral unless its
// response_type is in_channel.
func PostedReply(r *Reply) (Posted, error) {
	if r == nil || r.Msg == nil {
		return Posted{}, errors.New("the reply carries no message")
	}
	return Posted{Msg: *r.Msg, Ephemeral: r.Msg.ResponseType != slack.ResponseTypeInChannel}, nil
}

// Button is one button of a message, as a person sees it and a click reports it.
type Button struct {
	BlockID, ActionID, Value, Text string
	Style                          string // "", "primary" or "danger"
	URL                            string // a link button opens it (and still sends the click)
}

type button struct {
	Button
	text *slack.TextBlockObject
}

// Buttons lists msg's buttons in order — in actions blocks and as section accessories —
// with the block_ids Slack gives blocks that have none.
func Buttons(msg *slack.Msg) []Button {
	var out []Button
	for _, b := range buttons(msg) {
		out = append(out, b.Button)
	}
	return out
}

func buttons(msg *slack.Msg) []button {
	if msg == nil {
		return nil
	}
	var out []button
	add := func(blockID string, b *slack.ButtonBlockElement) {
		text := ""
		if b.Text != nil {
			text = b.Text.Text
		}
		out = append(out, button{Button: Button{BlockID: blockID, ActionID: b.ActionID, Value: b.Value,
			Text: text, Style: string(b.Style), URL: b.URL}, text: b.Text})
	}
	for _, bl := range withBlockIDs(msg.Blocks.BlockSet, msg.Timestamp) {
		switch x := bl.(type) {
		case *slack.ActionBlock:
			if x.Elements == nil {
				continue
			}
			for _, el := range x.Elements.ElementSet {
				if b, ok := el.(*slack.ButtonBlockElement); ok {
					add(x.BlockID, b)
				}
			}
		case *slack.SectionBlock:
			if x.Accessory != nil && x.Accessory.ButtonElement != nil {
				add(x.BlockID, x.Accessory.ButtonElement)
			}
		}
	}
	return out
}

// pick finds the one button with actionID (and value, when given).
func pick(all []button, actionID, value string) (button, error) {
	var found []button
	for _, b := range all {
		if b.ActionID == actionID && (value == "" || b.Value == value) {
			found = append(found, b)
		}
	}
	if len(found) == 1 {
		return found[0], nil
	}
	var have []string
	for _, b := range all {
		have = append(have, fmt.Sprintf("%s=%q [%s]", b.ActionID, b.Value, b.Text))
	}
	if len(found) == 0 {
		return button{}, fmt.Errorf("no button with action_id %q and value %q (the message has: %s)", actionID, value, strings.Join(have, ", "))
	}
	return button{}, fmt.Errorf("%d buttons with action_id %q: give the value of one (the message has: %s)", len(found), actionID, strings.Join(have, ", "))
}

// BlockActions is the block_actions payload Slack sends when the client's user clicks the
// button with actionID (and value, when several share it) in p, shaped as docs.slack.dev's
// block_actions example: type, team, user, api_app_id, token, container, trigger_id,
// channel, message (not for an ephemeral message: Slack keeps no copy of those), state,
// response_url and actions.
func (c *Client) BlockActions(p Posted, actionID, value string) ([]byte, error) {
	msg := p.Msg
	msg.Blocks = slack.Blocks{BlockSet: withBlockIDs(msg.Blocks.BlockSet, msg.Timestamp)}
	b, err := pick(buttons(&msg), actionID, value)
	if err != nil {
		return nil, err
	}
	if msg.Timestamp == "" { // a reply: Slack gave it a ts when it showed it
		msg.Timestamp = c.slackTS()
	}
	if msg.BotID == "" && msg.User == "" { // a reply: the app posted it
		msg.User, msg.BotID = DefaultBotUser, DefaultBotID
	}
	channel := orDefault(p.Channel, c.Channel)
	payload := map[string]any{
		"type":       "block_actions",
		"team":       c.teamJSON(),
		"user":       c.userJSON(),
		"api_app_id": DefaultAppID,
		"token":      verificationToken,
		"container": map[string]any{"type": "message", "message_ts": msg.Timestamp,
			"channel_id": channel, "is_ephemeral": p.Ephemeral},
		"trigger_id":   c.triggerID(),
		"channel":      map[string]any{"id": channel, "name": c.ChannelName},
		"state":        map[string]any{"values": map[string]any{}},
		"response_url": c.responseURLFor("actions"),
		"actions":      []any{c.actionJSON(b)},
	}
	if !p.Ephemeral {
		payload["message"] = messageJSON(msg)
	}
	return marshalSlack(payload)
}

const verificationToken = "local-verification-token"

func (c *Client) teamJSON() map[string]any {
	return map[string]any{"id": c.Team, "domain": c.TeamDomain}
}

func (c *Client) userJSON() map[string]any {
	return map[string]any{"id": c.User, "username": c.UserName, "name": c.UserName, "team_id": c.Team}
}

// actionJSON is the clicked button as the payload's actions[] reports it; Slack adds
// "emoji": true to a plain_text that does not say.
func (c *Client) actionJSON(b button) map[string]any {
	var text any
	if b.text != nil {
		t := *b.text
		if t.Type == slack.PlainTextType && t.Emoji == nil {
			yes := true
			t.Emoji = &yes
		}
		text = t
	}
	a := map[string]any{"action_id": b.ActionID, "block_id": b.BlockID, "text": text,
		"type": "button", "action_ts": c.slackTS()}
	if b.Value != "" {
		a["value"] = b.Value
	}
	if b.Style != "" {
		a["style"] = b.Style
	}
	return a
}

// slackTS is a timestamp in Slack's "<seconds>.<microseconds>" form, now.
func (c *Client) slackTS() string {
	now := c.now()
	return fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000)
}

func (c *Client) triggerID() string {
	if c.Triggers != nil {
		return c.Triggers.Trigger()
	}
	return fmt.Sprintf("%d.%d.%s", c.now().UnixMilli(), c.now().UnixNano()%1e12, randomHex(32))
}

// Input is what the person entered in one input element of a modal: the text of a
// plain_text_input, the value of the chosen option of a static_select or radio_buttons.
type Input struct {
	BlockID, ActionID, Value string
}

// ViewSubmission is the view_submission payload Slack sends when the client's user submits
// v (as views.open answered it) with inputs: type, team, user, api_app_id, token,
// trigger_id, view (with state.values keyed by block_id and action_id) and response_urls.
// It refuses what Slack's client would not let the person submit: a required field left
// empty, text outside min_length/max_length, an option the element does not offer.
func (c *Client) ViewSubmission(v slack.View, inputs ...Input) ([]byte, error) {
	values, err := submittedState(v, inputs)
	if err != nil {
		return nil, err
	}
	view := viewJSON(v)
	view["state"] = map[string]any{"values": values}
	return marshalSlack(map[string]any{
		"type":          "view_submission",
		"team":          c.teamJSON(),
		"user":          c.userJSON(),
		"api_app_id":    DefaultAppID,
		"token":         verificationToken,
		"trigger_id":    c.triggerID(),
		"view":          view,
		"response_urls": []any{},
	})
}

// submittedState is view.state.values for inputs.
func submittedState(v slack.View, inputs []Input) (map[string]map[string]any, error) {
	given := map[[2]string]string{}
	for _, in := range inputs {
		k := [2]string{in.BlockID, in.ActionID}
		if _, dup := given[k]; dup {
			return nil, fmt.Errorf("two inputs for block %q action %q", in.BlockID, in.ActionID)
		}
		given[k] = in.Value
	}
	values := map[string]map[string]any{}
	for _, b := range v.Blocks.BlockSet {
		in, ok := b.(*slack.InputBlock)
		if !ok {
			continue
		}
		actionID, entry, err := inputState(in, given)
		if err != nil {
			return nil, fmt.Errorf("block %q: %w", in.BlockID, err)
		}
		delete(given, [2]string{in.BlockID, actionID})
		values[in.BlockID] = map[string]any{actionID: entry}
	}
	for k := range given {
		return nil, fmt.Errorf("the view has no input block %q with action_id %q", k[0], k[1])
	}
	return values, nil
}

// inputState is one input element's entry in state.values.
func inputState(in *slack.InputBlock, given map[[2]string]string) (string, map[string]any, error) {
	switch el := in.Element.(type) {
	case *slack.PlainTextInputBlockElement:
		value, has := given[[2]string{in.BlockID, el.ActionID}]
		if !has {
			value = el.InitialValue
		}
		entry := map[string]any{"type": "plain_text_input", "value": nil}
		if value == "" {
			return el.ActionID, entry, required(in)
		}
		n := slackio.Chars(value)
		if (el.MinLength > 0 && n < el.MinLength) || (el.MaxLength > 0 && n > el.MaxLength) {
			return "", nil, fmt.Errorf("%d characters, the field takes %d to %d", n, el.MinLength, el.MaxLength)
		}
		entry["value"] = value
		return el.ActionID, entry, nil
	case *slack.SelectBlockElement:
		if el.Type != slack.OptTypeStatic {
			return "", nil, fmt.Errorf("element %s is not simulated", el.Type)
		}
		return optionState(in, "static_select", el.ActionID, el.Options, el.InitialOption, given)
	case *slack.RadioButtonsBlockElement:
		return optionState(in, "radio_buttons", el.ActionID, el.Options, el.InitialOption, given)
	}
	return "", nil, fmt.Errorf("element %T is not simulated", in.Element)
}

func optionState(in *slack.InputBlock, typ, actionID string, opts []*slack.OptionBlockObject,
	initial *slack.OptionBlockObject, given map[[2]string]string) (string, map[string]any, error) {
	entry := map[string]any{"type": typ, "selected_option": nil}
	value, has := given[[2]string{in.BlockID, actionID}]
	if !has {
		if initial == nil {
			return actionID, entry, required(in)
		}
		value = initial.Value
	}
	var offered []string
	for _, o := range opts {
		if o != nil && o.Value == value {
			entry["selected_option"] = o
			return actionID, entry, nil
		}
		if o != nil {
			offered = append(offered, o.Value)
		}
	}
	return "", nil, fmt.Errorf("no option %q (offered: %s)", value, strings.Join(offered, ", "))
}

func required(in *slack.InputBlock) error {
	if in.Optional {
		return nil
	}
	return errors.New("is required: Slack does not let the person submit the modal without it")
}

// InteractionBody is the form Slack posts to the interactivity Request URL: one field,
// payload, holding the JSON.
func InteractionBody(payload []byte) []byte {
	return []byte(url.Values{"payload": {string(payload)}}.Encode())
}

// Click clicks a button of p (see BlockActions) and posts the signed payload to path, the
// interactivity route ("" for the route table's).
func (c *Client) Click(ctx context.Context, path string, p Posted, actionID, value string) (*Reply, error) {
	payload, err := c.BlockActions(p, actionID, value)
	if err != nil {
		return nil, err
	}
	return c.postInteraction(ctx, path, payload)
}

// Submit submits v with inputs (see ViewSubmission) and posts the signed payload to path,
// the interactivity route ("" for the route table's).
func (c *Client) Submit(ctx context.Context, path string, v slack.View, inputs ...Input) (*Reply, error) {
	payload, err := c.ViewSubmission(v, inputs...)
	if err != nil {
		return nil, err
	}
	return c.postInteraction(ctx, path, payload)
}

func (c *Client) postInteraction(ctx context.Context, path string, payload []byte) (*Reply, error) {
	if path == "" {
		routes := api.RoutesOf(api.KindInteractive)
		if len(routes) != 1 {
			return nil, fmt.Errorf("the route table has %d interactivity routes, want 1", len(routes))
		}
		path = routes[0].Path
	}
	return c.Post(ctx, path, api.ContentTypeForm, InteractionBody(payload), nil)
}

// ViewResponse is how an app answered a view_submission for v, judged as Slack does: an
// empty 200 closes the modal (nil); otherwise the body must be a response_action —
// "clear", "update" or "push" with a valid modal, or "errors" keyed by block_ids of v's
// input blocks (Slack shows only "We had some trouble connecting" for anything else).
func ViewResponse(r *Reply, v slack.View) (*slack.ViewSubmissionResponse, error) {
	if !r.OK() {
		return nil, fmt.Errorf("HTTP %d: Slack shows the person an error", r.Status)
	}
	if strings.TrimSpace(string(r.Body)) == "" {
		return nil, nil
	}
	var resp slack.ViewSubmissionResponse
	if err := json.Unmarshal(r.Body, &resp); err != nil {
		return nil, fmt.Errorf("answer is not a response_action: %w", err)
	}
	switch resp.ResponseAction {
	case slack.RAClear:
	case slack.RAUpdate, slack.RAPush:
		if resp.View == nil {
			return &resp, fmt.Errorf("response_action %s without a view", resp.ResponseAction)
		}
		if problems := checkView(resp.View); len(problems) > 0 {
			return &resp, fmt.Errorf("response_action %s: invalid view: %s", resp.ResponseAction, strings.Join(problems, "; "))
		}
	case slack.RAErrors:
		return &resp, checkErrorKeys(resp.Errors, v)
	default:
		return &resp, fmt.Errorf("unknown response_action %q", resp.ResponseAction)
	}
	return &resp, nil
}

func checkErrorKeys(errs map[string]string, v slack.View) error {
	if len(errs) == 0 {
		return errors.New("response_action errors with no errors")
	}
	inputs := map[string]bool{}
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok {
			inputs[in.BlockID] = true
		}
	}
	for _, k := range sortedKeys(errs) {
		if !inputs[k] {
			return fmt.Errorf("errors key %q is not the block_id of an input block of the view", k)
		}
	}
	return nil
}
