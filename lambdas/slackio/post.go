package slackio

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/slack-go/slack"
)

// Poster calls Slack's Web API with the bot token: a reply in a thread (PostThread) and
// the methods of interactive rounds (webapi.go).
type Poster struct {
	client *slack.Client
}

// WebAPITimeout bounds one Web API call.
const WebAPITimeout = 5 * time.Second

// NewPoster returns a Poster for token; apiURL overrides Slack's API base (tests, local).
func NewPoster(token, apiURL string) *Poster {
	var opts []slack.Option
	if apiURL != "" {
		opts = append(opts, slack.OptionAPIURL(apiURL))
	}
	// Every Web API call has a deadline (issue #21): the callers' contexts bound it to their
	// path; this is the backstop for a caller without one.
	opts = append(opts, slack.OptionHTTPClient(&http.Client{Timeout: WebAPITimeout}))
	return &Poster{client: slack.New(token, opts...)}
}

// PostThread posts text in channel under the thread ts.
func (p *Poster) PostThread(ctx context.Context, channel, threadTS, text string) error {
	_, _, err := p.client.PostMessageContext(ctx, channel,
		slack.MsgOptionText(text, false), slack.MsgOptionTS(threadTS))
	if err != nil {
		return fmt.Errorf("chat.postMessage to %s: %w", channel, err)
	}
	return nil
}
