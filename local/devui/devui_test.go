package devui

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/slackio"
	"github.com/orderbot/orderbot/local/slacksim"
)

const testSecret = "devui-test-secret"

// fakeApp is an app behind the page, as Slack meets it: it verifies the signature of
// every request, answers /order-update with an ephemeral reply, then posts to the
// command's response_url (a message to the channel, then a replacement of its own
// reply) and to the Web API (chat.postMessage, then chat.update).
type fakeApp struct {
	t    *testing.T
	base string
	got  chan url.Values
}

func (a *fakeApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	v := slackio.Verifier{Secret: []byte(testSecret)}
	if err := v.Verify(r.Header.Get("X-Slack-Request-Timestamp"), r.Header.Get("X-Slack-Signature"), body); err != nil {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	form, _ := url.ParseQuery(string(body))
	a.got <- form
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"response_type":"ephemeral","text":"saved *`+form.Get("text")+`*"}`)
}

func (a *fakeApp) post(u string, v any) {
	b, _ := json.Marshal(v)
	resp, err := http.Post(u, "application/json", bytes.NewReader(b))
	if err != nil {
		a.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		a.t.Fatalf("POST %s: got %d, want 200", u, resp.StatusCode)
	}
}

func (a *fakeApp) webAPI(method string, form url.Values) map[string]any {
	form.Set("token", "xoxb-test")
	resp, err := http.PostForm(a.base+"/_slack/api/"+method, form)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return out
}

func newServer(t *testing.T) (*fakeApp, string) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	app := &fakeApp{t: t, base: srv.URL, got: make(chan url.Values, 8)}
	web := slacksim.NewWebAPI("xoxb-test")
	// As orderbot dev mounts it: unstripped, Open (the URLs keep their full path).
	responses := &slacksim.ResponseURLs{Open: true}
	mux.Handle("/_slack/response_url/", responses)
	mux.Handle("/_slack/api/", http.StripPrefix("/_slack", web))
	mux.Handle("/", app)
	ui := New(Options{Base: srv.URL, Secret: []byte(testSecret), Web: web, Responses: responses, ResponsePath: "/_slack/response_url", Locale: "en"})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go ui.Run(ctx)
	ui.Mount(mux)
	return app, srv.URL
}

func postJSON(t *testing.T, u string, v any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(v)
	resp, err := http.Post(u, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// items is what user sees in C0LOCAL, once it has at least n messages.
func items(t *testing.T, base, user string, n int) []Item {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(base + "/_ui/state?channel=C0LOCAL&user=" + user)
		if err != nil {
			t.Fatal(err)
		}
		var st struct{ Items []Item }
		json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if len(st.Items) >= n || time.Now().After(deadline) {
			return st.Items
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func texts(its []Item) []string {
	var out []string
	for _, it := range its {
		out = append(out, it.Kind+":"+it.Text)
	}
	return out
}

func TestCommandRepliesAnswersAndWebAPI(t *testing.T) {
	app, base := newServer(t)
	status, out := postJSON(t, base+"/_ui/send", map[string]string{"user": "U02MINJI", "channel": "C0LOCAL", "text": "/order-update 라떼 & <b>"})
	if status != http.StatusOK {
		t.Fatalf("send: got %d %v, want 200", status, out)
	}
	form := <-app.got
	if form.Get("text") != "라떼 &amp; &lt;b&gt;" || form.Get("user_id") != "U02MINJI" || form.Get("command") != "/order-update" || form.Get("trigger_id") == "" {
		t.Fatalf("command form: got %v, want Slack's fields with the text escaped as Slack does", form)
	}
	if got := texts(items(t, base, "U02MINJI", 2)); len(got) != 2 || got[1] != "bot:saved *라떼 &amp; &lt;b&gt;*" {
		t.Fatalf("김민지's channel: got %q, want her command and the ephemeral reply", got)
	}
	if got := items(t, base, "U0LOCAL", 0); len(got) != 0 {
		t.Fatalf("Alex's channel: got %q, want nothing (the reply is ephemeral)", texts(got))
	}
	ru := form.Get("response_url")
	app.post(ru, map[string]any{"response_type": "in_channel", "text": "round posted"})
	if got := texts(items(t, base, "U0LOCAL", 1)); len(got) != 1 || got[0] != "bot:round posted" {
		t.Fatalf("Alex's channel after an in_channel answer: got %q, want it", got)
	}
	app.post(ru, map[string]any{"replace_original": true, "text": "replaced"})
	// The channel holds 3 items before the replacement too: wait for the replacement
	// itself (the test raced it, about 1 run in 6 under load).
	got := texts(items(t, base, "U02MINJI", 3))
	for deadline := time.Now().Add(5 * time.Second); (len(got) != 3 || got[1] != "bot:replaced") && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		got = texts(items(t, base, "U02MINJI", 3))
	}
	if got[1] != "bot:replaced" || len(got) != 3 {
		t.Fatalf("김민지's channel after replace_original: got %q, want her reply replaced in place", got)
	}
	posted := app.webAPI("chat.postMessage", url.Values{"channel": {"C0LOCAL"}, "text": {"tally"}})
	app.webAPI("chat.update", url.Values{"channel": {"C0LOCAL"}, "ts": {posted["ts"].(string)}, "text": {"tally, edited"}})
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := items(t, base, "U0LOCAL", 2)
		if len(got) == 2 && got[1].Text == "tally, edited" && got[1].Edited {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Alex's channel after chat.postMessage and chat.update: got %q, want the message edited in place", texts(got))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestUnknownCommandAndMessage(t *testing.T) {
	app, base := newServer(t)
	postJSON(t, base+"/_ui/send", map[string]string{"user": "U0LOCAL", "channel": "C0LOCAL", "text": "/lunch now"})
	got := items(t, base, "U0LOCAL", 1)
	if len(got) != 1 || got[0].Kind != kindSlackbot || !strings.HasPrefix(got[0].Text, "`/lunch` is not a valid command.") || got[0].To != "U0LOCAL" {
		t.Fatalf("unknown command: got %+v, want Slackbot's answer to Alex only", got)
	}
	select {
	case f := <-app.got:
		t.Fatalf("unknown command: got %v sent to the app, want nothing sent", f)
	default:
	}
	postJSON(t, base+"/_ui/send", map[string]string{"user": "U03JIHO", "channel": "C0LOCAL", "text": "hi <all>"})
	if got := items(t, base, "U04SAM", 1); len(got) != 1 || got[0].Kind != kindUser || got[0].Author != "U03JIHO" || got[0].Text != "hi &lt;all&gt;" {
		t.Fatalf("a message: got %+v, want 박지호's message, escaped as Slack stores it, seen by everyone", got)
	}
}

func TestEventsStreamOnlyWhatTheUserSees(t *testing.T) {
	app, base := newServer(t)
	resp, err := http.Get(base + "/_ui/events?user=U0LOCAL")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("events: got Content-Type %q, want text/event-stream", ct)
	}
	lines := bufio.NewReader(resp.Body)
	postJSON(t, base+"/_ui/send", map[string]string{"user": "U02MINJI", "channel": "C0LOCAL", "text": "/order-update tea"})
	<-app.got
	app.webAPI("chat.postMessage", url.Values{"channel": {"C0LOCAL"}, "text": {"for everyone"}})
	for {
		line, err := lines.ReadString('\n')
		if err != nil {
			t.Fatalf("events: got %v before the channel message, want it", err)
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var e event
		json.Unmarshal([]byte(data), &e)
		if e.Item == nil || e.Item.To != "" {
			t.Fatalf("Alex's stream: got %s, want only messages Alex sees (not 김민지's ephemeral ones)", data)
		}
		if e.Item.Text == "for everyone" {
			return
		}
	}
}

func TestPageHeadersAndCrossSiteRefusals(t *testing.T) {
	_, base := newServer(t)
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "default-src 'none'") {
		t.Fatalf("GET /: got CSP %q, want a strict one", csp)
	}
	body := strings.NewReader(`{"user":"U0LOCAL","channel":"C0LOCAL","text":"/order-update x"}`)
	r, _ := http.Post(base+"/_ui/send", "text/plain", body)
	r.Body.Close()
	if r.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("a text/plain post (what a cross-site form can send): got %d, want 415", r.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/_ui/send", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	r, _ = http.DefaultClient.Do(req)
	r.Body.Close()
	if r.StatusCode != http.StatusForbidden {
		t.Fatalf("a cross-site fetch: got %d, want 403", r.StatusCode)
	}
	req, _ = http.NewRequest(http.MethodGet, base+"/", nil)
	req.Host = "evil.example:80"
	r, _ = http.DefaultClient.Do(req)
	r.Body.Close()
	if r.StatusCode != http.StatusForbidden {
		t.Fatalf("a Host that is not loopback (DNS rebinding): got %d, want 403", r.StatusCode)
	}
}

func TestAddChannel(t *testing.T) {
	_, base := newServer(t)
	if status, out := postJSON(t, base+"/_ui/channels", map[string]string{"name": "Lunch Time"}); status != http.StatusBadRequest {
		t.Fatalf("channel %q: got %d %v, want 400 (Slack's names are lower case, no spaces)", "Lunch Time", status, out)
	}
	status, out := postJSON(t, base+"/_ui/channels", map[string]string{"name": "#점심-lunch"})
	if status != http.StatusOK || out["name"] != "점심-lunch" || out["id"] == "" {
		t.Fatalf("channel #점심-lunch: got %d %v, want it made", status, out)
	}
}
