package vtl

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is a parse or render error located in the template source.
type Error struct {
	Name      string
	Line, Col int
	Msg       string
	Err       error // wrapped cause, e.g. ErrLimit
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Name, e.Line, e.Col, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// lineCol converts a byte offset into 1-based line and rune column.
func lineCol(src string, off int) (int, int) {
	if off > len(src) {
		off = len(src)
	}
	if off < 0 {
		off = 0
	}
	line := 1 + strings.Count(src[:off], "\n")
	ls := strings.LastIndexByte(src[:off], '\n') + 1
	return line, 1 + utf8.RuneCountInString(src[ls:off])
}

// Template is a compiled template, safe for concurrent Render calls.
type Template struct {
	name   string
	src    string
	root   []node
	names  []string // variable slot names
	macros map[string]*macroDef
	limits Limits
	// well-known slots, -1 when the template never mentions them
	slotInput, slotUtil, slotContext, slotStage         int
	slotForeach, slotVelocityCount, slotVelocityHasNext int
}

// Name returns the name given to Parse.
func (t *Template) Name() string { return t.name }

type macroDef struct {
	name   string
	params []int
	body   []node
}

type parser struct {
	name   string
	orig   string // whole template, for error positions
	src    string // text being parsed (orig, or an unescaped string literal)
	base   int    // offset of src within orig
	pos    int
	depth  int
	maxDep int
	syms   map[string]int
	names  []string
	macros map[string]*macroDef
}

type parseError struct{ err *Error }

// Parse compiles a template; errors carry line and column: "name:LINE:COL: message".
func Parse(name, src string) (*Template, error) {
	return ParseWithLimits(name, src, DefaultLimits)
}

// ParseWithLimits is Parse with explicit limits (nesting depth applies to
// parsing; the rest become the template's render limits).
func ParseWithLimits(name, src string, lim Limits) (t *Template, err error) {
	lim = lim.withDefaults()
	if len(src) > lim.MaxTemplate {
		return nil, &Error{Name: name, Line: 1, Col: 1, Msg: fmt.Sprintf("template larger than %d bytes", lim.MaxTemplate), Err: ErrLimit}
	}
	p := &parser{name: name, orig: src, src: src, maxDep: lim.MaxDepth,
		syms: map[string]int{}, macros: map[string]*macroDef{}}
	defer func() {
		if r := recover(); r != nil {
			if pe, ok := r.(parseError); ok {
				t, err = nil, pe.err
				return
			}
			t, err = nil, &Error{Name: name, Line: 1, Col: 1, Msg: fmt.Sprintf("internal parser error: %v", r)}
		}
	}()
	nodes, term, tpos := p.block()
	if term != "" {
		p.fail(tpos, "#%s without matching #if/#foreach/#define/#macro", term)
	}
	t = &Template{name: name, src: src, root: nodes, names: p.names, macros: p.macros, limits: lim}
	t.slotInput = p.lookup("input")
	t.slotUtil = p.lookup("util")
	t.slotContext = p.lookup("context")
	t.slotStage = p.lookup("stageVariables")
	t.slotForeach = p.lookup("foreach")
	t.slotVelocityCount = p.lookup("velocityCount")
	t.slotVelocityHasNext = p.lookup("velocityHasNext")
	return t, nil
}

func (p *parser) lookup(name string) int {
	if i, ok := p.syms[name]; ok {
		return i
	}
	return -1
}

func (p *parser) sym(name string) int {
	if i, ok := p.syms[name]; ok {
		return i
	}
	i := len(p.names)
	p.syms[name] = i
	p.names = append(p.names, name)
	return i
}

func (p *parser) fail(pos int, format string, args ...any) {
	line, col := lineCol(p.orig, p.base+pos)
	panic(parseError{&Error{Name: p.name, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}})
}

func (p *parser) enter(pos int) {
	p.depth++
	if p.depth > p.maxDep {
		line, col := lineCol(p.orig, p.base+pos)
		panic(parseError{&Error{Name: p.name, Line: line, Col: col, Msg: fmt.Sprintf("nesting deeper than %d", p.maxDep), Err: ErrLimit}})
	}
}

func (p *parser) leave() { p.depth-- }

func (p *parser) abs(pos int) int { return p.base + pos }

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9'
}

