package i18n

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/feature/plural"
)

// idFiles declare the message ids: ids.go, and a feature's own file (recurring.go, home.go).
var idFiles = []string{"ids.go", "recurring.go", "home.go"}

// ids are the message ids idFiles declare.
func ids(t *testing.T) []ID {
	t.Helper()
	var out []ID
	for _, name := range idFiles {
		out = append(out, idsIn(t, name)...)
	}
	return out
}

// idsIn are the message ids one file declares.
func idsIn(t *testing.T, name string) []ID {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
	if err != nil {
		t.Fatalf("parse %s: got error %v, want nil", name, err)
	}
	var out []ID
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			for _, v := range s.(*ast.ValueSpec).Values {
				lit, ok := v.(*ast.BasicLit)
				if !ok {
					t.Fatalf("ids.go: got a constant that is not a string literal, want only literals")
				}
				id, _ := strconv.Unquote(lit.Value)
				out = append(out, ID(id))
			}
		}
	}
	return out
}

// TestEveryMessageInEveryCatalogue fails when a message exists in one catalogue only, or
// in none.
func TestEveryMessageInEveryCatalogue(t *testing.T) {
	declared := ids(t)
	if len(declared) < 50 {
		t.Fatalf("ids.go: got %d ids, want every message (50 or more)", len(declared))
	}
	seen := map[ID]bool{}
	for _, id := range declared {
		if seen[id] {
			t.Errorf("id %q: got it declared twice, want once", id)
		}
		seen[id] = true
	}
	for _, name := range Locales() {
		texts := Texts(name)
		for _, id := range declared {
			if _, ok := texts[id]; !ok {
				t.Errorf("catalogue %s: got no message %q, want every id of ids.go", name, id)
			}
		}
		for id := range texts {
			if !seen[id] {
				t.Errorf("catalogue %s: got message %q, which ids.go does not declare", name, id)
			}
		}
		for _, other := range Locales() {
			for _, id := range slices.Sorted(maps.Keys(Texts(other))) {
				if _, ok := texts[id]; !ok {
					t.Errorf("message %q: got it in catalogue %s only, not in %s", id, other, name)
				}
			}
		}
	}
}

var verbRE = regexp.MustCompile(`%[-+# 0]*(\[(\d+)\])?[0-9.]*([a-zA-Z%])`)

// verbs maps each argument a text uses to its verb ('d', 's', …); a plural's selector
// counts as 'd'. It reports verbs without an explicit index: the catalogue's formats must
// all be indexed, or a plural phrase takes the wrong argument.
func verbs(t Text) (map[int]byte, []string) {
	args := map[int]byte{}
	var problems []string
	add := func(where, s string) {
		for _, m := range verbRE.FindAllStringSubmatch(s, -1) {
			if m[3] == "%" {
				continue
			}
			if m[2] == "" {
				problems = append(problems, fmt.Sprintf("%s: verb %s without an argument index", where, m[0]))
				continue
			}
			n, _ := strconv.Atoi(m[2])
			if v, ok := args[n]; ok && v != m[3][0] {
				problems = append(problems, fmt.Sprintf("%s: argument %d as %%%c and %%%c", where, n, v, m[3][0]))
			}
			args[n] = m[3][0]
		}
	}
	add("format", t.Format)
	for _, p := range t.Plurals {
		if v, ok := args[p.Arg]; ok && v != 'd' {
			problems = append(problems, fmt.Sprintf("plural %s: selects by argument %d, which is %%%c", p.Name, p.Arg, v))
		}
		args[p.Arg] = 'd'
		add("plural "+p.Name+" one", p.One)
		add("plural "+p.Name+" other", p.Other)
	}
	return args, problems
}

// TestPlaceholdersAgree fails when a message's verbs or argument indexes differ between
// languages, or a format uses a verb without an index.
func TestPlaceholdersAgree(t *testing.T) {
	base := Texts(Default)
	for _, name := range Locales() {
		for id, text := range Texts(name) {
			got, problems := verbs(text)
			for _, p := range problems {
				t.Errorf("catalogue %s, message %q: %s", name, id, p)
			}
			want, _ := verbs(base[id])
			if !maps.Equal(got, want) {
				t.Errorf("catalogue %s, message %q: got arguments %s, want %s as in %s", name, id, argString(got), argString(want), Default)
			}
		}
	}
}

func argString(args map[int]byte) string {
	var parts []string
	for _, n := range slices.Sorted(maps.Keys(args)) {
		parts = append(parts, fmt.Sprintf("%%[%d]%c", n, args[n]))
	}
	return "{" + strings.Join(parts, " ") + "}"
}

var varRE = regexp.MustCompile(`\$\{(\w+)\}`)

