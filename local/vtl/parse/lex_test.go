package parse

import (
	"fmt"
	"strings"
	"testing"
)

// collect lexes input in one mode until EOF, an error or (reference mode) itemNone.
func collect(input string, next func(*lexer) item) []item {
	l := &lexer{input: input}
	var items []item
	for {
		it := next(l)
		items = append(items, it)
		if it.typ == itemEOF || it.typ == itemError || it.typ == itemNone {
			return items
		}
	}
}

func show(items []item) string {
	var parts []string
	for _, it := range items {
		parts = append(parts, fmt.Sprintf("%s@%d", it, it.pos))
	}
	return strings.Join(parts, " ")
}

func TestLexText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `EOF@0`},
		{"plain text", `text "plain text"@0 EOF@10`},
		{"a$x b", `text "a"@0 reference "$x"@1 text " b"@3 EOF@5`},
		{"$!{x-y}", `reference "$!{x-y"@0 text "}"@6 EOF@7`},
		{"$ $1 $-", `text "$"@0 text " "@1 text "$"@2 text "1 "@3 text "$"@5 text "-"@6 EOF@7`},
		{`\$x \\#if \ x`, `backslashes "\\"@0 reference "$x"@1 text " "@3 backslashes "\\\\"@4 directive "#if"@6 text " "@9 text "\\"@10 text " x"@11 EOF@13`},
		{"#if#{else}#end-x", `directive "#if"@0 directive "#{else}"@3 directive "#end"@10 text "-x"@14 EOF@16`},
		{"a## c\nb#* d *#c", `text "a"@0 comment "## c\n"@1 text "b"@6 comment "#* d *#"@7 text "c"@14 EOF@15`},
		{"#[[$x]]#", `unparsed "#[[$x]]#"@0 EOF@8`},
		{"# #1 #{x", `text "#"@0 text " "@1 text "#"@2 text "1 "@3 text "#"@5 text "{x"@6 EOF@8`},
		{"#* open", `error: unterminated #* comment@0`},
		{"#[[ open", `error: unterminated #[[ block@0`},
	}
	for _, tc := range tests {
		if got := show(collect(tc.in, (*lexer).text)); got != tc.want {
			t.Errorf("text %q:\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

func TestLexRefParts(t *testing.T) {
	tests := []struct{ in, want string }{
		{".a.b-c(", `field "a"@1 method "b-c"@3 none ""@7`},
		{"[0]", `[ "["@0 none ""@1`},
		{"}.x", `} "}"@0 field "x"@2 none ""@3`},
		{". x", `none ""@0`},
		{".a-", `field "a"@1 none ""@2`},
	}
	for _, tc := range tests {
		if got := show(collect(tc.in, (*lexer).refPart)); got != tc.want {
			t.Errorf("refPart %q:\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

func TestLexExpr(t *testing.T) {
	tests := []struct{ in, want string }{
		{" $a-b - 1", `reference "$a-b"@1 operator "-"@6 number "1"@8 EOF@9`},
		{"1..2 .5 1.5.3", `number "1"@0 .. ".."@1 number "2"@3 number ".5"@5 number "1.5"@8 number ".3"@11 EOF@13`},
		{"a and not in x_y", `word "a"@0 operator "and"@2 operator "not"@6 word "in"@10 word "x_y"@13 EOF@16`},
		{"<=< >= > ==!=! =||&&", `operator "<="@0 operator "<"@2 operator ">="@4 operator ">"@7 operator "=="@9 operator "!="@11 operator "!"@13 = "="@15 operator "||"@16 operator "&&"@18 EOF@20`},
		{"({[,:]})", `( "("@0 { "{"@1 [ "["@2 , ","@3 : ":"@4 ] "]"@5 } "}"@6 ) ")"@7 EOF@8`},
		{`'a''b' "c""d\"e"`, `string "'a''b'"@0 quoted string "\"c\"\"d\\\"e\""@7 EOF@16`},
		{"& é", `char "&"@0 char "é"@2 EOF@4`},
		{`"open`, `error: unterminated string literal@0`},
		{"'open\\' \"open\\\"", `string "'open\\'"@0 error: unterminated string literal@8`},
	}
	for _, tc := range tests {
		if got := show(collect(tc.in, (*lexer).expr)); got != tc.want {
			t.Errorf("expr %q:\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

func TestEatNewline(t *testing.T) {
	for in, want := range map[string]int{"\nx": 1, " \t\nx": 3, "\r\nx": 2, "\rx": 1, "  x": 0, "x": 0, "": 0} {
		l := &lexer{input: in}
		if l.eatNewline(); l.pos != want {
			t.Errorf("eatNewline(%q): got pos %d, want %d", in, l.pos, want)
		}
	}
}