// scanIdent reads a Velocity 1.7 identifier, which may contain '-' (so
// "$a-b" is one reference, as on AWS); a trailing '-' is left as text.
func (p *parser) scanIdent(pos int) int {
	if pos >= len(p.src) || !isIdentStart(p.src[pos]) {
		return pos
	}
	pos++
	for pos < len(p.src) {
		c := p.src[pos]
		if isIdentChar(c) {
			pos++
		} else if c == '-' && pos+1 < len(p.src) && isIdentChar(p.src[pos+1]) {
			pos++
		} else {
			break
		}
	}
	return pos
}

// scanWord reads a directive name (no '-').
func (p *parser) scanWord(pos int) int {
	if pos >= len(p.src) || !isIdentStart(p.src[pos]) {
		return pos
	}
	pos++
	for pos < len(p.src) && isIdentChar(p.src[pos]) {
		pos++
	}
	return pos
}

var directives = map[string]bool{
	"set": true, "if": true, "elseif": true, "else": true, "end": true,
	"foreach": true, "break": true, "stop": true, "define": true, "macro": true,
	"evaluate": true, "parse": true, "include": true,
}

// textBuf accumulates literal text between nodes.
type textBuf struct {
	b     []byte
	nodes *[]node
}

func (tb *textBuf) flush() {
	if len(tb.b) > 0 {
		*tb.nodes = append(*tb.nodes, &textNode{s: string(tb.b)})
		tb.b = tb.b[:0]
	}
}

// block parses template text until EOF or a block terminator
// (#end/#else/#elseif), returning the terminator name and its position.
func (p *parser) block() (nodes []node, term string, termPos int) {
	tb := textBuf{nodes: &nodes}
	src := p.src
	for p.pos < len(src) {
		c := src[p.pos]
		switch c {
		case '$':
			if r, end, ok := p.tryRef(p.pos); ok {
				tb.flush()
				p.pos = end
				nodes = append(nodes, &refNode{ref: r})
				continue
			}
			tb.b = append(tb.b, '$')
			p.pos++
		case '\\':
			n := 0
			for p.pos+n < len(src) && src[p.pos+n] == '\\' {
				n++
			}
			at := p.pos + n
			if at < len(src) && src[at] == '$' {
				if r, end, ok := p.tryRef(at); ok {
					tb.flush()
					nodes = append(nodes, &escRefNode{prefix: strings.Repeat("\\", n/2), odd: n%2 == 1, ref: r})
					p.pos = end
					continue
				}
			}
			if at < len(src) && src[at] == '#' {
				if w, wend := p.directiveWord(at); w != "" && (directives[w] || p.macros[w] != nil) {
					tb.b = append(tb.b, strings.Repeat("\\", n/2)...)
					if n%2 == 1 {
						tb.b = append(tb.b, src[at:wend]...)
						p.pos = wend
					} else {
						p.pos = at
					}
					continue
				}
			}
			tb.b = append(tb.b, src[p.pos:at]...)
			p.pos = at
		case '#':
			start := p.pos
			n, t := p.directive(&tb)
			if t != "" {
				tb.flush()
				return nodes, t, start
			}
			if n != nil {
				tb.flush()
				nodes = append(nodes, n)
			}
		default:
			i := strings.IndexAny(src[p.pos:], "$#\\")
			if i < 0 {
				i = len(src) - p.pos
			}
			tb.b = append(tb.b, src[p.pos:p.pos+i]...)
			p.pos += i
		}
	}
	tb.flush()
	return nodes, "", p.pos
}

// directiveWord returns the directive name after '#' at pos ("#if", "#{if}").
func (p *parser) directiveWord(pos int) (string, int) {
	q := pos + 1
	if q < len(p.src) && p.src[q] == '{' {
		e := p.scanWord(q + 1)
		if e > q+1 && e < len(p.src) && p.src[e] == '}' {
			return p.src[q+1 : e], e + 1
		}
		return "", pos
	}
	e := p.scanWord(q)
	return p.src[q:e], e
}

