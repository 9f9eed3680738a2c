package say

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/say/i18n"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// localeMessages is the Messages of every supported locale.
func localeMessages(t testing.TB) []Messages {
	t.Helper()
	var out []Messages
	for _, name := range i18n.Locales() {
		m, err := NewMessages(name)
		if err != nil {
			t.Fatalf("NewMessages(%q): got error %v, want nil", name, err)
		}
		out = append(out, m)
	}
	return out
}

// forEachLocale runs fn as a subtest per supported locale: the limit and property tests
// hold in every language.
func forEachLocale(t *testing.T, fn func(*testing.T, Messages)) {
	for _, m := range localeMessages(t) {
		t.Run(m.Locale(), func(t *testing.T) { fn(t, m) })
	}
}

var countRE = regexp.MustCompile(`\d[\d,]*`)

// countIn reads the count message id of m's catalogue says text is (or, with suffix,
// ends with): "…and 3 items more." is 3 in English, "…외 메뉴 3개" in Korean.
func countIn(m Messages, id i18n.ID, text string, suffix bool) (int, bool) {
	all := countRE.FindAllString(text, -1)
	if len(all) == 0 {
		return 0, false
	}
	digits := all[0]
	if suffix {
		digits = all[len(all)-1]
	}
	n, err := strconv.Atoi(strings.ReplaceAll(digits, ",", ""))
	if err != nil {
		return 0, false
	}
	want := m.text(id, n)
	if suffix {
		return n, strings.HasSuffix(text, want)
	}
	return n, text == want
}

func TestNewMessages(t *testing.T) {
	for in, want := range map[string]string{"": "en", "en": "en", "ko": "ko", "KO": "ko"} {
		m, err := NewMessages(in)
		if err != nil || m.Locale() != want {
			t.Errorf("NewMessages(%q): got %q, %v, want %q, nil", in, m.Locale(), err, want)
		}
	}
	if m := (Messages{}); m.Locale() != "en" || m.WorkingOnIt().Text != en.WorkingOnIt().Text {
		t.Errorf("zero Messages: got locale %q, want English", m.Locale())
	}
	_, err := NewMessages("fr")
	if err == nil || !strings.Contains(err.Error(), `"fr"`) || !strings.Contains(err.Error(), "en, ko") {
		t.Errorf("NewMessages(\"fr\"): got error %v, want one naming fr and the supported en, ko", err)
	}
}

// TestMessagesInKorean: a sample of the Korean texts, with counts and items where they go.
func TestMessagesInKorean(t *testing.T) {
	ko, err := NewMessages("ko")
	if err != nil {
		t.Fatal(err)
	}
	r := roundOf(3, func(i int) string { return []string{"아이스 아메리카노", "라떼"}[i%2] })
	r.ID = testRound
	for _, tc := range []struct{ got, want string }{
		{ko.OrderSet(r, "라떼").Text, "내 주문: *라떼* — 이번 취합의 주문은 3건이에요."},
		{ko.OrderCancelled(r).Text, "주문을 취소했어요. 이번 취합에 주문 3건이 남았어요."},
		{ko.YouClosed(r).Text, "취합을 마감했어요 (주문 3건). 최종 집계는 채널에 있어요."},
		{ko.OrderNotSaved("M&M").Text, "죄송해요. 데이터베이스가 제때 응답하지 않아 저장하지 못했어요 (주문 *M&amp;M*). 바뀐 것은 없으니 다시 시도해 주세요."},
		{ko.UnknownArgument(api.FunctionOrderList, "<x>").Text[:len("알 수 없는 명령어예요: `&lt;x&gt;`")], "알 수 없는 명령어예요: `&lt;x&gt;`"},
		{strings.SplitN(ko.Round(r, true, false).Text, "\n", 2)[0], "주문 취합 — 주문 3건, 메뉴 2개"},
		{strings.SplitN(ko.Round(r, true, true).Text, "\n", 2)[0], "취합 마감 — 최종 집계: 주문 3건, 메뉴 2개"},
		{ko.WorkingOnIt().Text, "처리하고 있어요… 잠시 후에 답을 드릴게요."},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	live := ko.Round(r, true, false)
	buttons, _ := buttonsOf(live)
	var labels []string
	for _, b := range buttons {
		labels = append(labels, b.btn.Text.Text)
		if b.btn.Confirm != nil {
			labels = append(labels, b.btn.Confirm.Title.Text, b.btn.Confirm.Confirm.Text, b.btn.Confirm.Deny.Text)
		}
	}
	if got, want := strings.Join(labels, "|"), "+1 같은 걸로|+1 같은 걸로|내 주문 취소|취합 마감|이 취합을 마감할까요?|마감하기|계속 받기"; got != want {
		t.Errorf("buttons: got %q, want %q", got, want)
	}
	v := ko.OrderModal(testModal, []string{"라떼"})
	if err := slackio.ValidateView(v); err != nil || v.Title.Text != "내 주문" || v.Submit.Text != "주문하기" {
		t.Errorf("Korean modal: got title %q, submit %q, %v, want 내 주문, 주문하기, valid", v.Title.Text, v.Submit.Text, err)
	}
}

// TestIsWorkingOnIt: the answer is recognised in every language, nothing else is.
func TestIsWorkingOnIt(t *testing.T) {
	for _, m := range localeMessages(t) {
		if !IsWorkingOnIt(m.WorkingOnIt().Text) {
			t.Errorf("%s: IsWorkingOnIt(%q): got false, want true", m.Locale(), m.WorkingOnIt().Text)
		}
		if IsWorkingOnIt(m.NotRead().Text) {
			t.Errorf("%s: IsWorkingOnIt(NotRead): got true, want false", m.Locale())
		}
	}
}

// TestMorePeopleLengthByDigits: tallyLine measures "…and N more" once per digit count of
// N, which is exact only while its length depends on nothing else (no plural forms).
func TestMorePeopleLengthByDigits(t *testing.T) {
	for _, m := range localeMessages(t) {
		byDigits := map[int]int{}
		for n := 1; n <= 20000; n++ {
			d, c := len(strconv.Itoa(n)), slackio.Chars(m.text(i18n.RoundMorePeople, n))
			if w, ok := byDigits[d]; ok && w != c {
				t.Fatalf("%s: \"…and %d more\" has %d characters, another of %d digits %d: want one length per digit count", m.Locale(), n, c, d, w)
			}
			byDigits[d] = c
		}
	}
}

// en is the messages in English, the zero value: what the tests read replies against.
var en = Messages{}
