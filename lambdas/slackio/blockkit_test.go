package slackio

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

func mrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, text, false, false)
}

func plain(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, text, false, false)
}

func sectionOf(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwn(text), nil, nil)
}

func contextOf(n int, text string) *slack.ContextBlock {
	els := make([]slack.MixedElement, n)
	for i := range els {
		els[i] = mrkdwn(text)
	}
	return slack.NewContextBlock("", els...)
}

func msgOf(text string, blocks ...slack.Block) *slack.Msg {
	return &slack.Msg{Text: text, Blocks: slack.Blocks{BlockSet: blocks}}
}

func sections(n int) []slack.Block {
	out := make([]slack.Block, n)
	for i := range out {
		out[i] = sectionOf("x")
	}
	return out
}

func withID[B interface {
	*slack.SectionBlock | *slack.ContextBlock
}](b B, id string) B {
	switch x := any(b).(type) {
	case *slack.SectionBlock:
		x.BlockID = id
	case *slack.ContextBlock:
		x.BlockID = id
	}
	return b
}

func buttonSection(mutate func(*slack.ButtonBlockElement)) *slack.SectionBlock {
	btn := slack.NewButtonBlockElement("act", "v", plain("Go"))
	mutate(btn)
	return slack.NewSectionBlock(mrkdwn("pick"), nil, slack.NewAccessory(btn))
}

func TestChars(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int
	}{
		{"", 0}, {"a", 1}, {"가", 1}, {"é", 1}, {"😀", 2}, {"☕️", 2}, {"👩‍💻", 5}, {"&amp;", 5}, {"\xff", 1}, {"a\xffb", 3},
	} {
		if got := Chars(tc.s); got != tc.want {
			t.Errorf("Chars(%q): got %d, want %d", tc.s, got, tc.want)
		}
		if got := Chars(tc.s); got < utf8.RuneCountInString(tc.s) {
			t.Errorf("Chars(%q): got %d, want at least its %d runes", tc.s, got, utf8.RuneCountInString(tc.s))
		}
	}
}

