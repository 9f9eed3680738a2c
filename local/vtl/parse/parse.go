// Package parse builds syntax trees for API Gateway's dialect of the Velocity
// Template Language. The lexer (lex.go) turns source into items, the parser
// (this file) turns items into a tree of the nodes in node.go, and every node
// prints itself back as VTL that parses to the same tree. Package vtl
// compiles and renders the trees.
package parse

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Tree is a parsed template.
type Tree struct {
	Name string
	Root *ListNode
}

// String prints the template as VTL.
func (t *Tree) String() string { return t.Root.String() }

// Error is a syntax error located in the template source.
type Error struct {
	Name      string
	Line, Col int
	Msg       string
	Err       error // ErrTooDeep when the nesting bound was exceeded
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Name, e.Line, e.Col, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrTooDeep is wrapped by the error for a template nested deeper than Parse's bound.
var ErrTooDeep = errors.New("nesting too deep")

// LineCol converts a byte offset in text into a 1-based line and rune column.
func LineCol(text string, off int) (line, col int) {
	off = min(max(off, 0), len(text))
	line = 1 + strings.Count(text[:off], "\n")
	ls := strings.LastIndexByte(text[:off], '\n') + 1
	return line, 1 + utf8.RuneCountInString(text[ls:off])
}

// directives are the names '#' cannot start a macro call with.
var directives = map[string]bool{
	"set": true, "if": true, "elseif": true, "else": true, "end": true,
	"foreach": true, "break": true, "stop": true, "define": true, "macro": true,
	"evaluate": true, "parse": true, "include": true,
}

type parser struct {
	name     string
	text     string // the whole template, for error positions
	lex      lexer  // over text, or over a double-quoted string's body
	base     int    // offset of lex.input in text
	depth    int
	maxDepth int
	macros   map[string]bool // macros defined so far: "\#name" escapes them
}

type parseError struct{ err *Error }

// Parse parses a template. maxDepth bounds the nesting of directives and
// expressions; a deeper template is an error wrapping ErrTooDeep.
func Parse(name, text string, maxDepth int) (t *Tree, err error) {
	p := &parser{name: name, text: text, lex: lexer{input: text}, maxDepth: maxDepth, macros: map[string]bool{}}
	defer func() {
		if r := recover(); r != nil {
			if pe, ok := r.(parseError); ok {
				t, err = nil, pe.err
				return
			}
			t, err = nil, &Error{Name: name, Line: 1, Col: 1, Msg: fmt.Sprintf("internal parser error: %v", r)}
		}
	}()
	root, term, tpos := p.block()
	if term != "" {
		p.fail(tpos, "#%s without matching #if/#foreach/#define/#macro", term)
	}
	return &Tree{Name: name, Root: root}, nil
}

func (p *parser) abs(pos int) Pos { return Pos(p.base + pos) }

func (p *parser) errorAt(pos int, cause error, format string, args ...any) {
	line, col := LineCol(p.text, p.base+pos)
	panic(parseError{&Error{Name: p.name, Line: line, Col: col, Msg: fmt.Sprintf(format, args...), Err: cause}})
}

func (p *parser) fail(pos int, format string, args ...any) { p.errorAt(pos, nil, format, args...) }

func (p *parser) enter(pos int) {
	p.depth++
	if p.depth > p.maxDepth {
		p.errorAt(pos, ErrTooDeep, "nesting deeper than %d", p.maxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

// near describes the item for an error message: its first character.
func (p *parser) near(it item) string {
	if it.typ == itemEOF {
		return "end of template"
	}
	r, _ := utf8.DecodeRuneInString(p.lex.input[it.pos:])
	return strconv.QuoteRune(r)
}

// accept consumes the next expression item if it has type typ.
func (p *parser) accept(typ itemType) bool {
	save := p.lex.pos
	if p.lex.expr().typ == typ {
		return true
	}
	p.lex.pos = save
	return false
}

// expect consumes the next expression item, which must have type typ.
func (p *parser) expect(typ itemType, c rune, what string) {
	if it := p.lex.expr(); it.typ != typ {
		p.fail(it.pos, "expected %q %s, found %s", c, what, p.near(it))
	}
}

// textBuf accumulates literal text between nodes.
type textBuf struct {
	b   []byte
	pos int
}

func (tb *textBuf) add(pos int, s string) {
	if len(tb.b) == 0 {
		tb.pos = pos
	}
	tb.b = append(tb.b, s...)
}

func (p *parser) flush(list *ListNode, tb *textBuf) {
	if len(tb.b) > 0 {
		list.Nodes = append(list.Nodes, &TextNode{NodeType: NodeText, Pos: p.abs(tb.pos), Text: string(tb.b)})
		tb.b = tb.b[:0]
	}
}

// block parses statements until the end of the input or a block terminator
// (#end, #else, #elseif), returning the terminator's name and position.
func (p *parser) block() (list *ListNode, term string, termPos int) {
	list = &ListNode{NodeType: NodeList, Pos: p.abs(p.lex.pos)}
	var tb textBuf
	for {
		var n Node
		switch it := p.lex.text(); it.typ {
		case itemEOF:
			p.flush(list, &tb)
			return list, "", it.pos
		case itemError:
			p.fail(it.pos, "%s", it.val)
		case itemText:
			tb.add(it.pos, it.val)
		case itemUnparsed:
			tb.add(it.pos, it.val[3:len(it.val)-3])
		case itemRef:
			if r, ok := p.ref(it); ok {
				n = r
			} else {
				// Not a reference after all ("${x" never closed): a '$'.
				tb.add(it.pos, "$")
				p.lex.pos = it.pos + 1
			}
		case itemBackslashes:
			n = p.escape(it, &tb)
		case itemDirective:
			if n, term = p.directive(it, &tb); term != "" {
				p.flush(list, &tb)
				return list, term, it.pos
			}
		}
		if n != nil {
			p.flush(list, &tb)
			list.Nodes = append(list.Nodes, n)
		}
	}
}

// escape handles backslashes before '$' or '#'. Before a reference they make
// an EscapedRefNode; before a directive or a macro defined so far, half of
// them are text and an odd one makes the directive text too. Otherwise they
// are just text.
func (p *parser) escape(bs item, tb *textBuf) Node {
	n := len(bs.val)
	at := p.lex.pos
	switch next := p.lex.text(); next.typ {
	case itemRef:
		if r, ok := p.ref(next); ok {
			return &EscapedRefNode{NodeType: NodeEscapedRef, Pos: p.abs(bs.pos), Backslashes: n, Ref: r,
				Raw: p.lex.input[next.pos:p.lex.pos]}
		}
	case itemDirective:
		if w := directiveName(next.val); directives[w] || p.macros[w] {
			tb.add(bs.pos, strings.Repeat(`\`, n/2))
			if n%2 == 1 {
				tb.add(next.pos, next.val)
			} else {
				p.lex.pos = at
			}
			return nil
		}
	}
	tb.add(bs.pos, bs.val)
	p.lex.pos = at
	return nil
}

// directive handles a '#name' item. It returns a node, or a block
// terminator's name, or neither (the '#' was text, or added to tb).
func (p *parser) directive(it item, tb *textBuf) (Node, string) {
	start := it.pos
	switch word := directiveName(it.val); word {
	case "end", "else":
		p.lex.eatNewline()
		return nil, word
	case "elseif":
		return nil, word
	case "set":
		return p.parseSet(start), ""
	case "if":
		return p.parseIf(start), ""
	case "foreach":
		return p.parseForeach(start), ""
	case "define":
		return p.parseDefine(start), ""
	case "macro":
		return p.parseMacro(start), ""
	case "break", "stop":
		return p.parseBreak(start, word), ""
	case "evaluate", "parse", "include":
		p.fail(start, "#%s is not supported by API Gateway", word)
	default:
		// Possibly a macro call; anything that does not parse as one is text.
		if n := p.tryMacroCall(start, word); n != nil {
			return n, ""
		}
	}
	tb.add(start, "#")
	p.lex.pos = start + 1
	return nil, ""
}

func (p *parser) tryMacroCall(start int, name string) (n Node) {
	depth := p.depth
	if !p.lex.macroParen() {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(parseError); !ok {
				panic(r)
			}
			p.depth = depth
			n = nil
		}
	}()
	var args []Node
	for !p.accept(itemRightParen) {
		if len(args) > 0 {
			p.accept(itemComma)
		}
		args = append(args, p.expr())
	}
	raw := p.lex.input[start:p.lex.pos]
	p.lex.eatNewline()
	return &MacroCallNode{NodeType: NodeMacroCall, Pos: p.abs(start), Name: name, Args: args, Raw: raw}
}

func (p *parser) parseSet(start int) Node {
	p.expect(itemLeftParen, '(', "after #set")
	it := p.lex.expr()
	var r *RefNode
	ok := it.typ == itemRef
	if ok {
		r, ok = p.ref(it)
	}
	if !ok {
		p.fail(it.pos, "#set needs a reference on the left, found %s", p.near(it))
	}
	if len(r.Chain) > 0 && r.Chain[len(r.Chain)-1].Kind == SelectMethod {
		p.fail(it.pos, "cannot assign to a method call")
	}
	if it := p.lex.expr(); it.typ == itemOp && it.val == "==" {
		// The assignment, then a right-hand side starting with '=' (an error).
		p.lex.pos = it.pos + 1
	} else if it.typ != itemAssign {
		p.fail(it.pos, "expected '=' in #set, found %s", p.near(it))
	}
	v := p.expr()
	p.expect(itemRightParen, ')', "to close #set")
	p.lex.eatNewline()
	return &SetNode{NodeType: NodeSet, Pos: p.abs(start), Target: r, Value: v}
}

func (p *parser) parenExpr(what string) Node {
	p.expect(itemLeftParen, '(', "after "+what)
	e := p.expr()
	p.expect(itemRightParen, ')', "to close "+what)
	p.lex.eatNewline()
	return e
}

func (p *parser) parseIf(start int) Node {
	p.enter(start)
	defer p.leave()
	n := &IfNode{NodeType: NodeIf, Pos: p.abs(start)}
	cond := p.parenExpr("#if")
	for {
		body, term, _ := p.block()
		n.Branches = append(n.Branches, &Branch{Cond: cond, List: body})
		switch term {
		case "elseif":
			cond = p.parenExpr("#elseif")
		case "else":
			els, t2, t2pos := p.block()
			if t2 != "end" {
				if t2 == "" {
					p.fail(start, "#if without #end")
				}
				p.fail(t2pos, "unexpected #%s after #else", t2)
			}
			n.Else = els
			return n
		case "end":
			return n
		default:
			p.fail(start, "#if without #end")
		}
	}
}

// checkEnd reports a block that a terminator other than #end closed.
func (p *parser) checkEnd(start int, term, what string) {
	if term != "end" {
		if term == "" {
			p.fail(start, "%s without #end", what)
		}
		p.fail(p.lex.pos, "unexpected #%s in %s", term, what)
	}
}

// simpleVar parses a plain $variable and returns its name.
func (p *parser) simpleVar(what string) string {
	it := p.lex.expr()
	if it.typ == itemRef {
		if r, ok := p.ref(it); ok && len(r.Chain) == 0 {
			return r.Name
		}
	}
	p.fail(it.pos, "%s needs a plain $variable", what)
	return ""
}

func (p *parser) parseForeach(start int) Node {
	p.enter(start)
	defer p.leave()
	p.expect(itemLeftParen, '(', "after #foreach")
	name := p.simpleVar("#foreach")
	if it := p.lex.expr(); it.typ != itemWord || it.val != "in" {
		p.fail(it.pos, "expected 'in' in #foreach, found %s", p.near(it))
	}
	iter := p.expr()
	p.expect(itemRightParen, ')', "to close #foreach")
	p.lex.eatNewline()
	body, term, _ := p.block()
	p.checkEnd(start, term, "#foreach")
	return &ForeachNode{NodeType: NodeForeach, Pos: p.abs(start), Var: name, Iter: iter, List: body}
}

func (p *parser) parseDefine(start int) Node {
	p.enter(start)
	defer p.leave()
	p.expect(itemLeftParen, '(', "after #define")
	name := p.simpleVar("#define")
	p.expect(itemRightParen, ')', "to close #define")
	p.lex.eatNewline()
	body, term, _ := p.block()
	p.checkEnd(start, term, "#define")
	return &DefineNode{NodeType: NodeDefine, Pos: p.abs(start), Name: name, List: body}
}

func (p *parser) parseMacro(start int) Node {
	p.enter(start)
	defer p.leave()
	p.expect(itemLeftParen, '(', "after #macro")
	it := p.lex.expr()
	if it.typ != itemWord && (it.typ != itemOp || !isIdentStart(it.val[0])) {
		p.fail(it.pos, "#macro needs a name")
	}
	if directives[it.val] {
		p.fail(it.pos, "#macro cannot redefine #%s", it.val)
	}
	m := &MacroNode{NodeType: NodeMacro, Pos: p.abs(start), Name: it.val}
	for {
		p.accept(itemComma)
		if p.accept(itemRightParen) {
			break
		}
		m.Params = append(m.Params, p.simpleVar("#macro parameter"))
	}
	p.lex.eatNewline()
	// Defined before the body so recursive calls and escapes see it.
	p.macros[m.Name] = true
	body, term, _ := p.block()
	p.checkEnd(start, term, "#macro")
	m.List = body
	return m
}

// parseBreak parses #break or #stop, with Velocity 1.7's optional scope
// argument, which is ignored: #break($foreach).
func (p *parser) parseBreak(start int, word string) Node {
	save := p.lex.pos
	if p.accept(itemLeftParen) {
		inner := p.lex.pos
		if it := p.lex.expr(); it.typ != itemRef {
			p.lex.pos = inner
		} else if _, ok := p.ref(it); !ok {
			p.lex.pos = it.pos
		}
		if !p.accept(itemRightParen) {
			p.lex.pos = save
		}
	}
	p.lex.eatNewline()
	if word == "break" {
		return &BreakNode{NodeType: NodeBreak, Pos: p.abs(start)}
	}
	return &StopNode{NodeType: NodeStop, Pos: p.abs(start)}
}

// ref parses the reference whose start is it. ok is false when it is not a
// reference after all: a "${" without its closing brace.
func (p *parser) ref(it item) (r *RefNode, ok bool) {
	name := it.val[1:]
	r = &RefNode{NodeType: NodeRef, Pos: p.abs(it.pos)}
	if name[0] == '!' {
		r.Silent, name = true, name[1:]
	}
	if name[0] == '{' {
		r.Formal, name = true, name[1:]
	}
	r.Name = name
	for p.selector(r) {
	}
	if r.Formal {
		save := p.lex.pos
		if p.lex.refPart().typ != itemRightBrace {
			p.lex.pos = save
			return nil, false
		}
	}
	return r, true
}

// selector parses the next step of r's chain and reports whether there was one.
func (p *parser) selector(r *RefNode) bool {
	save := p.lex.pos
	it := p.lex.refPart()
	s := &SelectorNode{NodeType: NodeSelector, Pos: p.abs(it.pos), Name: it.val}
	switch it.typ {
	case itemField:
		s.Kind = SelectField
	case itemMethod:
		s.Kind = SelectMethod
		p.enter(it.pos + len(it.val))
		for !p.accept(itemRightParen) {
			if len(s.Args) > 0 {
				p.expect(itemComma, ',', "between method arguments")
			}
			s.Args = append(s.Args, p.expr())
		}
		p.leave()
	case itemLeftBracket:
		// Index notation ($a[0], $a["k"]) as in Velocity 1.7; a bracket
		// that does not parse as one is text.
		var ok bool
		if s.Index, ok = p.tryIndex(it.pos); !ok {
			p.lex.pos = save
			return false
		}
		s.Kind, s.Name = SelectIndex, ""
	default:
		p.lex.pos = save
		return false
	}
	r.Chain = append(r.Chain, s)
	return true
}

func (p *parser) tryIndex(pos int) (ix Node, ok bool) {
	depth := p.depth
	defer func() {
		if rec := recover(); rec != nil {
			if pe, isPE := rec.(parseError); !isPE || pe.err.Err == ErrTooDeep {
				panic(rec)
			}
			p.depth = depth
			ix, ok = nil, false
		}
	}()
	p.enter(pos)
	ix = p.expr()
	if !p.accept(itemRightBracket) {
		p.depth = depth
		return nil, false
	}
	p.leave()
	return ix, true
}
