package vtl

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/orderbot/orderbot/local/vtl/parse"
)

// The syntax tree is compiled into the form below before rendering:
// variables become slots in a per-render array, literal regular expressions
// are compiled, method names are resolved to their implementations for each
// receiver type, and macro calls to their definitions. exec.go evaluates it.

type node interface{ isNode() }

type expr interface{ isExpr() }

type textNode struct{ s string }

type refNode struct{ ref *refExpr }

// escRefNode is "\$x" (odd backslashes: printed literally) or "\\$x"
// (even: half the backslashes, then the value).
type escRefNode struct {
	prefix string
	odd    bool
	ref    *refExpr
	raw    string
}

type setNode struct {
	pos int
	lhs *refExpr
	rhs expr
}

type ifNode struct {
	pos    int
	conds  []expr
	bodies [][]node
	els    []node
}

type foreachNode struct {
	pos  int
	slot int
	iter expr
	body []node
}

type breakNode struct{}

type stopNode struct{}

type defineNode struct {
	slot int
	val  *defineVal
}

// defineVal is a #define block: it renders lazily, in the scope of the
// reference that prints it (so $foreach inside it sees the caller's loop).
type defineVal struct {
	name string
	body []node
}

type macroDef struct {
	params []int
	body   []node
}

type macroCallNode struct {
	pos  int
	args []expr
	raw  string
	def  *macroDef // nil: the template defines no such macro
}

type literal struct{ v any }

type interp struct {
	pos   int
	nodes []node
}

const (
	partProp = iota
	partMethod
	partIndex
)

type refPart struct {
	kind  int
	name  string
	args  []expr
	index expr
	re    *regexp.Regexp // precompiled from a literal pattern argument
	ms    *methodSet     // the methods called name
	pos   int
}

type refExpr struct {
	pos   int
	slot  int
	parts []refPart
}

type listLit struct{ items []expr }

type mapLit struct{ keys, vals []expr }

type rangeLit struct {
	pos      int
	from, to expr
}

type binary struct {
	pos  int
	op   parse.Op
	l, r expr
}

type unaryExpr struct {
	op parse.Op
	x  expr
}

func (*textNode) isNode()      {}
func (*refNode) isNode()       {}
func (*escRefNode) isNode()    {}
func (*setNode) isNode()       {}
func (*ifNode) isNode()        {}
func (*foreachNode) isNode()   {}
func (*breakNode) isNode()     {}
func (*stopNode) isNode()      {}
func (*defineNode) isNode()    {}
func (*macroCallNode) isNode() {}

func (*literal) isExpr()   {}
func (*interp) isExpr()    {}
func (*refExpr) isExpr()   {}
func (*listLit) isExpr()   {}
func (*mapLit) isExpr()    {}
func (*rangeLit) isExpr()  {}
func (*binary) isExpr()    {}
func (*unaryExpr) isExpr() {}

type compiler struct {
	syms   map[string]int
	names  []string
	macros map[string]*macroDef
	calls  []pendingCall
}

// pendingCall is a macro call to resolve once every macro is known.
type pendingCall struct {
	call *macroCallNode
	name string
}

func compile(t *Template, tree *parse.Tree) {
	c := &compiler{syms: map[string]int{}, macros: map[string]*macroDef{}}
	t.root = c.list(tree.Root)
	// A macro is known everywhere once defined anywhere, the last
	// definition winning, as when Velocity registers macros while parsing.
	for _, pc := range c.calls {
		pc.call.def = c.macros[pc.name]
	}
	t.names = c.names
	t.slotInput = c.lookup("input")
	t.slotUtil = c.lookup("util")
	t.slotContext = c.lookup("context")
	t.slotStage = c.lookup("stageVariables")
	t.slotForeach = c.lookup("foreach")
	t.slotVelocityCount = c.lookup("velocityCount")
	t.slotVelocityHasNext = c.lookup("velocityHasNext")
}

func (c *compiler) lookup(name string) int {
	if i, ok := c.syms[name]; ok {
		return i
	}
	return -1
}

func (c *compiler) sym(name string) int {
	if i, ok := c.syms[name]; ok {
		return i
	}
	i := len(c.names)
	c.syms[name] = i
	c.names = append(c.names, name)
	return i
}

func (c *compiler) list(l *parse.ListNode) []node {
	nodes := make([]node, 0, len(l.Nodes))
	for _, n := range l.Nodes {
		if x := c.node(n); x != nil {
			nodes = append(nodes, x)
		}
	}
	return nodes
}