// TestPluralsAsTheLanguageHasThem: each plural has exactly the CLDR categories its
// language uses (English "one" and "other", Korean "other" only) and is used in the
// format, and every ${name} is a plural of the message.
func TestPluralsAsTheLanguageHasThem(t *testing.T) {
	for _, name := range Locales() {
		tag := Tag(name)
		forms := map[plural.Form]bool{}
		for n := range 1000 {
			forms[plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0)] = true
		}
		for f := range forms {
			if f != plural.One && f != plural.Other {
				t.Fatalf("locale %s: got plural category %v, want only one and other (extend Plural first)", name, f)
			}
		}
		for id, text := range Texts(name) {
			defined := map[string]bool{}
			for _, p := range text.Plurals {
				defined[p.Name] = true
				switch {
				case p.Other == "":
					t.Errorf("catalogue %s, message %q, plural %s: got no \"other\", want one", name, id, p.Name)
				case forms[plural.One] && p.One == "":
					t.Errorf("catalogue %s, message %q, plural %s: got no \"one\", want one (%s has it)", name, id, p.Name, name)
				case !forms[plural.One] && p.One != "":
					t.Errorf("catalogue %s, message %q, plural %s: got a \"one\" phrase, want none (%s never uses it)", name, id, p.Name, name)
				case !strings.Contains(text.Format, "${"+p.Name+"}"):
					t.Errorf("catalogue %s, message %q: got plural %s unused, want ${%s} in the format", name, id, p.Name, p.Name)
				}
			}
			for _, m := range varRE.FindAllStringSubmatch(text.Format, -1) {
				if !defined[m[1]] {
					t.Errorf("catalogue %s, message %q: got ${%s}, which no plural defines", name, id, m[1])
				}
			}
		}
	}
}

// TestPrintersFormatEveryMessage builds each catalogue and formats every message with
// sample arguments (counts 0, 1, 2 and 1,000): no fmt error marks, no ${…} left, no id
// printed for want of a message.
func TestPrintersFormatEveryMessage(t *testing.T) {
	for _, name := range Locales() {
		p, err := Load(name)
		if err != nil {
			t.Fatalf("Load(%q): got error %v, want nil", name, err)
		}
		for id, text := range Texts(name) {
			args, _ := verbs(text)
			for _, n := range []int{0, 1, 2, 1000} {
				a := make([]any, len(args))
				for i := range a {
					if args[i+1] == 'd' {
						a[i] = n
					} else {
						a[i] = "x"
					}
				}
				got := p.Sprintf(id, a...)
				if strings.Contains(got, "%!") || strings.Contains(got, "${") || got == string(id) || !utf8.ValidString(got) {
					t.Errorf("catalogue %s, message %q with %v: got %q, want it formatted", name, id, a, got)
				}
			}
		}
	}
}

func TestEnglishPlurals(t *testing.T) {
	p, err := Load("en")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		n, k int
		want string
	}{
		{0, 0, "Order round — 0 orders, 0 items"},
		{1, 1, "Order round — 1 order, 1 item"},
		{2, 1, "Order round — 2 orders, 1 item"},
		{1, 2, "Order round — 1 order, 2 items"},
		{1500, 2, "Order round — 1,500 orders, 2 items"},
	} {
		if got := p.Sprintf(RoundTitle, tc.n, tc.k); got != tc.want {
			t.Errorf("RoundTitle(%d, %d): got %q, want %q", tc.n, tc.k, got, tc.want)
		}
	}
	ko, _ := Load("ko")
	if got, want := ko.Sprintf(RoundTitle, 1, 2), "주문 취합 — 주문 1건, 메뉴 2개"; got != want {
		t.Errorf("ko RoundTitle(1, 2): got %q, want %q", got, want)
	}
}

// TestKeywords: each keyword is one lower-case word in every language, and no word names
// two keywords in any pair of languages.
func TestKeywords(t *testing.T) {
	owner := map[string]ID{}
	for _, id := range ids(t) {
		if !strings.HasPrefix(string(id), "keyword.") {
			continue
		}
		forms := Forms(id)
		if len(forms) != len(Locales()) {
			t.Errorf("keyword %q: got %d forms, want one per locale (%d)", id, len(forms), len(Locales()))
		}
		for _, w := range forms {
			if w == "" || strings.ContainsAny(w, " \t\n%$`*") || strings.ToLower(w) != w {
				t.Errorf("keyword %q: got %q, want one lower-case word", id, w)
			}
			if other, dup := owner[w]; dup && other != id {
				t.Errorf("keyword %q: got %q, which is also keyword %q", id, w, other)
			}
			owner[w] = id
		}
	}
}

// particleAfterArg finds a Korean particle whose form depends on the last sound of the
// word before it right after an argument (bold or quoted): an item can end in any sound,
// or in no Hangul at all. After a parenthesis the particle belongs to the word before it
// ("주문(*라떼*)은").
var particleAfterArg = regexp.MustCompile("%\\[\\d+\\][sd][*`]*([을를이가은는과와으로예야])")

func TestKoreanNoParticleAfterArgument(t *testing.T) {
	for id, text := range Texts("ko") {
		for _, s := range append([]string{text.Format}, pluralPhrases(text)...) {
			if m := particleAfterArg.FindStringSubmatch(s); m != nil {
				t.Errorf("message %q: got particle %q right after an argument in %q, want the sentence turned around it", id, m[1], s)
			}
		}
	}
}

func pluralPhrases(t Text) []string {
	var out []string
	for _, p := range t.Plurals {
		out = append(out, p.One, p.Other)
	}
	return out
}

func TestCheck(t *testing.T) {
	for in, want := range map[string]string{"": "en", "en": "en", " KO ": "ko", "ko": "ko"} {
		if got, err := Check(in); err != nil || got != want {
			t.Errorf("Check(%q): got %q, %v, want %q, nil", in, got, err, want)
		}
	}
	for _, in := range []string{"fr", "ko-KR", "english"} {
		_, err := Check(in)
		if err == nil || !strings.Contains(err.Error(), "supported are en, ko") {
			t.Errorf("Check(%q): got error %v, want one listing the supported locales", in, err)
		}
		if _, err := Load(in); err == nil {
			t.Errorf("Load(%q): got no error, want one", in)
		}
	}
}
