package slackio

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestParseCommandDocumentedBody(t *testing.T) {
	cmd, err := ParseCommand([]byte(docBody))
	if err != nil {
		t.Fatalf("ParseCommand(documented body): got error %v, want nil", err)
	}
	if cmd.TeamID != "T1DC2JH3J" || cmd.ChannelID != "G8PSS9T3V" || cmd.UserID != "U2CERLKJA" ||
		cmd.Command != "/webhook-collect" || cmd.Text != "" || cmd.UserName != "roadrunner" ||
		cmd.ResponseURL != "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN" {
		t.Fatalf("ParseCommand(documented body): got %+v, want team T1DC2JH3J, channel G8PSS9T3V, user U2CERLKJA (roadrunner), command /webhook-collect, no text and the documented response_url", cmd)
	}
}

func TestParseCommandText(t *testing.T) {
	for _, text := range []string{"iced americano", "아이스 ☕️", `'"\+%&=$#`, "two\nlines", " padded "} {
		body := url.Values{"team_id": {"T"}, "channel_id": {"C"}, "user_id": {"U"}, "command": {"/order-update"}, "text": {text}}.Encode()
		cmd, err := ParseCommand([]byte(body))
		if err != nil || cmd.Text != text {
			t.Errorf("text %q: got %q, error %v; want %q, nil", text, cmd.Text, err, text)
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
			t.Errorf("ParseCommand(%q): got error %v, want ErrMalformed", body, err)
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
				t.Fatalf("ParseCommand: got error %v, want one wrapping ErrMalformed", err)
			}
			return
		}
		if cmd.TeamID == "" || cmd.ChannelID == "" || cmd.UserID == "" || cmd.Command == "" {
			t.Fatalf("ParseCommand: got %+v with a required field empty, want an error", cmd)
		}
		// What we decoded re-encodes to a body that decodes the same.
		again, err := ParseCommand([]byte(url.Values{"team_id": {cmd.TeamID}, "channel_id": {cmd.ChannelID},
			"user_id": {cmd.UserID}, "command": {cmd.Command}, "text": {cmd.Text}}.Encode()))
		if err != nil || again.Text != cmd.Text {
			t.Fatalf("round trip of %q: got %q, error %v; want %q, nil", cmd.Text, again.Text, err, cmd.Text)
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
				t.Fatalf("ParseEvent: got error %v, want one wrapping ErrMalformed", err)
			}
			return
		}
		if e.Type == "url_verification" && e.Challenge == "" {
			t.Fatalf("ParseEvent: got url_verification %+v without a challenge, want an error", e)
		}
		if e.Type == "event_callback" && e.ID == "" {
			t.Fatalf("ParseEvent: got event_callback %+v without event_id, want an error", e)
		}
	})
}

func TestEscape(t *testing.T) {
	// A user mention stays one; a special mention never pages anyone.
	if got, want := Escape("<@U1> & <!channel>"), "<@U1> &amp; &lt;!channel&gt;"; got != want {
		t.Fatalf("Escape: got %q, want %q", got, want)
	}
	if in := strings.Repeat("<", 10); strings.Contains(Escape(in), "<") {
		t.Fatalf("Escape(%q): got %q, want no raw <", in, Escape(in))
	}
}

// TestParseCommandUnescapesText: Slack sends &, < and > typed into a command as entities;
// the command's text is what the person typed.
func TestParseCommandUnescapesText(t *testing.T) {
	body := "team_id=T1&channel_id=C1&user_id=U1&command=%2Forder-update&text=" +
		url.QueryEscape("M&amp;M &lt;3 &amp;lt; &gt;_&gt;")
	cmd, err := ParseCommand([]byte(body))
	if err != nil {
		t.Fatalf("ParseCommand: got error %v, want nil", err)
	}
	if want := "M&M <3 &lt; >_>"; cmd.Text != want {
		t.Fatalf("text: got %q, want %q", cmd.Text, want)
	}
}