// eatNewline swallows "[ \t]*\n" after a directive: AWS (like Velocity 1.7)
// drops the line break that ends a directive but keeps its indentation.
func (p *parser) eatNewline() {
	q := p.pos
	for q < len(p.src) && (p.src[q] == ' ' || p.src[q] == '\t') {
		q++
	}
	if q < len(p.src) && p.src[q] == '\n' {
		p.pos = q + 1
	} else if q < len(p.src) && p.src[q] == '\r' {
		q++
		if q < len(p.src) && p.src[q] == '\n' {
			q++
		}
		p.pos = q
	}
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) expect(c byte, what string) {
	p.skipSpace()
	if p.pos >= len(p.src) || p.src[p.pos] != c {
		p.fail(p.pos, "expected %q %s, found %s", c, what, p.near())
	}
	p.pos++
}

func (p *parser) near() string {
	if p.pos >= len(p.src) {
		return "end of template"
	}
	r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
	return strconv.QuoteRune(r)
}

// directive handles '#' at p.pos. It returns a node to append, or a block
// terminator name, or neither (comment or literal text appended to tb).
func (p *parser) directive(tb *textBuf) (node, string) {
	src := p.src
	start := p.pos
	if start+1 < len(src) {
		switch src[start+1] {
		case '#':
			e := strings.IndexByte(src[start:], '\n')
			if e < 0 {
				p.pos = len(src)
			} else {
				p.pos = start + e + 1
			}
			return nil, ""
		case '*':
			e := strings.Index(src[start+2:], "*#")
			if e < 0 {
				p.fail(start, "unterminated #* comment")
			}
			p.pos = start + 2 + e + 2
			return nil, ""
		case '[':
			if start+2 < len(src) && src[start+2] == '[' {
				e := strings.Index(src[start+3:], "]]#")
				if e < 0 {
					p.fail(start, "unterminated #[[ block")
				}
				tb.b = append(tb.b, src[start+3:start+3+e]...)
				p.pos = start + 3 + e + 3
				return nil, ""
			}
		}
	}
	word, wend := p.directiveWord(start)
	if word == "" {
		tb.b = append(tb.b, '#')
		p.pos++
		return nil, ""
	}
	switch word {
	case "end", "else":
		p.pos = wend
		p.eatNewline()
		return nil, word
	case "elseif":
		p.pos = wend
		return nil, word
	case "set":
		p.pos = wend
		return p.parseSet(start), ""
	case "if":
		p.pos = wend
		return p.parseIf(start), ""
	case "foreach":
		p.pos = wend
		return p.parseForeach(start), ""
	case "define":
		p.pos = wend
		return p.parseDefine(start), ""
	case "macro":
		p.pos = wend
		p.parseMacro(start)
		return nil, ""
	case "break", "stop":
		p.pos = wend
		// Velocity 1.7 accepts an optional scope argument: #break($foreach).
		save := p.pos
		p.skipSpace()
		if p.pos < len(src) && src[p.pos] == '(' {
			p.pos++
			p.skipSpace()
			if _, e, ok := p.tryRef(p.pos); ok {
				p.pos = e
				p.skipSpace()
			}
			if p.pos < len(src) && src[p.pos] == ')' {
				p.pos++
			} else {
				p.pos = save
			}
		} else {
			p.pos = save
		}
		p.eatNewline()
		if word == "break" {
			return &breakNode{pos: p.abs(start)}, ""
		}
		return &stopNode{}, ""
	case "evaluate", "parse", "include":
		p.fail(start, "#%s is not supported by API Gateway", word)
	}
	// Possibly a macro call; anything that does not parse as one is text.
	q := wend
	for q < len(src) && (src[q] == ' ' || src[q] == '\t') {
		q++
	}
	if q < len(src) && src[q] == '(' {
		if n, ok := p.tryMacroCall(start, word, q); ok {
			return n, ""
		}
	}
	tb.b = append(tb.b, '#')
	p.pos = start + 1
	return nil, ""
}

func (p *parser) tryMacroCall(start int, name string, lparen int) (n node, ok bool) {
	save := p.pos
	saveDepth := p.depth
	defer func() {
		if r := recover(); r != nil {
			if _, isPE := r.(parseError); !isPE {
				panic(r)
			}
			p.pos, p.depth = save, saveDepth
			n, ok = nil, false
		}
	}()
	p.pos = lparen + 1
	var args []expr
	for {
		p.skipSpace()
		if p.pos < len(p.src) && p.src[p.pos] == ')' {
			p.pos++
			break
		}
		if len(args) > 0 && p.pos < len(p.src) && p.src[p.pos] == ',' {
			p.pos++
			p.skipSpace()
		}
		args = append(args, p.expr())
	}
	raw := p.src[start:p.pos]
	p.eatNewline()
	return &macroCallNode{pos: p.abs(start), name: name, args: args, raw: raw}, true
}

