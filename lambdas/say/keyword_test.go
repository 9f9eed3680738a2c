package say

import (
	"strings"
	"testing"

	"github.com/orderbot/orderbot/lambdas/say/i18n"
)

// TestParseKeyword: every keyword in both languages, case-insensitively, with Hangul
// decomposed, and what follows it.
func TestParseKeyword(t *testing.T) {
	for _, tc := range []struct {
		text string
		want Keyword
		rest string
	}{
		{"cancel", i18n.KeywordCancel, ""},
		{"취소", i18n.KeywordCancel, ""},
		{"  CANCEL  ", i18n.KeywordCancel, ""},
		{"Cancel", i18n.KeywordCancel, ""},
		{"\u110e\u1171\u1109\u1169", i18n.KeywordCancel, ""}, // 취소 as conjoining jamo
		{"close", i18n.KeywordClose, ""},
		{"마감", i18n.KeywordClose, ""},
		{"CLOSE", i18n.KeywordClose, ""},
		{"share", i18n.KeywordShare, ""},
		{"공유", i18n.KeywordShare, ""},
		{"again", i18n.KeywordAgain, ""},
		{"다시", i18n.KeywordAgain, ""},
		{"history", i18n.KeywordHistory, ""},
		{"기록", i18n.KeywordHistory, ""},
		{"History 7", i18n.KeywordHistory, "7"},
		{"기록 7일", i18n.KeywordHistory, "7일"},
		{"help", i18n.KeywordHelp, ""},
		{"도움말", i18n.KeywordHelp, ""},
		{"HELP", i18n.KeywordHelp, ""},
		{"cancel fee", i18n.KeywordCancel, "fee"},
		{"취소\n수수료", i18n.KeywordCancel, "수수료"},
		{"", NoKeyword, ""},
		{"iced americano", NoKeyword, "iced americano"},
		{"  아이스 라떼 🧊 ", NoKeyword, "아이스 라떼 🧊"},
		{"cancels", NoKeyword, "cancels"},
		{"취소해", NoKeyword, "취소해"},
		{"`cancel`", NoKeyword, "`cancel`"},
		{"closed", NoKeyword, "closed"},
		{"\u110e\u1171", NoKeyword, "\u110e\u1171"}, // 취 alone, decomposed
	} {
		k, rest := ParseKeyword(tc.text)
		if k != tc.want || rest != tc.rest {
			t.Errorf("ParseKeyword(%q): got %q, %q, want %q, %q", tc.text, k, rest, tc.want, tc.rest)
		}
	}
}

// TestKeywordsCoverCatalogue: every keyword of the catalogues (an id starting with
// "keyword.") is one the parser returns, in each language, and no word is two keywords.
func TestKeywordsCoverCatalogue(t *testing.T) {
	n := 0
	for _, name := range i18n.Locales() {
		for id, text := range i18n.Texts(name) {
			if !strings.HasPrefix(string(id), keywordPrefix) {
				continue
			}
			n++
			if got, rest := ParseKeyword(text.Format); got != id || rest != "" {
				t.Errorf("%s keyword %q: got %q, %q, want %q, \"\"", name, text.Format, got, rest, id)
			}
		}
	}
	if want := 2 * 6; n < want {
		t.Errorf("keywords in the catalogues: got %d, want at least %d (six in each language)", n, want)
	}
}

func TestComposeHangul(t *testing.T) {
	for in, want := range map[string]string{
		"\u1100\u1161":       "가",
		"\u1100\u1161\u11A8": "각",
		"\u1103\u1169\u110b\u116e\u11b7\u1106\u1161\u11af": "도움말",
		"latte":   "latte",
		"\u11A8":  "\u11A8",
		"가\u11A8": "각",
	} {
		if got := composeHangul(in); got != want {
			t.Errorf("composeHangul(%q): got %q, want %q", in, got, want)
		}
	}
}
