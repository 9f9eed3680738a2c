package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
)

// TestDevSlackStandIn: `orderbot dev --private-channel` makes that channel private to the
// Web API stand-in (the bot not in it unless :member), every other channel is public and
// takes the bot's posts (chat:write.public), and GET /_slack/calls lists the calls in order.
func TestDevSlackStandIn(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesizes the stack and runs the binary")
	}
	bin := buildOrderbot(t)
	p := startDev(t, bin, nil, "--private-channel", "C0SECRET", "--private-channel", "C0TEAM:member")
	want := map[string]string{"C0ANY": "", "C0SECRET": "channel_not_found", "C0TEAM": ""}
	order := []string{"C0ANY", "C0SECRET", "C0TEAM"}
	for _, ch := range order {
		resp, err := http.PostForm(p.url+WebAPIPath+"/chat.postMessage",
			url.Values{"token": {devBotToken}, "channel": {ch}, "text": {"round"}})
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if got, _ := body["error"].(string); got != want[ch] {
			t.Errorf("chat.postMessage to %s: got error %q, want %q", ch, got, want[ch])
		}
	}
	resp, err := http.Get(p.url + SlackCallsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var calls []struct {
		Method string            `json:"method"`
		Args   map[string]string `json:"args"`
		OK     bool              `json:"ok"`
		Error  string            `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&calls); err != nil {
		t.Fatalf("GET %s: got %v, want a JSON array", SlackCallsPath, err)
	}
	if len(calls) != len(order) {
		t.Fatalf("GET %s: got %d calls %+v, want %d", SlackCallsPath, len(calls), calls, len(order))
	}
	for i, c := range calls {
		if c.Method != "chat.postMessage" || c.Args["channel"] != order[i] || c.OK != (want[order[i]] == "") || c.Error != want[order[i]] {
			t.Errorf("call %d: got %+v, want chat.postMessage to %s error %q", i, c, order[i], want[order[i]])
		}
	}
	p.stop(t)
}