func (p *parser) parseSet(start int) node {
	p.expect('(', "after #set")
	p.skipSpace()
	lpos := p.pos
	r, end, ok := p.tryRef(p.pos)
	if !ok {
		p.fail(p.pos, "#set needs a reference on the left, found %s", p.near())
	}
	p.pos = end
	if len(r.parts) > 0 && r.parts[len(r.parts)-1].kind == partMethod {
		p.fail(lpos, "cannot assign to a method call")
	}
	p.expect('=', "in #set")
	rhs := p.expr()
	p.expect(')', "to close #set")
	p.eatNewline()
	return &setNode{pos: p.abs(start), lhs: r, rhs: rhs}
}

func (p *parser) parenExpr(what string) expr {
	p.expect('(', "after "+what)
	e := p.expr()
	p.expect(')', "to close "+what)
	p.eatNewline()
	return e
}

func (p *parser) parseIf(start int) node {
	p.enter(start)
	defer p.leave()
	n := &ifNode{pos: p.abs(start)}
	cond := p.parenExpr("#if")
	for {
		body, term, tpos := p.block()
		n.conds = append(n.conds, cond)
		n.bodies = append(n.bodies, body)
		switch term {
		case "elseif":
			cond = p.parenExpr("#elseif")
			continue
		case "else":
			els, t2, t2pos := p.block()
			if t2 != "end" {
				if t2 == "" {
					p.fail(start, "#if without #end")
				}
				p.fail(t2pos, "unexpected #%s after #else", t2)
			}
			n.els = els
			return n
		case "end":
			return n
		default:
			_ = tpos
			p.fail(start, "#if without #end")
		}
	}
}

func (p *parser) simpleVar(what string) (int, string) {
	p.skipSpace()
	pos := p.pos
	r, end, ok := p.tryRef(p.pos)
	if !ok || len(r.parts) > 0 {
		p.fail(pos, "%s needs a plain $variable", what)
	}
	p.pos = end
	return r.slot, r.name
}

func (p *parser) parseForeach(start int) node {
	p.enter(start)
	defer p.leave()
	p.expect('(', "after #foreach")
	slot, _ := p.simpleVar("#foreach")
	p.skipSpace()
	if !strings.HasPrefix(p.src[p.pos:], "in") || p.pos+2 < len(p.src) && isIdentChar(p.src[p.pos+2]) {
		p.fail(p.pos, "expected 'in' in #foreach, found %s", p.near())
	}
	p.pos += 2
	iter := p.expr()
	p.expect(')', "to close #foreach")
	p.eatNewline()
	// The loop helpers are always given slots so nested loops can save them.
	p.sym("foreach")
	p.sym("velocityCount")
	p.sym("velocityHasNext")
	body, term, _ := p.block()
	if term != "end" {
		if term == "" {
			p.fail(start, "#foreach without #end")
		}
		p.fail(p.pos, "unexpected #%s in #foreach", term)
	}
	return &foreachNode{pos: p.abs(start), slot: slot, iter: iter, body: body}
}

func (p *parser) parseDefine(start int) node {
	p.enter(start)
	defer p.leave()
	p.expect('(', "after #define")
	slot, name := p.simpleVar("#define")
	p.expect(')', "to close #define")
	p.eatNewline()
	body, term, _ := p.block()
	if term != "end" {
		if term == "" {
			p.fail(start, "#define without #end")
		}
		p.fail(p.pos, "unexpected #%s in #define", term)
	}
	return &defineNode{slot: slot, val: &defineVal{name: "$" + name, body: body}}
}

func (p *parser) parseMacro(start int) {
	p.enter(start)
	defer p.leave()
	p.expect('(', "after #macro")
	p.skipSpace()
	e := p.scanWord(p.pos)
	if e == p.pos {
		p.fail(p.pos, "#macro needs a name")
	}
	m := &macroDef{name: p.src[p.pos:e]}
	if directives[m.name] {
		p.fail(p.pos, "#macro cannot redefine #%s", m.name)
	}
	p.pos = e
	for {
		p.skipSpace()
		if p.pos < len(p.src) && p.src[p.pos] == ',' {
			p.pos++
			p.skipSpace()
		}
		if p.pos < len(p.src) && p.src[p.pos] == ')' {
			p.pos++
			break
		}
		slot, _ := p.simpleVar("#macro parameter")
		m.params = append(m.params, slot)
	}
	p.eatNewline()
	// Registered before the body so recursive calls parse as calls.
	p.macros[m.name] = m
	body, term, _ := p.block()
	if term != "end" {
		if term == "" {
			p.fail(start, "#macro without #end")
		}
		p.fail(p.pos, "unexpected #%s in #macro", term)
	}
	m.body = body
}

