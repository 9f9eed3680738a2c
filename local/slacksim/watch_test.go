package slacksim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	case <-time.After(time.Second):
		return false
	}
}

func TestWebAPIChangedClosesOnPostAndUpdate(t *testing.T) {
	s := NewWebAPI("xoxb-t")
	srv := httptest.NewServer(http.StripPrefix("/api", s))
	defer srv.Close()
	call := func(method string, form url.Values) {
		t.Helper()
		form.Set("token", "xoxb-t")
		resp, err := http.PostForm(srv.URL+"/api/"+method, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	ch := s.Changed()
	select {
	case <-ch:
		t.Fatal("Changed before any change: got a closed channel, want an open one")
	default:
	}
	call("chat.postMessage", url.Values{"channel": {"C1"}, "text": {"hello"}})
	if !closed(ch) {
		t.Fatal("after chat.postMessage: got Changed still open, want it closed")
	}
	ch = s.Changed()
	ts := s.Messages("C1")[0].TS
	call("chat.update", url.Values{"channel": {"C1"}, "ts": {ts}, "text": {"edited"}})
	if !closed(ch) {
		t.Fatal("after chat.update: got Changed still open, want it closed")
	}
	if got := s.Messages("C1")[0].Msg.Text; got != "edited" {
		t.Fatalf("message after chat.update: got %q, want %q", got, "edited")
	}
}

func TestResponseURLsChangedClosesOnAnswer(t *testing.T) {
	var r ResponseURLs
	srv := httptest.NewServer(&r)
	defer srv.Close()
	u := r.Issue(srv.URL)
	ch := r.Changed()
	resp, err := http.Post(u, "application/json", strings.NewReader(`{"text":"hi"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !closed(ch) {
		t.Fatal("after an answer: got Changed still open, want it closed")
	}
	if got := r.Messages(u); len(got) != 1 || got[0].Text != "hi" {
		t.Fatalf("answers: got %+v, want one with text hi", got)
	}
}

func TestMentionBody(t *testing.T) {
	c := New("http://127.0.0.1:1", []byte("s"))
	c.User, c.Channel = "U9", "C9"
	b, err := c.MentionBody("<@"+DefaultBotUser+"> help", "1700000000.000100")
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Type  string `json:"type"`
		Event struct {
			Type, User, Text, Channel, TS string
		} `json:"event"`
	}
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	want := "<@" + DefaultBotUser + "> help"
	if ev.Type != "event_callback" || ev.Event.Type != "app_mention" || ev.Event.User != "U9" ||
		ev.Event.Channel != "C9" || ev.Event.Text != want || ev.Event.TS != "1700000000.000100" {
		t.Fatalf("app_mention: got %+v, want event_callback/app_mention by U9 in C9 with text %q", ev, want)
	}
}
