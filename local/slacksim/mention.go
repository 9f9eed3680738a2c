package slacksim

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/orderbot/orderbot/lambdas/api"
)

// MentionBody is the Events API payload of an app_mention: the client's user wrote text
// (with the bot's mention as Slack encodes it, "<@U…>") in a message whose ts is ts, in
// the client's channel — shaped as docs.slack.dev's app_mention example.
func (c *Client) MentionBody(text, ts string) ([]byte, error) {
	if ts == "" {
		ts = c.slackTS()
	}
	return json.Marshal(map[string]any{
		"token": verificationToken, "team_id": c.Team, "api_app_id": DefaultAppID, "type": "event_callback",
		"event_id": "Ev" + strings.ToUpper(randomHex(8)), "event_time": c.now().Unix(),
		"event": map[string]string{"type": "app_mention", "user": c.User, "text": text,
			"ts": ts, "channel": c.Channel, "event_ts": ts},
	})
}

// Mention posts a signed app_mention (see MentionBody) to the events route.
func (c *Client) Mention(ctx context.Context, text, ts string) (*Reply, error) {
	body, err := c.MentionBody(text, ts)
	if err != nil {
		return nil, err
	}
	path, err := commandPath("")
	if err != nil {
		return nil, fmt.Errorf("app_mention: %w", err)
	}
	return c.Post(ctx, path, api.ContentTypeJSON, body, nil)
}
