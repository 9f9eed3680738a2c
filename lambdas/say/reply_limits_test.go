package say

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say/i18n"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// textGen makes the text people type: ASCII, Hangul, emoji (outside the BMP, so two
// characters each by Chars), multi-rune emoji, and the &, < and > that Escape turns into
// four or five characters each — enough to push a 200-rune item far past its length.
type textGen struct{ rng *rand.Rand }

const asciiRunes = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-'*_~`"

var multiRune = []string{"☕️", "👩‍💻", "🇰🇷", "👍🏽", "é"}

func (g textGen) char() string {
	switch g.rng.IntN(7) {
	case 0, 1:
		return string(asciiRunes[g.rng.IntN(len(asciiRunes))])
	case 2:
		return string(rune(0xAC00 + g.rng.IntN(11172))) // a Hangul syllable
	case 3:
		return string(rune(0x1F300 + g.rng.IntN(0x150))) // an emoji: 4 bytes of UTF-8
	case 4:
		return []string{"&", "<", ">"}[g.rng.IntN(3)]
	case 5:
		return multiRune[g.rng.IntN(len(multiRune))]
	default:
		return "가"
	}
}

// item returns at most n runes of mixed text (orders.MaxItemRunes bounds a stored item).
func (g textGen) item(n int) string {
	var b strings.Builder
	count := 0
	for count < n {
		c := g.char()
		if count+utf8.RuneCountInString(c) > n {
			break
		}
		b.WriteString(c)
		count += utf8.RuneCountInString(c)
	}
	return b.String()
}

// worst returns an item of n runes that is as long as possible once escaped or counted.
func (g textGen) worst(n int) string {
	switch g.rng.IntN(3) {
	case 0:
		return strings.Repeat("&", n) // 5 characters each once escaped
	case 1:
		return strings.Repeat("😀", n) // 2 each
	default:
		return strings.Repeat("<", n/2) + strings.Repeat("가", n-n/2)
	}
}

func (g textGen) userID(i int) string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := []byte("U")
	for range 6 + g.rng.IntN(4) {
		b = append(b, alnum[g.rng.IntN(len(alnum))])
	}
	return string(b) + strconv.Itoa(i) // unique
}

// round builds a round of n orders over k distinct items (fewer when n < k).
func (g textGen) round(n, k int, itemOf func(j int) string) orders.Round {
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	r := orders.Round{ID: "r1", Channel: orders.Channel{Team: "T", Channel: "C"}, OpenedAt: at}
	pool := make([]string, k)
	for j := range pool {
		pool[j] = itemOf(j)
	}
	for i := range n {
		item := pool[g.rng.IntN(k)]
		if i < k {
			item = pool[i]
		}
		r.Orders = append(r.Orders, orders.Order{User: g.userID(i), Item: item, At: at.Add(time.Duration(i) * time.Second)})
	}
	return r
}

// randomRound: up to 500 orders over up to 300 items of up to 200 runes.
func (g textGen) randomRound() orders.Round {
	n := g.rng.IntN(501)
	k := 1 + g.rng.IntN(300)
	worst := g.rng.IntN(3) == 0
	return g.round(n, k, func(j int) string {
		prefix := strconv.Itoa(j) + " " // distinct items, so the round has k of them
		if worst {
			return prefix + g.worst(orders.MaxItemRunes-utf8.RuneCountInString(prefix))
		}
		return prefix + g.item(g.rng.IntN(orders.MaxItemRunes+1-utf8.RuneCountInString(prefix)))
	})
}

// replies is every reply about a round that reply.go makes, in m's language.
func replies(m Messages, r orders.Round, item string) map[string]*slack.Msg {
	user := "U0"
	if len(r.Orders) > 0 {
		user = r.Orders[len(r.Orders)/2].User
	}
	return map[string]*slack.Msg{
		"Round":              m.Round(r, false, false),
		"Round shared":       m.Round(r, true, false),
		"Round closed":       m.Round(r, true, true),
		"OrderSet":           m.OrderSet(r, item),
		"OrderInClosedRound": m.OrderInClosedRound(r, item),
		"Overtaken":          m.Overtaken(r, user, item),
		"Superseded":         m.Superseded(r, user),
		"OrderCancelled":     m.OrderCancelled(r),
		"NotSaved":           m.OrderNotSaved(item),
		"YouClosed":          m.YouClosed(r),
		"Usage unknown":      m.UnknownArgument(api.FunctionOrderList, item),
	}
}

var tallyLineRE = regexp.MustCompile(`^\*(\d+)× `)

