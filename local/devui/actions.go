package devui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/local/slacksim"
)

// The app's bot user as the Web API stand-in posts as it, and how people mention it.
const (
	botUser = slacksim.DefaultBotUser
	botName = "orderbot"
)

type sendIn struct {
	User, Channel, Text string
}

// send is the composer: a slash command goes to its route signed, as Slack sends it; a
// command the app does not have gets Slackbot's answer; anything else is a message in
// the channel, and one that mentions @orderbot also goes to the Events route as an
// app_mention.
func (u *UI) send(r *http.Request, in sendIn) (any, error) {
	user, channel, err := u.who(in.User, in.Channel)
	if err != nil {
		return nil, err
	}
	text := strings.TrimSpace(in.Text)
	if text == "" {
		return nil, badRequest("nothing to send")
	}
	if !strings.HasPrefix(text, "/") {
		return u.message(r, user, channel, text)
	}
	cmd, args, _ := strings.Cut(text, " ")
	if i := strings.IndexByte(cmd, '\n'); i >= 0 { // "/order-update\nlatte"
		cmd, args = cmd[:i], cmd[i+1:]+" "+args
	}
	args = strings.TrimSpace(args)
	if !slices.Contains(commands(), cmd) {
		u.mu.Lock()
		u.add(&Item{Channel: channel.ID, Kind: kindSlackbot, To: user.ID, Text: notACommand(cmd)})
		u.mu.Unlock()
		return map[string]bool{"ok": true}, nil
	}
	return u.command(r, user, channel, cmd, args)
}

// notACommand is Slackbot's answer to an unknown slash command (Slack's client wording,
// as Slack-clone projects reproduce it; Slack's API documentation does not print it).
func notACommand(cmd string) string {
	return "`" + slacksim.SlackEscape(cmd) + "` is not a valid command. In Slack, all messages that start with the \"/\" character " +
		"are interpreted as commands.\nIf you are trying to send a message and not run a command, try preceding the \"/\" with an empty space."
}

func (u *UI) who(userID, channelID string) (User, Channel, error) {
	user, ok := u.user(userID)
	if !ok {
		return User{}, Channel{}, badRequest("no user " + userID)
	}
	channel, ok := u.channel(channelID)
	if !ok {
		return User{}, Channel{}, badRequest("no channel " + channelID)
	}
	return user, channel, nil
}

// command posts a signed slash command and shows the answer: the reply (ephemeral
// unless in_channel), later answers on its response_url, or Slack's error when the app
// fails to answer.
func (u *UI) command(r *http.Request, user User, channel Channel, cmd, args string) (any, error) {
	c := u.client(user, channel)
	form := c.CommandForm(cmd, args)
	t := u.track(form.Get("response_url"), user.ID, channel.ID, "", true)
	u.mu.Lock()
	u.add(&Item{Channel: channel.ID, Kind: kindCommand, Author: user.ID, To: user.ID, Text: strings.TrimSpace(cmd + " " + args)})
	u.mu.Unlock()
	reply, err := c.PostCommand(r.Context(), cmd, form)
	u.mu.Lock()
	switch {
	case err != nil:
		u.add(&Item{Channel: channel.ID, Kind: kindSlackbot, To: user.ID, Text: failed(cmd, "dispatch_failed")})
	case !reply.OK():
		u.add(&Item{Channel: channel.ID, Kind: kindSlackbot, To: user.ID, Text: failed(cmd, "http_service_error")})
	case reply.Msg != nil:
		it := replyItem(reply.Msg, user.ID, channel.ID)
		t.original = u.add(it).ID
	case len(strings.TrimSpace(string(reply.Body))) > 0:
		// A plain-text body is shown as an ephemeral message.
		u.add(&Item{Channel: channel.ID, Kind: kindBot, To: user.ID, Text: string(reply.Body)})
	}
	t.waiting = false
	u.mu.Unlock()
	u.syncAnswers()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	return map[string]int{"status": reply.Status}, nil
}

// failed is how Slack tells a person that the app did not answer a command.
func failed(cmd, code string) string {
	return "`" + cmd + "` failed with the error \"" + code + "\""
}

