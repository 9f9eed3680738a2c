package slackio_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

const testToken = "xoxb-123-456-abcdef"

// call is one request the fake Web API received.
type call struct {
	path, contentType, auth string
	form                    url.Values     // form-encoded methods
	json                    map[string]any // JSON methods
}

// fakeAPI plays Slack's Web API: it records each call and answers answer.
type fakeAPI struct {
	mu     sync.Mutex
	calls  []call
	answer string
}

func newFakeAPI(t *testing.T, answer string) (*fakeAPI, *slackio.Poster) {
	t.Helper()
	f := &fakeAPI{answer: answer}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c := call{path: r.URL.Path, contentType: r.Header.Get("Content-Type"), auth: r.Header.Get("Authorization")}
		if strings.HasPrefix(c.contentType, "application/json") {
			_ = json.Unmarshal(body, &c.json)
		} else {
			c.form, _ = url.ParseQuery(string(body))
		}
		f.mu.Lock()
		f.calls = append(f.calls, c)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, f.answer)
	}))
	t.Cleanup(srv.Close)
	return f, slackio.NewPoster(testToken, srv.URL+"/")
}

func (f *fakeAPI) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *fakeAPI) only(t *testing.T) call {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) != 1 {
		t.Fatalf("Web API calls: got %d, want 1", len(f.calls))
	}
	return f.calls[0]
}

func liveMessage() *slack.Msg {
	r := roundOf(2, func(i int) string { return "latte & <b>" })
	r.ID = testRound
	return say.Messages{}.Round(r, true, false)
}

// checkForm checks a form-encoded chat.* call: path, token, and the message's text and
// blocks exactly as Round made them.
func checkForm(t *testing.T, c call, path string, msg *slack.Msg, want map[string]string) {
	t.Helper()
	if c.path != path || c.contentType != "application/x-www-form-urlencoded" {
		t.Fatalf("request: got %s (%s), want %s (application/x-www-form-urlencoded)", c.path, c.contentType, path)
	}
	blocks, _ := json.Marshal(msg.Blocks.BlockSet)
	want["token"], want["text"], want["blocks"] = testToken, msg.Text, string(blocks)
	for k, v := range want {
		if got := c.form.Get(k); got != v {
			t.Fatalf("%s %s: got %q, want %q", path, k, got, v)
		}
	}
}

func TestPostMessage(t *testing.T) {
	f, p := newFakeAPI(t, `{"ok":true,"channel":"C0CA5","ts":"1548261231.000200"}`)
	msg := liveMessage()
	ts, err := p.PostMessage(context.Background(), "C0CA5", msg)
	if err != nil || ts != "1548261231.000200" {
		t.Fatalf("PostMessage: got %q, %v, want the ts, nil", ts, err)
	}
	checkForm(t, f.only(t), "/chat.postMessage", msg, map[string]string{"channel": "C0CA5"})
}

func TestUpdateMessage(t *testing.T) {
	f, p := newFakeAPI(t, `{"ok":true,"channel":"C0CA5","ts":"1548261231.000200","text":"x"}`)
	msg := liveMessage()
	if err := p.UpdateMessage(context.Background(), "C0CA5", "1548261231.000200", msg); err != nil {
		t.Fatalf("UpdateMessage: got error %v, want nil", err)
	}
	checkForm(t, f.only(t), "/chat.update", msg, map[string]string{"channel": "C0CA5", "ts": "1548261231.000200"})
}

// TestUpdateMessageTextOnly: an update without blocks removes the old message's buttons.
func TestUpdateMessageTextOnly(t *testing.T) {
	f, p := newFakeAPI(t, `{"ok":true}`)
	if err := p.UpdateMessage(context.Background(), "C0CA5", "1.2", &slack.Msg{Text: "Round closed."}); err != nil {
		t.Fatalf("UpdateMessage: got error %v, want nil", err)
	}
	if got := f.only(t).form.Get("blocks"); got != "[]" {
		t.Fatalf("blocks: got %q, want []", got)
	}
}

func TestPostEphemeral(t *testing.T) {
	f, p := newFakeAPI(t, `{"ok":true,"message_ts":"1548261231.000300"}`)
	msg := say.Messages{}.OrderSet(roundOf(1, func(int) string { return "latte" }), "latte")
	if err := p.PostEphemeral(context.Background(), "C0CA5", "U0CA5", msg); err != nil {
		t.Fatalf("PostEphemeral: got error %v, want nil", err)
	}
	checkForm(t, f.only(t), "/chat.postEphemeral", msg, map[string]string{"channel": "C0CA5", "user": "U0CA5"})
}

