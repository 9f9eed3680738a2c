package slacksim

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/slackio"
)

func homeView(n int, metadata string) slack.HomeTabViewRequest {
	blocks := make([]slack.Block, n)
	for i := range blocks {
		blocks[i] = slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "round", false, false), nil, nil)
	}
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}, PrivateMetadata: metadata}
}

// TestChatUpdateRateLimit: chat.update is Tier 3 — the 51st call inside a minute gets HTTP
// 429 ratelimited with Retry-After (slack-go's RateLimitedError), writes nothing, and is
// served again once the first call is a minute old.
func TestChatUpdateRateLimit(t *testing.T) {
	r := newAPIRig(t)
	client := r.slackClient(testToken)
	_, ts, err := client.PostMessage("C1", slack.MsgOptionText("round", false))
	if err != nil {
		t.Fatal(err)
	}
	for i := range Tier3PerMinute {
		if _, _, _, err := client.UpdateMessage("C1", ts, slack.MsgOptionText("v"+string(rune('a'+i%26)), false)); err != nil {
			t.Fatalf("chat.update %d of %d: got %v, want ok", i+1, Tier3PerMinute, err)
		}
		r.clock.advance(time.Second / 2) // 50 calls in 25 s
	}
	_, _, _, err = client.UpdateMessage("C1", ts, slack.MsgOptionText("over", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 35*time.Second {
		t.Fatalf("chat.update 51 within a minute: got %v, want a RateLimitedError with Retry-After 35s", err)
	}
	if got := r.api.Messages("C1")[0].Msg.Text; got == "over" {
		t.Errorf("a rate-limited chat.update changed the message to %q", got)
	}
	calls := r.api.CallRecords()
	if last := calls[len(calls)-1]; last.Method != "chat.update" || last.OK || last.Error != "ratelimited" || last.Args["text"] != "over" {
		t.Errorf("the refused call's record: got %+v, want chat.update ok=false error=ratelimited with its text", last)
	}
	if _, _, err := client.PostMessage("C1", slack.MsgOptionText("another", false)); err != nil {
		t.Errorf("chat.postMessage while chat.update is limited: got %v, want ok (limits are per method)", err)
	}
	r.clock.advance(35 * time.Second)
	if _, _, _, err := client.UpdateMessage("C1", ts, slack.MsgOptionText("later", false)); err != nil {
		t.Errorf("chat.update after Retry-After: got %v, want ok", err)
	}
}

// TestRateLimitedAnswerShape: the refusal itself is what Slack sends — 429, Retry-After in
// whole seconds, {"ok":false,"error":"ratelimited"}.
func TestRateLimitedAnswerShape(t *testing.T) {
	r := newAPIRig(t)
	r.api.RateLimits = map[string]int{"chat.update": 1}
	vals := url.Values{"channel": {"C1"}, "ts": {"1.000001"}, "text": {"x"}, "token": {testToken}}
	for i, want := range []int{http.StatusOK, http.StatusTooManyRequests} {
		resp, err := http.PostForm(r.srv.URL+"/api/chat.update", vals)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("call %d: got HTTP %d, want %d", i+1, resp.StatusCode, want)
		}
		if want == http.StatusTooManyRequests && (resp.Header.Get("Retry-After") != "60" || body["error"] != "ratelimited" || body["ok"] != false) {
			t.Errorf("refusal: got Retry-After %q body %v, want 60 and ok=false error=ratelimited", resp.Header.Get("Retry-After"), body)
		}
	}
}

// TestViewsPublish: a Home is published for a user and replaced with its hash; a stale hash
// is hash_conflict and changes nothing; Home limits are refused as Slack words them.
func TestViewsPublish(t *testing.T) {
	r := newAPIRig(t)
	client := r.slackClient(testToken)
	first, err := client.PublishView("U1", homeView(3, "m"), "")
	if err != nil {
		t.Fatalf("views.publish: got %v, want ok", err)
	}
	if first.View.Type != slack.VTHomeTab || first.View.Hash == "" || len(first.View.Blocks.BlockSet) != 3 {
		t.Fatalf("views.publish answer: got type %q hash %q %d blocks, want home, a hash, 3 blocks", first.View.Type, first.View.Hash, len(first.View.Blocks.BlockSet))
	}
	second, err := client.PublishView("U1", homeView(4, "m"), first.View.Hash)
	if err != nil {
		t.Fatalf("views.publish with the current hash: got %v, want ok", err)
	}
	if second.View.ID != first.View.ID || second.View.Hash == first.View.Hash {
		t.Errorf("republished Home: got id %s hash %s, want id %s and a new hash", second.View.ID, second.View.Hash, first.View.ID)
	}
	if _, err := client.PublishView("U1", homeView(1, "stale"), first.View.Hash); err == nil || err.Error() != "hash_conflict" {
		t.Errorf("views.publish with a stale hash: got %v, want hash_conflict", err)
	}
	if _, err := client.PublishView("U2", homeView(1, ""), "123.abc"); err == nil || err.Error() != "hash_conflict" {
		t.Errorf("views.publish with a hash for a user without a Home: got %v, want hash_conflict", err)
	}
	if home, _ := r.api.Home("U1"); len(home.Blocks.BlockSet) != 4 || home.Hash != second.View.Hash {
		t.Errorf("U1's Home after the stale publish: got %d blocks, want the 4 of the last good publish", len(home.Blocks.BlockSet))
	}
	for _, c := range []struct {
		name string
		view slack.HomeTabViewRequest
		want string
	}{
		{"100 blocks", homeView(100, ""), ""},
		{"101 blocks", homeView(101, ""), "/view/blocks"},
		{"metadata 3000", homeView(1, strings.Repeat("가", 3000)), ""},
		{"metadata 3001", homeView(1, strings.Repeat("a", 3001)), "/view/private_metadata"},
		{"a modal", slack.HomeTabViewRequest{Type: slack.VTModal, Blocks: homeView(1, "").Blocks}, "/view/type"},
	} {
		_, err := client.PublishView("U3", c.view, "")
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: got %v, want ok", c.name, err)
		case c.want != "" && (err == nil || err.Error() != "invalid_arguments"):
			t.Errorf("%s: got %v, want invalid_arguments", c.name, err)
		}
		if c.want != "" {
			if calls := r.api.Calls(); calls[len(calls)-1].Error != "invalid_arguments" {
				t.Errorf("%s: recorded %q, want invalid_arguments", c.name, calls[len(calls)-1].Error)
			}
		}
	}
}

