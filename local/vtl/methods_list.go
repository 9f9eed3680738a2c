package vtl

// listMethods are java.util.List's.
var listMethods = map[string]listMethod{
	"size":        func(_ *state, l *List, _ []any) (any, error) { return len(l.items), nil },
	"isEmpty":     func(_ *state, l *List, _ []any) (any, error) { return len(l.items) == 0, nil },
	"get":         listGet,
	"set":         listSet,
	"add":         listAdd,
	"addAll":      listAddAll,
	"remove":      listRemove,
	"contains":    listContains,
	"indexOf":     listIndexOf,
	"lastIndexOf": listLastIndexOf,
	"subList":     listSubList,
	"clear": func(_ *state, l *List, _ []any) (any, error) {
		l.items = nil
		return nil, nil
	},
	"equals": func(_ *state, l *List, args []any) (any, error) {
		if len(args) != 1 {
			return nil, nil
		}
		return javaEquals(l, args[0], 0, new(int)), nil
	},
	"toString": func(st *state, l *List, _ []any) (any, error) { return st.str(l) },
}

func (st *state) indexError(i, n int) error {
	return st.errAt(st.pos, nil, "IndexOutOfBoundsException: Index %d out of bounds for length %d", i, n)
}

func listGet(st *state, l *List, args []any) (any, error) {
	if len(args) != 1 {
		return nil, nil
	}
	i, ok := toInt(args[0])
	if !ok {
		return nil, nil
	}
	if i < 0 || i >= len(l.items) {
		return nil, st.indexError(i, len(l.items))
	}
	return l.items[i], nil
}

func listSet(st *state, l *List, args []any) (any, error) {
	if len(args) != 2 {
		return nil, nil
	}
	i, ok := toInt(args[0])
	if !ok {
		return nil, nil
	}
	if i < 0 || i >= len(l.items) {
		return nil, st.indexError(i, len(l.items))
	}
	old := l.items[i]
	l.items[i] = args[1]
	return old, nil
}

func listAdd(st *state, l *List, args []any) (any, error) {
	switch len(args) {
	case 1:
		l.items = append(l.items, args[0])
		return true, nil
	case 2:
		i, ok := toInt(args[0])
		if !ok {
			return nil, nil
		}
		if i < 0 || i > len(l.items) {
			return nil, st.errAt(st.pos, nil, "IndexOutOfBoundsException: Index: %d, Size: %d", i, len(l.items))
		}
		if err := st.step(len(l.items) / 64); err != nil {
			return nil, err
		}
		l.items = append(l.items, nil)
		copy(l.items[i+1:], l.items[i:])
		l.items[i] = args[1]
	}
	return nil, nil
}

func listAddAll(st *state, l *List, args []any) (any, error) {
	if len(args) != 1 {
		return nil, nil
	}
	o, ok := args[0].(*List)
	if !ok {
		return nil, nil
	}
	if err := st.step(len(o.items)); err != nil {
		return nil, err
	}
	l.items = append(l.items, o.items...)
	return len(o.items) > 0, nil
}

// listRemove is remove(int index) or remove(Object o).
func listRemove(st *state, l *List, args []any) (any, error) {
	if len(args) != 1 {
		return nil, nil
	}
	if err := st.step(len(l.items) / 64); err != nil {
		return nil, err
	}
	if i, ok := args[0].(int); ok {
		if i < 0 || i >= len(l.items) {
			return nil, st.indexError(i, len(l.items))
		}
		old := l.items[i]
		l.items = append(l.items[:i], l.items[i+1:]...)
		return old, nil
	}
	for i, v := range l.items {
		if javaEquals(v, args[0], 0, new(int)) {
			l.items = append(l.items[:i], l.items[i+1:]...)
			return true, nil
		}
	}
	return false, nil
}

// listFind returns the index of the first (or last) element equal to v, or -1.
func listFind(st *state, l *List, args []any, last bool) (int, bool, error) {
	if len(args) != 1 {
		return 0, false, nil
	}
	if err := st.step(len(l.items) / 8); err != nil {
		return 0, false, err
	}
	if last {
		for i := len(l.items) - 1; i >= 0; i-- {
			if javaEquals(l.items[i], args[0], 0, new(int)) {
				return i, true, nil
			}
		}
		return -1, true, nil
	}
	for i, v := range l.items {
		if javaEquals(v, args[0], 0, new(int)) {
			return i, true, nil
		}
	}
	return -1, true, nil
}

func listContains(st *state, l *List, args []any) (any, error) {
	i, ok, err := listFind(st, l, args, false)
	if !ok || err != nil {
		return nil, err
	}
	return i >= 0, nil
}

func listIndexOf(st *state, l *List, args []any) (any, error) {
	i, ok, err := listFind(st, l, args, false)
	if !ok || err != nil {
		return nil, err
	}
	return i, nil
}

func listLastIndexOf(st *state, l *List, args []any) (any, error) {
	i, ok, err := listFind(st, l, args, true)
	if !ok || err != nil {
		return nil, err
	}
	return i, nil
}

func listSubList(st *state, l *List, args []any) (any, error) {
	if len(args) != 2 {
		return nil, nil
	}
	a, ok1 := toInt(args[0])
	b, ok2 := toInt(args[1])
	if !ok1 || !ok2 {
		return nil, nil
	}
	if a < 0 || b > len(l.items) || a > b {
		return nil, st.errAt(st.pos, nil, "IndexOutOfBoundsException: fromIndex %d, toIndex %d, size %d", a, b, len(l.items))
	}
	if err := st.step((b - a) / 8); err != nil {
		return nil, err
	}
	return &List{items: append([]any(nil), l.items[a:b]...)}, nil
}