// tryRef parses a reference starting at '$' at pos. ok is false when the text
// is not a reference (then it renders literally, like "$ " or "${x").
func (p *parser) tryRef(pos int) (r *refExpr, end int, ok bool) {
	src := p.src
	q := pos + 1
	silent := false
	if q < len(src) && src[q] == '!' {
		silent = true
		q++
	}
	formal := false
	if q < len(src) && src[q] == '{' {
		formal = true
		q++
	}
	e := p.scanIdent(q)
	if e == q {
		return nil, 0, false
	}
	r = &refExpr{pos: p.abs(pos), name: src[q:e], silent: silent}
	r.slot = p.sym(r.name)
	q = e
	for q < len(src) {
		c := src[q]
		if c == '.' {
			ie := p.scanIdent(q + 1)
			if ie == q+1 {
				break
			}
			part := refPart{kind: partProp, name: src[q+1 : ie], pos: p.abs(q + 1)}
			q = ie
			if q < len(src) && src[q] == '(' {
				part.kind = partMethod
				p.pos = q + 1
				p.enter(q)
				for {
					p.skipSpace()
					if p.pos < len(src) && src[p.pos] == ')' {
						p.pos++
						break
					}
					if len(part.args) > 0 {
						p.expect(',', "between method arguments")
					}
					part.args = append(part.args, p.expr())
				}
				p.leave()
				q = p.pos
				part.re = precompile(part.name, part.args)
			}
			r.parts = append(r.parts, part)
			continue
		}
		if c == '[' {
			// Index notation ($a[0], $a["k"]) as in Velocity 1.7; an
			// unparsable bracket is left as text.
			save, saveDepth := p.pos, p.depth
			ix, qe, ok := p.tryIndex(q)
			p.pos, p.depth = save, saveDepth
			if !ok {
				break
			}
			r.parts = append(r.parts, refPart{kind: partIndex, index: ix, pos: p.abs(q)})
			q = qe
			continue
		}
		break
	}
	if formal {
		if q >= len(src) || src[q] != '}' {
			return nil, 0, false
		}
		q++
	}
	r.raw = src[pos:q]
	return r, q, true
}

func (p *parser) tryIndex(q int) (ix expr, end int, ok bool) {
	defer func() {
		if rec := recover(); rec != nil {
			pe, isPE := rec.(parseError)
			if !isPE {
				panic(rec)
			}
			if pe.err.Err == ErrLimit {
				panic(rec)
			}
			ix, end, ok = nil, 0, false
		}
	}()
	p.pos = q + 1
	p.enter(q)
	p.skipSpace()
	ix = p.expr()
	p.skipSpace()
	if p.pos >= len(p.src) || p.src[p.pos] != ']' {
		return nil, 0, false
	}
	p.leave()
	return ix, p.pos + 1, true
}

// precompile compiles a literal regex argument once at parse time.
func precompile(method string, args []expr) *regexp.Regexp {
	switch method {
	case "matches", "replaceAll", "replaceFirst", "split":
	default:
		return nil
	}
	if len(args) == 0 {
		return nil
	}
	lit, ok := args[0].(*literal)
	if !ok {
		return nil
	}
	s, ok := lit.v.(string)
	if !ok {
		return nil
	}
	re, err := compileJavaRegex(s)
	if err != nil {
		return nil
	}
	return re
}

// ---- expressions ----

func (p *parser) expr() expr {
	p.enter(p.pos)
	defer p.leave()
	return p.orExpr()
}

// word reports whether the word operator w is at p.pos (after spaces).
func (p *parser) word(w string) bool {
	if strings.HasPrefix(p.src[p.pos:], w) {
		e := p.pos + len(w)
		if e >= len(p.src) || !isIdentChar(p.src[e]) {
			p.pos = e
			return true
		}
	}
	return false
}