// TestValidate checks every limit at the limit and one past it.
func TestValidate(t *testing.T) {
	emoji := func(n int) string { return strings.Repeat("😀", n) }
	tests := []struct {
		name string
		msg  *slack.Msg
		want string // "" for valid, else a part of the error
	}{
		{"section text at limit", msgOf("t", sectionOf(strings.Repeat("a", 3000))), ""},
		{"section text over limit", msgOf("t", sectionOf(strings.Repeat("a", 3001))), "block 0: section text has 3001 characters, limit 3000"},
		{"Korean section text at limit", msgOf("t", sectionOf(strings.Repeat("가", 3000))), ""},
		{"Korean section text over limit", msgOf("t", sectionOf(strings.Repeat("가", 3001))), "section text has 3001 characters"},
		// 1,500 emoji are 1,500 runes but 3,000 UTF-16 units: counted the conservative way.
		{"emoji section text at limit", msgOf("t", sectionOf(emoji(1500))), ""},
		{"emoji section text over limit", msgOf("t", sectionOf(emoji(1500)+"a")), "section text has 3001 characters"},
		{"error names the block", msgOf("t", append(sections(3), sectionOf(strings.Repeat("x", 3012)))...),
			"block 3: section text has 3012 characters, limit 3000"},
		{"empty section text", msgOf("t", sectionOf("")), "block 0: section text is empty"},
		{"section without text or fields", msgOf("t", slack.NewSectionBlock(nil, nil, nil)), "neither text nor fields"},
		{"section fields at limit", msgOf("t", slack.NewSectionBlock(nil, make10(10, 2000), nil)), ""},
		{"section fields over limit", msgOf("t", slack.NewSectionBlock(nil, make10(11, 1), nil)), "section has 11 fields, limit 10"},
		{"section field text over limit", msgOf("t", slack.NewSectionBlock(nil, make10(1, 2001), nil)), "section field 0 has 2001 characters, limit 2000"},

		{"50 blocks", msgOf("t", sections(50)...), ""},
		{"51 blocks", msgOf("t", sections(51)...), "message has 51 blocks, limit 50"},

		{"context of 10 elements", msgOf("t", contextOf(10, "c")), ""},
		{"context of 11 elements", msgOf("t", contextOf(11, "c")), "block 0: context has 11 elements, limit 10"},
		{"context of no elements", msgOf("t", contextOf(0, "c")), "context has no elements"},
		{"context text at limit", msgOf("t", contextOf(1, strings.Repeat("c", 3000))), ""},
		{"context text over limit", msgOf("t", contextOf(1, strings.Repeat("c", 3001))), "context element 0 has 3001 characters, limit 3000"},
		{"context empty text", msgOf("t", contextOf(1, "")), "context element 0 is empty"},

		{"section block_id at limit", msgOf("t", withID(sectionOf("x"), strings.Repeat("i", 255))), ""},
		{"section block_id over limit", msgOf("t", withID(sectionOf("x"), strings.Repeat("i", 256))), "section block_id has 256 characters, limit 255"},
		{"context block_id over limit", msgOf("t", withID(contextOf(1, "c"), strings.Repeat("i", 256))), "context block_id has 256 characters"},
		{"divider", msgOf("t", slack.NewDividerBlock()), ""},
		{"divider block_id over limit", msgOf("t", &slack.DividerBlock{Type: slack.MBTDivider, BlockID: strings.Repeat("i", 256)}), "divider block_id has 256"},

		{"message text at limit", msgOf(strings.Repeat("a", 40000), sectionOf("x")), ""},
		{"message text over limit", msgOf(strings.Repeat("a", 40001), sectionOf("x")), "message text has 40001 characters, limit 40000"},
		{"emoji message text at limit", msgOf(emoji(20000)), ""},
		{"emoji message text over limit", msgOf(emoji(20000) + "a"), "message text has 40001 characters"},
		{"text only", msgOf("hello"), ""},
		{"neither text nor blocks", msgOf(" "), "neither text nor blocks"},

		{"header at limit", msgOf("t", slack.NewHeaderBlock(plain(strings.Repeat("h", 150)))), ""},
		{"header over limit", msgOf("t", slack.NewHeaderBlock(plain(strings.Repeat("h", 151)))), "header text has 151 characters, limit 150"},
		{"header in mrkdwn", msgOf("t", slack.NewHeaderBlock(mrkdwn("h"))), "header text must be plain_text"},

		{"button text at limit", msgOf("t", buttonSection(func(b *slack.ButtonBlockElement) { b.Text = plain(strings.Repeat("b", 75)) })), ""},
		{"button text over limit", msgOf("t", buttonSection(func(b *slack.ButtonBlockElement) { b.Text = plain(strings.Repeat("b", 76)) })),
			"section accessory text has 76 characters, limit 75"},
		{"button text in mrkdwn", msgOf("t", buttonSection(func(b *slack.ButtonBlockElement) { b.Text = mrkdwn("b") })), "must be plain_text"},
		{"button action_id at limit", msgOf("t", buttonSection(func(b *slack.ButtonBlockElement) { b.ActionID = strings.Repeat("a", 255) })), ""},
		{"button action_id over limit", msgOf("t", buttonSection(func(b *slack.ButtonBlockElement) { b.ActionID = strings.Repeat("a", 256) })), "action_id has 256 characters, limit 255"},
		{"button value over limit", msgOf("t", buttonSection(func(b *slack.ButtonBlockElement) { b.Value = strings.Repeat("v", 2001) })), "value has 2001 characters, limit 2000"},
		{"button url over limit", msgOf("t", buttonSection(func(b *slack.ButtonBlockElement) { b.URL = strings.Repeat("u", 3001) })), "url has 3001 characters, limit 3000"},

		{"mrkdwn with emoji flag", msgOf("t", slack.NewSectionBlock(&slack.TextBlockObject{Type: "mrkdwn", Text: "x", Emoji: new(bool)}, nil, nil)), "emoji is only for plain_text"},
		{"plain_text verbatim", msgOf("t", slack.NewSectionBlock(&slack.TextBlockObject{Type: "plain_text", Text: "x", Verbatim: true}, nil, nil)), "verbatim is only for mrkdwn"},
		{"plain_text section", msgOf("t", slack.NewSectionBlock(plain("x"), nil, nil)), ""},
		{"unknown text type", msgOf("t", slack.NewSectionBlock(&slack.TextBlockObject{Type: "markdown", Text: "x"}, nil, nil)), `type "markdown", want plain_text or mrkdwn`},
		{"wrong block type field", msgOf("t", &slack.SectionBlock{Type: "context", Text: mrkdwn("x")}), `section has type "context"`},
		{"nil block", msgOf("t", nil), "block 0: nil block"},
		{"unchecked block type", msgOf("t", slack.NewImageBlock("https://example.com/a.png", "alt", "", nil)), "not checked by Validate"},
		{"nil message", nil, "no message"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.msg)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: got error %v, want nil", err)
			case tc.want != "" && err == nil:
				t.Fatalf("Validate: got nil, want an error containing %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("Validate: got error %q, want one containing %q", err, tc.want)
			}
		})
	}
}

