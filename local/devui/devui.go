// Package devui is the dev server's channel page: a Slack channel in the browser — channel
// list, user switcher, composer, messages rendered from their Block Kit, buttons, modals —
// that talks to the local bot only as Slack does. The page's script never reaches a
// handler: it asks this package, which plays Slack's servers with slacksim (signed slash
// commands and app_mentions, block_actions and view_submission payloads, response_urls
// it issues) and watches the Web API stand-in (chat.postMessage, chat.update,
// chat.postEphemeral, views.open) and the response_urls for what the bot posts, pushing
// each change to the page as a server-sent event. What the page shows is what Slack would
// show, and nothing gets to the bot that Slack would not send.
//
// The page is plain HTML, CSS and one script, embedded (go:embed): no build step, no CDN,
// no framework; it builds every node with textContent, so content from the bot or a
// person is never parsed as HTML, and a strict Content-Security-Policy forbids inline
// script and any other origin.
package devui

import (
	"context"
	"embed"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/local/slacksim"
)

//go:embed static
var static embed.FS

// User is a person of the simulated workspace.
type User struct {
	ID     string `json:"id"`
	Name   string `json:"name"`   // display name
	Handle string `json:"handle"` // user_name in a command's form
}

// Channel is a channel of the simulated workspace.
type Channel struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// DefaultUsers are the people of the simulated workspace: U0LOCAL is `orderbot send`'s
// default user, so the page and the CLI meet in the same rounds.
var DefaultUsers = []User{
	{ID: "U0LOCAL", Name: "Alex Morgan", Handle: "alex"},
	{ID: "U02MINJI", Name: "김민지", Handle: "minji"},
	{ID: "U03JIHO", Name: "박지호", Handle: "jiho"},
	{ID: "U04SAM", Name: "Sam Lee", Handle: "sam"},
	{ID: "U05SEOYEON", Name: "이서연", Handle: "seoyeon"},
}

// DefaultChannels is the channel `orderbot send` posts to by default.
var DefaultChannels = []Channel{{ID: "C0LOCAL", Name: "orders"}}

// Options wire the page to the dev server.
type Options struct {
	// Base is the dev server's URL (http://127.0.0.1:PORT): the gateway's routes,
	// ResponsePath and the Web API stand-in are served there.
	Base   string
	Secret []byte // the signing secret the handlers verify
	// Web is the Web API stand-in the handlers post to; Responses serves ResponsePath.
	Web          *slacksim.WebAPI
	Responses    *slacksim.ResponseURLs
	ResponsePath string
	// Locale and Zone are the stack's (config.Config), shown in the page's header.
	Locale string
	Zone   *time.Location
	// Users and Channels default to DefaultUsers and DefaultChannels.
	Users    []User
	Channels []Channel
	HTTP     *http.Client // a fresh client with a 10 s timeout when nil
}

// UI is the channel page and the Slack client behind it.
type UI struct {
	o    Options
	done chan struct{} // closed when Run's context ends: event streams end with it

	mu        sync.Mutex
	channels  []Channel
	items     map[string][]*Item // per channel, in the order they appeared
	byID      map[string]*Item
	web       map[string]*Item // "<channel> <ts>" → the item of a Web API message
	urls      map[string]*tracked
	triggers  map[string]string // trigger_id → the user whose action issued it
	viewsSeen int
	views     map[string]*slack.View // user → the modal in front of them
	subs      map[*sub]struct{}
	seq       int
}

// New returns the page for the dev server o describes.
func New(o Options) *UI {
	if len(o.Users) == 0 {
		o.Users = DefaultUsers
	}
	if len(o.Channels) == 0 {
		o.Channels = DefaultChannels
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Zone == nil {
		o.Zone = time.UTC
	}
	return &UI{
		o: o, done: make(chan struct{}), channels: append([]Channel(nil), o.Channels...),
		items: map[string][]*Item{}, byID: map[string]*Item{}, web: map[string]*Item{},
		urls: map[string]*tracked{}, triggers: map[string]string{}, views: map[string]*slack.View{},
		subs: map[*sub]struct{}{},
	}
}

// Mount serves the page at GET / and its script and API under /_ui/ on mux; everything
// else on mux (the API's routes) is untouched.
func (u *UI) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", u.page)
	mux.Handle("GET /_ui/static/", http.StripPrefix("/_ui/", u.guard(http.HandlerFunc(u.asset))))
	mux.Handle("GET /_ui/config", u.guard(http.HandlerFunc(u.config)))
	mux.Handle("GET /_ui/state", u.guard(http.HandlerFunc(u.state)))
	mux.Handle("GET /_ui/events", u.guard(http.HandlerFunc(u.events)))
	mux.Handle("POST /_ui/send", u.guard(jsonPost(u.send)))
	mux.Handle("POST /_ui/click", u.guard(jsonPost(u.click)))
	mux.Handle("POST /_ui/submit", u.guard(jsonPost(u.submit)))
	mux.Handle("POST /_ui/dismiss", u.guard(jsonPost(u.dismiss)))
	mux.Handle("POST /_ui/channels", u.guard(jsonPost(u.addChannel)))
}

// Run follows the Web API stand-in and the response_urls until ctx ends, turning what the
// bot posts into the page's messages and modals.
func (u *UI) Run(ctx context.Context) {
	defer close(u.done)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); follow(ctx, u.o.Web.Changed, u.syncWeb) }()
	go func() { defer wg.Done(); follow(ctx, u.o.Responses.Changed, u.syncAnswers) }()
	wg.Wait()
}

// follow runs sync now and after every change, until ctx ends. The channel is taken
// before sync reads, so a change during the read is not missed.
func follow(ctx context.Context, changed func() <-chan struct{}, sync func()) {
	for {
		ch := changed()
		sync()
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
	}
}

// commands are the slash commands the app registers (the route table's).
func commands() []string {
	var out []string
	for _, r := range api.RoutesOf(api.KindCommand) {
		out = append(out, r.Command)
	}
	return out
}

func interactivePath() string {
	if rs := api.RoutesOf(api.KindInteractive); len(rs) > 0 {
		return rs[0].Path
	}
	return "/interactive"
}

func (u *UI) user(id string) (User, bool) {
	for _, x := range u.o.Users {
		if x.ID == id {
			return x, true
		}
	}
	return User{}, false
}

func (u *UI) channel(id string) (Channel, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, c := range u.channels {
		if c.ID == id {
			return c, true
		}
	}
	return Channel{}, false
}

// client is Slack's side acting for user in channel: signed with the app's secret,
// response_urls issued (and served) by the dev server, trigger_ids issued by the Web API
// stand-in and remembered as user's, so that the modal they open reaches user's page.
func (u *UI) client(user User, channel Channel) *slacksim.Client {
	c := slacksim.New(u.o.Base, u.o.Secret)
	c.HTTP = u.o.HTTP
	c.User, c.UserName = user.ID, user.Handle
	c.Channel, c.ChannelName = channel.ID, channel.Name
	c.Responses = u.o.Responses
	c.ResponseBase = strings.TrimRight(u.o.Base, "/") + u.o.ResponsePath
	c.Triggers = triggerFor{u: u, user: user.ID}
	return c
}

// triggerFor issues trigger_ids for one user's actions.
type triggerFor struct {
	u    *UI
	user string
}

func (t triggerFor) Trigger() string {
	id := t.u.o.Web.Trigger()
	t.u.mu.Lock()
	t.u.triggers[id] = t.user
	t.u.mu.Unlock()
	return id
}