func TestOpenView(t *testing.T) {
	f, p := newFakeAPI(t, `{"ok":true,"view":{"id":"VNHU13V36"}}`)
	v := say.Messages{}.OrderModal(testModal, []string{"latte", "M&M"})
	if err := p.OpenView(context.Background(), "12345.98765.abcd2358fdea", v); err != nil {
		t.Fatalf("OpenView: got error %v, want nil", err)
	}
	c := f.only(t)
	if c.path != "/views.open" || !strings.HasPrefix(c.contentType, "application/json") || c.auth != "Bearer "+testToken {
		t.Fatalf("request: got %s (%s, %q), want /views.open (application/json, the bot token as bearer)", c.path, c.contentType, c.auth)
	}
	if got := c.json["trigger_id"]; got != "12345.98765.abcd2358fdea" {
		t.Fatalf("trigger_id: got %v, want the trigger", got)
	}
	view, _ := c.json["view"].(map[string]any)
	if view["callback_id"] != say.ModalOrder || view["private_metadata"] != v.PrivateMetadata || view["type"] != "modal" {
		t.Fatalf("view: got %v, want the order modal", view)
	}
}

// TestWebAPIErrors: Slack's refusal comes back once, named by the method; what Slack
// would refuse is not sent at all.
func TestWebAPIErrors(t *testing.T) {
	ctx := context.Background()
	f, p := newFakeAPI(t, `{"ok":false,"error":"invalid_blocks"}`)
	msg := liveMessage()
	_, errPost := p.PostMessage(ctx, "C1", msg)
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"chat.postMessage", errPost, "chat.postMessage: invalid_blocks"},
		{"chat.update", p.UpdateMessage(ctx, "C1", "1.2", msg), "chat.update: invalid_blocks"},
		{"chat.postEphemeral", p.PostEphemeral(ctx, "C1", "U1", msg), "chat.postEphemeral: invalid_blocks"},
		{"views.open", p.OpenView(ctx, "1.2.3", say.Messages{}.OrderModal(testModal, nil)), "views.open: invalid_blocks"},
	} {
		if tc.err == nil || tc.err.Error() != tc.want {
			t.Errorf("%s: got error %v, want %q", tc.name, tc.err, tc.want)
		}
	}
	sent := f.count()
	huge := &slack.Msg{Text: strings.Repeat("a", slackio.MaxMessageText+1)}
	badView := say.Messages{}.OrderModal(testModal, nil)
	badView.Title = plain(strings.Repeat("t", 25))
	_, errPost = p.PostMessage(ctx, "C1", huge)
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"chat.postMessage", errPost, "chat.postMessage: message text has 40001 characters"},
		{"chat.update", p.UpdateMessage(ctx, "C1", "1.2", huge), "chat.update: message text has 40001"},
		{"chat.postEphemeral", p.PostEphemeral(ctx, "C1", "U1", nil), "chat.postEphemeral: no message"},
		{"views.open", p.OpenView(ctx, "1.2.3", badView), "views.open: view title has 25 characters"},
		{"views.open without trigger", p.OpenView(ctx, "", say.Messages{}.OrderModal(testModal, nil)), "views.open: no trigger_id"},
	} {
		if tc.err == nil || !strings.HasPrefix(tc.err.Error(), tc.want) {
			t.Errorf("%s: got error %v, want one starting %q", tc.name, tc.err, tc.want)
		}
	}
	if n := f.count(); n != sent {
		t.Fatalf("calls after refusals: got %d more, want none sent", n-sent)
	}
}

func TestReplaceOriginal(t *testing.T) {
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &got)
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	r := roundOf(2, func(i int) string { return orders.ItemKey("Latte") })
	r.ID = testRound
	msg := say.Messages{}.Round(r, true, false)
	if err := slackio.ReplaceOriginal(context.Background(), srv.Client(), srv.URL+"/actions/T1/1/x", msg); err != nil {
		t.Fatalf("ReplaceOriginal: got error %v, want nil", err)
	}
	if got["replace_original"] != true || got["text"] != msg.Text || got["response_type"] != nil {
		t.Fatalf("body: got replace_original %v, response_type %v, want true and none", got["replace_original"], got["response_type"])
	}
	if blocks, _ := got["blocks"].([]any); len(blocks) != len(msg.Blocks.BlockSet) {
		t.Fatalf("blocks: got %d, want %d", len(blocks), len(msg.Blocks.BlockSet))
	}
	if err := slackio.ReplaceOriginal(context.Background(), srv.Client(), srv.URL, &slack.Msg{}); err == nil {
		t.Fatalf("ReplaceOriginal(empty message): got nil, want an error")
	}
}

// What the transport posts is the words package's: the round message with its buttons,
// a reply, the order modal — built here as the handlers build them.
const testRound = "20261125T090000.000000000Z-1a2b3c4d"

var testModal = say.ModalContext{Team: "T0CAG", Channel: "C0CA5", ResponseURL: "https://hooks.slack.com/commands/T0CAG/1234567890123/ABCdefGHIjklMNOpqrSTUvwx"}

func roundOf(users int, item func(i int) string) orders.Round {
	r := orders.Round{ID: "r1", Channel: orders.Channel{Team: "T", Channel: "C"}}
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	for i := range users {
		r.Orders = append(r.Orders, orders.Order{User: fmt.Sprintf("U%04d", i), Item: item(i), At: at.Add(time.Duration(i) * time.Second)})
	}
	return r
}

func plain(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, text, false, false)
}
