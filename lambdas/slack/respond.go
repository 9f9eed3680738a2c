package slack

import (
	"context"
	"fmt"
	"net/http"

	slackgo "github.com/slack-go/slack"
)

// Respond delivers msg to a slash command's response_url: the way to answer after the
// 3-second window. An ephemeral answer replaces the "working on it" message; one for the
// channel is posted anew (Slack cannot turn an ephemeral message into a channel message).
func Respond(ctx context.Context, client *http.Client, responseURL string, msg *slackgo.Msg) error {
	if client == nil {
		client = http.DefaultClient
	}
	blocks := msg.Blocks
	err := slackgo.PostWebhookCustomHTTPContext(ctx, responseURL, client, &slackgo.WebhookMessage{
		Text:            msg.Text,
		Blocks:          &blocks,
		ResponseType:    msg.ResponseType,
		ReplaceOriginal: msg.ResponseType != slackgo.ResponseTypeInChannel,
	})
	if err != nil {
		return fmt.Errorf("post to response_url: %w", err)
	}
	return nil
}

// WorkingOnIt is the answer within Slack's deadline when the work takes longer.
func WorkingOnIt() *slackgo.Msg {
	text := "Working on it… the answer follows in a moment."
	return ephemeral(text, section(text))
}
