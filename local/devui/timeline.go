package devui

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/local/slacksim"
)

// Kinds of message on the page.
const (
	kindBot      = "bot"      // the app posted it (a reply, a response_url answer, chat.*)
	kindUser     = "user"     // a person wrote it
	kindSlackbot = "slackbot" // Slack itself answered (an unknown command, a failed one)
	kindCommand  = "command"  // the command a person ran, shown to them only
)

// Item is one message of a channel as the page shows it.
type Item struct {
	ID       string        `json:"id"`
	Channel  string        `json:"channel"`
	Seq      int           `json:"seq"`
	TS       string        `json:"ts"`
	Kind     string        `json:"kind"`
	Author   string        `json:"author,omitempty"` // a person's user id
	To       string        `json:"to,omitempty"`     // an ephemeral message's only reader
	Text     string        `json:"text"`
	Blocks   []slack.Block `json:"blocks,omitempty"`
	ThreadTS string        `json:"thread_ts,omitempty"`
	Edited   bool          `json:"edited,omitempty"`
	Deleted  bool          `json:"deleted,omitempty"`

	posted  slacksim.Posted // what a click on it reports
	webJSON string          // a Web API message as last seen
}

// visibleTo says whether user sees it: ephemeral messages only their reader.
func (it *Item) visibleTo(user string) bool { return it.To == "" || it.To == user }

// event is what the page's event stream carries.
type event struct {
	Type     string      `json:"type"` // "item", "view", "view_closed", "channels"
	Item     *Item       `json:"item,omitempty"`
	View     *slack.View `json:"view,omitempty"`
	Channels []Channel   `json:"channels,omitempty"`
}

type sub struct {
	user string
	ch   chan []byte
}

// newTS is a message ts like Slack's, for messages the app answered directly (Slack
// gives them one when it shows them); u.mu is held.
func (u *UI) newTS() string {
	u.seq++
	now := time.Now()
	return fmt.Sprintf("%d.%06d", now.Unix(), (now.Nanosecond()/1000+u.seq)%1000000)
}

// add puts a new message at the end of its channel and tells the pages that see it;
// u.mu is held.
func (u *UI) add(it *Item) *Item {
	u.seq++
	it.Seq = u.seq
	it.ID = fmt.Sprintf("m%d", u.seq)
	if it.TS == "" {
		it.TS = u.newTS()
	}
	if it.posted.Msg.Timestamp == "" {
		it.posted = slacksim.Posted{Msg: slack.Msg{Type: "message", Text: it.Text, Timestamp: it.TS,
			Blocks: slack.Blocks{BlockSet: it.Blocks}}, Channel: it.Channel, Ephemeral: it.To != ""}
	}
	u.items[it.Channel] = append(u.items[it.Channel], it)
	u.byID[it.ID] = it
	u.publish(it)
	return it
}

// replace changes a message in place (replace_original, chat.update); u.mu is held.
func (u *UI) replace(it *Item, text string, blocks []slack.Block, edited bool) {
	it.Text, it.Blocks = text, blocks
	it.Edited = it.Edited || edited
	it.posted.Msg.Text = text
	it.posted.Msg.Blocks = slack.Blocks{BlockSet: blocks}
	u.publish(it)
}

// publish sends a message to every page that sees it; u.mu is held.
func (u *UI) publish(it *Item) {
	b, err := json.Marshal(event{Type: "item", Item: it})
	if err != nil {
		return
	}
	for s := range u.subs {
		if it.visibleTo(s.user) {
			u.deliver(s, b)
		}
	}
}

// publishTo sends e to user's pages (or to every page when user is ""); u.mu is held.
func (u *UI) publishTo(user string, e event) {
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	for s := range u.subs {
		if user == "" || s.user == user {
			u.deliver(s, b)
		}
	}
}

// deliver queues b for s; a page that does not keep up is dropped (its EventSource
// reconnects and reloads the state); u.mu is held.
func (u *UI) deliver(s *sub, b []byte) {
	select {
	case s.ch <- b:
	default:
		delete(u.subs, s)
		close(s.ch)
	}
}

// visible is what user sees in channel, in order.
func (u *UI) visible(user, channel string) []*Item {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := []*Item{}
	for _, it := range u.items[channel] {
		if it.visibleTo(user) {
			c := *it
			out = append(out, &c)
		}
	}
	return out
}
