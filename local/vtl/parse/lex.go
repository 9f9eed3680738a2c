package parse

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// item is a token: its type, where it starts in the lexer's input, and its
// source text (the message, for itemError).
type item struct {
	typ itemType
	pos int
	val string
}

func (i item) String() string {
	switch i.typ {
	case itemEOF:
		return "EOF"
	case itemError:
		return "error: " + i.val
	}
	return fmt.Sprintf("%s %q", i.typ, i.val)
}

type itemType int

const (
	itemError itemType = iota // a lexical error; val is the message
	itemEOF

	// Text mode.
	itemText        // literal text
	itemBackslashes // a run of '\' right before '$' or '#'
	itemRef         // '$', optional '!', optional '{', identifier
	itemDirective   // '#name' or '#{name}'
	itemComment     // '## …' to the end of the line, or '#* … *#'
	itemUnparsed    // '#[[ … ]]#'

	// Reference mode, after a reference's identifier.
	itemField  // '.name'
	itemMethod // '.name(' (val is the name)
	itemNone   // nothing continues the reference (nothing consumed)

	// Expression mode (blanks between items are skipped).
	itemNumber       // 12, 1.5, .5 (a sign is a separate itemOp)
	itemString       // 'single-quoted', quotes included
	itemQuoted       // "double-quoted", quotes included
	itemWord         // true, false, null, in, or a name
	itemOp           // || && == != < <= > >= + - * / % ! and the word forms (and, or, not, eq, ne, lt, le, gt, ge)
	itemAssign       // =
	itemRange        // ..
	itemComma        // ,
	itemColon        // :
	itemLeftParen    // (
	itemRightParen   // )
	itemLeftBracket  // [ (also in reference mode)
	itemRightBracket // ]
	itemLeftBrace    // {
	itemRightBrace   // } (also in reference mode, closing ${…})
	itemChar         // any other character
)

var itemNames = [...]string{
	itemError: "error", itemEOF: "EOF", itemText: "text", itemBackslashes: "backslashes",
	itemRef: "reference", itemDirective: "directive", itemComment: "comment", itemUnparsed: "unparsed",
	itemField: "field", itemMethod: "method", itemNone: "none", itemNumber: "number",
	itemString: "string", itemQuoted: "quoted string", itemWord: "word", itemOp: "operator",
	itemAssign: "=", itemRange: "..", itemComma: ",", itemColon: ":", itemLeftParen: "(",
	itemRightParen: ")", itemLeftBracket: "[", itemRightBracket: "]", itemLeftBrace: "{",
	itemRightBrace: "}", itemChar: "char",
}

func (t itemType) String() string { return itemNames[t] }

// wordOps are the operators spelled as words.
var wordOps = map[string]bool{
	"and": true, "or": true, "not": true, "eq": true, "ne": true, "lt": true, "le": true, "gt": true, "ge": true,
}

// lexer splits a template into items. Velocity's lexical structure depends on
// where the parser is — the same '(' is text after "$x" but starts the
// arguments after "$x.m" — so, like the lexical states of Apache Velocity's
// JavaCC grammar, the parser names the mode of each item it asks for: text,
// reference (what may follow a reference's identifier) or expression. The
// lexer's whole state is its position, so the parser backs up by restoring it.
type lexer struct {
	input string
	pos   int
}

func (l *lexer) item(typ itemType, start int) item {
	return item{typ: typ, pos: start, val: l.input[start:l.pos]}
}

