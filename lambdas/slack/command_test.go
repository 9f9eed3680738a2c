package slack

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestParseCommandDocumentedBody(t *testing.T) {
	cmd, err := ParseCommand([]byte(docBody))
	if err != nil {
		t.Fatal(err)
	}
	if cmd.TeamID != "T1DC2JH3J" || cmd.ChannelID != "G8PSS9T3V" || cmd.UserID != "U2CERLKJA" ||
		cmd.Command != "/webhook-collect" || cmd.Text != "" || cmd.UserName != "roadrunner" ||
		cmd.ResponseURL != "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN" {
		t.Fatalf("parsed %+v", cmd)
	}
}

func TestParseCommandText(t *testing.T) {
	for _, text := range []string{"iced americano", "아이스 ☕️", `'"\+%&=$#`, "two\nlines", " padded "} {
		body := url.Values{"team_id": {"T"}, "channel_id": {"C"}, "user_id": {"U"}, "command": {"/order-update"}, "text": {text}}.Encode()
		cmd, err := ParseCommand([]byte(body))
		if err != nil || cmd.Text != text {
			t.Errorf("text %q: got %q, %v", text, cmd.Text, err)
		}
	}
}

func TestParseCommandMalformed(t *testing.T) {
	for _, body := range []string{
		"team_id=T&channel_id=C&user_id=U&command=%2Forder&text=%zz",
		"team_id=T&channel_id=C&user_id=U&command=%2Forder&text=100%",
		"channel_id=C&user_id=U&command=x",
		"team_id=T&user_id=U&command=x",
		"team_id=T&channel_id=C&command=x",
		"team_id=T&channel_id=C&user_id=U",
		"{}",
		"",
		"team_id=T;channel_id=C",
	} {
		if _, err := ParseCommand([]byte(body)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseCommand(%q) = %v, want ErrMalformed", body, err)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	f.Add([]byte(docBody))
	f.Add([]byte("team_id=T&channel_id=C&user_id=U&command=%2Fo&text=%E2%98%95+%26"))
	f.Add([]byte("text=%zz"))
	f.Add([]byte("a=1&a=2&&=&%00=%00"))
	f.Fuzz(func(t *testing.T, body []byte) {
		cmd, err := ParseCommand(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not marked malformed: %v", err)
			}
			return
		}
		if cmd.TeamID == "" || cmd.ChannelID == "" || cmd.UserID == "" || cmd.Command == "" {
			t.Fatalf("accepted without required fields: %+v", cmd)
		}
		// What we decoded re-encodes to a body that decodes the same.
		again, err := ParseCommand([]byte(url.Values{"team_id": {cmd.TeamID}, "channel_id": {cmd.ChannelID},
			"user_id": {cmd.UserID}, "command": {cmd.Command}, "text": {cmd.Text}}.Encode()))
		if err != nil || again.Text != cmd.Text {
			t.Fatalf("round trip of %q: %q, %v", cmd.Text, again.Text, err)
		}
	})
}

func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(`{"type":"url_verification","challenge":"abc"}`))
	f.Add([]byte(`{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention","channel":"C","ts":"1.2"}}`))
	f.Add([]byte(`{"type":"event_callback","event_id":"Ev1","event":{"type":"message"}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := ParseEvent(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not marked malformed: %v", err)
			}
			return
		}
		if e.Type == "url_verification" && e.Challenge == "" {
			t.Fatal("url_verification accepted without challenge")
		}
		if e.Type == "event_callback" && e.ID == "" {
			t.Fatal("callback accepted without event_id")
		}
	})
}

func TestEscape(t *testing.T) {
	// A user mention stays one; a special mention never pages anyone.
	if got, want := Escape("<@U1> & <!channel>"), "<@U1> &amp; &lt;!channel&gt;"; got != want {
		t.Fatalf("Escape: got %q, want %q", got, want)
	}
	if strings.Contains(Escape(strings.Repeat("<", 10)), "<") {
		t.Fatal("Escape left a <")
	}
}

// TestParseCommandUnescapesText: Slack sends &, < and > typed into a command as entities;
// the command's text is what the person typed.
func TestParseCommandUnescapesText(t *testing.T) {
	body := "team_id=T1&channel_id=C1&user_id=U1&command=%2Forder-update&text=" +
		url.QueryEscape("M&amp;M &lt;3 &amp;lt; &gt;_&gt;")
	cmd, err := ParseCommand([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if want := "M&M <3 &lt; >_>"; cmd.Text != want {
		t.Fatalf("text: got %q, want %q", cmd.Text, want)
	}
}
