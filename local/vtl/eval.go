package vtl

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

type node interface {
	exec(st *state) error
}

type expr interface {
	eval(st *state) (any, error)
}

type textNode struct{ s string }

type refNode struct{ ref *refExpr }

// escRefNode is "\$x" (odd backslashes: printed literally) or "\\$x"
// (even: half the backslashes, then the value).
type escRefNode struct {
	prefix string
	odd    bool
	ref    *refExpr
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

type breakNode struct{ pos int }
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

type macroCallNode struct {
	pos  int
	name string
	args []expr
	raw  string
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
	pos   int
}

type refExpr struct {
	pos    int
	slot   int
	name   string
	parts  []refPart
	silent bool
	raw    string
}

type listLit struct{ items []expr }

type mapLit struct{ keys, vals []expr }

type rangeLit struct {
	pos      int
	from, to expr
}

const (
	opOr = iota
	opAnd
	opEq
	opNe
	opLt
	opLe
	opGt
	opGe
	opAdd
	opSub
	opMul
	opDiv
	opMod
	opNot
	opNeg
)

type binary struct {
	pos  int
	op   int
	l, r expr
}

type unaryExpr struct {
	pos int
	op  int
	x   expr
}

// loopState is $foreach.
type loopState struct {
	index   int
	hasNext bool
	parent  any
}

var (
	errBreak = errors.New("#break")
	errStop  = errors.New("#stop")
)

type state struct {
	ctx    context.Context
	t      *Template
	lim    Limits
	vars   []any
	out    []byte
	outMax int
	steps  int
	tick   int
	depth  int
	pos    int
	req    *Request
	bufs   [][]byte

	bodyDone bool
	bodyVal  any
	bodyErr  error
	params   *Map
}

var statePool = sync.Pool{New: func() any { return new(state) }}

func (st *state) errAt(pos int, cause error, format string, args ...any) error {
	line, col := lineCol(st.t.src, pos)
	return &Error{Name: st.t.name, Line: line, Col: col, Msg: fmt.Sprintf(format, args...), Err: cause}
}

func (st *state) limit(format string, args ...any) error {
	return st.errAt(st.pos, ErrLimit, format, args...)
}

func (st *state) step(n int) error {
	st.steps += n
	if st.steps > st.lim.MaxSteps {
		return st.limit("evaluation step limit (%d) exceeded", st.lim.MaxSteps)
	}
	st.tick += n
	if st.tick >= 1024 {
		st.tick = 0
		if err := st.ctx.Err(); err != nil {
			return st.errAt(st.pos, err, "render cancelled: %v", err)
		}
	}
	return nil
}

func (st *state) write(s string) error {
	if len(st.out)+len(s) > st.outMax {
		return st.outErr()
	}
	st.out = append(st.out, s...)
	return nil
}

func (st *state) outErr() error {
	if st.outMax == st.lim.MaxString {
		return st.limit("string size limit (%d bytes) exceeded", st.lim.MaxString)
	}
	return st.limit("output size limit (%d bytes) exceeded", st.lim.MaxOutput)
}

func (st *state) writeValue(v any) error {
	switch x := v.(type) {
	case nil:
		// AWS prints an undefined or null reference as nothing, where
		// Apache Velocity prints the reference's source text.
		return nil
	case string:
		return st.write(x)
	case int:
		st.out = strconv.AppendInt(st.out, int64(x), 10)
	case *defineVal:
		return st.renderDefine(x)
	default:
		n := len(st.out)
		st.out = appendJava(st.out, v, 0, st.outMax)
		if err := st.step((len(st.out) - n) / 256); err != nil {
			return err
		}
	}
	if len(st.out) > st.outMax {
		return st.outErr()
	}
	return nil
}

// str is toString() under the string size limit.
func (st *state) str(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case nil:
		return "", nil
	case int:
		return strconv.Itoa(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return formatFloat(x), nil
	case *defineVal:
		return st.capture(func() error { return st.renderDefine(x) })
	}
	b := appendJava(nil, v, 0, st.lim.MaxString)
	if len(b) > st.lim.MaxString {
		return "", st.limit("string size limit (%d bytes) exceeded", st.lim.MaxString)
	}
	if err := st.step(len(b) / 256); err != nil {
		return "", err
	}
	return string(b), nil
}

// capture renders into a scratch buffer bounded by MaxString.
func (st *state) capture(f func() error) (string, error) {
	var buf []byte
	if n := len(st.bufs); n > 0 {
		buf = st.bufs[n-1][:0]
		st.bufs = st.bufs[:n-1]
	}
	saveOut, saveMax := st.out, st.outMax
	st.out, st.outMax = buf, st.lim.MaxString
	err := f()
	s := string(st.out)
	if cap(st.out) <= 64<<10 {
		st.bufs = append(st.bufs, st.out)
	}
	st.out, st.outMax = saveOut, saveMax
	return s, err
}

func (st *state) run(nodes []node) error {
	for _, n := range nodes {
		if err := n.exec(st); err != nil {
			return err
		}
	}
	return nil
}

func (st *state) enter(pos int) error {
	st.depth++
	if st.depth > st.lim.MaxDepth {
		return st.errAt(pos, ErrLimit, "recursion deeper than %d", st.lim.MaxDepth)
	}
	return nil
}

func (st *state) renderDefine(d *defineVal) error {
	if err := st.enter(st.pos); err != nil {
		return err
	}
	err := st.run(d.body)
	st.depth--
	return err
}

func (n *textNode) exec(st *state) error { return st.write(n.s) }

func (n *refNode) exec(st *state) error {
	st.pos = n.ref.pos
	if err := st.step(1); err != nil {
		return err
	}
	v, err := n.ref.eval(st)
	if err != nil {
		return err
	}
	return st.writeValue(v)
}

func (n *escRefNode) exec(st *state) error {
	st.pos = n.ref.pos
	if err := st.step(1); err != nil {
		return err
	}
	if err := st.write(n.prefix); err != nil {
		return err
	}
	v, err := n.ref.eval(st)
	if err != nil {
		return err
	}
	if !n.odd {
		return st.writeValue(v)
	}
	if v == nil {
		// Velocity 1.7 keeps the backslash when the escaped reference is
		// undefined, since there was nothing to protect.
		if err := st.write("\\"); err != nil {
			return err
		}
	}
	return st.write(n.ref.raw)
}

func (n *setNode) exec(st *state) error {
	st.pos = n.pos
	if err := st.step(1); err != nil {
		return err
	}
	v, err := n.rhs.eval(st)
	if err != nil {
		return err
	}
	if v == nil {
		// Velocity 1.7: a null right-hand side leaves the target unchanged.
		return nil
	}
	lhs := n.lhs
	if len(lhs.parts) == 0 {
		st.vars[lhs.slot] = v
		return nil
	}
	target := st.vars[lhs.slot]
	last := len(lhs.parts) - 1
	for i := 0; i < last && target != nil; i++ {
		if target, err = st.applyPart(target, &lhs.parts[i]); err != nil {
			return err
		}
	}
	if target == nil {
		return nil
	}
	p := &lhs.parts[last]
	switch p.kind {
	case partProp:
		if m, ok := target.(*Map); ok {
			m.Set(p.name, v)
		}
	case partIndex:
		k, err := p.index.eval(st)
		if err != nil {
			return err
		}
		switch c := target.(type) {
		case *Map:
			ks, err := st.str(k)
			if err != nil {
				return err
			}
			c.Set(ks, v)
		case *List:
			i, ok := toInt(k)
			if !ok {
				return nil
			}
			if i < 0 {
				i += len(c.items)
			}
			if i < 0 || i >= len(c.items) {
				return st.errAt(p.pos, nil, "index %v out of bounds for length %d", k, len(c.items))
			}
			c.items[i] = v
		}
	}
	return nil
}

func (n *ifNode) exec(st *state) error {
	st.pos = n.pos
	if err := st.step(1); err != nil {
		return err
	}
	for i, c := range n.conds {
		v, err := c.eval(st)
		if err != nil {
			return err
		}
		if truthy(v) {
			return st.run(n.bodies[i])
		}
	}
	return st.run(n.els)
}

func (n *foreachNode) exec(st *state) error {
	st.pos = n.pos
	if err := st.step(1); err != nil {
		return err
	}
	it, err := n.iter.eval(st)
	if err != nil {
		return err
	}
	var items []any
	var list *List
	var m *Map
	switch x := it.(type) {
	case *List:
		list = x
		items = x.items
	case *Map:
		// Velocity iterates a Map's values.
		m = x
		items = x.vals
	default:
		return nil
	}
	t := st.t
	vars := st.vars
	oldVar := vars[n.slot]
	oldLoop := vars[t.slotForeach]
	oldCount := vars[t.slotVelocityCount]
	oldHasNext := vars[t.slotVelocityHasNext]
	ls := &loopState{parent: oldLoop}
	total := len(items)
	for i := 0; ; i++ {
		// Java's iterators fail fast when the collection is structurally
		// modified mid-loop; this also stops "#foreach over a growing list".
		if list != nil && len(list.items) != total || m != nil && len(m.vals) != total {
			err = st.errAt(n.pos, nil, "ConcurrentModificationException: collection modified during #foreach")
			break
		}
		if i >= total {
			break
		}
		if i >= st.lim.MaxLoop {
			err = st.errAt(n.pos, ErrLimit, "#foreach iteration limit (%d) exceeded", st.lim.MaxLoop)
			break
		}
		st.pos = n.pos
		if err = st.step(1); err != nil {
			break
		}
		if list != nil {
			vars[n.slot] = list.items[i]
		} else {
			vars[n.slot] = m.vals[i]
		}
		ls.index = i
		ls.hasNext = i+1 < total
		vars[t.slotForeach] = ls
		vars[t.slotVelocityCount] = i + 1
		vars[t.slotVelocityHasNext] = ls.hasNext
		if err = st.run(n.body); err != nil {
			if err == errBreak {
				err = nil
			}
			break
		}
	}
	vars[n.slot] = oldVar
	vars[t.slotForeach] = oldLoop
	vars[t.slotVelocityCount] = oldCount
	vars[t.slotVelocityHasNext] = oldHasNext
	return err
}

func (n *breakNode) exec(st *state) error { return errBreak }

func (n *stopNode) exec(st *state) error { return errStop }

func (n *defineNode) exec(st *state) error {
	st.vars[n.slot] = n.val
	return nil
}

func (n *macroCallNode) exec(st *state) error {
	st.pos = n.pos
	if err := st.step(1); err != nil {
		return err
	}
	m := st.t.macros[n.name]
	if m == nil {
		return st.write(n.raw)
	}
	if err := st.enter(n.pos); err != nil {
		return err
	}
	defer func() { st.depth-- }()
	args := make([]any, len(m.params))
	for i := range m.params {
		if i < len(n.args) {
			v, err := n.args[i].eval(st)
			if err != nil {
				return err
			}
			args[i] = v
		}
	}
	// Arguments are bound like locals and restored afterwards; other #set
	// targets stay global (velocimacro.context.localscope=false).
	saved := make([]any, len(m.params))
	for i, s := range m.params {
		saved[i] = st.vars[s]
		st.vars[s] = args[i]
	}
	err := st.run(m.body)
	for i := len(m.params) - 1; i >= 0; i-- {
		st.vars[m.params[i]] = saved[i]
	}
	return err
}

// ---- expressions ----

func (e *literal) eval(st *state) (any, error) { return e.v, nil }

func (e *interp) eval(st *state) (any, error) {
	if err := st.enter(e.pos); err != nil {
		return nil, err
	}
	s, err := st.capture(func() error { return st.run(e.nodes) })
	st.depth--
	return s, err
}

func (r *refExpr) eval(st *state) (any, error) {
	v := st.vars[r.slot]
	for i := range r.parts {
		if v == nil {
			return nil, nil
		}
		var err error
		if v, err = st.applyPart(v, &r.parts[i]); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (st *state) applyPart(v any, p *refPart) (any, error) {
	switch p.kind {
	case partProp:
		return st.prop(v, p.name)
	case partMethod:
		st.pos = p.pos
		if err := st.step(1); err != nil {
			return nil, err
		}
		var buf [4]any
		args := buf[:0]
		for _, a := range p.args {
			av, err := a.eval(st)
			if err != nil {
				return nil, err
			}
			args = append(args, av)
		}
		st.pos = p.pos
		return st.call(v, p, args)
	default:
		k, err := p.index.eval(st)
		if err != nil {
			return nil, err
		}
		switch c := v.(type) {
		case *List:
			i, ok := toInt(k)
			if !ok {
				return nil, nil
			}
			if i < 0 {
				i += len(c.items)
			}
			if i < 0 || i >= len(c.items) {
				return nil, st.errAt(p.pos, nil, "index %s out of bounds for length %d", javaString(k), len(c.items))
			}
			return c.items[i], nil
		case *Map:
			ks, err := st.str(k)
			if err != nil {
				return nil, err
			}
			x, _ := c.Get(ks)
			return x, nil
		}
		if ks, ok := k.(string); ok {
			return st.prop(v, ks)
		}
		return nil, nil
	}
}

func (e *listLit) eval(st *state) (any, error) {
	l := &List{items: make([]any, len(e.items))}
	for i, x := range e.items {
		v, err := x.eval(st)
		if err != nil {
			return nil, err
		}
		l.items[i] = v
	}
	return l, nil
}

func (e *mapLit) eval(st *state) (any, error) {
	m := &Map{keys: make([]string, 0, len(e.keys)), vals: make([]any, 0, len(e.keys))}
	for i, kx := range e.keys {
		k, err := kx.eval(st)
		if err != nil {
			return nil, err
		}
		ks, err := st.str(k)
		if err != nil {
			return nil, err
		}
		v, err := e.vals[i].eval(st)
		if err != nil {
			return nil, err
		}
		m.Set(ks, v)
	}
	return m, nil
}

func (e *rangeLit) eval(st *state) (any, error) {
	a, err := e.from.eval(st)
	if err != nil {
		return nil, err
	}
	b, err := e.to.eval(st)
	if err != nil {
		return nil, err
	}
	from, ok1 := rangeBound(a)
	to, ok2 := rangeBound(b)
	if !ok1 || !ok2 {
		return nil, nil
	}
	n := to - from
	if n < 0 {
		n = -n
	}
	if n >= st.lim.MaxRange || n < 0 {
		return nil, st.errAt(e.pos, ErrLimit, "range [%d..%d] larger than %d elements", from, to, st.lim.MaxRange)
	}
	if err := st.step(n / 16); err != nil {
		return nil, err
	}
	l := &List{items: make([]any, 0, n+1)}
	if from <= to {
		for i := from; i <= to; i++ {
			l.items = append(l.items, i)
		}
	} else {
		for i := from; i >= to; i-- {
			l.items = append(l.items, i)
		}
	}
	return l, nil
}

func rangeBound(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case string:
		i, err := strconv.Atoi(strings.TrimSpace(x))
		return i, err == nil
	}
	return 0, false
}

func (e *unaryExpr) eval(st *state) (any, error) {
	v, err := e.x.eval(st)
	if err != nil {
		return nil, err
	}
	if e.op == opNot {
		return !truthy(v), nil
	}
	switch x := v.(type) {
	case int:
		if x == math.MinInt {
			return -float64(x), nil
		}
		return -x, nil
	case float64:
		return -x, nil
	}
	return nil, nil
}

func (e *binary) eval(st *state) (any, error) {
	l, err := e.l.eval(st)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case opAnd:
		if !truthy(l) {
			return false, nil
		}
		r, err := e.r.eval(st)
		return truthy(r), err
	case opOr:
		if truthy(l) {
			return true, nil
		}
		r, err := e.r.eval(st)
		return truthy(r), err
	}
	r, err := e.r.eval(st)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case opEq:
		return st.equal(l, r)
	case opNe:
		eq, err := st.equal(l, r)
		return !eq, err
	case opLt, opLe, opGt, opGe:
		c, ok := compare(l, r)
		if !ok {
			return false, nil
		}
		switch e.op {
		case opLt:
			return c < 0, nil
		case opLe:
			return c <= 0, nil
		case opGt:
			return c > 0, nil
		default:
			return c >= 0, nil
		}
	case opAdd:
		if l == nil || r == nil {
			return nil, nil
		}
		_, ls := l.(string)
		_, rs := r.(string)
		if ls || rs {
			a, err := st.str(l)
			if err != nil {
				return nil, err
			}
			b, err := st.str(r)
			if err != nil {
				return nil, err
			}
			if len(a)+len(b) > st.lim.MaxString {
				return nil, st.errAt(e.pos, ErrLimit, "string size limit (%d bytes) exceeded", st.lim.MaxString)
			}
			return a + b, nil
		}
	}
	return arith(e.op, l, r), nil
}