func (l *lexer) errorf(start int, format string, args ...any) item {
	return item{typ: itemError, pos: start, val: fmt.Sprintf(format, args...)}
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// scanIdent returns the end of the Velocity 1.7 identifier at pos (pos itself
// when there is none). Identifiers may contain '-' ("$a-b" is one reference,
// as on AWS) but not end with it.
func (l *lexer) scanIdent(pos int) int {
	s := l.input
	if pos >= len(s) || !isIdentStart(s[pos]) {
		return pos
	}
	pos++
	for pos < len(s) {
		if isIdentChar(s[pos]) || s[pos] == '-' && pos+1 < len(s) && isIdentChar(s[pos+1]) {
			pos++
			continue
		}
		break
	}
	return pos
}

// scanWord returns the end of the word (directive name, keyword: no '-') at pos.
func (l *lexer) scanWord(pos int) int {
	s := l.input
	if pos >= len(s) || !isIdentStart(s[pos]) {
		return pos
	}
	pos++
	for pos < len(s) && isIdentChar(s[pos]) {
		pos++
	}
	return pos
}

// refStart returns the end of a reference's start ("$x", "$!x", "${x",
// "$!{x") at pos, or pos when the '$' there starts none.
func (l *lexer) refStart(pos int) int {
	s := l.input
	q := pos + 1
	if q < len(s) && s[q] == '!' {
		q++
	}
	if q < len(s) && s[q] == '{' {
		q++
	}
	if e := l.scanIdent(q); e > q {
		return e
	}
	return pos
}

// text returns the next item in text mode.
func (l *lexer) text() item {
	start := l.pos
	s := l.input
	if start >= len(s) {
		return item{typ: itemEOF, pos: start}
	}
	switch s[start] {
	case '$':
		if e := l.refStart(start); e > start {
			l.pos = e
			return l.item(itemRef, start)
		}
		l.pos++
		return l.item(itemText, start)
	case '\\':
		for l.pos < len(s) && s[l.pos] == '\\' {
			l.pos++
		}
		if l.pos < len(s) && (s[l.pos] == '$' || s[l.pos] == '#') {
			return l.item(itemBackslashes, start)
		}
		return l.item(itemText, start)
	case '#':
		return l.hash()
	}
	if i := strings.IndexAny(s[start:], "$#\\"); i >= 0 {
		l.pos += i
	} else {
		l.pos = len(s)
	}
	return l.item(itemText, start)
}

// hash lexes what starts with '#': a comment, an unparsed block, a directive
// name, or a '#' that is just text.
func (l *lexer) hash() item {
	start := l.pos
	s := l.input
	rest := s[start:]
	switch {
	case strings.HasPrefix(rest, "##"):
		if e := strings.IndexByte(rest, '\n'); e >= 0 {
			l.pos += e + 1
		} else {
			l.pos = len(s)
		}
		return l.item(itemComment, start)
	case strings.HasPrefix(rest, "#*"):
		e := strings.Index(rest[2:], "*#")
		if e < 0 {
			return l.errorf(start, "unterminated #* comment")
		}
		l.pos += 2 + e + 2
		return l.item(itemComment, start)
	case strings.HasPrefix(rest, "#[["):
		e := strings.Index(rest[3:], "]]#")
		if e < 0 {
			return l.errorf(start, "unterminated #[[ block")
		}
		l.pos += 3 + e + 3
		return l.item(itemUnparsed, start)
	}
	if e := l.directiveEnd(start); e > start {
		l.pos = e
		return l.item(itemDirective, start)
	}
	l.pos++
	return l.item(itemText, start)
}

// directiveEnd returns the end of "#name" or "#{name}" at pos, or pos.
func (l *lexer) directiveEnd(pos int) int {
	s := l.input
	q := pos + 1
	if q < len(s) && s[q] == '{' {
		e := l.scanWord(q + 1)
		if e > q+1 && e < len(s) && s[e] == '}' {
			return e + 1
		}
		return pos
	}
	if e := l.scanWord(q); e > q {
		return e
	}
	return pos
}

// directiveName is the name in a directive item's text.
func directiveName(val string) string {
	if strings.HasPrefix(val, "#{") {
		return val[2 : len(val)-1]
	}
	return val[1:]
}

// refPart returns what continues a reference at the current position: a
// field, a method (up to its '('), '[' or '}'; itemNone consumes nothing.
func (l *lexer) refPart() item {
	start := l.pos
	s := l.input
	if start >= len(s) {
		return item{typ: itemNone, pos: start}
	}
	switch s[start] {
	case '.':
		e := l.scanIdent(start + 1)
		if e == start+1 {
			break
		}
		if e < len(s) && s[e] == '(' {
			l.pos = e + 1
			return item{typ: itemMethod, pos: start + 1, val: s[start+1 : e]}
		}
		l.pos = e
		return item{typ: itemField, pos: start + 1, val: s[start+1 : e]}
	case '[':
		l.pos++
		return l.item(itemLeftBracket, start)
	case '}':
		l.pos++
		return l.item(itemRightBrace, start)
	}
	return item{typ: itemNone, pos: start}
}

// eatNewline swallows "[ \t]*" and one line break after a directive: AWS
// (like Velocity 1.7) drops the line break that ends a directive but keeps
// the indentation before it, and keeps the blanks when no line break follows.
func (l *lexer) eatNewline() {
	s := l.input
	q := l.pos
	for q < len(s) && (s[q] == ' ' || s[q] == '\t') {
		q++
	}
	switch {
	case q < len(s) && s[q] == '\n':
		l.pos = q + 1
	case q < len(s) && s[q] == '\r':
		q++
		if q < len(s) && s[q] == '\n' {
			q++
		}
		l.pos = q
	}
}

// macroParen consumes "[ \t]*(" — the start of a macro call's arguments —
// and reports whether it was there.
func (l *lexer) macroParen() bool {
	s := l.input
	q := l.pos
	for q < len(s) && (s[q] == ' ' || s[q] == '\t') {
		q++
	}
	if q < len(s) && s[q] == '(' {
		l.pos = q + 1
		return true
	}
	return false
}

var punct = [256]itemType{
	',': itemComma, ':': itemColon, '(': itemLeftParen, ')': itemRightParen,
	'[': itemLeftBracket, ']': itemRightBracket, '{': itemLeftBrace, '}': itemRightBrace,
}

// expr returns the next item in expression mode, after any blanks.
func (l *lexer) expr() item {
	s := l.input
	for l.pos < len(s) && (s[l.pos] == ' ' || s[l.pos] == '\t' || s[l.pos] == '\n' || s[l.pos] == '\r') {
		l.pos++
	}
	start := l.pos
	if start >= len(s) {
		return item{typ: itemEOF, pos: start}
	}
	c := s[start]
	switch {
	case c == '$':
		if e := l.refStart(start); e > start {
			l.pos = e
			return l.item(itemRef, start)
		}
	case c == '\'' || c == '"':
		return l.quoted(c)
	case isDigit(c) || c == '.' && start+1 < len(s) && isDigit(s[start+1]):
		return l.number()
	case isIdentStart(c):
		l.pos = l.scanWord(start)
		if wordOps[s[start:l.pos]] {
			return l.item(itemOp, start)
		}
		return l.item(itemWord, start)
	case punct[c] != 0:
		l.pos++
		return l.item(punct[c], start)
	}
	return l.operator()
}

// operator lexes an operator, '=', '..' or, failing those, one character.
func (l *lexer) operator() item {
	start := l.pos
	rest := l.input[start:]
	for _, op := range [...]string{"||", "&&", "==", "!=", "<=", ">="} {
		if strings.HasPrefix(rest, op) {
			l.pos += 2
			return l.item(itemOp, start)
		}
	}
	if strings.HasPrefix(rest, "..") {
		l.pos += 2
		return l.item(itemRange, start)
	}
	switch rest[0] {
	case '<', '>', '+', '-', '*', '/', '%', '!':
		l.pos++
		return l.item(itemOp, start)
	case '=':
		l.pos++
		return l.item(itemAssign, start)
	}
	_, n := utf8.DecodeRuneInString(rest)
	l.pos += n
	return l.item(itemChar, start)
}

// number lexes digits with an optional fraction: 12, 1.5, .5.
func (l *lexer) number() item {
	start := l.pos
	s := l.input
	for l.pos < len(s) && isDigit(s[l.pos]) {
		l.pos++
	}
	if l.pos+1 < len(s) && s[l.pos] == '.' && isDigit(s[l.pos+1]) {
		l.pos++
		for l.pos < len(s) && isDigit(s[l.pos]) {
			l.pos++
		}
	}
	return l.item(itemNumber, start)
}

// quoted lexes a string literal. A doubled quote stands for one quote; in a
// double-quoted string a backslash also protects the character after it.
func (l *lexer) quoted(q byte) item {
	start := l.pos
	s := l.input
	i := start + 1
	for {
		if i >= len(s) {
			return l.errorf(start, "unterminated string literal")
		}
		c := s[i]
		if q == '"' && c == '\\' && i+1 < len(s) {
			i += 2
			continue
		}
		if c == q {
			if i+1 < len(s) && s[i+1] == q {
				i += 2
				continue
			}
			break
		}
		i++
	}
	l.pos = i + 1
	if q == '"' {
		return l.item(itemQuoted, start)
	}
	return l.item(itemString, start)
}