func (c *compiler) node(n parse.Node) node {
	switch n := n.(type) {
	case *parse.TextNode:
		return &textNode{s: n.Text}
	case *parse.RefNode:
		return &refNode{ref: c.ref(n)}
	case *parse.EscapedRefNode:
		return &escRefNode{prefix: strings.Repeat(`\`, n.Backslashes/2), odd: n.Backslashes%2 == 1, ref: c.ref(n.Ref), raw: n.Raw}
	case *parse.SetNode:
		return &setNode{pos: int(n.Pos), lhs: c.ref(n.Target), rhs: c.expr(n.Value)}
	case *parse.IfNode:
		x := &ifNode{pos: int(n.Pos)}
		for _, b := range n.Branches {
			x.conds = append(x.conds, c.expr(b.Cond))
			x.bodies = append(x.bodies, c.list(b.List))
		}
		if n.Else != nil {
			x.els = c.list(n.Else)
		}
		return x
	case *parse.ForeachNode:
		x := &foreachNode{pos: int(n.Pos), slot: c.sym(n.Var), iter: c.expr(n.Iter)}
		// The loop helpers always get slots so nested loops can save them.
		c.sym("foreach")
		c.sym("velocityCount")
		c.sym("velocityHasNext")
		x.body = c.list(n.List)
		return x
	case *parse.BreakNode:
		return &breakNode{}
	case *parse.StopNode:
		return &stopNode{}
	case *parse.DefineNode:
		return &defineNode{slot: c.sym(n.Name), val: &defineVal{name: "$" + n.Name, body: c.list(n.List)}}
	case *parse.MacroNode:
		c.macro(n)
		return nil
	case *parse.MacroCallNode:
		x := &macroCallNode{pos: int(n.Pos), raw: n.Raw, args: c.exprs(n.Args)}
		c.calls = append(c.calls, pendingCall{x, n.Name})
		return x
	}
	panic(fmt.Sprintf("vtl: unexpected statement %T", n))
}

func (c *compiler) macro(m *parse.MacroNode) {
	def := &macroDef{}
	for _, p := range m.Params {
		def.params = append(def.params, c.sym(p))
	}
	c.macros[m.Name] = def
	def.body = c.list(m.List)
}

func (c *compiler) exprs(nodes []parse.Node) []expr {
	var out []expr
	for _, n := range nodes {
		out = append(out, c.expr(n))
	}
	return out
}

func (c *compiler) expr(n parse.Node) expr {
	switch n := n.(type) {
	case *parse.RefNode:
		return c.ref(n)
	case *parse.BoolNode:
		return &literal{v: n.True}
	case *parse.NullNode:
		return &literal{v: nil}
	case *parse.NumberNode:
		if n.IsInt {
			return &literal{v: n.Int}
		}
		return &literal{v: n.Float}
	case *parse.StringNode:
		return &literal{v: n.Text}
	case *parse.InterpNode:
		return &interp{pos: int(n.Pos), nodes: c.list(n.List)}
	case *parse.ArrayNode:
		return &listLit{items: c.exprs(n.Items)}
	case *parse.RangeNode:
		return &rangeLit{pos: int(n.Pos), from: c.expr(n.From), to: c.expr(n.To)}
	case *parse.MapNode:
		return &mapLit{keys: c.exprs(n.Keys), vals: c.exprs(n.Values)}
	case *parse.BinaryNode:
		return &binary{pos: int(n.Pos), op: n.Op, l: c.expr(n.Left), r: c.expr(n.Right)}
	case *parse.UnaryNode:
		return &unaryExpr{op: n.Op, x: c.expr(n.X)}
	}
	panic(fmt.Sprintf("vtl: unexpected expression %T", n))
}

func (c *compiler) ref(r *parse.RefNode) *refExpr {
	e := &refExpr{pos: int(r.Pos), slot: c.sym(r.Name)}
	for _, s := range r.Chain {
		p := refPart{name: s.Name, pos: int(s.Pos)}
		switch s.Kind {
		case parse.SelectField:
			p.kind = partProp
		case parse.SelectMethod:
			p.kind = partMethod
			p.args = c.exprs(s.Args)
			p.re = precompile(s.Name, p.args)
			p.ms = methodsNamed(s.Name)
		case parse.SelectIndex:
			p.kind = partIndex
			p.index = c.expr(s.Index)
		}
		e.parts = append(e.parts, p)
	}
	return e
}

// precompile compiles a literal regex argument once, at parse time.
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
