package parse

import (
	"strconv"
	"strings"
)

// A Node is an element of the syntax tree. String prints it as VTL that
// parses back to the same tree (positions aside).
type Node interface {
	Type() NodeType
	String() string
	// Position returns the node's byte offset in the template source.
	Position() Pos
	writeTo(*printer)
}

// Pos is a byte offset in the template source. Inside a double-quoted string
// it counts from the string's start in the source plus the offset in the
// string's text after doubled quotes are collapsed.
type Pos int

// Position returns p; embedding Pos gives a node its Position method.
func (p Pos) Position() Pos { return p }

// NodeType identifies the type of a syntax tree node.
type NodeType int

// Type returns t; embedding NodeType gives a node its Type method.
func (t NodeType) Type() NodeType { return t }

// The node types. The first group are the template's statements, the second
// its expressions (arguments, conditions, right-hand sides); a RefNode is both.
const (
	NodeList       NodeType = iota // a sequence of statements
	NodeText                       // literal text
	NodeRef                        // a reference: $a.b.c(…)[…]
	NodeSelector                   // one step of a reference's chain: .name, .name(…), [index]
	NodeEscapedRef                 // a reference after backslashes: \$a
	NodeSet                        // #set
	NodeIf                         // #if, #elseif, #else
	NodeForeach                    // #foreach
	NodeBreak                      // #break
	NodeStop                       // #stop
	NodeDefine                     // #define
	NodeMacro                      // #macro (a definition)
	NodeMacroCall                  // #name(…) (a call)

	NodeBool   // true, false
	NodeNull   // null
	NodeNumber // an integer or floating-point literal
	NodeString // a string literal without interpolation
	NodeInterp // a double-quoted string with references or directives
	NodeArray  // [a, b]
	NodeRange  // [a..b]
	NodeMap    // {k: v}
	NodeBinary // a binary operator
	NodeUnary  // ! or unary -
)

// printer writes nodes as VTL. Statements end in ways the text after them
// could change (a directive swallows the line break after it; "$a" followed
// by ".b" is a different reference), so it remembers how the last statement
// ended and TextNode protects what follows.
type printer struct {
	strings.Builder
	risk risk
}

type risk uint8

const (
	riskNewline risk = 1 << iota // a directive ended: one "[ \t]*\n" after it would be swallowed
	riskWord                     // a bare directive word ended (#else, #end): letters would extend it
	riskScope                    // #break or #stop ended: "(" would be read as its scope argument
	riskRef                      // an informal reference ended: ".x", "[", "(", "-x" or letters would extend it
)

func printNode(n Node) string {
	var p printer
	n.writeTo(&p)
	return p.String()
}

// ListNode is a sequence of statements.
type ListNode struct {
	NodeType
	Pos
	Nodes []Node
}

func (l *ListNode) String() string { return printNode(l) }

func (l *ListNode) writeTo(p *printer) {
	for _, n := range l.Nodes {
		n.writeTo(p)
	}
}

// TextNode is literal text.
type TextNode struct {
	NodeType
	Pos
	Text string
}

func (t *TextNode) String() string { return printNode(t) }

// writeTo writes the text as it is where it reads back as text, and in
// #[[…]]# where it would not (around '$', '#' and '\' that could start
// something).
func (t *TextNode) writeTo(p *printer) {
	s := t.Text
	if i, j := unsafeSpan(s); i < j {
		writePlain(p, s[:i])
		writeUnparsed(p, s[i:j])
		p.risk = 0
		s = s[j:]
	}
	writePlain(p, s)
}

// unsafeSpan returns the span of s from the first '$', '#' or run of ”
// that could read as something other than text to the end of the last.
func unsafeSpan(s string) (i, j int) {
	i = -1
	for k := 0; k < len(s); k++ {
		c := s[k]
		if c != '$' && c != '#' && c != '\\' {
			continue
		}
		e := k + 1
		for c == '\\' && e < len(s) && s[e] == '\\' {
			e++
		}
		if !safeSpecial(c, s, e) {
			if i < 0 {
				i = k
			}
			j = e
		}
		k = e - 1
	}
	if i < 0 {
		return 0, 0
	}
	return i, j
}

// safeSpecial reports whether c (a '$', '#' or the last of a run of '\'),
// followed by what starts at s[e], certainly reads as text.
func safeSpecial(c byte, s string, e int) bool {
	if e >= len(s) {
		return false // the next node could complete it
	}
	switch n := s[e]; {
	case n == '$' || n == '#' || n == '\\' || isIdentStart(n):
		return false
	case c == '$':
		return n != '!' && n != '{'
	case c == '#':
		return n != '*' && n != '[' && n != '{'
	}
	return true
}

