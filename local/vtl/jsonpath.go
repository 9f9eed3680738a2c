package vtl

import (
	"fmt"
	"strconv"
	"strings"
)

// JSONPath, the subset mapping templates use: $, $.a.b, $['a'], $.a[0],
// $.a[-1], $.* and [*], and $..a. Paths with a wildcard or a deep scan
// return a list of the matches.

// pathEval is a JSONPath being evaluated: the nodes matched so far.
type pathEval struct {
	path  string
	cur   []any
	multi bool // a wildcard or deep scan: the result is a list
}

func jsonPath(doc any, path string) (any, bool, error) {
	path = strings.TrimSpace(path)
	if path == "" || path[0] != '$' {
		return nil, false, fmt.Errorf("invalid JSONPath %q: must start with $", path)
	}
	e := &pathEval{path: path, cur: []any{doc}}
	for i := 1; i < len(path); {
		var err error
		switch path[i] {
		case '.':
			i, err = e.dot(i + 1)
		case '[':
			i, err = e.bracket(i)
		default:
			err = fmt.Errorf("invalid JSONPath %q at offset %d", path, i)
		}
		if err != nil {
			return nil, false, err
		}
	}
	if e.multi {
		// Jayway JsonPath returns a JSONArray for a wildcard or deep scan.
		return &List{items: e.cur, jsonArray: true}, true, nil
	}
	if len(e.cur) == 0 {
		return nil, false, nil
	}
	return e.cur[0], true, nil
}

// dot evaluates the step after a '.' (at i): a name, '*', or with a second
// '.' a deep scan. It returns where the next step starts.
func (e *pathEval) dot(i int) (int, error) {
	path := e.path
	deep := false
	if i < len(path) && path[i] == '.' {
		deep, e.multi = true, true
		i++
	}
	if i < len(path) && path[i] == '[' {
		if deep {
			e.cur = descendants(e.cur)
		}
		return i, nil
	}
	j := i
	for j < len(path) && path[j] != '.' && path[j] != '[' {
		j++
	}
	name := path[i:j]
	if name == "" {
		return 0, fmt.Errorf("invalid JSONPath %q", path)
	}
	if deep {
		e.cur = descendants(e.cur)
	}
	if name == "*" {
		e.multi = true
		e.cur = children(e.cur)
	} else {
		e.cur = field(e.cur, name)
	}
	return j, nil
}

// bracket evaluates a [...] step at i: a quoted key, '*' or an index.
func (e *pathEval) bracket(i int) (int, error) {
	path := e.path
	end := strings.IndexByte(path[i:], ']')
	if end < 0 {
		return 0, fmt.Errorf("invalid JSONPath %q: missing ]", path)
	}
	sel := strings.TrimSpace(path[i+1 : i+end])
	if len(sel) > 0 && (sel[0] == '\'' || sel[0] == '"') {
		return e.quotedKey(i, sel[0])
	}
	i += end + 1
	if sel == "*" {
		e.multi = true
		e.cur = children(e.cur)
		return i, nil
	}
	n, err := strconv.Atoi(sel)
	if err != nil {
		return 0, fmt.Errorf("invalid JSONPath %q: unsupported selector [%s]", path, sel)
	}
	var next []any
	for _, c := range e.cur {
		if l, ok := c.(*List); ok {
			k := n
			if k < 0 {
				k += len(l.items)
			}
			if k >= 0 && k < len(l.items) {
				next = append(next, l.items[k])
			}
		}
	}
	e.cur = next
	return i, nil
}

// quotedKey evaluates ['key'] or ["key"] at i; the key may contain ']'.
func (e *pathEval) quotedKey(i int, q byte) (int, error) {
	path := e.path
	end := strings.IndexByte(path[i+2:], q)
	if end < 0 {
		return 0, fmt.Errorf("invalid JSONPath %q: unterminated quote", path)
	}
	name := path[i+2 : i+2+end]
	rest := i + 2 + end + 1
	for rest < len(path) && path[rest] == ' ' {
		rest++
	}
	if rest >= len(path) || path[rest] != ']' {
		return 0, fmt.Errorf("invalid JSONPath %q", path)
	}
	e.cur = field(e.cur, name)
	return rest + 1, nil
}

func field(cur []any, name string) []any {
	var next []any
	for _, c := range cur {
		if m, ok := c.(*Map); ok {
			if v, ok := m.Get(name); ok {
				next = append(next, v)
			}
		}
	}
	return next
}

func children(cur []any) []any {
	var next []any
	for _, c := range cur {
		switch x := c.(type) {
		case *Map:
			next = append(next, x.vals...)
		case *List:
			next = append(next, x.items...)
		}
	}
	return next
}

func descendants(cur []any) []any {
	var out []any
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		// A template can make the cached body cyclic ($m.put('x', $m)).
		if depth > 1000 || len(out) > 1<<20 {
			return
		}
		out = append(out, v)
		switch x := v.(type) {
		case *Map:
			for _, e := range x.vals {
				walk(e, depth+1)
			}
		case *List:
			for _, e := range x.items {
				walk(e, depth+1)
			}
		}
	}
	for _, c := range cur {
		walk(c, 0)
	}
	return out
}
