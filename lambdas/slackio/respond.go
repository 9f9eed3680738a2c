package slackio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/slack-go/slack"
)

// Respond delivers msg to a response_url — a slash command's or a click's: the way to
// answer after the 3-second window. msg.ReplaceOriginal replaces the message the URL
// belongs to (the "working on it" of a command, the round message of a click) and
// msg.DeleteOriginal deletes it; otherwise msg is posted anew. Slack cannot turn an
// ephemeral message into a channel message by replacing it.
func Respond(ctx context.Context, client *http.Client, responseURL string, msg *slack.Msg) error {
	if client == nil {
		client = http.DefaultClient
	}
	blocks := msg.Blocks
	err := slack.PostWebhookCustomHTTPContext(ctx, responseURL, client, &slack.WebhookMessage{
		Text:            msg.Text,
		Blocks:          &blocks,
		ResponseType:    msg.ResponseType,
		ReplaceOriginal: msg.ReplaceOriginal,
		DeleteOriginal:  msg.DeleteOriginal,
	})
	var status slack.StatusCodeError
	if errors.As(err, &status) && status.Code == http.StatusNotFound {
		return fmt.Errorf("post to response_url: %w (%w)", ErrResponseURLGone, err)
	}
	if err != nil {
		return fmt.Errorf("post to response_url: %w", err)
	}
	return nil
}

// ErrResponseURL says a response_url is not one Slack hands out.
var ErrResponseURL = errors.New("response_url is not https://hooks.slack.com/…")

// ErrResponseURLGone says Slack answered a response_url with 404: it has expired (30
// minutes), been used its 5 times, or never existed ("expired_url", "used_url",
// "invalid_url"). No retry can change that: the answer must go another way. Slack: "you
// can use a response_url five times within 30 minutes"
// (https://api.slack.com/interactivity/handling#message_responses); local/slacksim's
// stand-in answers those cases 404, as Slack does.
var ErrResponseURLGone = errors.New("response_url expired or used up (404)")

// CheckResponseURL accepts only Slack's response URLs (https, hooks.slack.com): the URL
// comes from the signed body, but a deferred answer is a POST from inside the VPC-less
// function, and nothing else should ever receive one. loopback also admits http(s) to
// 127.0.0.1, ::1 and localhost, for the local gateway and tests.
func CheckResponseURL(raw string, loopback bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil {
		return ErrResponseURL
	}
	host := u.Hostname()
	if u.Scheme == "https" && host == "hooks.slack.com" && (u.Port() == "" || u.Port() == "443") {
		return nil
	}
	if loopback && (u.Scheme == "http" || u.Scheme == "https") {
		if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return ErrResponseURL
}
