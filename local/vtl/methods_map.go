package vtl

// mapMethods are java.util.Map's.
var mapMethods = map[string]mapMethod{
	"get":           mapGet,
	"getOrDefault":  mapGetOrDefault,
	"containsKey":   mapContainsKey,
	"remove":        mapRemove,
	"put":           mapPut,
	"putIfAbsent":   mapPutIfAbsent,
	"putAll":        mapPutAll,
	"containsValue": mapContainsValue,
	"keySet": func(st *state, m *Map, args []any) (any, error) {
		return mapView(st, m, args, func(i int) any { return m.keys[i] })
	},
	"values": func(st *state, m *Map, args []any) (any, error) {
		return mapView(st, m, args, func(i int) any { return m.vals[i] })
	},
	"entrySet": func(st *state, m *Map, args []any) (any, error) {
		return mapView(st, m, args, func(i int) any { return &entry{m: m, k: m.keys[i]} })
	},
	"size":    func(_ *state, m *Map, _ []any) (any, error) { return len(m.keys), nil },
	"isEmpty": func(_ *state, m *Map, _ []any) (any, error) { return len(m.keys) == 0, nil },
	"clear": func(_ *state, m *Map, _ []any) (any, error) {
		m.clear()
		return nil, nil
	},
	"equals": func(_ *state, m *Map, args []any) (any, error) {
		if len(args) != 1 {
			return nil, nil
		}
		return javaEquals(m, args[0], 0, new(int)), nil
	},
	"toString": func(st *state, m *Map, _ []any) (any, error) { return st.str(m) },
}

// key converts a Map key argument to the string keys maps hold.
func (st *state) key(k any) (string, error) {
	if s, ok := k.(string); ok {
		return s, nil
	}
	return st.str(k)
}

// mapKey returns the key in args[0] when there are nargs arguments.
func mapKey(st *state, args []any, nargs int) (k string, ok bool, err error) {
	if len(args) != nargs {
		return "", false, nil
	}
	k, err = st.key(args[0])
	return k, err == nil, err
}

func mapGet(st *state, m *Map, args []any) (any, error) {
	k, ok, err := mapKey(st, args, 1)
	if !ok {
		return nil, err
	}
	v, _ := m.Get(k)
	return v, nil
}

func mapGetOrDefault(st *state, m *Map, args []any) (any, error) {
	k, ok, err := mapKey(st, args, 2)
	if !ok {
		return nil, err
	}
	if v, ok := m.Get(k); ok {
		return v, nil
	}
	return args[1], nil
}

func mapContainsKey(st *state, m *Map, args []any) (any, error) {
	k, ok, err := mapKey(st, args, 1)
	if !ok {
		return nil, err
	}
	_, ok = m.Get(k)
	return ok, nil
}

func mapRemove(st *state, m *Map, args []any) (any, error) {
	k, ok, err := mapKey(st, args, 1)
	if !ok {
		return nil, err
	}
	return m.Delete(k), nil
}

func mapPut(st *state, m *Map, args []any) (any, error) {
	k, ok, err := mapKey(st, args, 2)
	if !ok {
		return nil, err
	}
	return m.Set(k, args[1]), nil
}

// mapPutIfAbsent keeps a non-null value.
func mapPutIfAbsent(st *state, m *Map, args []any) (any, error) {
	k, ok, err := mapKey(st, args, 2)
	if !ok {
		return nil, err
	}
	if v, ok := m.Get(k); ok && v != nil {
		return v, nil
	}
	return m.Set(k, args[1]), nil
}

func mapPutAll(st *state, m *Map, args []any) (any, error) {
	if len(args) != 1 {
		return nil, nil
	}
	o, ok := args[0].(*Map)
	if !ok {
		return nil, nil
	}
	if err := st.step(len(o.keys)); err != nil {
		return nil, err
	}
	keys, vals := append([]string(nil), o.keys...), append([]any(nil), o.vals...)
	for i, k := range keys {
		m.Set(k, vals[i])
	}
	return nil, nil
}

func mapContainsValue(st *state, m *Map, args []any) (any, error) {
	if len(args) != 1 {
		return nil, nil
	}
	if err := st.step(len(m.vals)); err != nil {
		return nil, err
	}
	for _, v := range m.vals {
		if javaEquals(v, args[0], 0, new(int)) {
			return true, nil
		}
	}
	return false, nil
}

// mapView is keySet, values and entrySet: a list of elem(i) for each entry.
func mapView(st *state, m *Map, args []any, elem func(i int) any) (any, error) {
	if len(args) != 0 {
		return nil, nil
	}
	if err := st.step(len(m.keys) / 8); err != nil {
		return nil, err
	}
	l := &List{items: make([]any, len(m.keys))}
	for i := range m.keys {
		l.items[i] = elem(i)
	}
	return l, nil
}