// writePlain writes text holding no unsafe '$', '#' or '\', guarding its
// start against what the previous statement's end could make of it.
func writePlain(p *printer, s string) {
	if s == "" {
		return
	}
	r := p.risk
	p.risk = 0
	switch {
	case r&riskScope != 0 && strings.HasPrefix(strings.TrimLeft(s, " \t\r\n"), "("),
		r&riskRef != 0 && extendsRef(s):
		writeUnparsed(p, s[:1])
		s = s[1:]
	case r&riskWord != 0 && isIdentChar(s[0]), r&riskNewline != 0 && startsWithLineBreak(s):
		// The directive swallows this line break instead.
		p.WriteByte('\n')
	}
	p.WriteString(s)
}

func startsWithLineBreak(s string) bool {
	s = strings.TrimLeft(s, " \t")
	return s != "" && (s[0] == '\n' || s[0] == '\r')
}

// extendsRef reports whether s, right after "$a", would continue the reference.
func extendsRef(s string) bool {
	switch {
	case isIdentChar(s[0]), s[0] == '[', s[0] == '(':
		return true
	case s[0] == '.' && len(s) > 1 && isIdentStart(s[1]),
		s[0] == '-' && len(s) > 1 && isIdentChar(s[1]):
		return true
	}
	return false
}

// writeUnparsed writes s as #[[…]]# blocks, which hold anything but "]]#".
func writeUnparsed(p *printer, s string) {
	for {
		p.WriteString("#[[")
		i := strings.Index(s, "]]#")
		if i < 0 {
			p.WriteString(s)
			p.WriteString("]]#")
			return
		}
		p.WriteString(s[:i+2])
		p.WriteString("]]#")
		s = s[i+2:]
	}
}

// RefNode is a reference: a variable followed by properties, method calls
// and indexes. As a statement it renders the value.
type RefNode struct {
	NodeType
	Pos
	Name   string
	Silent bool // $!name
	Formal bool // ${name}
	Chain  []*SelectorNode
}

func (r *RefNode) String() string { return printNode(r) }

func (r *RefNode) writeTo(p *printer) {
	p.WriteByte('$')
	if r.Silent {
		p.WriteByte('!')
	}
	if r.Formal {
		p.WriteByte('{')
	}
	p.WriteString(r.Name)
	for _, s := range r.Chain {
		s.writeTo(p)
	}
	p.risk = riskRef
	if r.Formal {
		p.WriteByte('}')
		p.risk = 0
	}
}

// SelectorKind tells what a SelectorNode selects.
type SelectorKind int

// The selectors.
const (
	SelectField  SelectorKind = iota // .name: Map.get("name") or getName()
	SelectMethod                     // .name(args)
	SelectIndex                      // [index]
)

// SelectorNode is one step of a reference after its variable. Its position
// is that of the name, or of '[' for an index.
type SelectorNode struct {
	NodeType
	Pos
	Kind  SelectorKind
	Name  string // field or method name
	Args  []Node // method arguments
	Index Node   // index expression
}

func (s *SelectorNode) String() string { return printNode(s) }

func (s *SelectorNode) writeTo(p *printer) {
	switch s.Kind {
	case SelectField:
		p.WriteByte('.')
		p.WriteString(s.Name)
	case SelectMethod:
		p.WriteByte('.')
		p.WriteString(s.Name)
		p.WriteByte('(')
		writeList(p, s.Args)
		p.WriteByte(')')
	case SelectIndex:
		p.WriteByte('[')
		s.Index.writeTo(p)
		p.WriteByte(']')
	}
}

func writeList(p *printer, nodes []Node) {
	for i, n := range nodes {
		if i > 0 {
			p.WriteString(", ")
		}
		n.writeTo(p)
	}
}

// EscapedRefNode is a reference after backslashes. Half of them render as
// backslashes; with an odd count the reference renders as its source text
// (Raw), otherwise as its value.
type EscapedRefNode struct {
	NodeType
	Pos
	Backslashes int
	Ref         *RefNode
	Raw         string // the reference's source text
}

func (e *EscapedRefNode) String() string { return printNode(e) }

