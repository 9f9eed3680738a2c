package vtl

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/orderbot/orderbot/local/vtl/parse"
)

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

// state is one Render's: the variable slots, the output, and the budgets.
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
	args   []any // method arguments being passed (see applyPart)

	bodyDone bool
	bodyVal  any
	bodyErr  error
	params   *Map
}

var statePool = sync.Pool{New: func() any { return new(state) }}

func (st *state) errAt(pos int, cause error, format string, args ...any) error {
	line, col := parse.LineCol(st.t.src, pos)
	return &Error{Name: st.t.name, Line: line, Col: col, Msg: fmt.Sprintf(format, args...), Err: cause}
}

func (st *state) limit(format string, args ...any) error {
	return st.errAt(st.pos, ErrLimit, format, args...)
}

// step charges n evaluation steps and, every so often, checks for cancellation.
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

// ---- statements ----

func (st *state) run(nodes []node) error {
	for _, n := range nodes {
		if err := st.exec(n); err != nil {
			return err
		}
	}
	return nil
}

func (st *state) exec(n node) error {
	switch n := n.(type) {
	case *textNode:
		return st.write(n.s)
	case *refNode:
		return st.execRef(n.ref)
	case *setNode:
		return st.execSet(n)
	case *ifNode:
		return st.execIf(n)
	case *foreachNode:
		return st.execForeach(n)
	case *escRefNode:
		return st.execEscRef(n)
	case *macroCallNode:
		return st.execMacroCall(n)
	case *defineNode:
		st.vars[n.slot] = n.val
		return nil
	case *breakNode:
		return errBreak
	case *stopNode:
		return errStop
	}
	panic(fmt.Sprintf("vtl: unexpected node %T", n))
}

func (st *state) execRef(r *refExpr) error {
	st.pos = r.pos
	if err := st.step(1); err != nil {
		return err
	}
	v, err := st.evalRef(r)
	if err != nil {
		return err
	}
	return st.writeValue(v)
}

func (st *state) execEscRef(n *escRefNode) error {
	st.pos = n.ref.pos
	if err := st.step(1); err != nil {
		return err
	}
	if err := st.write(n.prefix); err != nil {
		return err
	}
	v, err := st.evalRef(n.ref)
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
	return st.write(n.raw)
}

func (st *state) execSet(n *setNode) error {
	st.pos = n.pos
	if err := st.step(1); err != nil {
		return err
	}
	v, err := st.eval(n.rhs)
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
	return st.assign(target, &lhs.parts[last], v)
}

