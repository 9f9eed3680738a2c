package vtl

import (
	"context"
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
)

// Request describes the API Gateway request a template sees.
type Request struct {
	Body                string            // raw body text ($input.body)
	Path, Query, Header map[string]string // $input.params() parts
	// Context is $context. The engine adds requestOverride
	// {header,path,querystring} and responseOverride {header} maps when
	// missing; Result reports what the template wrote into them.
	Context        map[string]any
	StageVariables map[string]string
	// Vars are extra top-level variables (JSON-shaped values, or *Map/*List
	// from ParseJSON). They cannot shadow input, util, context or
	// stageVariables.
	Vars map[string]any
	// Limits overrides the template's limits for this render (zero fields
	// fall back to DefaultLimits).
	Limits *Limits
}

// Result is a rendered template plus the overrides it set.
type Result struct {
	Output          string
	Status          int               // $context.responseOverride.status if set (0 otherwise)
	Headers         map[string]string // $context.responseOverride.header
	RequestOverride struct{ Header, Path, Query map[string]string }
}

// Render executes the template. It is safe for concurrent use.
func (t *Template) Render(ctx context.Context, req Request) (res Result, err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	st := statePool.Get().(*state)
	defer func() {
		if r := recover(); r != nil {
			// A panic is a bug in this package; report it as an error
			// rather than taking the gateway down with it.
			res = Result{}
			err = &Error{Name: t.name, Line: 1, Col: 1, Msg: fmt.Sprintf("internal error: %v\n%s", r, debug.Stack())}
		}
		st.reset()
		statePool.Put(st)
	}()
	ctxMap := st.bind(ctx, t, &req)
	err = st.run(t.root)
	if err == errStop || err == errBreak {
		err = nil
	}
	if err != nil {
		return Result{}, err
	}
	res.Output = string(st.out)
	if ctxMap != nil {
		readOverrides(ctxMap, &res)
	}
	return res, nil
}

// bind prepares st to render t for req: the limits, the variables the request gives and
// the built-ins ($input, $util, $stageVariables, $context, $foreach). It returns the
// $context map, whose responseOverride the template may set (nil when the template never
// names $context).
func (st *state) bind(ctx context.Context, t *Template, req *Request) *Map {
	st.ctx = ctx
	st.t = t
	st.req = req
	st.lim = t.limits
	if req.Limits != nil {
		st.lim = req.Limits.withDefaults()
	}
	st.outMax = st.lim.MaxOutput
	if cap(st.vars) >= len(t.names) {
		st.vars = st.vars[:len(t.names)]
	} else {
		st.vars = make([]any, len(t.names))
	}
	if len(req.Vars) > 0 {
		for i, name := range t.names {
			if v, ok := req.Vars[name]; ok {
				st.vars[i] = toValue(v, 0)
			}
		}
	}
	var ctxMap *Map
	if t.slotInput >= 0 {
		st.vars[t.slotInput] = inputObj{}
	}
	if t.slotUtil >= 0 {
		st.vars[t.slotUtil] = utilObj{}
	}
	if t.slotStage >= 0 {
		st.vars[t.slotStage] = stringMap(req.StageVariables)
	}
	if t.slotContext >= 0 {
		ctxMap = contextMap(req.Context)
		st.vars[t.slotContext] = ctxMap
	}
	if t.slotForeach >= 0 {
		st.vars[t.slotForeach] = nil
	}
	return ctxMap
}

func (st *state) reset() {
	clear(st.vars)
	st.vars = st.vars[:0]
	if cap(st.out) > 256<<10 {
		st.out = nil
	} else {
		st.out = st.out[:0]
	}
	bufs := st.bufs[:0]
	args := st.args[:cap(st.args)]
	clear(args)
	out := st.out
	vars := st.vars
	*st = state{}
	st.out, st.vars, st.bufs, st.args = out, vars, bufs, args[:0]
}

func contextMap(c map[string]any) *Map {
	var m *Map
	if c != nil {
		m, _ = toValue(c, 0).(*Map)
	}
	if m == nil {
		m = NewMap()
	}
	ensureMap := func(parent *Map, key string) *Map {
		if v, ok := parent.Get(key); ok {
			if mm, ok := v.(*Map); ok {
				return mm
			}
		}
		mm := NewMap()
		parent.Set(key, mm)
		return mm
	}
	ro := ensureMap(m, "requestOverride")
	ensureMap(ro, "header")
	ensureMap(ro, "path")
	ensureMap(ro, "querystring")
	so := ensureMap(m, "responseOverride")
	ensureMap(so, "header")
	for _, v := range m.vals {
		blankMaps(v, 0)
	}
	return m
}

// blankMaps marks the maps nested in $context as printing "" (Map.blank),
// as AWS renders $context.identity, requestOverride, responseOverride and
// their maps (recorded: sqs/amz_json_protocol/context-dump).
func blankMaps(v any, depth int) {
	m, ok := v.(*Map)
	if !ok || depth > 64 {
		return
	}
	m.blank = true
	for _, e := range m.vals {
		blankMaps(e, depth+1)
	}
}

func readOverrides(ctx *Map, res *Result) {
	sub := func(m *Map, key string) *Map {
		if m == nil {
			return nil
		}
		v, _ := m.Get(key)
		mm, _ := v.(*Map)
		return mm
	}
	flat := func(m *Map) map[string]string {
		if m == nil || m.Len() == 0 {
			return nil
		}
		out := make(map[string]string, m.Len())
		for i, k := range m.keys {
			if m.vals[i] != nil {
				out[k] = javaString(m.vals[i])
			}
		}
		return out
	}
	so := sub(ctx, "responseOverride")
	if so != nil {
		if v, ok := so.Get("status"); ok {
			switch x := v.(type) {
			case int:
				res.Status = x
			case float64:
				if x >= 0 && x < math.MaxInt32 {
					res.Status = int(x)
				}
			case string:
				res.Status, _ = strconv.Atoi(strings.TrimSpace(x))
			}
		}
		res.Headers = flat(sub(so, "header"))
	}
	ro := sub(ctx, "requestOverride")
	res.RequestOverride.Header = flat(sub(ro, "header"))
	res.RequestOverride.Path = flat(sub(ro, "path"))
	res.RequestOverride.Query = flat(sub(ro, "querystring"))
}
