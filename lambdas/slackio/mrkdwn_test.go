package slackio

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// slackEscape is what Slack does to the text a person types into a slash command.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// rendered is what Slack shows for mrkdwn text, formatting aside: markup tokens become
// their label (or target), entities the characters they stand for.
func rendered(mrkdwn string) string {
	out := tokenForRender.ReplaceAllStringFunc(mrkdwn, func(tok string) string {
		inner := tok[1 : len(tok)-1]
		if i := strings.IndexByte(inner, '|'); i >= 0 {
			return "[" + inner[i+1:] + "]"
		}
		return "[" + inner + "]"
	})
	if strings.ContainsAny(out, "<>") {
		return "INVALID: a raw < or > outside markup: " + out
	}
	return UnescapeText(out)
}

var tokenForRender = regexp.MustCompile(`<[^<>]*>`)

// TestTypedTextSurvives is the property: whatever a person types comes out of the bot's
// message exactly as typed — Slack escapes it, the bot decodes it, stores it, escapes it
// once in Block Kit, and Slack renders it.
func TestTypedTextSurvives(t *testing.T) {
	alphabet := []string{"&", "<", ">", "&amp;", "&lt;", "&gt;", "&&", "<<", ";", "#", "@", "!", "|", "U1", "C1",
		"here", "channel", "http://x.y", " ", "a", "Z", "가", "☕", "🍕", "*", "_", "~", "`", "\n", "%", "+", "="}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		for n := rng.IntN(12); n >= 0; n-- {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		typed := b.String()
		if markupToken.MatchString(typed) {
			continue // typed text that spells a mention or link is kept as one (see Escape)
		}
		stored := UnescapeText(slackEscape(typed))
		if stored != typed {
			t.Fatalf("stored text: got %q, want what was typed %q", stored, typed)
		}
		if got := rendered(Escape(stored)); got != typed {
			t.Fatalf("typed %q: got %q rendered by Slack, want it as typed", typed, got)
		}
	}
}

func TestEscapeKeepsMentionsAndLinks(t *testing.T) {
	for in, want := range map[string]string{
		"M&M":                               "M&amp;M",
		"a < b > c":                         "a &lt; b &gt; c",
		"for <@U123ABC>":                    "for <@U123ABC>",
		"for <@U123ABC|alice> & me":         "for <@U123ABC|alice> &amp; me",
		"see <#C42|coffee>":                 "see <#C42|coffee>",
		"<https://x.example/?a=1&b=2|menu>": "<https://x.example/?a=1&amp;b=2|menu>",
		"<!channel> <!here> <!subteam^S1>":  "&lt;!channel&gt; &lt;!here&gt; &lt;!subteam^S1&gt;",
		"<@u123>":                           "&lt;@u123&gt;",
		"<script>&amp;":                     "&lt;script&gt;&amp;amp;",
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q): got %q, want %q", in, got, want)
		}
	}
}
