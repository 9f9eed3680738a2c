package say

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

var testModal = ModalContext{Team: "T0CAG", Channel: "C0CA5", ResponseURL: "https://hooks.slack.com/commands/T0CAG/1234567890123/ABCdefGHIjklMNOpqrSTUvwx"}

// pickOptions returns the modal's options (nil without a pick block).
func pickOptions(t *testing.T, v slack.ModalViewRequest) []*slack.OptionBlockObject {
	t.Helper()
	for _, b := range v.Blocks.BlockSet {
		if in := b.(*slack.InputBlock); in.BlockID == BlockPick {
			return in.Element.(*slack.SelectBlockElement).Options
		}
	}
	return nil
}

// submission is the view_submission of v with a picked option value and typed text
// ("" for none), as Slack would send it.
func submission(v slack.ModalViewRequest, picked, typed string) slack.InteractionCallback {
	var ic slack.InteractionCallback
	ic.Type = slack.InteractionTypeViewSubmission
	ic.Team.ID, ic.User.ID = "T0CAG", "U0CA5"
	ic.View.ID, ic.View.CallbackID, ic.View.PrivateMetadata = "V1", v.CallbackID, v.PrivateMetadata
	pick := slack.BlockAction{Type: "static_select"}
	pick.SelectedOption.Value = picked
	ic.View.State = &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
		BlockPick: {actionPick: pick},
		BlockText: {actionText: {Type: "plain_text_input", Value: typed}},
	}}
	return ic
}

func TestOrderModal(t *testing.T) {
	recent := []string{"iced americano", "Iced  Americano", "  latte  ", "M&M <b>tea</b>", "", "bad\x07", "아이스 라떼 🧊",
		strings.Repeat("가", 149), strings.Repeat("가", 148), strings.Repeat("&", 30), strings.Repeat("&", 20), "two\nlines"}
	v := en.OrderModal(testModal, recent)
	if err := slackio.ValidateView(v); err != nil {
		t.Fatalf("ValidateView: got error %v, want nil", err)
	}
	if v.CallbackID != ModalOrder || v.Title.Text == "" || v.Submit == nil {
		t.Fatalf("view: got callback_id %q, title %v, submit %v, want %q with a title and a submit", v.CallbackID, v.Title, v.Submit, ModalOrder)
	}
	var m ModalContext
	if err := json.Unmarshal([]byte(v.PrivateMetadata), &m); err != nil || m != testModal {
		t.Fatalf("private_metadata %s: got %+v, %v, want %+v", v.PrivateMetadata, m, err, testModal)
	}
	var got []string
	for _, o := range pickOptions(t, v) {
		item, ok := pickedItem(o.Value)
		if !ok {
			t.Fatalf("option %q: value %q does not decode", o.Text.Text, o.Value)
		}
		got = append(got, item)
	}
	// One per key, cleaned, in order; none invalid; none whose value passes 150 characters
	// (149 Hangul are 151 with the quotes; 30 & are 182 as \u0026).
	want := []string{"iced americano", "latte", "M&M <b>tea</b>", "아이스 라떼 🧊", strings.Repeat("가", 148), strings.Repeat("&", 20), "two\nlines"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("options: got %q, want %q", got, want)
	}
	if label := pickOptions(t, v)[6].Text.Text; label != "two lines" {
		t.Fatalf("label of an item of two lines: got %q, want %q", label, "two lines")
	}
	if plainOnly := en.OrderModal(testModal, []string{"", "bad\x07"}); len(plainOnly.Blocks.BlockSet) != 1 || pickOptions(t, plainOnly) != nil {
		t.Fatalf("no usable recent item: got %d blocks, want the text field alone", len(plainOnly.Blocks.BlockSet))
	}
}