// TestConversationsHistory: newest first, no ephemeral messages, limit with a cursor that
// reads on, oldest/latest bounds, and the channels the bot cannot read.
func TestConversationsHistory(t *testing.T) {
	r := newAPIRig(t)
	client := r.slackClient(testToken)
	var tss []string
	for _, text := range []string{"one", "two", "three"} {
		_, ts, err := client.PostMessage("C1", slack.MsgOptionText(text, false))
		if err != nil {
			t.Fatal(err)
		}
		tss = append(tss, ts)
		r.clock.advance(time.Second)
	}
	client.PostEphemeral("C1", "U1", slack.MsgOptionText("only you", false))
	page, err := client.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: "C1", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := texts(page.Messages); got != "three,two" || !page.HasMore || page.ResponseMetaData.NextCursor == "" {
		t.Fatalf("first page: got %s has_more=%v cursor=%q, want three,two with more", got, page.HasMore, page.ResponseMetaData.NextCursor)
	}
	rest, err := client.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: "C1", Limit: 2, Cursor: page.ResponseMetaData.NextCursor})
	if err != nil || texts(rest.Messages) != "one" || rest.HasMore {
		t.Fatalf("next page: got %v %s has_more=%v, want one and no more", err, texts(rest.Messages), rest.HasMore)
	}
	bounded, _ := client.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: "C1", Oldest: tss[0], Latest: tss[2]})
	if got := texts(bounded.Messages); got != "two" {
		t.Errorf("between the first and last (exclusive): got %s, want two", got)
	}
	r.api.Channels = map[string]bool{"C1": true, "CPUB": false, "CPRIV": false}
	r.api.Private = map[string]bool{"CPRIV": true}
	for ch, want := range map[string]string{"CPUB": "not_in_channel", "CPRIV": "channel_not_found"} {
		if _, err := client.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: ch}); err == nil || err.Error() != want {
			t.Errorf("conversations.history of %s: got %v, want %s", ch, err, want)
		}
	}
}

func texts(msgs []slack.Message) string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Text)
	}
	return strings.Join(out, ",")
}