func (e *EscapedRefNode) writeTo(p *printer) {
	p.WriteString(strings.Repeat(`\`, e.Backslashes))
	p.WriteString(e.Raw)
	p.risk = riskRef
	if e.Ref.Formal {
		p.risk = 0
	}
}

// SetNode is #set(target = value).
type SetNode struct {
	NodeType
	Pos
	Target *RefNode
	Value  Node
}

func (s *SetNode) String() string { return printNode(s) }

func (s *SetNode) writeTo(p *printer) {
	p.WriteString("#set(")
	s.Target.writeTo(p)
	p.WriteString(" = ")
	s.Value.writeTo(p)
	p.WriteByte(')')
	p.risk = riskNewline
}

// IfNode is #if with its #elseif branches and optional #else.
type IfNode struct {
	NodeType
	Pos
	Branches []*Branch
	Else     *ListNode // nil without #else
}

// Branch is the condition and body of #if or #elseif.
type Branch struct {
	Cond Node
	List *ListNode
}

func (n *IfNode) String() string { return printNode(n) }

func (n *IfNode) writeTo(p *printer) {
	for i, b := range n.Branches {
		if i == 0 {
			p.WriteString("#if(")
		} else {
			p.WriteString("#elseif(")
		}
		b.Cond.writeTo(p)
		p.WriteByte(')')
		p.risk = riskNewline
		b.List.writeTo(p)
	}
	if n.Else != nil {
		p.WriteString("#else")
		p.risk = riskNewline | riskWord
		n.Else.writeTo(p)
	}
	writeEnd(p)
}

func writeEnd(p *printer) {
	p.WriteString("#end")
	p.risk = riskNewline | riskWord
}

// ForeachNode is #foreach($Var in Iter).
type ForeachNode struct {
	NodeType
	Pos
	Var  string
	Iter Node
	List *ListNode
}

func (f *ForeachNode) String() string { return printNode(f) }

func (f *ForeachNode) writeTo(p *printer) {
	p.WriteString("#foreach($")
	p.WriteString(f.Var)
	p.WriteString(" in ")
	f.Iter.writeTo(p)
	p.WriteByte(')')
	p.risk = riskNewline
	f.List.writeTo(p)
	writeEnd(p)
}

// BreakNode is #break: it leaves the innermost #foreach.
type BreakNode struct {
	NodeType
	Pos
}

func (b *BreakNode) String() string { return printNode(b) }

func (b *BreakNode) writeTo(p *printer) {
	p.WriteString("#break")
	p.risk = riskNewline | riskWord | riskScope
}

// StopNode is #stop: it ends the rendering.
type StopNode struct {
	NodeType
	Pos
}

func (s *StopNode) String() string { return printNode(s) }

func (s *StopNode) writeTo(p *printer) {
	p.WriteString("#stop")
	p.risk = riskNewline | riskWord | riskScope
}

// DefineNode is #define($Name): a block rendered wherever $Name is.
type DefineNode struct {
	NodeType
	Pos
	Name string
	List *ListNode
}

func (d *DefineNode) String() string { return printNode(d) }

func (d *DefineNode) writeTo(p *printer) {
	p.WriteString("#define($")
	p.WriteString(d.Name)
	p.WriteByte(')')
	p.risk = riskNewline
	d.List.writeTo(p)
	writeEnd(p)
}

// MacroNode is #macro(Name $param …): a definition, which renders nothing.
type MacroNode struct {
	NodeType
	Pos
	Name   string
	Params []string
	List   *ListNode
}

func (m *MacroNode) String() string { return printNode(m) }

func (m *MacroNode) writeTo(p *printer) {
	p.WriteString("#macro(")
	p.WriteString(m.Name)
	for _, param := range m.Params {
		p.WriteString(" $")
		p.WriteString(param)
	}
	p.WriteByte(')')
	p.risk = riskNewline
	m.List.writeTo(p)
	writeEnd(p)
}

// MacroCallNode is #Name(args). A call of a macro the template never
// defines renders as its source text, Raw.
type MacroCallNode struct {
	NodeType
	Pos
	Name string
	Args []Node
	Raw  string
}

func (m *MacroCallNode) String() string { return printNode(m) }

func (m *MacroCallNode) writeTo(p *printer) {
	p.WriteString(m.Raw)
	p.risk = riskNewline
}

// BoolNode is true or false.
type BoolNode struct {
	NodeType
	Pos
	True bool
}

func (b *BoolNode) String() string { return strconv.FormatBool(b.True) }

func (b *BoolNode) writeTo(p *printer) { p.WriteString(b.String()) }

// NullNode is null.
type NullNode struct {
	NodeType
	Pos
}

func (n *NullNode) String() string { return "null" }

func (n *NullNode) writeTo(p *printer) { p.WriteString("null") }

// NumberNode is a numeric literal: an integer (a Java Integer or Long) or,
// with a fraction or beyond a long's range, a floating-point number (Double).
type NumberNode struct {
	NodeType
	Pos
	IsInt bool
	Int   int
	Float float64
	Text  string // the source text, with a leading '-' for a negative literal
}

func (n *NumberNode) String() string { return n.Text }

func (n *NumberNode) writeTo(p *printer) { p.WriteString(n.Text) }

// StringNode is a string literal without interpolation ('…', or "…" with no
// '$', '#' or '\'). It prints single-quoted.
type StringNode struct {
	NodeType
	Pos
	Text string
}

func (s *StringNode) String() string { return printNode(s) }

func (s *StringNode) writeTo(p *printer) {
	p.WriteByte('\'')
	p.WriteString(strings.ReplaceAll(s.Text, "'", "''"))
	p.WriteByte('\'')
}

// InterpNode is a double-quoted string whose text is itself a template:
// references and directives in it are rendered (backslashes stay as they are).
type InterpNode struct {
	NodeType
	Pos
	List *ListNode
}

func (s *InterpNode) String() string { return printNode(s) }

// writeTo quotes the printed body so that the parser, which skips the
// character after a backslash while looking for the closing quote and then
// reads "" as ", gets it back.
func (s *InterpNode) writeTo(p *printer) {
	body := printNode(s.List)
	p.WriteByte('"')
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == '\\' && i+1 < len(body):
			p.WriteByte(c)
			i++
			p.WriteByte(body[i])
		case c == '"':
			p.WriteString(`""`)
		default:
			p.WriteByte(c)
		}
	}
	p.WriteByte('"')
}

// ArrayNode is a list literal: [a, b, c].
type ArrayNode struct {
	NodeType
	Pos
	Items []Node
}

func (a *ArrayNode) String() string { return printNode(a) }

func (a *ArrayNode) writeTo(p *printer) {
	p.WriteByte('[')
	writeList(p, a.Items)
	p.WriteByte(']')
}

// RangeNode is an integer range: [from..to].
type RangeNode struct {
	NodeType
	Pos
	From, To Node
}

func (r *RangeNode) String() string { return printNode(r) }

func (r *RangeNode) writeTo(p *printer) {
	p.WriteByte('[')
	r.From.writeTo(p)
	p.WriteString("..")
	r.To.writeTo(p)
	p.WriteByte(']')
}

// MapNode is a map literal: {k: v, …}.
type MapNode struct {
	NodeType
	Pos
	Keys, Values []Node
}

func (m *MapNode) String() string { return printNode(m) }

func (m *MapNode) writeTo(p *printer) {
	p.WriteByte('{')
	for i, k := range m.Keys {
		if i > 0 {
			p.WriteString(", ")
		}
		k.writeTo(p)
		p.WriteString(": ")
		m.Values[i].writeTo(p)
	}
	p.WriteByte('}')
}

// Op is an operator.
type Op int

// The operators, from the loosest binding to the tightest.
const (
	OpOr  Op = iota // || or
	OpAnd           // && and
	OpEq            // == eq
	OpNe            // != ne
	OpLt            // < lt
	OpLe            // <= le
	OpGt            // > gt
	OpGe            // >= ge
	OpAdd           // +
	OpSub           // -
	OpMul           // *
	OpDiv           // /
	OpMod           // %
	OpNot           // ! not (unary)
	OpNeg           // - (unary)
)

var opText = [...]string{"||", "&&", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "!", "-"}

func (o Op) String() string { return opText[o] }

// precedence of an operator: higher binds tighter.
var opPrec = [...]int{1, 2, 3, 3, 4, 4, 4, 4, 5, 5, 6, 6, 6, 7, 7}

const precPrimary = 8

func precedence(n Node) int {
	switch n := n.(type) {
	case *BinaryNode:
		return opPrec[n.Op]
	case *UnaryNode:
		return opPrec[n.Op]
	}
	return precPrimary
}

// BinaryNode is Left Op Right. Its position is the operator's.
type BinaryNode struct {
	NodeType
	Pos
	Op          Op
	Left, Right Node
}

func (b *BinaryNode) String() string { return printNode(b) }

func (b *BinaryNode) writeTo(p *printer) {
	prec := opPrec[b.Op]
	writeOperand(p, b.Left, precedence(b.Left) < prec)
	p.WriteByte(' ')
	p.WriteString(b.Op.String())
	p.WriteByte(' ')
	// Operators are left-associative.
	writeOperand(p, b.Right, precedence(b.Right) <= prec)
}

func writeOperand(p *printer, n Node, paren bool) {
	if paren {
		p.WriteByte('(')
	}
	n.writeTo(p)
	if paren {
		p.WriteByte(')')
	}
}

// UnaryNode is !X or -X.
type UnaryNode struct {
	NodeType
	Pos
	Op Op
	X  Node
}

func (u *UnaryNode) String() string { return printNode(u) }

func (u *UnaryNode) writeTo(p *printer) {
	p.WriteString(u.Op.String())
	paren := precedence(u.X) < opPrec[u.Op]
	if num, ok := u.X.(*NumberNode); ok && u.Op == OpNeg && !strings.HasPrefix(num.Text, "-") {
		paren = true // "-1" would be the literal -1
	}
	writeOperand(p, u.X, paren)
}
