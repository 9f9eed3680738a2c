package vtl

// Methods are looked up by name in one table per receiver type
// (methods_string.go, methods_list.go, methods_map.go, funcs.go and the small
// ones below). The compiler resolves each call site's name once to a
// methodSet — that name's implementation for every receiver type — so a
// call is a type switch and a function pointer.

type (
	stringMethod  func(st *state, s string, p *refPart, args []any) (any, error)
	mapMethod     func(st *state, m *Map, args []any) (any, error)
	listMethod    func(st *state, l *List, args []any) (any, error)
	inputMethod   func(st *state, args []any) (any, error)
	utilMethod    func(st *state, s string) (any, error)
	entryMethod   func(e *entry, args []any) any
	loopMethod    func(ls *loopState) any
	numberMethod  func(x any, args []any) any
	booleanMethod func(b bool) any
)

// methodSet is what one method name means for each receiver type (nil: no
// such method there).
type methodSet struct {
	str     stringMethod
	mp      mapMethod
	list    listMethod
	input   inputMethod
	util    utilMethod
	entry   entryMethod
	loop    loopMethod
	num     numberMethod
	boolean booleanMethod
}

var methodIndex = indexMethods()

var noMethods = &methodSet{}

func methodsNamed(name string) *methodSet {
	if ms, ok := methodIndex[name]; ok {
		return ms
	}
	return noMethods
}

func indexMethods() map[string]*methodSet {
	idx := map[string]*methodSet{}
	set := func(name string) *methodSet {
		if idx[name] == nil {
			idx[name] = &methodSet{}
		}
		return idx[name]
	}
	for name, f := range stringMethods {
		set(name).str = f
	}
	for name, f := range mapMethods {
		set(name).mp = f
	}
	for name, f := range listMethods {
		set(name).list = f
	}
	for name, f := range inputMethods {
		set(name).input = f
	}
	for name, f := range utilMethods {
		set(name).util = f
	}
	for name, f := range entryMethods {
		set(name).entry = f
	}
	for name, f := range loopMethods {
		set(name).loop = f
	}
	for name, f := range numberMethods {
		set(name).num = f
	}
	for name, f := range booleanMethods {
		set(name).boolean = f
	}
	return idx
}

// call invokes a Java method on a template value. A method that does not
// exist (or does not accept these argument types) yields null, as Velocity's
// introspection does; a method that "throws" is a render error.
func (st *state) call(v any, p *refPart, args []any) (any, error) {
	ms := p.ms
	switch x := v.(type) {
	case string:
		// Charge linear-time operations by size so big strings cannot buy
		// unbounded work with one step.
		if err := st.step(len(x) / 512); err != nil {
			return nil, err
		}
		if ms.str != nil {
			return ms.str(st, x, p, args)
		}
		return nil, nil
	case *Map:
		if ms.mp != nil {
			return ms.mp(st, x, args)
		}
		return nil, nil
	case *List:
		if ms.list != nil {
			return ms.list(st, x, args)
		}
		return nil, nil
	case inputObj:
		if ms.input != nil {
			return ms.input(st, args)
		}
		return nil, nil
	case utilObj:
		return st.callUtil(ms.util, args)
	case *entry:
		if ms.entry != nil {
			return ms.entry(x, args), nil
		}
	case *loopState:
		if ms.loop != nil {
			return ms.loop(x), nil
		}
	case int, float64:
		if ms.num != nil {
			return ms.num(x, args), nil
		}
	case bool:
		if ms.boolean != nil {
			return ms.boolean(x), nil
		}
	}
	return st.callObject(v, p.name, args)
}

// callObject is the java.lang.Object methods every value has.
func (st *state) callObject(v any, name string, args []any) (any, error) {
	switch name {
	case "toString":
		if len(args) == 0 {
			return st.str(v)
		}
	case "equals":
		if len(args) == 1 {
			return javaEquals(v, args[0], 0, new(int)), nil
		}
	}
	return nil, nil
}

// prop resolves $x.name the way Velocity's introspector does for the types a
// mapping template can see: Map.get(name), else a getName()/isName() getter.
func (st *state) prop(v any, name string) (any, error) {
	switch x := v.(type) {
	case *Map:
		r, _ := x.Get(name)
		return r, nil
	case *List:
		if name == "empty" {
			return len(x.items) == 0, nil
		}
	case string:
		if name == "empty" {
			return x == "", nil
		}
	case *entry:
		switch name {
		case "key":
			return x.k, nil
		case "value":
			return x.value(), nil
		}
	case *loopState:
		if f := loopProps[name]; f != nil {
			return f(x), nil
		}
	case inputObj:
		if name == "body" {
			return st.req.Body, nil
		}
	}
	return nil, nil
}

// entryMethods are java.util.Map.Entry's (from entrySet()); writes go
// through to the map.
var entryMethods = map[string]entryMethod{
	"getKey":   func(e *entry, _ []any) any { return e.k },
	"getValue": func(e *entry, _ []any) any { return e.value() },
	"setValue": func(e *entry, args []any) any {
		if len(args) != 1 {
			return nil
		}
		return e.m.Set(e.k, args[0])
	},
}

// loopProps are $foreach's properties, loopMethods its getters.
var loopProps = map[string]loopMethod{
	"index":   func(ls *loopState) any { return ls.index },
	"count":   func(ls *loopState) any { return ls.index + 1 },
	"hasNext": func(ls *loopState) any { return ls.hasNext },
	"first":   func(ls *loopState) any { return ls.index == 0 },
	"last":    func(ls *loopState) any { return !ls.hasNext },
	"parent":  func(ls *loopState) any { return ls.parent },
}

var loopMethods = map[string]loopMethod{
	"hasNext": loopProps["hasNext"], "getHasNext": loopProps["hasNext"],
	"getIndex": loopProps["index"], "getCount": loopProps["count"],
	"isFirst": loopProps["first"], "getFirst": loopProps["first"],
	"isLast": loopProps["last"], "getLast": loopProps["last"],
	"getParent": loopProps["parent"],
}

// numberMethods are java.lang.Integer's, Long's and Double's.
var numberMethods = map[string]numberMethod{
	"intValue":    numberToInt,
	"longValue":   numberToInt,
	"doubleValue": func(x any, _ []any) any { return toFloat(x) },
	"floatValue":  func(x any, _ []any) any { return toFloat(x) },
	"compareTo": func(x any, args []any) any {
		if len(args) == 1 {
			if c, ok := compare(x, args[0]); ok {
				return c
			}
		}
		return nil
	},
}

func numberToInt(x any, _ []any) any {
	if f, ok := x.(float64); ok {
		return int(f)
	}
	return x
}

var booleanMethods = map[string]booleanMethod{
	"booleanValue": func(b bool) any { return b },
}
