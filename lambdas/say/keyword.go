package say

import (
	"strings"
	"sync"
	"unicode"

	"github.com/orderbot/orderbot/lambdas/say/i18n"
)

// Keyword is a word a command's text may start with, recognised in every supported
// language whatever the configured one: `cancel` or `취소`, `close` or `마감`, `share` or
// `공유`, `again` or `다시`, `history` or `기록`, `help` or `도움말`. A keyword is its
// catalogue entry (i18n.KeywordCancel, …: an id that starts with "keyword.", with the
// word in each catalogue) and nothing else: a new keyword is declared there, and
// ParseKeyword knows it. The handlers act on those their command's table takes; a
// keyword a command does not take reads as that command reads any other text.
type Keyword = i18n.ID

// NoKeyword is what text that does not start with a keyword reads as.
const NoKeyword Keyword = ""

// keywordPrefix starts the catalogue id of every keyword.
const keywordPrefix = "keyword."

// keywords maps every language's word of every keyword, lower case, to the keyword.
var keywords = sync.OnceValue(func() map[string]Keyword {
	out := map[string]Keyword{}
	for _, name := range i18n.Locales() {
		for id, t := range i18n.Texts(name) {
			if strings.HasPrefix(string(id), keywordPrefix) {
				out[strings.ToLower(t.Format)] = id
			}
		}
	}
	return out
})

// ParseKeyword reads the keyword text starts with: its first word, in any supported
// language, with case ignored ("CANCEL") and Hangul compared composed (a word typed as
// conjoining jamo matches its syllables). rest is the text after that word, trimmed.
// Text that does not start with a keyword gives NoKeyword and the whole text, trimmed.
// The caller decides what a keyword followed by more text means: `/order-update cancel`
// withdraws, `/order-update cancel fee` orders "cancel fee".
func ParseKeyword(text string) (k Keyword, rest string) {
	text = strings.TrimSpace(text)
	word, rest := text, ""
	if i := strings.IndexFunc(text, unicode.IsSpace); i >= 0 {
		word, rest = text[:i], strings.TrimSpace(text[i:])
	}
	if k, ok := keywords()[strings.ToLower(composeHangul(word))]; ok {
		return k, rest
	}
	return NoKeyword, text
}

// Hangul syllables and conjoining jamo (Unicode §3.12): a syllable is composed of a
// leading consonant (L), a vowel (V) and an optional trailing consonant (T).
const (
	hangulSBase, hangulLBase, hangulVBase, hangulTBase = 0xAC00, 0x1100, 0x1161, 0x11A7
	hangulLCount, hangulVCount, hangulTCount           = 19, 21, 28
	hangulNCount                                       = hangulVCount * hangulTCount
	hangulSCount                                       = hangulLCount * hangulNCount
)

// composeHangul composes conjoining Hangul jamo into syllables, as NFC does (a keyboard
// or a copy from a decomposed file may send 취소 as six jamo); other text is unchanged.
func composeHangul(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= hangulLBase && r <= 0x11FF }) {
		return s
	}
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if n := len(out); n > 0 {
			last := out[n-1]
			switch {
			case last >= hangulLBase && last < hangulLBase+hangulLCount && r >= hangulVBase && r < hangulVBase+hangulVCount:
				out[n-1] = hangulSBase + ((last-hangulLBase)*hangulVCount+(r-hangulVBase))*hangulTCount
				continue
			case last >= hangulSBase && last < hangulSBase+hangulSCount && (last-hangulSBase)%hangulTCount == 0 &&
				r > hangulTBase && r < hangulTBase+hangulTCount:
				out[n-1] = last + (r - hangulTBase)
				continue
			}
		}
		out = append(out, r)
	}
	return string(out)
}
