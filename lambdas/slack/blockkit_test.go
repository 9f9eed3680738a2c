package slack

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"
)

func mrkdwn(text string) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.MarkdownType, text, false, false)
}

func plain(text string) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.PlainTextType, text, false, false)
}

func sectionOf(text string) *slackgo.SectionBlock {
	return slackgo.NewSectionBlock(mrkdwn(text), nil, nil)
}

func contextOf(n int, text string) *slackgo.ContextBlock {
	els := make([]slackgo.MixedElement, n)
	for i := range els {
		els[i] = mrkdwn(text)
	}
	return slackgo.NewContextBlock("", els...)
}

func msgOf(text string, blocks ...slackgo.Block) *slackgo.Msg {
	return &slackgo.Msg{Text: text, Blocks: slackgo.Blocks{BlockSet: blocks}}
}

func sections(n int) []slackgo.Block {
	out := make([]slackgo.Block, n)
	for i := range out {
		out[i] = sectionOf("x")
	}
	return out
}

func withID[B interface {
	*slackgo.SectionBlock | *slackgo.ContextBlock
}](b B, id string) B {
	switch x := any(b).(type) {
	case *slackgo.SectionBlock:
		x.BlockID = id
	case *slackgo.ContextBlock:
		x.BlockID = id
	}
	return b
}