// assign stores v in target's property or element p: the last step of a #set.
func (st *state) assign(target any, p *refPart, v any) error {
	switch p.kind {
	case partProp:
		if m, ok := target.(*Map); ok {
			m.Set(p.name, v)
		}
	case partIndex:
		k, err := st.eval(p.index)
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

func (st *state) execIf(n *ifNode) error {
	st.pos = n.pos
	if err := st.step(1); err != nil {
		return err
	}
	for i, c := range n.conds {
		v, err := st.eval(c)
		if err != nil {
			return err
		}
		if truthy(v) {
			return st.run(n.bodies[i])
		}
	}
	return st.run(n.els)
}

func (st *state) execForeach(n *foreachNode) error {
	st.pos = n.pos
	if err := st.step(1); err != nil {
		return err
	}
	it, err := st.eval(n.iter)
	if err != nil {
		return err
	}
	var items *[]any
	switch x := it.(type) {
	case *List:
		items = &x.items
	case *Map:
		// Velocity iterates a Map's values.
		items = &x.vals
	default:
		return nil
	}
	t := st.t
	vars := st.vars
	oldVar := vars[n.slot]
	oldLoop := vars[t.slotForeach]
	oldCount := vars[t.slotVelocityCount]
	oldHasNext := vars[t.slotVelocityHasNext]
	err = st.loop(n, items, &loopState{parent: oldLoop})
	vars[n.slot] = oldVar
	vars[t.slotForeach] = oldLoop
	vars[t.slotVelocityCount] = oldCount
	vars[t.slotVelocityHasNext] = oldHasNext
	return err
}

// loop runs a #foreach body over *items, a collection's element slice.
func (st *state) loop(n *foreachNode, items *[]any, ls *loopState) error {
	t, vars := st.t, st.vars
	total := len(*items)
	for i := 0; ; i++ {
		// Java's iterators fail fast when the collection is structurally
		// modified mid-loop; this also stops "#foreach over a growing list".
		if len(*items) != total {
			return st.errAt(n.pos, nil, "ConcurrentModificationException: collection modified during #foreach")
		}
		if i >= total {
			return nil
		}
		if i >= st.lim.MaxLoop {
			return st.errAt(n.pos, ErrLimit, "#foreach iteration limit (%d) exceeded", st.lim.MaxLoop)
		}
		st.pos = n.pos
		if err := st.step(1); err != nil {
			return err
		}
		vars[n.slot] = (*items)[i]
		ls.index = i
		ls.hasNext = i+1 < total
		vars[t.slotForeach] = ls
		vars[t.slotVelocityCount] = i + 1
		vars[t.slotVelocityHasNext] = ls.hasNext
		if err := st.run(n.body); err != nil {
			if err == errBreak {
				return nil
			}
			return err
		}
	}
}

func (st *state) execMacroCall(n *macroCallNode) error {
	st.pos = n.pos
	if err := st.step(1); err != nil {
		return err
	}
	m := n.def
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
			v, err := st.eval(n.args[i])
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

func (st *state) eval(e expr) (any, error) {
	switch e := e.(type) {
	case *refExpr:
		return st.evalRef(e)
	case *literal:
		return e.v, nil
	case *binary:
		return st.evalBinary(e)
	case *interp:
		if err := st.enter(e.pos); err != nil {
			return nil, err
		}
		s, err := st.capture(func() error { return st.run(e.nodes) })
		st.depth--
		return s, err
	case *unaryExpr:
		return st.evalUnary(e)
	case *listLit:
		return st.evalList(e)
	case *mapLit:
		return st.evalMap(e)
	case *rangeLit:
		return st.evalRange(e)
	}
	panic(fmt.Sprintf("vtl: unexpected expression %T", e))
}

func (st *state) evalRef(r *refExpr) (any, error) {
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
		// Arguments go on a stack kept in the state: the methods are called
		// through tables, so a buffer on the Go stack would escape to the heap.
		n := len(st.args)
		for _, a := range p.args {
			av, err := st.eval(a)
			if err != nil {
				st.args = st.args[:n]
				return nil, err
			}
			st.args = append(st.args, av)
		}
		st.pos = p.pos
		v, err := st.call(v, p, st.args[n:len(st.args):len(st.args)])
		st.args = st.args[:n]
		return v, err
	}
	return st.index(v, p)
}

// index is $v[k]: a List element, a Map entry, or a property.
func (st *state) index(v any, p *refPart) (any, error) {
	k, err := st.eval(p.index)
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

func (st *state) evalList(e *listLit) (any, error) {
	l := &List{items: make([]any, len(e.items))}
	for i, x := range e.items {
		v, err := st.eval(x)
		if err != nil {
			return nil, err
		}
		l.items[i] = v
	}
	return l, nil
}

func (st *state) evalMap(e *mapLit) (any, error) {
	m := &Map{keys: make([]string, 0, len(e.keys)), vals: make([]any, 0, len(e.keys))}
	for i, kx := range e.keys {
		k, err := st.eval(kx)
		if err != nil {
			return nil, err
		}
		ks, err := st.str(k)
		if err != nil {
			return nil, err
		}
		v, err := st.eval(e.vals[i])
		if err != nil {
			return nil, err
		}
		m.Set(ks, v)
	}
	return m, nil
}

func (st *state) evalRange(e *rangeLit) (any, error) {
	a, err := st.eval(e.from)
	if err != nil {
		return nil, err
	}
	b, err := st.eval(e.to)
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

func (st *state) evalUnary(e *unaryExpr) (any, error) {
	v, err := st.eval(e.x)
	if err != nil {
		return nil, err
	}
	if e.op == parse.OpNot {
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

func (st *state) evalBinary(e *binary) (any, error) {
	l, err := st.eval(e.l)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case parse.OpAnd:
		if !truthy(l) {
			return false, nil
		}
		r, err := st.eval(e.r)
		return truthy(r), err
	case parse.OpOr:
		if truthy(l) {
			return true, nil
		}
		r, err := st.eval(e.r)
		return truthy(r), err
	}
	r, err := st.eval(e.r)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case parse.OpEq:
		return st.equal(l, r)
	case parse.OpNe:
		eq, err := st.equal(l, r)
		return !eq, err
	case parse.OpLt, parse.OpLe, parse.OpGt, parse.OpGe:
		return relation(e.op, l, r), nil
	case parse.OpAdd:
		if s, ok, err := st.concat(e, l, r); ok || err != nil {
			return s, err
		}
	}
	return arith(e.op, l, r), nil
}

// concat is + with a string operand; ok is false when neither is a string.
func (st *state) concat(e *binary, l, r any) (s any, ok bool, err error) {
	if l == nil || r == nil {
		return nil, true, nil
	}
	_, ls := l.(string)
	_, rs := r.(string)
	if !ls && !rs {
		return nil, false, nil
	}
	a, err := st.str(l)
	if err != nil {
		return nil, true, err
	}
	b, err := st.str(r)
	if err != nil {
		return nil, true, err
	}
	if len(a)+len(b) > st.lim.MaxString {
		return nil, true, st.errAt(e.pos, ErrLimit, "string size limit (%d bytes) exceeded", st.lim.MaxString)
	}
	return a + b, true, nil
}
