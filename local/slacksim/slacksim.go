// Package slacksim sends requests the way Slack does: form bodies with every field of a
// slash command, Events API payloads, signed with the signing secret. The CLI, the
// end-to-end tests and the post-deploy smoke test use it against the local gateway or a
// deployed API, and it renders replies (Block Kit) as text for a terminal.
//
// It also plays Slack's own side, as strictly as Slack: the response_urls of commands and
// clicks (ResponseURLs), the Web API methods orderbot calls (WebAPI: views.open, chat.*),
// and the interaction payloads of a click on a button and of a modal's submission
// (Client.Click, Client.Submit), shaped as Slack's documented examples (testdata/).
package slacksim

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// Client is a simulated Slack workspace posting to one API.
type Client struct {
	BaseURL string // e.g. http://127.0.0.1:3000 or https://<id>.execute-api.<region>.amazonaws.com/prod
	Secret  []byte
	HTTP    *http.Client
	Now     func() time.Time

	Team, TeamDomain, Channel, ChannelName, User, UserName string

	// Responses, when set, issues each command's response_url under ResponseBase (where
	// it is served), so that deferred answers can be seen. With ResponseBase alone, the
	// response_url is ResponseBase plus a random path (a ResponseURLs that is Open serves
	// it). Otherwise it is a hooks.slack.com URL nobody here can read.
	Responses    *ResponseURLs
	ResponseBase string

	// Triggers, when set, issues the trigger_id of every command and interaction (a WebAPI,
	// so that views.open can check it); otherwise it is a random one nobody checks.
	Triggers TriggerIssuer
}

// New returns a client with the defaults of a small workspace.
func New(baseURL string, secret []byte) *Client {
	return &Client{
		BaseURL: strings.TrimRight(baseURL, "/"), Secret: secret,
		HTTP: &http.Client{Timeout: 10 * time.Second}, Now: time.Now,
		Team: "T0LOCAL", TeamDomain: "orderbot-local", Channel: "C0LOCAL", ChannelName: "orders",
		User: "U0LOCAL", UserName: "you",
	}
}

// Reply is an HTTP answer and, when it is a Slack message, the message.
type Reply struct {
	Status int
	Body   []byte
	Msg    *slack.Msg
	// Invalid is why Slack would refuse Msg (slackio.Validate: Block Kit's published
	// limits); nil for a valid message.
	Invalid error
}

// OK reports a 2xx status.
func (r *Reply) OK() bool { return r.Status >= 200 && r.Status < 300 }

// CommandForm is the form Slack posts for a slash command, with every field Slack sends.
// text is what the person typed; like Slack (with should_escape off, as orderbot's
// manifest has it) the form carries it with &, < and > escaped as entities.
func (c *Client) CommandForm(command, text string) url.Values {
	return url.Values{
		"token":                 {"local-verification-token"},
		"team_id":               {c.Team},
		"team_domain":           {c.TeamDomain},
		"channel_id":            {c.Channel},
		"channel_name":          {c.ChannelName},
		"user_id":               {c.User},
		"user_name":             {c.UserName},
		"command":               {command},
		"text":                  {SlackEscape(text)},
		"api_app_id":            {"A0LOCAL"},
		"is_enterprise_install": {"false"},
		"response_url":          {c.responseURLFor("commands")},
		"trigger_id":            {c.triggerID()},
	}
}

// EventBody is an Events API payload: "url_verification", "app_mention" or
// "app_home_opened" (the user opened the app's Home tab; without "view", as Slack sends it
// before a Home was ever published: https://docs.slack.dev/reference/events/app_home_opened).
func (c *Client) EventBody(kind string) ([]byte, error) {
	switch kind {
	case "url_verification":
		return json.Marshal(map[string]string{"token": "local", "type": "url_verification", "challenge": randomHex(20)})
	case "app_mention":
		// Unique per message, as Slack's are: the bot de-duplicates mentions on channel + ts.
		ts := fmt.Sprintf("%d.%06d", c.now().Unix(), mrand.IntN(1_000_000))
		return json.Marshal(map[string]any{
			"token": "local", "team_id": c.Team, "api_app_id": "A0LOCAL", "type": "event_callback",
			"event_id": "Ev" + strings.ToUpper(randomHex(8)), "event_time": c.now().Unix(),
			"event": map[string]string{"type": "app_mention", "user": c.User, "text": "<@B0LOCAL> help",
				"ts": ts, "channel": c.Channel, "event_ts": ts},
		})
	case "app_home_opened":
		ts := fmt.Sprintf("%d.%06d", c.now().Unix(), mrand.IntN(1_000_000))
		return json.Marshal(map[string]any{
			"token": "local", "team_id": c.Team, "api_app_id": "A0LOCAL", "type": "event_callback",
			"event_id": "Ev" + strings.ToUpper(randomHex(8)), "event_time": c.now().Unix(),
			"event": map[string]string{"type": "app_home_opened", "user": c.User, "channel": "D0LOCAL",
				"tab": "home", "event_ts": ts},
		})
	}
	return nil, fmt.Errorf("unknown event %q (url_verification, app_mention or app_home_opened)", kind)
}