func buttonSection(mutate func(*slackgo.ButtonBlockElement)) *slackgo.SectionBlock {
	btn := slackgo.NewButtonBlockElement("act", "v", plain("Go"))
	mutate(btn)
	return slackgo.NewSectionBlock(mrkdwn("pick"), nil, slackgo.NewAccessory(btn))
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
		msg  *slackgo.Msg
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
		{"section without text or fields", msgOf("t", slackgo.NewSectionBlock(nil, nil, nil)), "neither text nor fields"},
		{"section fields at limit", msgOf("t", slackgo.NewSectionBlock(nil, make10(10, 2000), nil)), ""},
		{"section fields over limit", msgOf("t", slackgo.NewSectionBlock(nil, make10(11, 1), nil)), "section has 11 fields, limit 10"},
		{"section field text over limit", msgOf("t", slackgo.NewSectionBlock(nil, make10(1, 2001), nil)), "section field 0 has 2001 characters, limit 2000"},

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
		{"divider", msgOf("t", slackgo.NewDividerBlock()), ""},
		{"divider block_id over limit", msgOf("t", &slackgo.DividerBlock{Type: slackgo.MBTDivider, BlockID: strings.Repeat("i", 256)}), "divider block_id has 256"},

		{"message text at limit", msgOf(strings.Repeat("a", 40000), sectionOf("x")), ""},
		{"message text over limit", msgOf(strings.Repeat("a", 40001), sectionOf("x")), "message text has 40001 characters, limit 40000"},
		{"emoji message text at limit", msgOf(emoji(20000)), ""},
		{"emoji message text over limit", msgOf(emoji(20000) + "a"), "message text has 40001 characters"},
		{"text only", msgOf("hello"), ""},
		{"neither text nor blocks", msgOf(" "), "neither text nor blocks"},

		{"header at limit", msgOf("t", slackgo.NewHeaderBlock(plain(strings.Repeat("h", 150)))), ""},
		{"header over limit", msgOf("t", slackgo.NewHeaderBlock(plain(strings.Repeat("h", 151)))), "header text has 151 characters, limit 150"},
		{"header in mrkdwn", msgOf("t", slackgo.NewHeaderBlock(mrkdwn("h"))), "header text must be plain_text"},

		{"button text at limit", msgOf("t", buttonSection(func(b *slackgo.ButtonBlockElement) { b.Text = plain(strings.Repeat("b", 75)) })), ""},
		{"button text over limit", msgOf("t", buttonSection(func(b *slackgo.ButtonBlockElement) { b.Text = plain(strings.Repeat("b", 76)) })),
			"section accessory text has 76 characters, limit 75"},
		{"button text in mrkdwn", msgOf("t", buttonSection(func(b *slackgo.ButtonBlockElement) { b.Text = mrkdwn("b") })), "must be plain_text"},
		{"button action_id at limit", msgOf("t", buttonSection(func(b *slackgo.ButtonBlockElement) { b.ActionID = strings.Repeat("a", 255) })), ""},
		{"button action_id over limit", msgOf("t", buttonSection(func(b *slackgo.ButtonBlockElement) { b.ActionID = strings.Repeat("a", 256) })), "action_id has 256 characters, limit 255"},
		{"button value over limit", msgOf("t", buttonSection(func(b *slackgo.ButtonBlockElement) { b.Value = strings.Repeat("v", 2001) })), "value has 2001 characters, limit 2000"},
		{"button url over limit", msgOf("t", buttonSection(func(b *slackgo.ButtonBlockElement) { b.URL = strings.Repeat("u", 3001) })), "url has 3001 characters, limit 3000"},

		{"mrkdwn with emoji flag", msgOf("t", slackgo.NewSectionBlock(&slackgo.TextBlockObject{Type: "mrkdwn", Text: "x", Emoji: new(bool)}, nil, nil)), "emoji is only for plain_text"},
		{"plain_text verbatim", msgOf("t", slackgo.NewSectionBlock(&slackgo.TextBlockObject{Type: "plain_text", Text: "x", Verbatim: true}, nil, nil)), "verbatim is only for mrkdwn"},
		{"plain_text section", msgOf("t", slackgo.NewSectionBlock(plain("x"), nil, nil)), ""},
		{"unknown text type", msgOf("t", slackgo.NewSectionBlock(&slackgo.TextBlockObject{Type: "markdown", Text: "x"}, nil, nil)), `type "markdown", want plain_text or mrkdwn`},
		{"wrong block type field", msgOf("t", &slackgo.SectionBlock{Type: "context", Text: mrkdwn("x")}), `section has type "context"`},
		{"nil block", msgOf("t", nil), "block 0: nil block"},
		{"unchecked block type", msgOf("t", slackgo.NewImageBlock("https://example.com/a.png", "alt", "", nil)), "not checked by Validate"},
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

func make10(n, size int) []*slackgo.TextBlockObject {
	out := make([]*slackgo.TextBlockObject, n)
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
		got := clip(tc.s, tc.max)
		if got != tc.want {
			t.Errorf("clip(%q, %d): got %q, want %q", tc.s, tc.max, got, tc.want)
		}
		if Chars(got) > tc.max {
			t.Errorf("clip(%q, %d) = %q: got %d characters, want at most %d", tc.s, tc.max, got, Chars(got), tc.max)
		}
	}
}

// TestClipRandom: whatever the text and the limit, the result fits, is a prefix of the text
// (plus "…"), and keeps every entity whole.
func TestClipRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	g := textGen{rng}
	for range 2000 {
		s := Escape(g.item(rng.IntN(300)))
		max := rng.IntN(Chars(s) + 3)
		got := clip(s, max)
		if Chars(got) > max {
			t.Fatalf("clip(%q, %d) = %q: got %d characters, want at most %d", s, max, got, Chars(got), max)
		}
		if got == s {
			continue
		}
		if got != "" && !strings.HasSuffix(got, ellipsis) {
			t.Fatalf("clip(%q, %d): got %q, want it to end in …", s, max, got)
		}
		prefix := strings.TrimSuffix(got, ellipsis)
		if !strings.HasPrefix(s, prefix) {
			t.Fatalf("clip(%q, %d): got %q, want a prefix of the text", s, max, got)
		}
		if i := strings.LastIndex(prefix, "&"); i >= 0 && !strings.Contains(prefix[i:], ";") {
			t.Fatalf("clip(%q, %d): got %q, want no entity cut", s, max, got)
		}
	}
}
