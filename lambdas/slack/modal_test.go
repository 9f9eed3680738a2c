package slack

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	slackgo "github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/orders"
)

var testModal = ModalContext{Team: "T0CAG", Channel: "C0CA5", ResponseURL: "https://hooks.slack.com/commands/T0CAG/1234567890123/ABCdefGHIjklMNOpqrSTUvwx"}

// pickOptions returns the modal's options (nil without a pick block).
func pickOptions(t *testing.T, v slackgo.ModalViewRequest) []*slackgo.OptionBlockObject {
	t.Helper()
	for _, b := range v.Blocks.BlockSet {
		if in := b.(*slackgo.InputBlock); in.BlockID == BlockPick {
			return in.Element.(*slackgo.SelectBlockElement).Options
		}
	}
	return nil
}

// submission is the view_submission of v with a picked option value and typed text
// ("" for none), as Slack would send it.
func submission(v slackgo.ModalViewRequest, picked, typed string) slackgo.InteractionCallback {
	var ic slackgo.InteractionCallback
	ic.Type = slackgo.InteractionTypeViewSubmission
	ic.Team.ID, ic.User.ID = "T0CAG", "U0CA5"
	ic.View.ID, ic.View.CallbackID, ic.View.PrivateMetadata = "V1", v.CallbackID, v.PrivateMetadata
	pick := slackgo.BlockAction{Type: "static_select"}
	pick.SelectedOption.Value = picked
	ic.View.State = &slackgo.ViewState{Values: map[string]map[string]slackgo.BlockAction{
		BlockPick: {actionPick: pick},
		BlockText: {actionText: {Type: "plain_text_input", Value: typed}},
	}}
	return ic
}

func TestOrderModal(t *testing.T) {
	recent := []string{"iced americano", "Iced  Americano", "  latte  ", "M&M <b>tea</b>", "", "bad\x07", "아이스 라떼 🧊",
		strings.Repeat("가", 149), strings.Repeat("가", 148), strings.Repeat("&", 30), strings.Repeat("&", 20), "two\nlines"}
	v := OrderModal(testModal, recent)
	if err := ValidateView(v); err != nil {
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
	if plainOnly := OrderModal(testModal, []string{"", "bad\x07"}); len(plainOnly.Blocks.BlockSet) != 1 || pickOptions(t, plainOnly) != nil {
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
	v := OrderModal(testModal, recent)
	if err := ValidateView(v); err != nil {
		t.Fatalf("ValidateView: got error %v, want nil", err)
	}
	opts := pickOptions(t, v)
	if len(opts) != maxOptions {
		t.Fatalf("options: got %d, want %d", len(opts), maxOptions)
	}
	for _, o := range opts {
		sub, err := ParseOrderSubmission(submission(v, o.Value, ""))
		if want, _ := orders.CleanItem(mustPicked(t, o.Value)); err != nil || sub.Item != want {
			t.Fatalf("pick %q: got %+v, %v, want item %q", o.Value, sub, err, want)
		}
	}
	long := OrderModal(ModalContext{Team: "T", Channel: "C", ResponseURL: "https://hooks.slack.com/" + strings.Repeat("x", 3000)}, nil)
	if err := ValidateView(long); err != nil || strings.Contains(long.PrivateMetadata, "hooks") {
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
		ic, err := ParseInteraction(formOf(payloadFile(t, tc.file)))
		if err != nil {
			t.Fatalf("%s: ParseInteraction: got error %v, want nil", tc.file, err)
		}
		sub, err := ParseOrderSubmission(ic)
		if want := (OrderSubmission{Context: testModal, User: "U0CA5", Item: tc.want}); err != nil || sub != want {
			t.Fatalf("%s: got %+v, %v, want %+v, nil", tc.file, sub, err, want)
		}
	}
}

func TestParseOrderSubmissionFieldErrors(t *testing.T) {
	v := OrderModal(testModal, []string{"latte"})
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
			_, err := ParseOrderSubmission(submission(v, tc.picked, tc.typed))
			var fe *FieldError
			if !errors.As(err, &fe) || fe.BlockID != tc.block || !strings.Contains(fe.Message, tc.want) {
				t.Fatalf("got error %v, want a field error on %s containing %q", err, tc.block, tc.want)
			}
			if errors.Is(err, ErrMalformed) {
				t.Fatalf("got error %v, want a field error only, not ErrMalformed", err)
			}
		})
	}
	sub, err := ParseOrderSubmission(submission(v, "", "  Iced americano \n"))
	if err != nil || sub.Item != "Iced americano" {
		t.Fatalf("typed with spaces: got %+v, %v, want item %q", sub, err, "Iced americano")
	}
}

