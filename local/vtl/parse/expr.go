package parse

import (
	"strconv"
	"strings"
)

// binaryOps maps both spellings of each binary operator.
var binaryOps = map[string]Op{
	"||": OpOr, "or": OpOr, "&&": OpAnd, "and": OpAnd,
	"==": OpEq, "eq": OpEq, "!=": OpNe, "ne": OpNe,
	"<": OpLt, "lt": OpLt, "<=": OpLe, "le": OpLe, ">": OpGt, "gt": OpGt, ">=": OpGe, "ge": OpGe,
	"+": OpAdd, "-": OpSub, "*": OpMul, "/": OpDiv, "%": OpMod,
}

// expr parses an expression.
func (p *parser) expr() Node {
	p.enter(p.lex.pos)
	defer p.leave()
	return p.binary(opPrec[OpOr])
}

// binary parses a left-associative chain of the operators of precedence
// prec, whose operands are expressions of higher precedence.
func (p *parser) binary(prec int) Node {
	if prec > opPrec[OpMul] {
		return p.unary()
	}
	l := p.binary(prec + 1)
	for {
		save := p.lex.pos
		it := p.lex.expr()
		op, ok := binaryOps[it.val]
		if it.typ != itemOp || !ok || opPrec[op] != prec {
			p.lex.pos = save
			return l
		}
		l = &BinaryNode{NodeType: NodeBinary, Pos: p.abs(it.pos), Op: op, Left: l, Right: p.binary(prec + 1)}
	}
}

func (p *parser) unary() Node {
	save := p.lex.pos
	it := p.lex.expr()
	p.enter(it.pos)
	defer p.leave()
	if it.typ == itemOp {
		switch it.val {
		case "!=":
			// No operand starts with "!=": it is '!' before an operand
			// starting with '=' (an error).
			p.lex.pos = it.pos + 1
			fallthrough
		case "!", "not":
			return &UnaryNode{NodeType: NodeUnary, Pos: p.abs(it.pos), Op: OpNot, X: p.unary()}
		case "-":
			if s := p.lex.input; it.pos+1 < len(s) && (isDigit(s[it.pos+1]) || s[it.pos+1] == '.') {
				// A negative literal.
				if num := p.lex.expr(); num.typ == itemNumber && num.pos == it.pos+1 {
					return p.number(it.pos, "-"+num.val)
				}
				p.fail(it.pos, "unexpected %s in expression", p.near(it))
			}
			return &UnaryNode{NodeType: NodeUnary, Pos: p.abs(it.pos), Op: OpNeg, X: p.unary()}
		}
	}
	p.lex.pos = save
	return p.primary()
}

func (p *parser) primary() Node {
	it := p.lex.expr()
	pos := p.abs(it.pos)
	switch it.typ {
	case itemEOF:
		p.fail(it.pos, "expected an expression, found end of template")
	case itemError:
		p.fail(it.pos, "%s", it.val)
	case itemRef:
		r, ok := p.ref(it)
		if !ok {
			p.fail(it.pos, "malformed reference")
		}
		return r
	case itemChar:
		if it.val == "$" {
			p.fail(it.pos, "malformed reference")
		}
	case itemQuoted:
		return p.interp(it)
	case itemString:
		return &StringNode{NodeType: NodeString, Pos: pos, Text: strings.ReplaceAll(it.val[1:len(it.val)-1], "''", "'")}
	case itemNumber:
		return p.number(it.pos, it.val)
	case itemLeftBracket:
		return p.array(it.pos)
	case itemLeftBrace:
		return p.mapLit(it.pos)
	case itemLeftParen:
		e := p.expr()
		p.expect(itemRightParen, ')', "to close parenthesis")
		return e
	case itemWord:
		switch it.val {
		case "true", "false":
			return &BoolNode{NodeType: NodeBool, Pos: pos, True: it.val == "true"}
		case "null":
			return &NullNode{NodeType: NodeNull, Pos: pos}
		}
	}
	p.fail(it.pos, "unexpected %s in expression", p.near(it))
	return nil
}

func (p *parser) number(pos int, text string) Node {
	n := &NumberNode{NodeType: NodeNumber, Pos: p.abs(pos), Text: text}
	if strings.Contains(text, ".") {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			p.fail(pos, "bad number %q", text)
		}
		n.Float = f
		return n
	}
	if i, err := strconv.ParseInt(text, 10, 64); err == nil {
		n.IsInt, n.Int = true, int(i)
		return n
	}
	// Beyond long: Velocity would use BigInteger; a double is the closest
	// thing here.
	n.Float, _ = strconv.ParseFloat(text, 64)
	return n
}

// interp parses a double-quoted string. Its text is itself a template
// (references and directives interpolate); backslashes are kept verbatim
// and "" stands for one quote, as AWS renders them.
func (p *parser) interp(it item) Node {
	body := it.val[1 : len(it.val)-1]
	if strings.Contains(body, `""`) {
		body = strings.ReplaceAll(body, `""`, `"`)
	}
	str := &StringNode{NodeType: NodeString, Pos: p.abs(it.pos), Text: body}
	if !strings.ContainsAny(body, "$#\\") {
		return str
	}
	sub := &parser{name: p.name, text: p.text, lex: lexer{input: body}, base: p.base + it.pos + 1,
		depth: p.depth, maxDepth: p.maxDepth, macros: p.macros}
	sub.enter(0)
	list, term, tpos := sub.block()
	if term != "" {
		sub.fail(tpos, "#%s without matching block in string", term)
	}
	switch {
	case len(list.Nodes) == 0:
		str.Text = ""
		return str
	case len(list.Nodes) == 1 && list.Nodes[0].Type() == NodeText:
		str.Text = list.Nodes[0].(*TextNode).Text
		return str
	}
	return &InterpNode{NodeType: NodeInterp, Pos: str.Pos, List: list}
}

// array parses a list literal or a range; '[' is at pos.
func (p *parser) array(pos int) Node {
	p.enter(pos)
	defer p.leave()
	a := &ArrayNode{NodeType: NodeArray, Pos: p.abs(pos)}
	if p.accept(itemRightBracket) {
		return a
	}
	first := p.expr()
	if p.accept(itemRange) {
		to := p.expr()
		p.expect(itemRightBracket, ']', "to close range")
		return &RangeNode{NodeType: NodeRange, Pos: a.Pos, From: first, To: to}
	}
	a.Items = append(a.Items, first)
	for !p.accept(itemRightBracket) {
		p.expect(itemComma, ',', "or ']' in list")
		a.Items = append(a.Items, p.expr())
	}
	return a
}

// mapLit parses a map literal; '{' is at pos.
func (p *parser) mapLit(pos int) Node {
	p.enter(pos)
	defer p.leave()
	m := &MapNode{NodeType: NodeMap, Pos: p.abs(pos)}
	if p.accept(itemRightBrace) {
		return m
	}
	for {
		k := p.expr()
		p.expect(itemColon, ':', "after map key")
		v := p.expr()
		m.Keys = append(m.Keys, k)
		m.Values = append(m.Values, v)
		if p.accept(itemRightBrace) {
			return m
		}
		p.expect(itemComma, ',', "or '}' in map")
	}
}
