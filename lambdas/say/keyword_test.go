package say

import (
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
		{"cancel", KeywordCancel, ""},
		{"취소", KeywordCancel, ""},
		{"  CANCEL  ", KeywordCancel, ""},
		{"Cancel", KeywordCancel, ""},
		{"\u110e\u1171\u1109\u1169", KeywordCancel, ""}, // 취소 as conjoining jamo
		{"close", KeywordClose, ""},
		{"마감", KeywordClose, ""},
		{"CLOSE", KeywordClose, ""},
		{"share", KeywordShare, ""},
		{"공유", KeywordShare, ""},
		{"again", KeywordAgain, ""},
		{"다시", KeywordAgain, ""},
		{"history", KeywordHistory, ""},
		{"기록", KeywordHistory, ""},
		{"History 7", KeywordHistory, "7"},
		{"기록 7일", KeywordHistory, "7일"},
		{"help", KeywordHelp, ""},
		{"도움말", KeywordHelp, ""},
		{"HELP", KeywordHelp, ""},
		{"cancel fee", KeywordCancel, "fee"},
		{"취소\n수수료", KeywordCancel, "수수료"},
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
			t.Errorf("ParseKeyword(%q): got %v (%q), %q, want %v (%q), %q", tc.text, int(k), k, rest, int(tc.want), tc.want, tc.rest)
		}
	}
}

// TestKeywordsCoverCatalogue: every keyword of the catalogues is one the parser returns,
// in each language.
func TestKeywordsCoverCatalogue(t *testing.T) {
	for k := KeywordCancel; int(k) < len(keywordIDs); k++ {
		for _, name := range i18n.Locales() {
			w := i18n.Texts(name)[keywordIDs[k]].Format
			if got, rest := ParseKeyword(w); got != k || rest != "" {
				t.Errorf("%s keyword %q: got %v, %q, want %v, \"\"", name, w, got, rest, k)
			}
		}
	}
	if k, _ := ParseKeyword("help"); k.String() != "help" {
		t.Errorf("KeywordHelp.String(): got %q, want \"help\"", k.String())
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