func make10(n, size int) []*slack.TextBlockObject {
	out := make([]*slack.TextBlockObject, n)
	for i := range out {
		out[i] = mrkdwn(strings.Repeat("f", size))
	}
	return out
}

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		s    string
		max  int
		want string
	}{
		{"latte", 5, "latte"},
		{"lattes", 5, "latt…"},
		{"&amp;&amp;", 9, "&amp;…"},          // never half an entity
		{"a&lt;b", 4, "a…"},                  // "a&l…" would show a stray "&l"
		{"<@U123>, <@U456>", 12, "<@U123>…"}, // never half a mention
		{"😀😀😀", 5, "😀😀…"},                    // an emoji is two characters
		{"😀😀😀", 4, "😀…"},                     // and is never split
		{"☕️☕️", 3, "☕️…"},                   // variation selector stays with its cup
		{"☕️☕️", 2, "…"},                     // rather than a cup without it
		{"👩‍💻👩‍💻", 6, "👩‍💻…"},                // a ZWJ sequence stays whole
		{"abc", 0, ""},
	} {
		got := Clip(tc.s, tc.max)
		if got != tc.want {
			t.Errorf("Clip(%q, %d): got %q, want %q", tc.s, tc.max, got, tc.want)
		}
		if Chars(got) > tc.max {
			t.Errorf("Clip(%q, %d) = %q: got %d characters, want at most %d", tc.s, tc.max, got, Chars(got), tc.max)
		}
	}
}