func TestParseOrderSubmissionMalformed(t *testing.T) {
	v := OrderModal(testModal, []string{"latte"})
	for _, tc := range []struct {
		name string
		edit func(ic *slackgo.InteractionCallback)
		want string
	}{
		{"a click", func(ic *slackgo.InteractionCallback) { ic.Type = slackgo.InteractionTypeBlockActions }, "not the order modal's submission"},
		{"another modal", func(ic *slackgo.InteractionCallback) { ic.View.CallbackID = "other" }, "not the order modal's submission"},
		{"metadata not JSON", func(ic *slackgo.InteractionCallback) { ic.View.PrivateMetadata = "T0CAG/C0CA5" }, "private_metadata"},
		{"metadata without channel", func(ic *slackgo.InteractionCallback) { ic.View.PrivateMetadata = `{"t":"T0CAG","c":""}` }, "private_metadata"},
		{"metadata with more", func(ic *slackgo.InteractionCallback) { ic.View.PrivateMetadata = `{"t":"T0CAG","c":"C1","x":1}` }, "private_metadata"},
		{"metadata reordered", func(ic *slackgo.InteractionCallback) { ic.View.PrivateMetadata = `{"c":"C1","t":"T0CAG"}` }, "private_metadata"},
		{"another team", func(ic *slackgo.InteractionCallback) { ic.Team.ID = "T0OTHER" }, `submitted in team "T0OTHER"`},
		{"no user", func(ic *slackgo.InteractionCallback) { ic.User.ID = "" }, "without user.id"},
		{"pick not offered", func(ic *slackgo.InteractionCallback) {
			ic.View.State.Values[BlockPick][actionPick] = slackgo.BlockAction{SelectedOption: slackgo.OptionBlockObject{Value: "latte"}}
		}, "not one the modal offers"},
		{"pick with a raw &", func(ic *slackgo.InteractionCallback) {
			ic.View.State.Values[BlockPick][actionPick] = slackgo.BlockAction{SelectedOption: slackgo.OptionBlockObject{Value: `"m&m"`}}
		}, "not one the modal offers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ic := submission(v, "", "latte")
			tc.edit(&ic)
			_, err := ParseOrderSubmission(ic)
			var fe *FieldError
			switch {
			case !errors.Is(err, ErrMalformed) || errors.As(err, &fe):
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
		v := OrderModal(testModal, []string{item})
		opts := pickOptions(t, v)
		if len(opts) == 0 {
			if Chars(optionValue(item)) <= maxOptionValue {
				t.Fatalf("%q: got no option, want one (value of %d characters)", item, Chars(optionValue(item)))
			}
			continue
		}
		if strings.ContainsAny(opts[0].Value, "&<>") {
			t.Fatalf("%q: option value %q holds a character Slack escapes", item, opts[0].Value)
		}
		sub, err := ParseOrderSubmission(submission(v, opts[0].Value, ""))
		if err != nil || sub.Item != item {
			t.Fatalf("%q: picked back %q, %v, want the item", item, sub.Item, err)
		}
	}
}

func TestViewResponseJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    ViewResponse
		want string
	}{
		{"close", ViewResponse{}, `{}`},
		{"errors", ViewErrors(BlockText, "Pick a recent item or type your order."), `{"response_action":"errors","errors":{"order.text":"Pick a recent item or type your order."}}`},
		{"field error", (&FieldError{BlockPick, "x"}).Response(), `{"response_action":"errors","errors":{"order.pick":"x"}}`},
	} {
		b, err := json.Marshal(tc.r)
		if err != nil || string(b) != tc.want {
			t.Errorf("%s: got %s, %v, want %s", tc.name, b, err, tc.want)
		}
	}
	if msg := ViewErrors(BlockText, strings.Repeat("x", 500)).Errors[BlockText]; Chars(msg) > maxFieldError {
		t.Errorf("long field error: got %d characters, want at most %d", Chars(msg), maxFieldError)
	}
}