// TestOrderModalLimits: 300 recent items of up to 200 runes give at most 100 options, a
// valid view, and options that pick back exactly their item; a response_url too long
// for private_metadata is left out.
func TestOrderModalLimits(t *testing.T) {
	g := textGen{rand.New(rand.NewPCG(5, 6))}
	var recent []string
	for i := range 300 {
		recent = append(recent, fmt.Sprintf("%d %s", i, g.item(g.rng.IntN(60))))
	}
	v := en.OrderModal(testModal, recent)
	if err := slackio.ValidateView(v); err != nil {
		t.Fatalf("ValidateView: got error %v, want nil", err)
	}
	opts := pickOptions(t, v)
	if len(opts) != slackio.MaxOptions {
		t.Fatalf("options: got %d, want %d", len(opts), slackio.MaxOptions)
	}
	for _, o := range opts {
		sub, err := en.ParseOrderSubmission(submission(v, o.Value, ""))
		if want, _ := orders.CleanItem(mustPicked(t, o.Value)); err != nil || sub.Item != want {
			t.Fatalf("pick %q: got %+v, %v, want item %q", o.Value, sub, err, want)
		}
	}
	long := en.OrderModal(ModalContext{Team: "T", Channel: "C", ResponseURL: "https://hooks.slack.com/" + strings.Repeat("x", 3000)}, nil)
	if err := slackio.ValidateView(long); err != nil || strings.Contains(long.PrivateMetadata, "hooks") {
		t.Fatalf("response_url of 3,000 characters: got private_metadata of %d characters, %v, want it left out", len(long.PrivateMetadata), err)
	}
}

func mustPicked(t *testing.T, value string) string {
	t.Helper()
	item, ok := pickedItem(value)
	if !ok {
		t.Fatalf("option value %q does not decode", value)
	}
	return item
}

func TestParseOrderSubmissionDocumented(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"view_submission_typed.json", "아이스 라떼 🧊"},
		{"view_submission_picked.json", "M&M latte"},
	} {
		ic, err := slackio.ParseInteraction(formOf(payloadFile(t, tc.file)))
		if err != nil {
			t.Fatalf("%s: ParseInteraction: got error %v, want nil", tc.file, err)
		}
		sub, err := en.ParseOrderSubmission(ic)
		if want := (OrderSubmission{Context: testModal, User: "U0CA5", Item: tc.want}); err != nil || sub != want {
			t.Fatalf("%s: got %+v, %v, want %+v, nil", tc.file, sub, err, want)
		}
	}
}

func TestParseOrderSubmissionFieldErrors(t *testing.T) {
	v := en.OrderModal(testModal, []string{"latte"})
	for _, tc := range []struct {
		name, picked, typed, block, want string
	}{
		{"nothing", "", "", BlockText, "Pick a recent item or type your order."},
		{"only spaces", "", "   ", BlockText, "Pick a recent item or type your order."},
		{"both", `"latte"`, "mocha", BlockText, "not both"},
		{"typed too long", "", strings.Repeat("가", 201), BlockText, "at most 200 characters"},
		{"typed control character", "", "latte\x07", BlockText, "can't store"},
		{"picked too long", `"` + strings.Repeat("a", 201) + `"`, "", BlockPick, "at most 200 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := en.ParseOrderSubmission(submission(v, tc.picked, tc.typed))
			var fe *slackio.FieldError
			if !errors.As(err, &fe) || fe.BlockID != tc.block || !strings.Contains(fe.Message, tc.want) {
				t.Fatalf("got error %v, want a field error on %s containing %q", err, tc.block, tc.want)
			}
			if errors.Is(err, slackio.ErrMalformed) {
				t.Fatalf("got error %v, want a field error only, not ErrMalformed", err)
			}
		})
	}
	sub, err := en.ParseOrderSubmission(submission(v, "", "  Iced americano \n"))
	if err != nil || sub.Item != "Iced americano" {
		t.Fatalf("typed with spaces: got %+v, %v, want item %q", sub, err, "Iced americano")
	}
}