func replyItem(m *slack.Msg, user, channel string) *Item {
	it := &Item{Channel: channel, Kind: kindBot, To: user, Text: m.Text, Blocks: m.Blocks.BlockSet}
	if m.ResponseType == slack.ResponseTypeInChannel {
		it.To = ""
	}
	return it
}

// message posts what a person wrote into the channel (the Web API stand-in keeps it, as
// Slack keeps a channel's history) and, when it mentions @orderbot, sends the app_mention
// event Slack would.
func (u *UI) message(r *http.Request, user User, channel Channel, text string) (any, error) {
	typed := slacksim.SlackEscape(text)
	mention := "@" + botName
	mentions := strings.Contains(strings.ToLower(typed), mention)
	if mentions {
		typed = replaceFold(typed, mention, "<@"+botUser+">")
	}
	ts := u.o.Web.PostAs(channel.ID, user.ID, typed)
	if !mentions {
		return map[string]bool{"ok": true}, nil
	}
	reply, err := u.client(user, channel).Mention(r.Context(), typed, ts)
	if err != nil {
		return nil, fmt.Errorf("app_mention: %w", err)
	}
	return map[string]int{"status": reply.Status}, nil
}

// replaceFold replaces every case-insensitive occurrence of the ASCII old in s.
func replaceFold(s, old, repl string) string {
	var b strings.Builder
	for {
		i := strings.Index(strings.ToLower(s), old)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i] + repl)
		s = s[i+len(old):]
	}
}

type clickIn struct {
	User     string `json:"user"`
	Message  string `json:"message"` // the Item's id
	ActionID string `json:"action_id"`
	Value    string `json:"value"`
}

// click sends the block_actions payload of user's click on a button of a message; the
// app's answers on the payload's response_url replace the message or add the clicker's
// own.
func (u *UI) click(r *http.Request, in clickIn) (any, error) {
	u.mu.Lock()
	it := u.byID[in.Message]
	var posted slacksim.Posted
	if it != nil && it.visibleTo(in.User) && !it.Deleted {
		posted = it.posted
	}
	u.mu.Unlock()
	if posted.Msg.Timestamp == "" {
		return nil, conflict("no such message")
	}
	user, channel, err := u.who(in.User, posted.Channel)
	if err != nil {
		return nil, err
	}
	c := u.client(user, channel)
	payload, err := c.BlockActions(posted, in.ActionID, in.Value)
	if err != nil {
		return nil, conflict(err.Error())
	}
	var sent struct {
		ResponseURL string `json:"response_url"`
	}
	if err := json.Unmarshal(payload, &sent); err != nil {
		return nil, err
	}
	u.track(sent.ResponseURL, user.ID, channel.ID, it.ID, false)
	reply, err := c.Post(r.Context(), interactivePath(), api.ContentTypeForm, slacksim.InteractionBody(payload), nil)
	if err != nil {
		return nil, fmt.Errorf("block_actions: %w", err)
	}
	if !reply.OK() {
		return nil, fmt.Errorf("block_actions: the app answered HTTP %d; Slack shows the click failed", reply.Status)
	}
	u.syncAnswers()
	return map[string]int{"status": reply.Status}, nil
}

type channelIn struct{ Name string }

// addChannel makes a channel (Slack's naming rules: lower case letters, digits, - and
// _, at most 80 characters) and shows it on every page.
func (u *UI) addChannel(r *http.Request, in channelIn) (any, error) {
	name := strings.TrimPrefix(strings.TrimSpace(in.Name), "#")
	if err := checkChannelName(name); err != nil {
		return nil, err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, c := range u.channels {
		if c.Name == name {
			return c, nil
		}
	}
	c := Channel{ID: fmt.Sprintf("C%08X", len(u.channels)+1), Name: name}
	u.channels = append(u.channels, c)
	u.publishTo("", event{Type: "channels", Channels: append([]Channel(nil), u.channels...)})
	return c, nil
}

func checkChannelName(name string) error {
	if name == "" || utf8.RuneCountInString(name) > 80 {
		return badRequest("a channel name has 1 to 80 characters")
	}
	for _, r := range name {
		if !(unicode.IsLower(r) || unicode.IsDigit(r) || r == '-' || r == '_' || unicode.IsLetter(r) && !unicode.IsUpper(r)) {
			return badRequest("a channel name has lower case letters, digits, - and _ only")
		}
	}
	return nil
}