// TestValidateInteractive checks the limits of buttons, actions blocks and confirmation
// dialogs at the limit and one past it, and the uniqueness of ids.
func TestValidateInteractive(t *testing.T) {
	btn := func(id string, edit func(*slack.ButtonBlockElement)) *slack.ButtonBlockElement {
		b := slack.NewButtonBlockElement(id, "v", plain("Go"))
		if edit != nil {
			edit(b)
		}
		return b
	}
	buttons := func(n int) []slack.BlockElement {
		els := make([]slack.BlockElement, n)
		for i := range els {
			els[i] = btn("b"+strconv.Itoa(i), nil)
		}
		return els
	}
	confirm := func(title, text, yes, no string) *slack.ConfirmationBlockObject {
		return slack.NewConfirmationBlockObject(plain(title), plain(text), plain(yes), plain(no))
	}
	withConfirm := func(c *slack.ConfirmationBlockObject) *slack.ActionBlock {
		return slack.NewActionBlock("", btn("a", func(b *slack.ButtonBlockElement) { b.Confirm = c }))
	}
	r := strings.Repeat
	tests := []struct {
		name string
		msg  *slack.Msg
		want string // "" for valid, else a part of the error
	}{
		{"25 elements", msgOf("t", slack.NewActionBlock("", buttons(25)...)), ""},
		{"26 elements", msgOf("t", slack.NewActionBlock("", buttons(26)...)), "block 0: actions has 26 elements, limit 25"},
		{"no elements", msgOf("t", slack.NewActionBlock("")), "actions has no elements"},
		{"actions block_id over limit", msgOf("t", slack.NewActionBlock(r("i", 256), buttons(1)...)), "actions block_id has 256 characters, limit 255"},
		{"unchecked element", msgOf("t", slack.NewActionBlock("", slack.NewOverflowBlockElement("o"))), "not checked by Validate"},
		{"button text over limit", msgOf("t", slack.NewActionBlock("", btn("a", func(b *slack.ButtonBlockElement) { b.Text = plain(r("b", 76)) }))), "actions element 0 text has 76 characters, limit 75"},
		{"style primary", msgOf("t", slack.NewActionBlock("", btn("a", func(b *slack.ButtonBlockElement) { b.Style = slack.StylePrimary }))), ""},
		{"style danger", msgOf("t", slack.NewActionBlock("", btn("a", func(b *slack.ButtonBlockElement) { b.Style = slack.StyleDanger }))), ""},
		{"style other", msgOf("t", slack.NewActionBlock("", btn("a", func(b *slack.ButtonBlockElement) { b.Style = "warning" }))), `style is "warning"`},
		{"accessory style other", msgOf("t", buttonSection(func(b *slack.ButtonBlockElement) { b.Style = "green" })), `section accessory style is "green"`},
		{"confirm at limits", msgOf("t", withConfirm(confirm(r("t", 100), r("x", 300), r("y", 30), r("n", 30)))), ""},
		{"confirm title over", msgOf("t", withConfirm(confirm(r("t", 101), "x", "y", "n"))), "confirm title has 101 characters, limit 100"},
		{"confirm text over", msgOf("t", withConfirm(confirm("t", r("x", 301), "y", "n"))), "confirm text has 301 characters, limit 300"},
		{"confirm confirm over", msgOf("t", withConfirm(confirm("t", "x", r("y", 31), "n"))), "confirm confirm has 31 characters, limit 30"},
		{"confirm deny over", msgOf("t", withConfirm(confirm("t", "x", "y", r("n", 31)))), "confirm deny has 31 characters, limit 30"},
		{"confirm in mrkdwn", msgOf("t", withConfirm(slack.NewConfirmationBlockObject(plain("t"), mrkdwn("x"), plain("y"), plain("n")))), "must be plain_text"},
		{"confirm without deny", msgOf("t", withConfirm(slack.NewConfirmationBlockObject(plain("t"), plain("x"), plain("y"), nil))), "confirm deny is missing"},
		{"confirm style other", msgOf("t", withConfirm(confirm("t", "x", "y", "n").WithStyle("red"))), `confirm style is "red"`},
		{"action_id twice in a block", msgOf("t", slack.NewActionBlock("", btn("a", nil), btn("a", nil))), `block 0: action_id "a" is also used in block 0`},
		{"action_id twice in a message", msgOf("t", buttonSection(func(b *slack.ButtonBlockElement) { b.ActionID = "a" }), slack.NewActionBlock("", btn("a", nil))), `block 1: action_id "a" is also used in block 0`},
		{"unset action_ids", msgOf("t", slack.NewActionBlock("", btn("", nil), btn("", nil))), ""},
		{"block_id twice", msgOf("t", withID(sectionOf("x"), "b"), slack.NewActionBlock("b", buttons(1)...)), `block 1: block_id "b" is also block 0's`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.msg)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: got error %v, want nil", err)
			case tc.want != "" && err == nil:
				t.Fatalf("Validate: got nil, want an error containing %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("Validate: got error %q, want one containing %q", err, tc.want)
			}
		})
	}
}