// TestValidateView checks every modal limit at the limit and one past it.
func TestValidateView(t *testing.T) {
	r := strings.Repeat
	opt := func(text, value string) *slackgo.OptionBlockObject {
		return slackgo.NewOptionBlockObject(value, plain(text), nil)
	}
	opts := func(n int) []*slackgo.OptionBlockObject {
		out := make([]*slackgo.OptionBlockObject, n)
		for i := range out {
			out[i] = opt("o", fmt.Sprint(i))
		}
		return out
	}
	sel := func(os ...*slackgo.OptionBlockObject) *slackgo.InputBlock {
		return slackgo.NewInputBlock("pick", plain("Pick"), nil, slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeStatic, plain("Choose"), "pick", os...))
	}
	input := func(edit func(*slackgo.PlainTextInputBlockElement)) *slackgo.InputBlock {
		el := slackgo.NewPlainTextInputBlockElement(plain("e.g."), "text")
		if edit != nil {
			edit(el)
		}
		return slackgo.NewInputBlock("text", plain("Type"), nil, el)
	}
	view := func(edit func(*slackgo.ModalViewRequest), blocks ...slackgo.Block) slackgo.ModalViewRequest {
		v := slackgo.ModalViewRequest{Type: slackgo.VTModal, Title: plain("Title"), Submit: plain("Go"), Blocks: slackgo.Blocks{BlockSet: blocks}}
		if edit != nil {
			edit(&v)
		}
		return v
	}
	blocks := func(n int) []slackgo.Block { return sections(n) }
	tests := []struct {
		name string
		v    slackgo.ModalViewRequest
		want string
	}{
		{"the order modal", OrderModal(testModal, []string{"latte"}), ""},
		{"home view", view(func(v *slackgo.ModalViewRequest) { v.Type = slackgo.VTHomeTab }, input(nil)), `view has type "home"`},
		{"title at limit", view(func(v *slackgo.ModalViewRequest) { v.Title = plain(r("t", 24)) }, input(nil)), ""},
		{"title over limit", view(func(v *slackgo.ModalViewRequest) { v.Title = plain(r("t", 25)) }, input(nil)), "view title has 25 characters, limit 24"},
		{"no title", view(func(v *slackgo.ModalViewRequest) { v.Title = nil }, input(nil)), "view title is missing"},
		{"title in mrkdwn", view(func(v *slackgo.ModalViewRequest) { v.Title = mrkdwn("t") }, input(nil)), "view title must be plain_text"},
		{"submit over limit", view(func(v *slackgo.ModalViewRequest) { v.Submit = plain(r("s", 25)) }, input(nil)), "view submit has 25 characters, limit 24"},
		{"close over limit", view(func(v *slackgo.ModalViewRequest) { v.Close = plain(r("c", 25)) }, input(nil)), "view close has 25 characters, limit 24"},
		{"inputs without submit", view(func(v *slackgo.ModalViewRequest) { v.Submit = nil }, input(nil)), "input blocks but no submit"},
		{"100 blocks", view(nil, blocks(100)...), ""},
		{"101 blocks", view(nil, blocks(101)...), "view has 101 blocks, limit 100"},
		{"no blocks", view(nil), "view has no blocks"},
		{"private_metadata at limit", view(func(v *slackgo.ModalViewRequest) { v.PrivateMetadata = r("m", 3000) }, input(nil)), ""},
		{"private_metadata over limit", view(func(v *slackgo.ModalViewRequest) { v.PrivateMetadata = r("m", 3001) }, input(nil)), "private_metadata has 3001 characters, limit 3000"},
		{"callback_id over limit", view(func(v *slackgo.ModalViewRequest) { v.CallbackID = r("c", 256) }, input(nil)), "callback_id has 256 characters, limit 255"},
		{"label at limit", view(nil, slackgo.NewInputBlock("b", plain(r("l", 2000)), nil, slackgo.NewPlainTextInputBlockElement(nil, "a"))), ""},
		{"label over limit", view(nil, slackgo.NewInputBlock("b", plain(r("l", 2001)), nil, slackgo.NewPlainTextInputBlockElement(nil, "a"))), "block 0: input label has 2001 characters, limit 2000"},
		{"hint over limit", view(nil, slackgo.NewInputBlock("b", plain("l"), plain(r("h", 2001)), slackgo.NewPlainTextInputBlockElement(nil, "a"))), "input hint has 2001 characters, limit 2000"},
		{"input without block_id", view(nil, slackgo.NewInputBlock("", plain("l"), nil, slackgo.NewPlainTextInputBlockElement(nil, "a"))), "input has no block_id"},
		{"input block_id over limit", view(nil, slackgo.NewInputBlock(r("b", 256), plain("l"), nil, slackgo.NewPlainTextInputBlockElement(nil, "a"))), "input block_id has 256 characters, limit 255"},
		{"input block_id twice", view(nil, sel(opt("a", "a")), slackgo.NewInputBlock("pick", plain("l"), nil, slackgo.NewPlainTextInputBlockElement(nil, "a"))), `block_id "pick" is also block 0's`},
		{"action_id twice", view(nil, sel(opt("a", "a")), slackgo.NewInputBlock("b", plain("l"), nil, slackgo.NewPlainTextInputBlockElement(nil, "pick"))), `action_id "pick" is also used in block 0`},
		{"unchecked input element", view(nil, slackgo.NewInputBlock("b", plain("l"), nil, slackgo.NewDatePickerBlockElement("d"))), "not checked by ValidateView"},
		{"100 options", view(nil, sel(opts(100)...)), ""},
		{"101 options", view(nil, sel(opts(101)...)), "static_select has 101 options, want 1–100"},
		{"no options", view(nil, sel()), "static_select has 0 options"},
		{"option text at limit", view(nil, sel(opt(r("o", 75), "v"))), ""},
		{"option text over limit", view(nil, sel(opt(r("o", 76), "v"))), "option 0 text has 76 characters, limit 75"},
		{"option text in mrkdwn", view(nil, sel(slackgo.NewOptionBlockObject("v", mrkdwn("o"), nil))), "option 0 text must be plain_text"},
		{"option value at limit", view(nil, sel(opt("o", r("v", 150)))), ""},
		{"option value over limit", view(nil, sel(opt("o", r("v", 151)))), "option 0 value has 151 characters, want 1–150"},
		{"empty option value", view(nil, sel(opt("o", ""))), "option 0 value has 0 characters"},
		{"option value twice", view(nil, sel(opt("a", "v"), opt("b", "v"))), `option 1 value "v" is not unique`},
		{"select placeholder over limit", view(nil, slackgo.NewInputBlock("b", plain("l"), nil, slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeStatic, plain(r("p", 151)), "a", opt("o", "v")))), "static_select placeholder has 151 characters, limit 150"},
		{"select action_id over limit", view(nil, slackgo.NewInputBlock("b", plain("l"), nil, slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeStatic, nil, r("a", 256), opt("o", "v")))), "static_select action_id has 256 characters, limit 255"},
		{"users select", view(nil, slackgo.NewInputBlock("b", plain("l"), nil, slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeUser, nil, "a"))), `select has type "users_select"`},
		{"initial option not offered", view(nil, slackgo.NewInputBlock("b", plain("l"), nil, slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeStatic, nil, "a", opt("o", "v")).WithInitialOption(opt("x", "x")))), "initial_option is not one of its options"},
		{"max_length at limit", view(nil, input(func(e *slackgo.PlainTextInputBlockElement) { e.MaxLength = 3000 })), ""},
		{"max_length over limit", view(nil, input(func(e *slackgo.PlainTextInputBlockElement) { e.MaxLength = 3001 })), "max_length is 3001, want 1–3000"},
		{"min_length over max_length", view(nil, input(func(e *slackgo.PlainTextInputBlockElement) { e.MinLength, e.MaxLength = 10, 5 })), "min_length 10 is above max_length 5"},
		{"min_length over limit", view(nil, input(func(e *slackgo.PlainTextInputBlockElement) { e.MinLength = 3001 })), "min_length is 3001, want 0–3000"},
		{"initial_value past max_length", view(nil, input(func(e *slackgo.PlainTextInputBlockElement) { e.MaxLength, e.InitialValue = 3, "latte" })), "initial_value has 5 characters, max_length 3"},
		{"input placeholder at limit", view(nil, input(func(e *slackgo.PlainTextInputBlockElement) { e.Placeholder = plain(r("p", 150)) })), ""},
		{"input placeholder over limit", view(nil, input(func(e *slackgo.PlainTextInputBlockElement) { e.Placeholder = plain(r("p", 151)) })), "plain_text_input placeholder has 151 characters, limit 150"},
		{"input action_id over limit", view(nil, input(func(e *slackgo.PlainTextInputBlockElement) { e.ActionID = r("a", 256) })), "plain_text_input action_id has 256 characters, limit 255"},
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
