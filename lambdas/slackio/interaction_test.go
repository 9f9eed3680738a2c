package slackio

import (
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// Payloads shaped as Slack documents them (docs.slack.dev, interaction payloads): a click
// on a round message's "+1 same", and order modal submissions.
func payloadFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "interaction", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// formOf is the body Slack posts: the payload as the form's only field.
func formOf(payload []byte) []byte {
	return []byte("payload=" + url.QueryEscape(string(payload)))
}

// edited returns the payload file with edit applied to its decoded JSON.
func edited(t testing.TB, name string, edit func(p map[string]any)) []byte {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(payloadFile(t, name), &p); err != nil {
		t.Fatal(err)
	}
	edit(p)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func obj(p map[string]any, key string) map[string]any { return p[key].(map[string]any) }

func TestParseInteractionBlockActions(t *testing.T) {
	ic, err := ParseInteraction(formOf(payloadFile(t, "block_actions_join.json")))
	if err != nil {
		t.Fatalf("ParseInteraction: got error %v, want nil", err)
	}
	a := ic.ActionCallback.BlockActions[0]
	for _, f := range []struct{ name, got, want string }{
		{"type", string(ic.Type), "block_actions"},
		{"team.id", ic.Team.ID, "T0CAG"},
		{"user.id", ic.User.ID, "U0CA5"},
		{"channel.id", ic.Channel.ID, "C0CA5"},
		{"container.message_ts", ic.Container.MessageTs, "1548261231.000200"},
		{"response_url", ic.ResponseURL, "https://hooks.slack.com/actions/T0CAG/548426417840/4MFgBdjTqwbxOAvSHdFnWZQs"},
		{"action_id", a.ActionID, "round.join.0"},
		{"value", a.Value, `{"r":"20261125T090000.000000000Z-1a2b3c4d","k":"iced americano"}`},
	} {
		if f.got != f.want {
			t.Errorf("%s: got %q, want %q", f.name, f.got, f.want)
		}
	}
	// The message Slack sends back is the one Round made: its blocks decode and validate.
	if err := Validate(&ic.Message.Msg); err != nil {
		t.Fatalf("Validate(message): got error %v, want nil", err)
	}
}

func TestParseInteractionViewSubmission(t *testing.T) {
	ic, err := ParseInteraction(formOf(payloadFile(t, "view_submission_typed.json")))
	if err != nil {
		t.Fatalf("ParseInteraction: got error %v, want nil", err)
	}
	if ic.Type != slack.InteractionTypeViewSubmission || ic.View.CallbackID != "order.modal" || ic.View.ID != "VNHU13V36" {
		t.Fatalf("view: got type %q, callback_id %q, id %q, want view_submission, %q, VNHU13V36", ic.Type, ic.View.CallbackID, ic.View.ID, "order.modal")
	}
	if got := ic.View.State.Values["order.text"]["text"].Value; got != "아이스 라떼 🧊" {
		t.Fatalf("typed value: got %q, want %q", got, "아이스 라떼 🧊")
	}
}

// TestParseInteractionUnsupported: real interactions orderbot does not act on are told
// apart from malformed bodies, so that the handler acknowledges them.
func TestParseInteractionUnsupported(t *testing.T) {
	for name, payload := range map[string][]byte{
		"shortcut":         payloadFile(t, "shortcut.json"),
		"view_closed":      payloadFile(t, "view_closed.json"),
		"block_suggestion": edited(t, "block_actions_join.json", func(p map[string]any) { p["type"] = "block_suggestion" }),
		"message_action":   edited(t, "block_actions_join.json", func(p map[string]any) { p["type"] = "message_action" }),
		"click in a modal": edited(t, "block_actions_join.json", func(p map[string]any) {
			p["container"] = map[string]any{"type": "view", "view_id": "V0CA5"}
		}),
	} {
		_, err := ParseInteraction(formOf(payload))
		if !errors.Is(err, ErrUnsupportedInteraction) || errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got error %v, want ErrUnsupportedInteraction (and not ErrMalformed)", name, err)
		}
	}
}

func TestParseInteractionMalformed(t *testing.T) {
	click := func(edit func(p map[string]any)) []byte {
		return formOf(edited(t, "block_actions_join.json", edit))
	}
	submit := func(edit func(p map[string]any)) []byte {
		return formOf(edited(t, "view_submission_typed.json", edit))
	}
	good := string(formOf(payloadFile(t, "block_actions_join.json")))
	action := func(p map[string]any) map[string]any { return p["actions"].([]any)[0].(map[string]any) }
	for _, tc := range []struct {
		name string
		body []byte
		want string
	}{
		{"stray percent", []byte(good + "%zz"), "invalid URL escape"},
		{"semicolon", []byte(good + ";x=1"), "semicolon"},
		{"a second field", []byte(good + "&token=x"), "want exactly one payload"},
		{"payload twice", []byte(good + "&" + good), "want exactly one payload"},
		{"no payload", []byte("text=latte"), "want exactly one payload"},
		{"empty body", nil, "want exactly one payload"},
		{"payload not JSON", formOf([]byte("{type:block_actions}")), "not a JSON object"},
		{"payload an array", formOf([]byte(`[{"type":"block_actions"}]`)), "not a JSON object"},
		{"payload null", formOf([]byte("null")), "not a JSON object"},
		{"no type", click(func(p map[string]any) { delete(p, "type") }), "no type string"},
		{"type a number", click(func(p map[string]any) { p["type"] = 1 }), "no type string"},
		{"field of the wrong type", click(func(p map[string]any) { p["team"] = "T0CAG" }), "payload:"},
		{"no team.id", click(func(p map[string]any) { delete(obj(p, "team"), "id") }), "without team.id"},
		{"no user.id", click(func(p map[string]any) { obj(p, "user")["id"] = "" }), "without user.id"},
		{"no action", click(func(p map[string]any) { p["actions"] = []any{} }), "0 block actions"},
		{"two actions", click(func(p map[string]any) { p["actions"] = append(p["actions"].([]any), action(p)) }), "2 block actions"},
		{"attachment action", click(func(p map[string]any) { delete(action(p), "block_id"); action(p)["text"] = "+1 same" }), "1 attachment actions"},
		{"no action_id", click(func(p map[string]any) { action(p)["action_id"] = "" }), "without action_id"},
		{"no response_url", click(func(p map[string]any) { delete(p, "response_url") }), "without response_url"},
		{"no container", click(func(p map[string]any) { delete(p, "container") }), "without container.type"},
		{"no message_ts", click(func(p map[string]any) { delete(obj(p, "container"), "message_ts") }), "without channel_id or message_ts"},
		{"no container channel", click(func(p map[string]any) { delete(obj(p, "container"), "channel_id") }), "without channel_id or message_ts"},
		{"no channel", click(func(p map[string]any) { delete(p, "channel") }), "is not container.channel_id"},
		{"other channel", click(func(p map[string]any) { obj(p, "channel")["id"] = "C0OTHER" }), "is not container.channel_id"},
		{"other message", click(func(p map[string]any) { obj(p, "message")["ts"] = "1.2" }), "is not container.message_ts"},
		{"no view.id", submit(func(p map[string]any) { delete(obj(p, "view"), "id") }), "without view.id"},
		{"no callback_id", submit(func(p map[string]any) { obj(p, "view")["callback_id"] = "" }), "without view.callback_id"},
		{"no private_metadata", submit(func(p map[string]any) { delete(obj(p, "view"), "private_metadata") }), "without view.private_metadata"},
		{"submission without team", submit(func(p map[string]any) { p["team"] = nil }), "without team.id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseInteraction(tc.body)
			switch {
			case !errors.Is(err, ErrMalformed) || errors.Is(err, ErrUnsupportedInteraction):
				t.Fatalf("ParseInteraction: got error %v, want ErrMalformed (only)", err)
			case !strings.Contains(err.Error(), tc.want):
				t.Fatalf("ParseInteraction: got error %q, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestParseInteractionEphemeral: a click on an ephemeral listing carries no message
// object (only the container names it) and is accepted.
func TestParseInteractionEphemeral(t *testing.T) {
	body := formOf(edited(t, "block_actions_join.json", func(p map[string]any) {
		delete(p, "message")
		obj(p, "container")["is_ephemeral"] = true
	}))
	ic, err := ParseInteraction(body)
	if err != nil || !ic.Container.IsEphemeral {
		t.Fatalf("ParseInteraction: got ephemeral %v, error %v, want true, nil", ic.Container.IsEphemeral, err)
	}
}

// checkAccepted asserts what ParseInteraction promises of an interaction it returns.
func checkAccepted(t *testing.T, ic slack.InteractionCallback) {
	t.Helper()
	if ic.Team.ID == "" || ic.User.ID == "" {
		t.Fatalf("accepted: got team.id %q, user.id %q, want both set", ic.Team.ID, ic.User.ID)
	}
	switch ic.Type {
	case slack.InteractionTypeViewSubmission:
		if ic.View.ID == "" || ic.View.CallbackID == "" || ic.View.PrivateMetadata == "" {
			t.Fatalf("accepted view_submission: got view %q, callback_id %q, private_metadata %q, want all set", ic.View.ID, ic.View.CallbackID, ic.View.PrivateMetadata)
		}
	case slack.InteractionTypeBlockActions:
		acts, c := ic.ActionCallback, ic.Container
		if len(acts.BlockActions) != 1 || len(acts.AttachmentActions) != 0 || acts.BlockActions[0].ActionID == "" {
			t.Fatalf("accepted block_actions: got %d block and %d attachment actions, want one block action with an action_id", len(acts.BlockActions), len(acts.AttachmentActions))
		}
		if ic.ResponseURL == "" || c.Type != "message" || c.ChannelID == "" || c.MessageTs == "" || ic.Channel.ID != c.ChannelID {
			t.Fatalf("accepted block_actions: got response_url %q, container %+v, channel %q, want a message's", ic.ResponseURL, c, ic.Channel.ID)
		}
	default:
		t.Fatalf("accepted: got type %q, want block_actions or view_submission", ic.Type)
	}
}

// FuzzParseInteraction: any body — a form, a payload, or fuzzed JSON inside a valid
// form — never panics; what is accepted keeps the promises; what is refused is refused
// as exactly one of the two kinds.
func FuzzParseInteraction(f *testing.F) {
	for _, name := range []string{"block_actions_join.json", "view_submission_typed.json", "view_submission_picked.json", "shortcut.json", "view_closed.json"} {
		p := payloadFile(f, name)
		f.Add(formOf(p), false)
		f.Add(p, true)
	}
	f.Add([]byte("payload=%7B%7D"), false)
	f.Add([]byte(`{"type":"block_actions","actions":[null],"team":{"id":"T"},"user":{"id":"U"}}`), true)
	f.Add([]byte(`{"type":"block_actions","actions":[{"block_id":1}],"container":{"attachment_id":"x"}}`), true)
	f.Fuzz(func(t *testing.T, data []byte, wrap bool) {
		body := data
		if wrap {
			body = formOf(data)
		}
		ic, err := ParseInteraction(body)
		if err != nil {
			if errors.Is(err, ErrMalformed) == errors.Is(err, ErrUnsupportedInteraction) {
				t.Fatalf("got error %v, want exactly one of ErrMalformed, ErrUnsupportedInteraction", err)
			}
			return
		}
		checkAccepted(t, ic)
	})
}

// TestParseInteractionHome: a click on the App Home tab — block_actions from a view of
// type home, with the view's id and hash and no response_url or channel, shaped as
// Slack's block_actions reference and the SDKs' payload types describe it — is accepted
// with the view's hash; without its hash, or with a view_id that is not the view's, it
// is malformed.
func TestParseInteractionHome(t *testing.T) {
	ic, err := ParseInteraction(formOf(payloadFile(t, "block_actions_home.json")))
	if err != nil {
		t.Fatalf("Home click: got error %v, want it accepted", err)
	}
	if ic.View.Hash != "1548261231.a1b2c3d4" || ic.ResponseURL != "" || ic.Channel.ID != "" {
		t.Errorf("Home click: got hash %q, response_url %q, channel %q; want the view's hash and neither", ic.View.Hash, ic.ResponseURL, ic.Channel.ID)
	}
	for _, tc := range []struct {
		name string
		edit func(p map[string]any)
		want string
	}{
		{"no hash", func(p map[string]any) { delete(obj(p, "view"), "hash") }, "without view.id or view.hash"},
		{"no view id", func(p map[string]any) { obj(p, "view")["id"] = "" }, "without view.id or view.hash"},
		{"another view", func(p map[string]any) { obj(p, "container")["view_id"] = "V0OTHER" }, "is not view.id"},
	} {
		_, err := ParseInteraction(formOf(edited(t, "block_actions_home.json", tc.edit)))
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got error %v, want ErrMalformed saying %q", tc.name, err, tc.want)
		}
	}
}