func TestParseOrderSubmissionMalformed(t *testing.T) {
	v := en.OrderModal(testModal, []string{"latte"})
	for _, tc := range []struct {
		name string
		edit func(ic *slack.InteractionCallback)
		want string
	}{
		{"a click", func(ic *slack.InteractionCallback) { ic.Type = slack.InteractionTypeBlockActions }, "not the order modal's submission"},
		{"another modal", func(ic *slack.InteractionCallback) { ic.View.CallbackID = "other" }, "not the order modal's submission"},
		{"metadata not JSON", func(ic *slack.InteractionCallback) { ic.View.PrivateMetadata = "T0CAG/C0CA5" }, "private_metadata"},
		{"metadata without channel", func(ic *slack.InteractionCallback) { ic.View.PrivateMetadata = `{"t":"T0CAG","c":""}` }, "private_metadata"},
		{"metadata with more", func(ic *slack.InteractionCallback) { ic.View.PrivateMetadata = `{"t":"T0CAG","c":"C1","x":1}` }, "private_metadata"},
		{"metadata reordered", func(ic *slack.InteractionCallback) { ic.View.PrivateMetadata = `{"c":"C1","t":"T0CAG"}` }, "private_metadata"},
		{"another team", func(ic *slack.InteractionCallback) { ic.Team.ID = "T0OTHER" }, `submitted in team "T0OTHER"`},
		{"no user", func(ic *slack.InteractionCallback) { ic.User.ID = "" }, "without user.id"},
		{"pick not offered", func(ic *slack.InteractionCallback) {
			ic.View.State.Values[BlockPick][actionPick] = slack.BlockAction{SelectedOption: slack.OptionBlockObject{Value: "latte"}}
		}, "not one the modal offers"},
		{"pick with a raw &", func(ic *slack.InteractionCallback) {
			ic.View.State.Values[BlockPick][actionPick] = slack.BlockAction{SelectedOption: slack.OptionBlockObject{Value: `"m&m"`}}
		}, "not one the modal offers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ic := submission(v, "", "latte")
			tc.edit(&ic)
			_, err := en.ParseOrderSubmission(ic)
			var fe *slackio.FieldError
			switch {
			case !errors.Is(err, slackio.ErrMalformed) || errors.As(err, &fe):
				t.Fatalf("got error %v, want ErrMalformed", err)
			case !strings.Contains(err.Error(), tc.want):
				t.Fatalf("got error %q, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestPickRoundTrip: whatever item is offered comes back from its option as itself.
func TestPickRoundTrip(t *testing.T) {
	g := textGen{rand.New(rand.NewPCG(7, 7))}
	for range 500 {
		item, err := orders.CleanItem(g.item(1 + g.rng.IntN(70)))
		if err != nil {
			continue
		}
		v := en.OrderModal(testModal, []string{item})
		opts := pickOptions(t, v)
		if len(opts) == 0 {
			if slackio.Chars(optionValue(item)) <= slackio.MaxOptionValue {
				t.Fatalf("%q: got no option, want one (value of %d characters)", item, slackio.Chars(optionValue(item)))
			}
			continue
		}
		if strings.ContainsAny(opts[0].Value, "&<>") {
			t.Fatalf("%q: option value %q holds a character Slack escapes", item, opts[0].Value)
		}
		sub, err := en.ParseOrderSubmission(submission(v, opts[0].Value, ""))
		if err != nil || sub.Item != item {
			t.Fatalf("%q: picked back %q, %v, want the item", item, sub.Item, err)
		}
	}
}

// payloadFile is one of the interaction payloads shaped as Slack documents them, which
// the transport's tests parse too (slackio/testdata/interaction).
func payloadFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "slackio", "testdata", "interaction", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// formOf is the body Slack posts: the payload as the form's only field.
func formOf(payload []byte) []byte {
	return []byte("payload=" + url.QueryEscape(string(payload)))
}
