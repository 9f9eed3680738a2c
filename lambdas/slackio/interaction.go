package slackio

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/slack-go/slack"
)

// ErrUnsupportedInteraction marks a well-formed interaction that orderbot does not act
// on: a shortcut, a closed modal (view_closed), a block_suggestion, a click in a
// message attachment or a modal, …. The handler acknowledges it with an empty 200 and
// does nothing; it is never a reason to answer 400.
var ErrUnsupportedInteraction = errors.New("unsupported interaction")

// ParseInteraction decodes the body Slack posts to the interactivity Request URL: a
// form whose only field is payload, holding the interaction as a JSON object
// (docs.slack.dev, "Handling user interaction": sent "in the form
// application/x-www-form-urlencoded", "The body of the request will contain a payload
// parameter; your app should parse this payload parameter as JSON"). Call it only
// after Verify.
//
// It accepts the two types orderbot acts on, and only with what acting on them needs:
//   - every interaction: type, team.id, user.id;
//   - block_actions: exactly one action, from a block (block_id present), with an
//     action_id; a response_url; container.type "message" with its channel_id and
//     message_ts, and channel.id equal to container.channel_id (and message.ts, when
//     the message is included, equal to container.message_ts);
//   - block_actions from the App Home tab (container.type "view", view.type "home"):
//     view.id equal to container.view_id, and view.hash; no response_url (checkHomeActions);
//   - view_submission: view.id, view.callback_id and view.private_metadata.
//
// Another type, or a block_actions from anywhere but a message or the Home, is
// ErrUnsupportedInteraction; anything else that is not what Slack sends wraps
// ErrMalformed. Fields Slack adds that orderbot does not know are ignored.
func ParseInteraction(body []byte) (slack.InteractionCallback, error) {
	var none slack.InteractionCallback
	payload, err := payloadField(body)
	if err != nil {
		return none, err
	}
	typ, err := payloadType(payload)
	if err != nil {
		return none, err
	}
	switch slack.InteractionType(typ) {
	case slack.InteractionTypeBlockActions, slack.InteractionTypeViewSubmission:
	default:
		return none, fmt.Errorf("%w: type %q", ErrUnsupportedInteraction, Clip(typ, 80))
	}
	var ic slack.InteractionCallback
	if err := json.Unmarshal(payload, &ic); err != nil {
		return none, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	if err := checkInteraction(&ic); err != nil {
		return none, err
	}
	return ic, nil
}

// payloadField returns the payload field of a form that holds nothing else.
func payloadField(body []byte) ([]byte, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(form) != 1 || len(form["payload"]) != 1 {
		names := make([]string, 0, len(form))
		for k, v := range form {
			names = append(names, fmt.Sprintf("%q×%d", Clip(k, 40), len(v)))
		}
		return nil, fmt.Errorf("%w: form fields %v, want exactly one payload", ErrMalformed, names)
	}
	return []byte(form["payload"][0]), nil
}

// payloadType reads the type of a payload that must be a JSON object.
func payloadType(payload []byte) (string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(payload, &fields); err != nil || fields == nil {
		return "", fmt.Errorf("%w: payload is not a JSON object", ErrMalformed)
	}
	var typ string
	if raw, ok := fields["type"]; !ok || json.Unmarshal(raw, &typ) != nil || typ == "" {
		return "", fmt.Errorf("%w: payload has no type string", ErrMalformed)
	}
	return typ, nil
}

// checkInteraction checks the fields ParseInteraction promises.
func checkInteraction(ic *slack.InteractionCallback) error {
	if ic.Team.ID == "" {
		return fmt.Errorf("%w: %s without team.id", ErrMalformed, ic.Type)
	}
	if ic.User.ID == "" {
		return fmt.Errorf("%w: %s without user.id", ErrMalformed, ic.Type)
	}
	if ic.Type == slack.InteractionTypeViewSubmission {
		for _, f := range [...]struct{ name, v string }{
			{"view.id", ic.View.ID}, {"view.callback_id", ic.View.CallbackID}, {"view.private_metadata", ic.View.PrivateMetadata},
		} {
			if f.v == "" {
				return fmt.Errorf("%w: view_submission without %s", ErrMalformed, f.name)
			}
		}
		return nil
	}
	return checkBlockActions(ic)
}

func checkBlockActions(ic *slack.InteractionCallback) error {
	acts := ic.ActionCallback
	if len(acts.BlockActions) != 1 || len(acts.AttachmentActions) != 0 {
		return fmt.Errorf("%w: block_actions with %d block actions and %d attachment actions, want exactly one block action",
			ErrMalformed, len(acts.BlockActions), len(acts.AttachmentActions))
	}
	if acts.BlockActions[0] == nil || acts.BlockActions[0].ActionID == "" {
		return fmt.Errorf("%w: block_actions without action_id", ErrMalformed)
	}
	c := ic.Container
	switch {
	case c.Type == "":
		return fmt.Errorf("%w: block_actions without container.type", ErrMalformed)
	case c.Type == "view" && ic.View.Type == slack.VTHomeTab:
		return checkHomeActions(ic)
	case c.Type != "message":
		return fmt.Errorf("%w: block_actions from a %q container", ErrUnsupportedInteraction, Clip(c.Type, 40))
	}
	switch {
	case ic.ResponseURL == "":
		return fmt.Errorf("%w: block_actions without response_url", ErrMalformed)
	case c.ChannelID == "" || c.MessageTs == "":
		return fmt.Errorf("%w: message container without channel_id or message_ts", ErrMalformed)
	case ic.Channel.ID != c.ChannelID:
		return fmt.Errorf("%w: channel.id %q is not container.channel_id %q", ErrMalformed, Clip(ic.Channel.ID, 40), Clip(c.ChannelID, 40))
	case ic.Message.Timestamp != "" && ic.Message.Timestamp != c.MessageTs:
		return fmt.Errorf("%w: message.ts %q is not container.message_ts %q", ErrMalformed, Clip(ic.Message.Timestamp, 40), Clip(c.MessageTs, 40))
	}
	return nil
}

// checkHomeActions checks a click on the App Home tab. Slack sends it as block_actions
// whose container is {"type":"view","view_id":…} and whose view is the Home as published
// (id, type "home", hash, …) — and with no response_url and no channel: a Home belongs to
// one user, not to a conversation (docs.slack.dev/reference/interaction-payloads/
// block_actions-payload: "message or view — the source app surface the user initiated the
// interaction from"; @slack/bolt's BlockAction and the SDKs' payload types declare
// container {type, view_id}, view {id, hash}, response_url optional). The bot answers it by
// publishing the Home again with that hash (views.publish).
func checkHomeActions(ic *slack.InteractionCallback) error {
	switch {
	case ic.View.ID == "" || ic.View.Hash == "":
		return fmt.Errorf("%w: Home block_actions without view.id or view.hash", ErrMalformed)
	case ic.Container.ViewID != ic.View.ID:
		return fmt.Errorf("%w: container.view_id %q is not view.id %q", ErrMalformed, Clip(ic.Container.ViewID, 40), Clip(ic.View.ID, 40))
	}
	return nil
}