func (p *parser) op(s string) bool {
	if strings.HasPrefix(p.src[p.pos:], s) {
		p.pos += len(s)
		return true
	}
	return false
}

func (p *parser) orExpr() expr {
	l := p.andExpr()
	for {
		p.skipSpace()
		pos := p.pos
		if p.op("||") || p.word("or") {
			l = &binary{pos: p.abs(pos), op: opOr, l: l, r: p.andExpr()}
			continue
		}
		return l
	}
}

func (p *parser) andExpr() expr {
	l := p.eqExpr()
	for {
		p.skipSpace()
		pos := p.pos
		if p.op("&&") || p.word("and") {
			l = &binary{pos: p.abs(pos), op: opAnd, l: l, r: p.eqExpr()}
			continue
		}
		return l
	}
}

func (p *parser) eqExpr() expr {
	l := p.relExpr()
	for {
		p.skipSpace()
		pos := p.pos
		switch {
		case p.op("=="), p.word("eq"):
			l = &binary{pos: p.abs(pos), op: opEq, l: l, r: p.relExpr()}
		case p.op("!="), p.word("ne"):
			l = &binary{pos: p.abs(pos), op: opNe, l: l, r: p.relExpr()}
		default:
			return l
		}
	}
}

func (p *parser) relExpr() expr {
	l := p.addExpr()
	for {
		p.skipSpace()
		pos := p.pos
		var op int
		switch {
		case p.op("<="), p.word("le"):
			op = opLe
		case p.op(">="), p.word("ge"):
			op = opGe
		case p.op("<"), p.word("lt"):
			op = opLt
		case p.op(">"), p.word("gt"):
			op = opGt
		default:
			return l
		}
		l = &binary{pos: p.abs(pos), op: op, l: l, r: p.addExpr()}
	}
}

func (p *parser) addExpr() expr {
	l := p.mulExpr()
	for {
		p.skipSpace()
		pos := p.pos
		switch {
		case p.op("+"):
			l = &binary{pos: p.abs(pos), op: opAdd, l: l, r: p.mulExpr()}
		case p.op("-"):
			l = &binary{pos: p.abs(pos), op: opSub, l: l, r: p.mulExpr()}
		default:
			return l
		}
	}
}

func (p *parser) mulExpr() expr {
	l := p.unary()
	for {
		p.skipSpace()
		pos := p.pos
		switch {
		case p.op("*"):
			l = &binary{pos: p.abs(pos), op: opMul, l: l, r: p.unary()}
		case p.op("/"):
			l = &binary{pos: p.abs(pos), op: opDiv, l: l, r: p.unary()}
		case p.op("%"):
			l = &binary{pos: p.abs(pos), op: opMod, l: l, r: p.unary()}
		default:
			return l
		}
	}
}

func (p *parser) unary() expr {
	p.skipSpace()
	pos := p.pos
	p.enter(pos)
	defer p.leave()
	if p.op("!") || p.word("not") {
		return &unaryExpr{pos: p.abs(pos), op: opNot, x: p.unary()}
	}
	if p.pos < len(p.src) && p.src[p.pos] == '-' && !(p.pos+1 < len(p.src) && (p.src[p.pos+1] >= '0' && p.src[p.pos+1] <= '9' || p.src[p.pos+1] == '.')) {
		p.pos++
		return &unaryExpr{pos: p.abs(pos), op: opNeg, x: p.unary()}
	}
	return p.primary()
}

func (p *parser) primary() expr {
	p.skipSpace()
	src := p.src
	pos := p.pos
	if pos >= len(src) {
		p.fail(pos, "expected an expression, found end of template")
	}
	c := src[pos]
	switch {
	case c == '$':
		r, end, ok := p.tryRef(pos)
		if !ok {
			p.fail(pos, "malformed reference")
		}
		p.pos = end
		return r
	case c == '"':
		return p.dqString()
	case c == '\'':
		return p.sqString()
	case c >= '0' && c <= '9' || c == '.' || c == '-':
		return p.number()
	case c == '[':
		return p.listOrRange()
	case c == '{':
		return p.mapLit()
	case c == '(':
		p.pos++
		e := p.expr()
		p.expect(')', "to close parenthesis")
		return e
	}
	if p.word("true") {
		return &literal{v: true}
	}
	if p.word("false") {
		return &literal{v: false}
	}
	if p.word("null") {
		return &literal{v: nil}
	}
	p.fail(pos, "unexpected %s in expression", p.near())
	return nil
}

