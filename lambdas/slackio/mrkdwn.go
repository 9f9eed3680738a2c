package slackio

import (
	"regexp"
	"strings"
)

// Slack's text format (mrkdwn) reads &, < and > as markup, so Slack escapes them in what
// a person types — a slash command's text arrives with "&amp;", "&lt;" and "&gt;" — and
// a message must escape them once to show them. Between < and > Slack writes its own
// markup: user and channel mentions and links (only when a command has should_escape
// on; orderbot's manifest leaves it off, so they arrive as typed: "@alice", "#general").

// UnescapeText turns slash-command text into what the person typed: Slack's three
// entities, decoded in one pass (so "&amp;lt;" is the literal "&lt;").
func UnescapeText(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return unescaper.Replace(s)
}

var unescaper = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

// markupToken is Slack markup that stays meaningful in the bot's messages: a user or
// channel mention or a link, with an optional label. Special mentions (<!here>,
// <!channel>, <!subteam^…>) are not in it: an order must never page a channel.
var markupToken = regexp.MustCompile(`<(?:@[UW][A-Z0-9]+|#C[A-Z0-9]+|(?:https?://|mailto:)[^\s<>|]+)(?:\|[^<>]*)?>`)

// Escape makes text literal in a message: &, < and > are escaped once, except inside the
// mention and link tokens that markupToken recognises, which are kept (their & escaped,
// as Slack writes them).
func Escape(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	last := 0
	for _, m := range markupToken.FindAllStringIndex(s, -1) {
		b.WriteString(escapeAll.Replace(s[last:m[0]]))
		b.WriteString("<" + ampOnly.Replace(s[m[0]+1:m[1]-1]) + ">")
		last = m[1]
	}
	b.WriteString(escapeAll.Replace(s[last:]))
	return b.String()
}

// A Replacer builds its lookup table on first use; one per call was 70% of a reply's
// allocations.
var (
	escapeAll = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	ampOnly   = strings.NewReplacer("&", "&amp;")
)
