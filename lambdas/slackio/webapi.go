package slackio

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/slack-go/slack"
)

// The Web API methods of interactive rounds, with the bot token. Each checks what it
// sends first (Validate, ValidateView), so a message Slack would refuse never leaves,
// and reports a failure once, with the method's name: "chat.update: message_not_found".
// A message's ResponseType means nothing here: where a message goes is the method's.

// OpenView opens the modal v for the person whose interaction gave triggerID (views.open;
// a trigger_id expires 3 seconds after Slack sent it).
func (p *Poster) OpenView(ctx context.Context, triggerID string, v slack.ModalViewRequest) error {
	if triggerID == "" {
		return errors.New("views.open: no trigger_id")
	}
	if err := ValidateView(v); err != nil {
		return fmt.Errorf("views.open: %w", err)
	}
	if _, err := p.client.OpenViewContext(ctx, triggerID, v); err != nil {
		return fmt.Errorf("views.open: %w", err)
	}
	return nil
}

// PostMessage posts msg in channel (chat.postMessage) and returns its ts, which
// UpdateMessage takes.
func (p *Poster) PostMessage(ctx context.Context, channel string, msg *slack.Msg) (string, error) {
	if err := Validate(msg); err != nil {
		return "", fmt.Errorf("chat.postMessage: %w", err)
	}
	_, ts, err := p.client.PostMessageContext(ctx, channel, msgOptions(msg, false)...)
	if err != nil {
		return "", fmt.Errorf("chat.postMessage: %w", err)
	}
	return ts, nil
}

// UpdateMessage replaces the message ts in channel with msg (chat.update); a msg
// without blocks removes the message's blocks.
func (p *Poster) UpdateMessage(ctx context.Context, channel, ts string, msg *slack.Msg) error {
	if err := Validate(msg); err != nil {
		return fmt.Errorf("chat.update: %w", err)
	}
	if _, _, _, err := p.client.UpdateMessageContext(ctx, channel, ts, msgOptions(msg, true)...); err != nil {
		return fmt.Errorf("chat.update: %w", err)
	}
	return nil
}

// PostEphemeral shows msg to user alone in channel (chat.postEphemeral).
func (p *Poster) PostEphemeral(ctx context.Context, channel, user string, msg *slack.Msg) error {
	if err := Validate(msg); err != nil {
		return fmt.Errorf("chat.postEphemeral: %w", err)
	}
	if _, err := p.client.PostEphemeralContext(ctx, channel, user, msgOptions(msg, false)...); err != nil {
		return fmt.Errorf("chat.postEphemeral: %w", err)
	}
	return nil
}

// msgOptions sends msg's text and blocks as they are (no escaping: replies are escaped
// where they are made). clear sends an empty block list too, which removes blocks.
func msgOptions(msg *slack.Msg, clear bool) []slack.MsgOption {
	opts := []slack.MsgOption{slack.MsgOptionText(msg.Text, false)}
	if len(msg.Blocks.BlockSet) > 0 || clear {
		opts = append(opts, slack.MsgOptionBlocks(msg.Blocks.BlockSet...))
	}
	return opts
}

// ReplaceOriginal replaces the message an interaction came from with msg, through the
// interaction's response_url ("replace_original": true; the message keeps where it is
// and who sees it, so msg's ResponseType is not sent). This is how a click updates a
// round message in place.
func ReplaceOriginal(ctx context.Context, client *http.Client, responseURL string, msg *slack.Msg) error {
	if err := Validate(msg); err != nil {
		return fmt.Errorf("replace via response_url: %w", err)
	}
	if client == nil {
		client = http.DefaultClient
	}
	blocks := msg.Blocks
	err := slack.PostWebhookCustomHTTPContext(ctx, responseURL, client, &slack.WebhookMessage{
		Text:            msg.Text,
		Blocks:          &blocks,
		ReplaceOriginal: true,
	})
	if err != nil {
		return fmt.Errorf("replace via response_url: %w", err)
	}
	return nil
}