func (p *parser) number() expr {
	src := p.src
	start := p.pos
	q := p.pos
	if q < len(src) && src[q] == '-' {
		q++
	}
	ds := q
	for q < len(src) && src[q] >= '0' && src[q] <= '9' {
		q++
	}
	isFloat := false
	if q+1 < len(src) && src[q] == '.' && src[q+1] >= '0' && src[q+1] <= '9' {
		isFloat = true
		q++
		for q < len(src) && src[q] >= '0' && src[q] <= '9' {
			q++
		}
	}
	if q == ds {
		p.fail(start, "unexpected %s in expression", p.near())
	}
	text := src[start:q]
	p.pos = q
	if isFloat {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			p.fail(start, "bad number %q", text)
		}
		return &literal{v: f}
	}
	i, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		// Beyond long: Velocity would use BigInteger; a double is the
		// closest thing here.
		f, _ := strconv.ParseFloat(text, 64)
		return &literal{v: f}
	}
	return &literal{v: int(i)}
}

func (p *parser) sqString() expr {
	src := p.src
	start := p.pos
	q := start + 1
	var b []byte
	for {
		if q >= len(src) {
			p.fail(start, "unterminated string literal")
		}
		if src[q] == '\'' {
			if q+1 < len(src) && src[q+1] == '\'' {
				b = append(b, '\'')
				q += 2
				continue
			}
			break
		}
		b = append(b, src[q])
		q++
	}
	p.pos = q + 1
	return &literal{v: string(b)}
}

// dqString parses a double-quoted string. Its body is itself a template
// (references and directives interpolate); backslashes are kept verbatim
// and "" stands for one quote, as AWS renders them.
func (p *parser) dqString() expr {
	src := p.src
	start := p.pos
	q := start + 1
	for {
		if q >= len(src) {
			p.fail(start, "unterminated string literal")
		}
		c := src[q]
		if c == '\\' && q+1 < len(src) {
			q += 2
			continue
		}
		if c == '"' {
			if q+1 < len(src) && src[q+1] == '"' {
				q += 2
				continue
			}
			break
		}
		q++
	}
	body := src[start+1 : q]
	p.pos = q + 1
	if strings.Contains(body, `""`) {
		body = strings.ReplaceAll(body, `""`, `"`)
	}
	if !strings.ContainsAny(body, "$#\\") {
		return &literal{v: body}
	}
	sub := &parser{name: p.name, orig: p.orig, src: body, base: p.base + start + 1,
		depth: p.depth, maxDep: p.maxDep, syms: p.syms, names: p.names, macros: p.macros}
	sub.enter(0)
	nodes, term, tpos := sub.block()
	if term != "" {
		sub.fail(tpos, "#%s without matching block in string", term)
	}
	p.names = sub.names
	if len(nodes) == 0 {
		return &literal{v: ""}
	}
	if len(nodes) == 1 {
		if t, ok := nodes[0].(*textNode); ok {
			return &literal{v: t.s}
		}
	}
	return &interp{pos: p.abs(start), nodes: nodes}
}

func (p *parser) listOrRange() expr {
	start := p.pos
	p.pos++
	p.enter(start)
	defer p.leave()
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		p.pos++
		return &listLit{}
	}
	first := p.expr()
	p.skipSpace()
	if p.op("..") {
		to := p.expr()
		p.expect(']', "to close range")
		return &rangeLit{pos: p.abs(start), from: first, to: to}
	}
	l := &listLit{items: []expr{first}}
	for {
		p.skipSpace()
		if p.op("]") {
			return l
		}
		p.expect(',', "or ']' in list")
		l.items = append(l.items, p.expr())
	}
}

func (p *parser) mapLit() expr {
	start := p.pos
	p.pos++
	p.enter(start)
	defer p.leave()
	m := &mapLit{}
	p.skipSpace()
	if p.op("}") {
		return m
	}
	for {
		k := p.expr()
		p.expect(':', "after map key")
		v := p.expr()
		m.keys = append(m.keys, k)
		m.vals = append(m.vals, v)
		p.skipSpace()
		if p.op("}") {
			return m
		}
		p.expect(',', "or '}' in map")
	}
}