func (st *state) equal(a, b any) (bool, error) {
	if d, ok := a.(*defineVal); ok {
		s, err := st.str(d)
		if err != nil {
			return false, err
		}
		a = s
	}
	if d, ok := b.(*defineVal); ok {
		s, err := st.str(d)
		if err != nil {
			return false, err
		}
		b = s
	}
	return valuesEqual(a, b, 0, new(int)), nil
}

func compare(a, b any) (int, bool) {
	if isNumber(a) && isNumber(b) {
		ai, aok := a.(int)
		bi, bok := b.(int)
		if aok && bok {
			switch {
			case ai < bi:
				return -1, true
			case ai > bi:
				return 1, true
			}
			return 0, true
		}
		af, bf := toFloat(a), toFloat(b)
		switch {
		case af < bf:
			return -1, true
		case af > bf:
			return 1, true
		case af == bf:
			return 0, true
		}
		return 0, false
	}
	if as, ok := a.(string); ok {
		if bs, ok := b.(string); ok {
			return strings.Compare(as, bs), true
		}
	}
	return 0, false
}

// arith applies Java arithmetic: integer operands stay integral (truncating
// division), any double makes the result double, division by zero is null
// as in Velocity's MathUtils. Overflowing longs become doubles.
func arith(op int, l, r any) any {
	if !isNumber(l) || !isNumber(r) {
		return nil
	}
	a, aok := l.(int)
	b, bok := r.(int)
	if aok && bok {
		switch op {
		case opAdd:
			s := a + b
			if (a > 0 && b > 0 && s < 0) || (a < 0 && b < 0 && s >= 0) {
				return float64(a) + float64(b)
			}
			return s
		case opSub:
			s := a - b
			if (a >= 0 && b < 0 && s < 0) || (a < 0 && b > 0 && s >= 0) {
				return float64(a) - float64(b)
			}
			return s
		case opMul:
			if a == 0 || b == 0 {
				return 0
			}
			p := a * b
			if p/b != a || (a == -1 && b == math.MinInt) || (b == -1 && a == math.MinInt) {
				return float64(a) * float64(b)
			}
			return p
		case opDiv:
			if b == 0 {
				return nil
			}
			if a == math.MinInt && b == -1 {
				return -float64(a)
			}
			return a / b
		case opMod:
			if b == 0 {
				return nil
			}
			if b == -1 {
				return 0
			}
			return a % b
		}
		return nil
	}
	x, y := toFloat(l), toFloat(r)
	switch op {
	case opAdd:
		return x + y
	case opSub:
		return x - y
	case opMul:
		return x * y
	case opDiv:
		if y == 0 {
			return nil
		}
		return x / y
	case opMod:
		if y == 0 {
			return nil
		}
		return math.Mod(x, y)
	}
	return nil
}