// TestPrivateChannels: with PublicUnlisted (orderbot dev) every channel is a public one the
// bot can post in, except those set private: in one the bot is not in, chat.postMessage is
// channel_not_found; in one it is in, it posts.
func TestPrivateChannels(t *testing.T) {
	s := NewWebAPI("xoxb-t")
	s.PublicUnlisted, s.WritePublic = true, true
	for _, v := range []string{"CSECRET", "CTEAM:member"} {
		ch, member, err := ParsePrivateChannel(v)
		if err != nil {
			t.Fatal(err)
		}
		s.SetPrivate(ch, member)
	}
	srv := httptest.NewServer(http.StripPrefix("/api", s))
	defer srv.Close()
	client := slack.New("xoxb-t", slack.OptionAPIURL(srv.URL+"/api/"))
	for ch, want := range map[string]string{"CANY": "", "CSECRET": "channel_not_found", "CTEAM": ""} {
		_, _, err := client.PostMessage(ch, slack.MsgOptionText("round", false))
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("chat.postMessage to %s: got %q, want %q", ch, got, want)
		}
	}
	for _, bad := range []string{"", "C1:owner", "C 1"} {
		if _, _, err := ParsePrivateChannel(bad); err == nil {
			t.Errorf("ParsePrivateChannel(%q): got no error, want one", bad)
		}
	}
}

// TestCallsHandler: GET /_slack/calls lists every call in order as {method,args,ok,error},
// never the token.
func TestCallsHandler(t *testing.T) {
	r := newAPIRig(t)
	client := r.slackClient(testToken)
	client.PostMessage("C1", slack.MsgOptionText("hi", false))
	client.UpdateMessage("C1", "9.000001", slack.MsgOptionText("x", false))
	srv := httptest.NewServer(r.api.CallsHandler())
	defer srv.Close()
	var got []map[string]any
	getJSON(t, srv.URL, &got)
	if len(got) != 2 || got[0]["method"] != "chat.postMessage" || got[0]["ok"] != true ||
		got[1]["method"] != "chat.update" || got[1]["ok"] != false || got[1]["error"] != "message_not_found" {
		t.Fatalf("GET /_slack/calls: got %v, want chat.postMessage ok then chat.update message_not_found", got)
	}
	args := got[0]["args"].(map[string]any)
	if args["channel"] != "C1" || args["text"] != "hi" || args["token"] != nil {
		t.Errorf("args of chat.postMessage: got %v, want channel and text and no token", args)
	}
	var updates []map[string]any
	getJSON(t, srv.URL+"?method=chat.update", &updates)
	if len(updates) != 1 {
		t.Errorf("?method=chat.update: got %d calls, want 1", len(updates))
	}
}

// TestHomeClickPayload: a click on a published Home is what the bot's parser takes as a
// Home click — block_actions from the view (its id and current hash), no response_url —
// and opening the Home again sends the view Slack shows (its hash).
func TestHomeClickPayload(t *testing.T) {
	r := newAPIRig(t)
	v := homeView(1, "")
	btn := slack.NewButtonBlockElement("home.cancel.0", `{"c":"C1","r":"r1"}`, slack.NewTextBlockObject(slack.PlainTextType, "Cancel mine", false, false))
	v.Blocks.BlockSet = append(v.Blocks.BlockSet, slack.NewActionBlock("", btn))
	resp, err := r.slackClient(testToken).PublishView("U1", v, "")
	if err != nil {
		t.Fatal(err)
	}
	c := New("http://unused", []byte("secret"))
	c.User = "U1"
	payload, err := c.HomeBlockActions(resp.View, "home.cancel.0", "")
	if err != nil {
		t.Fatal(err)
	}
	ic, err := slackio.ParseInteraction(InteractionBody(payload))
	if err != nil {
		t.Fatalf("Home click: got %v, want it parsed", err)
	}
	if ic.View.Hash != resp.View.Hash || ic.ResponseURL != "" || ic.ActionCallback.BlockActions[0].Value != `{"c":"C1","r":"r1"}` {
		t.Errorf("Home click: got hash %q response_url %q action %+v, want hash %q, none, the button's value", ic.View.Hash, ic.ResponseURL, ic.ActionCallback.BlockActions[0], resp.View.Hash)
	}
	body, err := c.HomeOpenedBody(&resp.View)
	if err != nil || !strings.Contains(string(body), `"hash":"`+resp.View.Hash+`"`) {
		t.Errorf("app_home_opened: got %s, %v; want the shown view's hash", body, err)
	}
	if got := RenderHome(resp.View); !strings.Contains(got, "[Cancel mine]") {
		t.Errorf("RenderHome: got %q, want the button", got)
	}
}