// Command posts a signed slash command to its route.
func (c *Client) Command(ctx context.Context, command, text string) (*Reply, error) {
	return c.PostCommand(ctx, command, c.CommandForm(command, text))
}

// SSLCheck posts what Slack periodically sends a slash command's Request URL to check its
// certificate: ssl_check=1 and the legacy verification token, nothing else. The answer
// must be an empty 200.
func (c *Client) SSLCheck(ctx context.Context, command string) (*Reply, error) {
	path, err := commandPath(command)
	if err != nil {
		return nil, err
	}
	form := url.Values{"ssl_check": {"1"}, "token": {"local-verification-token"}}
	return c.Post(ctx, path, api.ContentTypeForm, []byte(form.Encode()), nil)
}

// PostCommand posts form, a command's form (CommandForm), signed, to the command's route.
func (c *Client) PostCommand(ctx context.Context, command string, form url.Values) (*Reply, error) {
	path, err := commandPath(command)
	if err != nil {
		return nil, err
	}
	return c.Post(ctx, path, api.ContentTypeForm, []byte(form.Encode()), nil)
}

// Event posts a signed Events API payload to the events route.
func (c *Client) Event(ctx context.Context, kind string) (*Reply, []byte, error) {
	body, err := c.EventBody(kind)
	if err != nil {
		return nil, nil, err
	}
	path, err := commandPath("")
	if err != nil {
		return nil, nil, err
	}
	r, err := c.Post(ctx, path, api.ContentTypeJSON, body, nil)
	return r, body, err
}

// Headers are the signature headers for body, signed now.
func (c *Client) Headers(body []byte) http.Header {
	ts := strconv.FormatInt(c.now().Unix(), 10)
	return http.Header{
		"X-Slack-Request-Timestamp": {ts},
		"X-Slack-Signature":         {slackio.Sign(c.Secret, ts, body)},
	}
}

// Post signs body and posts it to path; extra headers are added after signing, so a test
// can override the signature headers.
func (c *Client) Post(ctx context.Context, path, contentType string, body []byte, extra http.Header) (*Reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = c.Headers(body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	for k, vs := range extra {
		req.Header.Del(k)
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("POST %s: read reply: %w", path, err)
	}
	r := &Reply{Status: resp.StatusCode, Body: b}
	var msg slack.Msg
	if r.OK() && json.Unmarshal(b, &msg) == nil && (msg.Text != "" || len(msg.Blocks.BlockSet) > 0) {
		r.Msg = &msg
		r.Invalid = slackio.Validate(&msg)
	}
	return r, nil
}

// responseURLFor is a new response_url of kind "commands" or "actions" (interactions).
func (c *Client) responseURLFor(kind string) string {
	if c.Responses != nil {
		return c.Responses.IssueFor(c.ResponseBase, kind)
	}
	if c.ResponseBase != "" {
		base := strings.TrimRight(c.ResponseBase, "/")
		if kind != "commands" {
			base += "/" + kind
		}
		return base + "/" + c.Team + "/" + randomHex(12)
	}
	return "https://hooks.slack.com/" + kind + "/" + c.Team + "/1/" + randomHex(12)
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// commandPath finds a command's route in the route table ("" is the events route).
func commandPath(command string) (string, error) {
	for _, r := range api.Routes {
		if r.Command == command {
			return r.Path, nil
		}
	}
	var known []string
	for _, r := range api.Routes {
		if r.Command != "" {
			known = append(known, r.Command)
		}
	}
	return "", fmt.Errorf("unknown command %q (known: %s)", command, strings.Join(known, ", "))
}

// Render shows a reply for a terminal: the status, whether a message is ephemeral or
// posted in the channel, and its blocks as text.
func Render(r *Reply) string {
	var b strings.Builder
	if r.Msg == nil {
		fmt.Fprintf(&b, "HTTP %d  %s\n", r.Status, strings.TrimSpace(string(r.Body)))
		return b.String()
	}
	switch r.Msg.ResponseType {
	case slack.ResponseTypeInChannel:
		b.WriteString("[in channel — everyone sees this]\n")
	default:
		b.WriteString("[ephemeral — only you see this]\n")
	}
	b.WriteString(RenderMessage(r.Msg))
	return b.String()
}

func unescape(s string) string {
	return mrkdwnUnescaper.Replace(s)
}

var mrkdwnUnescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// SlackEscape is what Slack does to the text of a slash command: &, < and > become
// entities, everything else arrives as typed.
func SlackEscape(typed string) string { return slackEscaper.Replace(typed) }

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