// checkRound validates a Round reply and that what it leaves out it counts: items beyond
// the blocks in "…and N items more.", people beyond a line in "…and N more", and — when
// the round's user ids are ordinary — that the text fallback names everyone.
func checkRound(t *testing.T, m Messages, label string, r orders.Round, msg *slack.Msg) {
	t.Helper()
	if err := slackio.Validate(msg); err != nil {
		t.Fatalf("%s: Validate: got error %v, want nil", label, err)
	}
	if len(r.Orders) == 0 {
		return
	}
	for _, o := range r.Orders {
		if strings.Contains(o.Item, "\n") {
			return // an item of several lines: no line-by-line reading of the tally
		}
	}
	groups := orders.Tally(r)
	shown, moreItemsSaid := 0, -1
	for i, b := range msg.Blocks.BlockSet {
		switch x := b.(type) {
		case *slack.SectionBlock:
			if i == 0 {
				continue // the title
			}
			for _, line := range strings.Split(x.Text.Text, "\n") {
				head := tallyLineRE.FindStringSubmatch(line)
				if head == nil {
					t.Fatalf("%s: block %d: got line %q, want an item of the tally (*N× …)", label, i, line)
				}
				n, _ := strconv.Atoi(head[1])
				mentions := strings.Count(line, "<@")
				if left, ok := countIn(m, i18n.RoundMorePeople, line, true); ok {
					mentions += left
				}
				if mentions != n {
					t.Fatalf("%s: block %d: line %q of %d orders: got %d people accounted for, want %d", label, i, line, n, mentions, n)
				}
				shown++
			}
		case *slack.ContextBlock:
			text := x.ContextElements.Elements[0].(*slack.TextBlockObject).Text
			if n, ok := countIn(m, i18n.RoundMoreItems, text, false); ok {
				moreItemsSaid = n
			}
		}
	}
	switch {
	case shown == len(groups) && moreItemsSaid != -1:
		t.Fatalf("%s: all %d items shown: got \"…and %d items more.\", want no such line", label, shown, moreItemsSaid)
	case shown < len(groups) && moreItemsSaid != len(groups)-shown:
		t.Fatalf("%s: %d of %d items shown: got %d said to be more (-1: none said), want %d", label, shown, len(groups), moreItemsSaid, len(groups)-shown)
	}
	ordinary := true
	for _, o := range r.Orders {
		ordinary = ordinary && len(o.User) <= 20
	}
	if ordinary {
		for _, o := range r.Orders {
			if !strings.Contains(msg.Text, mention(o.User)) {
				t.Fatalf("%s: text fallback of %d characters: got no mention of %s, want everyone named", label, slackio.Chars(msg.Text), o.User)
			}
		}
	}
}

func checkReplies(t *testing.T, m Messages, label string, r orders.Round, item string) {
	t.Helper()
	for name, msg := range replies(m, r, item) {
		if strings.HasPrefix(name, "Round") {
			checkRound(t, m, label+": "+name, r, msg)
			continue
		}
		if err := slackio.Validate(msg); err != nil {
			t.Fatalf("%s: %s: Validate: got error %v, want nil", label, name, err)
		}
	}
}

// TestRepliesValidForRandomRounds is the property: whatever the round, every reply passes
// Validate, in every language.
func TestRepliesValidForRandomRounds(t *testing.T) {
	forEachLocale(t, func(t *testing.T, m Messages) {
		g := textGen{rand.New(rand.NewPCG(11, 7))}
		runs := 100 // FuzzValidateRound explores further
		if testing.Short() {
			runs = 20
		}
		for i := range runs {
			r := g.randomRound()
			checkReplies(t, m, fmt.Sprintf("run %d (%d orders)", i, len(r.Orders)), r, g.item(orders.MaxItemRunes))
		}
	})
}

// TestRepliesValidForLargestRounds: the corners — 500 orders over 300 distinct items of
// 200 runes that escape to 1,000 characters each (or 400 of emoji, or Hangul), and every
// order on one item.
func TestRepliesValidForLargestRounds(t *testing.T) {
	forEachLocale(t, testRepliesValidForLargestRounds)
}

