package slackio

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func TestViewResponseJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    ViewResponse
		want string
	}{
		{"close", ViewResponse{}, `{}`},
		{"errors", ViewErrors("order.text", "Pick a recent item or type your order."), `{"response_action":"errors","errors":{"order.text":"Pick a recent item or type your order."}}`},
		{"field error", (&FieldError{BlockID: "order.pick", Message: "x"}).Response(), `{"response_action":"errors","errors":{"order.pick":"x"}}`},
	} {
		b, err := json.Marshal(tc.r)
		if err != nil || string(b) != tc.want {
			t.Errorf("%s: got %s, %v, want %s", tc.name, b, err, tc.want)
		}
	}
	if msg := ViewErrors("order.text", strings.Repeat("x", 500)).Errors["order.text"]; Chars(msg) > maxFieldError {
		t.Errorf("long field error: got %d characters, want at most %d", Chars(msg), maxFieldError)
	}
}

// TestValidateView checks every modal limit at the limit and one past it.
func TestValidateView(t *testing.T) {
	r := strings.Repeat
	opt := func(text, value string) *slack.OptionBlockObject {
		return slack.NewOptionBlockObject(value, plain(text), nil)
	}
	opts := func(n int) []*slack.OptionBlockObject {
		out := make([]*slack.OptionBlockObject, n)
		for i := range out {
			out[i] = opt("o", fmt.Sprint(i))
		}
		return out
	}
	sel := func(os ...*slack.OptionBlockObject) *slack.InputBlock {
		return slack.NewInputBlock("pick", plain("Pick"), nil, slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose"), "pick", os...))
	}
	input := func(edit func(*slack.PlainTextInputBlockElement)) *slack.InputBlock {
		el := slack.NewPlainTextInputBlockElement(plain("e.g."), "text")
		if edit != nil {
			edit(el)
		}
		return slack.NewInputBlock("text", plain("Type"), nil, el)
	}
	view := func(edit func(*slack.ModalViewRequest), blocks ...slack.Block) slack.ModalViewRequest {
		v := slack.ModalViewRequest{Type: slack.VTModal, Title: plain("Title"), Submit: plain("Go"), Blocks: slack.Blocks{BlockSet: blocks}}
		if edit != nil {
			edit(&v)
		}
		return v
	}
	blocks := func(n int) []slack.Block { return sections(n) }
	tests := []struct {
		name string
		v    slack.ModalViewRequest
		want string
	}{
		{"home view", view(func(v *slack.ModalViewRequest) { v.Type = slack.VTHomeTab }, input(nil)), `view has type "home"`},
		{"title at limit", view(func(v *slack.ModalViewRequest) { v.Title = plain(r("t", 24)) }, input(nil)), ""},
		{"title over limit", view(func(v *slack.ModalViewRequest) { v.Title = plain(r("t", 25)) }, input(nil)), "view title has 25 characters, limit 24"},
		{"no title", view(func(v *slack.ModalViewRequest) { v.Title = nil }, input(nil)), "view title is missing"},
		{"title in mrkdwn", view(func(v *slack.ModalViewRequest) { v.Title = mrkdwn("t") }, input(nil)), "view title must be plain_text"},
		{"submit over limit", view(func(v *slack.ModalViewRequest) { v.Submit = plain(r("s", 25)) }, input(nil)), "view submit has 25 characters, limit 24"},
		{"close over limit", view(func(v *slack.ModalViewRequest) { v.Close = plain(r("c", 25)) }, input(nil)), "view close has 25 characters, limit 24"},
		{"inputs without submit", view(func(v *slack.ModalViewRequest) { v.Submit = nil }, input(nil)), "input blocks but no submit"},
		{"100 blocks", view(nil, blocks(100)...), ""},
		{"101 blocks", view(nil, blocks(101)...), "view has 101 blocks, limit 100"},
		{"no blocks", view(nil), "view has no blocks"},
		{"private_metadata at limit", view(func(v *slack.ModalViewRequest) { v.PrivateMetadata = r("m", 3000) }, input(nil)), ""},
		{"private_metadata over limit", view(func(v *slack.ModalViewRequest) { v.PrivateMetadata = r("m", 3001) }, input(nil)), "private_metadata has 3001 characters, limit 3000"},
		{"callback_id over limit", view(func(v *slack.ModalViewRequest) { v.CallbackID = r("c", 256) }, input(nil)), "callback_id has 256 characters, limit 255"},
		{"label at limit", view(nil, slack.NewInputBlock("b", plain(r("l", 2000)), nil, slack.NewPlainTextInputBlockElement(nil, "a"))), ""},
		{"label over limit", view(nil, slack.NewInputBlock("b", plain(r("l", 2001)), nil, slack.NewPlainTextInputBlockElement(nil, "a"))), "block 0: input label has 2001 characters, limit 2000"},
		{"hint over limit", view(nil, slack.NewInputBlock("b", plain("l"), plain(r("h", 2001)), slack.NewPlainTextInputBlockElement(nil, "a"))), "input hint has 2001 characters, limit 2000"},
		{"input without block_id", view(nil, slack.NewInputBlock("", plain("l"), nil, slack.NewPlainTextInputBlockElement(nil, "a"))), "input has no block_id"},
		{"input block_id over limit", view(nil, slack.NewInputBlock(r("b", 256), plain("l"), nil, slack.NewPlainTextInputBlockElement(nil, "a"))), "input block_id has 256 characters, limit 255"},
		{"input block_id twice", view(nil, sel(opt("a", "a")), slack.NewInputBlock("pick", plain("l"), nil, slack.NewPlainTextInputBlockElement(nil, "a"))), `block_id "pick" is also block 0's`},
		{"action_id twice", view(nil, sel(opt("a", "a")), slack.NewInputBlock("b", plain("l"), nil, slack.NewPlainTextInputBlockElement(nil, "pick"))), `action_id "pick" is also used in block 0`},
		{"unchecked input element", view(nil, slack.NewInputBlock("b", plain("l"), nil, slack.NewDatePickerBlockElement("d"))), "not checked by ValidateView"},
		{"100 options", view(nil, sel(opts(100)...)), ""},
		{"101 options", view(nil, sel(opts(101)...)), "static_select has 101 options, want 1–100"},
		{"no options", view(nil, sel()), "static_select has 0 options"},
		{"option text at limit", view(nil, sel(opt(r("o", 75), "v"))), ""},
		{"option text over limit", view(nil, sel(opt(r("o", 76), "v"))), "option 0 text has 76 characters, limit 75"},
		{"option text in mrkdwn", view(nil, sel(slack.NewOptionBlockObject("v", mrkdwn("o"), nil))), "option 0 text must be plain_text"},
		{"option value at limit", view(nil, sel(opt("o", r("v", 150)))), ""},
		{"option value over limit", view(nil, sel(opt("o", r("v", 151)))), "option 0 value has 151 characters, want 1–150"},
		{"empty option value", view(nil, sel(opt("o", ""))), "option 0 value has 0 characters"},
		{"option value twice", view(nil, sel(opt("a", "v"), opt("b", "v"))), `option 1 value "v" is not unique`},
		{"select placeholder over limit", view(nil, slack.NewInputBlock("b", plain("l"), nil, slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain(r("p", 151)), "a", opt("o", "v")))), "static_select placeholder has 151 characters, limit 150"},
		{"select action_id over limit", view(nil, slack.NewInputBlock("b", plain("l"), nil, slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, r("a", 256), opt("o", "v")))), "static_select action_id has 256 characters, limit 255"},
		{"users select", view(nil, slack.NewInputBlock("b", plain("l"), nil, slack.NewOptionsSelectBlockElement(slack.OptTypeUser, nil, "a"))), `select has type "users_select"`},
		{"initial option not offered", view(nil, slack.NewInputBlock("b", plain("l"), nil, slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "a", opt("o", "v")).WithInitialOption(opt("x", "x")))), "initial_option is not one of its options"},
		{"max_length at limit", view(nil, input(func(e *slack.PlainTextInputBlockElement) { e.MaxLength = 3000 })), ""},
		{"max_length over limit", view(nil, input(func(e *slack.PlainTextInputBlockElement) { e.MaxLength = 3001 })), "max_length is 3001, want 1–3000"},
		{"min_length over max_length", view(nil, input(func(e *slack.PlainTextInputBlockElement) { e.MinLength, e.MaxLength = 10, 5 })), "min_length 10 is above max_length 5"},
		{"min_length over limit", view(nil, input(func(e *slack.PlainTextInputBlockElement) { e.MinLength = 3001 })), "min_length is 3001, want 0–3000"},
		{"initial_value past max_length", view(nil, input(func(e *slack.PlainTextInputBlockElement) { e.MaxLength, e.InitialValue = 3, "latte" })), "initial_value has 5 characters, max_length 3"},
		{"input placeholder at limit", view(nil, input(func(e *slack.PlainTextInputBlockElement) { e.Placeholder = plain(r("p", 150)) })), ""},
		{"input placeholder over limit", view(nil, input(func(e *slack.PlainTextInputBlockElement) { e.Placeholder = plain(r("p", 151)) })), "plain_text_input placeholder has 151 characters, limit 150"},
		{"input action_id over limit", view(nil, input(func(e *slack.PlainTextInputBlockElement) { e.ActionID = r("a", 256) })), "plain_text_input action_id has 256 characters, limit 255"},
		{"section in a view", view(nil, sectionOf(r("s", 3001))), "block 0: section text has 3001 characters, limit 3000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateView(tc.v)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("ValidateView: got error %v, want nil", err)
			case tc.want != "" && err == nil:
				t.Fatalf("ValidateView: got nil, want an error containing %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("ValidateView: got error %q, want one containing %q", err, tc.want)
			}
		})
	}
}
