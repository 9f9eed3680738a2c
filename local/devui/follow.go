package devui

import (
	"encoding/json"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/local/slacksim"
)

// tracked is a response_url the page's Slack issued, and what an answer on it means.
type tracked struct {
	user, channel string
	// original is the message the URL belongs to — the command's reply, the clicked
	// message — which an answer with replace_original replaces, and delete_original deletes.
	original string
	issued   time.Time
	seen     int  // answers applied
	waiting  bool // the command's own reply is not in yet: its answers wait for it
}

// track follows the answers posted to responseURL.
func (u *UI) track(responseURL, user, channel, original string, waiting bool) *tracked {
	t := &tracked{user: user, channel: channel, original: original, issued: time.Now(), waiting: waiting}
	u.mu.Lock()
	u.urls[responseURL] = t
	u.mu.Unlock()
	return t
}

// syncAnswers applies the answers that arrived on the response_urls the page issued, as
// Slack shows them: replace_original changes the message the URL belongs to in place
// (keeping who sees it), delete_original removes it, anything else is a new message —
// ephemeral to the person unless its response_type is in_channel.
func (u *UI) syncAnswers() {
	u.mu.Lock()
	defer u.mu.Unlock()
	for url, t := range u.urls {
		if t.waiting {
			continue
		}
		msgs := u.o.Responses.Messages(url)
		for _, m := range msgs[min(t.seen, len(msgs)):] {
			u.answer(t, m)
		}
		t.seen = len(msgs)
		// Slack takes answers for 30 minutes; a minute more and the URL is done.
		if time.Since(t.issued) > slacksim.ResponseURLValidity+time.Minute {
			delete(u.urls, url)
		}
	}
}

// answer applies one answer on t's response_url; u.mu is held.
func (u *UI) answer(t *tracked, m slack.WebhookMessage) {
	var blocks []slack.Block
	if m.Blocks != nil {
		blocks = m.Blocks.BlockSet
	}
	orig := u.byID[t.original]
	switch {
	case m.DeleteOriginal && orig != nil:
		orig.Deleted = true
		u.publish(orig)
	case m.ReplaceOriginal && orig != nil:
		u.replace(orig, m.Text, blocks, false)
	default:
		to := t.user
		if m.ResponseType == slack.ResponseTypeInChannel {
			to = ""
		}
		u.add(&Item{Channel: t.channel, Kind: kindBot, To: to, Text: m.Text, Blocks: blocks})
	}
}

// syncWeb shows what the bot did through the Web API stand-in: messages posted or
// updated in the page's channels, and modals opened with a trigger_id of one of its
// people.
func (u *UI) syncWeb() {
	u.mu.Lock()
	channels := append([]Channel(nil), u.channels...)
	u.mu.Unlock()
	for _, c := range channels {
		for _, m := range u.o.Web.Messages(c.ID) {
			u.webMessage(m)
		}
	}
	views := u.o.Web.Views()
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, v := range views[min(u.viewsSeen, len(views)):] {
		if user, ok := u.triggers[v.TriggerID]; ok {
			view := v.View
			u.views[user] = &view
			u.publishTo(user, event{Type: "view", View: &view})
		}
	}
	u.viewsSeen = len(views)
}

// webMessage adds or updates the page's copy of a Web API message.
func (u *UI) webMessage(m slacksim.Message) {
	b, err := json.Marshal(m.Msg)
	if err != nil {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	key := m.Channel + " " + m.TS
	it := u.web[key]
	switch {
	case it == nil:
		it = &Item{Channel: m.Channel, TS: m.TS, Kind: kindBot, Text: m.Msg.Text,
			Blocks: m.Msg.Blocks.BlockSet, ThreadTS: m.Msg.ThreadTimestamp, posted: m.Posted(), webJSON: string(b)}
		if m.Ephemeral {
			it.To = m.To
		}
		if m.Msg.BotID == "" {
			it.Kind, it.Author = kindUser, m.Msg.User
		}
		u.web[key] = u.add(it)
	case it.webJSON != string(b):
		it.webJSON = string(b)
		it.posted = m.Posted()
		u.replace(it, m.Msg.Text, m.Msg.Blocks.BlockSet, m.Msg.Edited != nil)
	}
}