func testRepliesValidForLargestRounds(t *testing.T, m Messages) {
	g := textGen{rand.New(rand.NewPCG(3, 5))}
	for _, tc := range []struct {
		name  string
		n, k  int
		item  func(j int) string
		check func(t *testing.T, msg *slack.Msg)
	}{
		{"500 orders, 300 items of 200 &", 500, 300, func(j int) string { return fmt.Sprintf("%03d%s", j, strings.Repeat("&", 197)) }, nil},
		{"500 orders, 300 items of 200 emoji", 500, 300, func(j int) string { return fmt.Sprintf("%03d%s", j, strings.Repeat("😀", 197)) }, nil},
		{"500 orders, 300 items of 200 Hangul", 500, 300, func(j int) string { return fmt.Sprintf("%03d%s", j, strings.Repeat("가", 197)) }, nil},
		{"250 orders, 250 items of 200 <", orders.MaxOrders, orders.MaxOrders, func(j int) string { return fmt.Sprintf("%03d%s", j, strings.Repeat("<", 197)) }, nil},
		{"500 orders of one item", 500, 1, func(int) string { return strings.Repeat("&", 200) }, func(t *testing.T, msg *slack.Msg) {
			line := msg.Blocks.BlockSet[1].(*slack.SectionBlock).Text.Text
			if _, ok := countIn(m, i18n.RoundMorePeople, line, true); !ok {
				t.Fatalf("line of 500 people (%d characters): got no \"…and N more\" at its end, want one", slackio.Chars(line))
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := g.round(tc.n, tc.k, tc.item)
			checkReplies(t, m, tc.name, r, tc.item(0))
			if tc.check != nil {
				tc.check(t, m.Round(r, true, true))
			}
		})
	}
}

// TestRepliesValidForOddInput: what the store never holds but a reply must survive anyway —
// items far past 200 runes, items with newlines or invalid UTF-8, user ids of thousands of
// characters.
func TestRepliesValidForOddInput(t *testing.T) {
	forEachLocale(t, testRepliesValidForOddInput)
}

func testRepliesValidForOddInput(t *testing.T, m Messages) {
	g := textGen{rand.New(rand.NewPCG(9, 9))}
	long := strings.Repeat("&", 5000)
	for _, tc := range []struct {
		name string
		r    orders.Round
	}{
		{"item of 5,000 &", g.round(3, 3, func(j int) string { return strconv.Itoa(j) + long })},
		{"items with newlines", g.round(60, 60, func(j int) string { return strconv.Itoa(j) + strings.Repeat("\n*x*", 60) })},
		{"invalid UTF-8", g.round(10, 10, func(j int) string { return strconv.Itoa(j) + strings.Repeat("\xff\xfe", 300) })},
		{"user id of 5,000 characters", orders.Round{ID: "r", Orders: []orders.Order{{User: strings.Repeat("U", 5000), Item: "latte"}, {User: "U2", Item: "latte"}}}},
		{"user ids of 100 characters", func() orders.Round {
			r := g.round(500, 2, func(j int) string { return strconv.Itoa(j) })
			for i := range r.Orders {
				r.Orders[i].User = fmt.Sprintf("U%099d", i)
			}
			return r
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkReplies(t, m, tc.name, tc.r, long)
		})
	}
}

// TestFixedRepliesValid: the replies that take no round, in every language.
func TestFixedRepliesValid(t *testing.T) {
	forEachLocale(t, func(t *testing.T, m Messages) {
		arg := strings.Repeat("&<>가😀x", 500) // 3,000 runes
		for name, msg := range map[string]*slack.Msg{
			"Usage update":        m.Usage(api.FunctionOrderUpdate, ""),
			"Usage list":          m.Usage(api.FunctionOrderList, ""),
			"Usage empty item":    m.Usage(api.FunctionOrderUpdate, m.ItemProblem(orders.ErrEmptyItem)),
			"Usage long item":     m.Usage(api.FunctionOrderUpdate, m.ItemProblem(orders.ErrItemTooLong)),
			"Usage invalid item":  m.Usage(api.FunctionOrderUpdate, m.ItemProblem(orders.ErrInvalidItem)),
			"Usage other":         m.Usage(api.FunctionOrderUpdate, m.ItemProblem(errors.New("x"))),
			"Usage 3,000 arg":     m.UnknownArgument(api.FunctionOrderList, arg),
			"Usage wrong route":   m.WrongRoute(api.FunctionOrderList, "/"+arg),
			"Usage huge problem":  m.Usage(api.FunctionOrderList, strings.Repeat("&amp;", 10000)),
			"RoundFull":           m.RoundFull(),
			"NotClosed":           m.NotClosed(),
			"Unknown":             m.Unknown(),
			"NotRead":             m.NotRead(),
			"NothingToCancel":     m.NothingToCancel(),
			"NoOpenRound":         m.NoOpenRound(),
			"WorkingOnIt":         m.WorkingOnIt(),
			"WithdrawalNotSaved":  m.WithdrawalNotSaved(),
			"StaleClick":          m.StaleClick(),
			"ItemGone":            m.ItemGone(),
			"empty Round":         m.Round(orders.Round{}, false, false),
			"empty closed Round":  m.Round(orders.Round{}, true, true),
			"Overtaken, no order": m.Overtaken(orders.Round{}, "U1", arg),
		} {
			if err := slackio.Validate(msg); err != nil {
				t.Errorf("%s: Validate: got error %v, want nil", name, err)
			}
		}
		if n := slackio.Chars(m.MentionHelp()); n > slackio.MaxMessageText {
			t.Errorf("MentionHelp characters: got %d, want at most %d", n, slackio.MaxMessageText)
		}
	})
}

// TestUsageEchoTruncated: an unknown /order-list argument is echoed back, cut with "…"
// inside its backticks, not the whole reply cut wherever it overflows.
func TestUsageEchoTruncated(t *testing.T) {
	arg := strings.Repeat("&<>가😀x", 500)
	msg := en.Usage(api.FunctionOrderList, "I don't know `"+slackio.Escape(arg)+"`.")
	if err := slackio.Validate(msg); err != nil {
		t.Fatalf("Validate: got error %v, want nil", err)
	}
	problem, rest, _ := strings.Cut(msg.Text, "\n")
	if !strings.HasPrefix(problem, "I don't know `&amp;&lt;&gt;가😀x") || !strings.HasSuffix(problem, "…`.") {
		t.Fatalf("echo: got %q, want the start of the argument, cut with … inside the backticks", problem)
	}
	if n := slackio.Chars(problem); n > maxProblem {
		t.Fatalf("echo characters: got %d, want at most %d", n, maxProblem)
	}
	if want := "`/order-list close` closes the round"; !strings.Contains(rest, want) {
		t.Fatalf("usage lines: got %q, want them to contain %q", rest, want)
	}
	short := en.Usage(api.FunctionOrderList, "I don't know `bogus &lt;x&gt;`.")
	if want := "I don't know `bogus &lt;x&gt;`.\n"; !strings.HasPrefix(short.Text, want) {
		t.Fatalf("short echo: got %q, want it to start with %q", short.Text, want)
	}
}

// FuzzValidateRound: a round built from fuzzed sizes and a fuzzed item (any bytes, any
// length — beyond what the store accepts) never yields a reply Slack would refuse.
func FuzzValidateRound(f *testing.F) {
	f.Add(uint64(1), uint16(3), uint16(2), "latte", false)
	f.Add(uint64(2), uint16(500), uint16(300), strings.Repeat("&", 200), false)
	f.Add(uint64(3), uint16(250), uint16(250), strings.Repeat("😀", 200), false)
	f.Add(uint64(4), uint16(500), uint16(1), "아이스 아메리카노 ☕️", true)
	f.Add(uint64(5), uint16(40), uint16(40), "<b>&tea</b>\nline two", false)
	f.Add(uint64(6), uint16(7), uint16(7), "\xff\x00`*_~", true)
	f.Fuzz(func(t *testing.T, seed uint64, nOrders, nItems uint16, item string, itemIsUser bool) {
		if len(item) > 2000 {
			item = item[:2000] // ten times what the store takes: enough for every cut, and fast
		}
		g := textGen{rand.New(rand.NewPCG(seed, 1))}
		n, k := int(nOrders%501), 1+int(nItems%300)
		r := g.round(n, k, func(j int) string {
			if j == 0 {
				return item
			}
			return strconv.Itoa(j) + " " + item + g.item(g.rng.IntN(20))
		})
		if itemIsUser && n > 0 {
			r.Orders[0].User = item // a user id is whatever the signed request said
		}
		for _, m := range localeMessages(t) {
			for name, msg := range replies(m, r, item) {
				if err := slackio.Validate(msg); err != nil {
					t.Fatalf("%s: %s of %d orders over %d items: Validate: got error %v, want nil", m.Locale(), name, n, k, err)
				}
			}
		}
	})
}

// TestClipRandom: whatever the text people type and the limit, the result fits, is a prefix of the text
// (plus "…"), and keeps every entity whole.
func TestClipRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	g := textGen{rng}
	for range 2000 {
		s := slackio.Escape(g.item(rng.IntN(300)))
		max := rng.IntN(slackio.Chars(s) + 3)
		got := slackio.Clip(s, max)
		if slackio.Chars(got) > max {
			t.Fatalf("Clip(%q, %d) = %q: got %d characters, want at most %d", s, max, got, slackio.Chars(got), max)
		}
		if got == s {
			continue
		}
		if got != "" && !strings.HasSuffix(got, slackio.Ellipsis) {
			t.Fatalf("Clip(%q, %d): got %q, want it to end in …", s, max, got)
		}
		prefix := strings.TrimSuffix(got, slackio.Ellipsis)
		if !strings.HasPrefix(s, prefix) {
			t.Fatalf("Clip(%q, %d): got %q, want a prefix of the text", s, max, got)
		}
		if i := strings.LastIndex(prefix, "&"); i >= 0 && !strings.Contains(prefix[i:], ";") {
			t.Fatalf("Clip(%q, %d): got %q, want no entity cut", s, max, got)
		}
	}
}
