package vtl

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf16"
	"unicode/utf8"
)

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
		switch name {
		case "index":
			return x.index, nil
		case "count":
			return x.index + 1, nil
		case "hasNext":
			return x.hasNext, nil
		case "first":
			return x.index == 0, nil
		case "last":
			return !x.hasNext, nil
		case "parent":
			return x.parent, nil
		}
	case inputObj:
		if name == "body" {
			return st.req.Body, nil
		}
	}
	return nil, nil
}

// call invokes a Java method on a template value. A method that does not
// exist (or does not accept these argument types) yields null, as Velocity's
// introspection does; a method that "throws" is a render error.
func (st *state) call(v any, p *refPart, args []any) (any, error) {
	name := p.name
	switch x := v.(type) {
	case string:
		return st.stringMethod(x, p, args)
	case *Map:
		return st.mapMethod(x, name, args)
	case *List:
		return st.listMethod(x, name, args)
	case inputObj:
		return st.inputMethod(name, args)
	case utilObj:
		return st.utilMethod(name, args)
	case *entry:
		switch name {
		case "getKey":
			return x.k, nil
		case "getValue":
			return x.value(), nil
		case "setValue":
			if len(args) == 1 {
				return x.m.Set(x.k, args[0]), nil
			}
		}
	case *loopState:
		switch name {
		case "hasNext", "getHasNext":
			return x.hasNext, nil
		case "getIndex":
			return x.index, nil
		case "getCount":
			return x.index + 1, nil
		case "isFirst", "getFirst":
			return x.index == 0, nil
		case "isLast", "getLast":
			return !x.hasNext, nil
		case "getParent":
			return x.parent, nil
		}
	case int:
		switch name {
		case "intValue", "longValue":
			return x, nil
		case "doubleValue", "floatValue":
			return float64(x), nil
		case "compareTo":
			if len(args) == 1 {
				if c, ok := compare(x, args[0]); ok {
					return c, nil
				}
			}
		}
	case float64:
		switch name {
		case "intValue", "longValue":
			return int(x), nil
		case "doubleValue", "floatValue":
			return x, nil
		case "compareTo":
			if len(args) == 1 {
				if c, ok := compare(x, args[0]); ok {
					return c, nil
				}
			}
		}
	case bool:
		if name == "booleanValue" {
			return x, nil
		}
	}
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

// ---- java.lang.String ----

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Java indexes strings in UTF-16 code units; ASCII strings take a fast path.
func u16(s string) []uint16 { return utf16.Encode([]rune(s)) }

func u16len(s string) int {
	if isASCII(s) {
		return len(s)
	}
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// u16at reports whether n occurs in h at i (Java's indexOf works on UTF-16 units).
func u16at(h, n []uint16, i int) bool {
	for j := range n {
		if h[i+j] != n[j] {
			return false
		}
	}
	return true
}

func u16index(h, n []uint16, from int) int {
	if from < 0 {
		from = 0
	}
	for i := from; i+len(n) <= len(h); i++ {
		if u16at(h, n, i) {
			return i
		}
	}
	return -1
}

func u16lastIndex(h, n []uint16, from int) int {
	if from > len(h)-len(n) {
		from = len(h) - len(n)
	}
	for i := from; i >= 0; i-- {
		if u16at(h, n, i) {
			return i
		}
	}
	return -1
}

func argString(args []any, i int) (string, bool) {
	if i >= len(args) {
		return "", false
	}
	s, ok := args[i].(string)
	return s, ok
}

func (st *state) stringMethod(s string, p *refPart, args []any) (any, error) {
	// Charge linear-time operations by size so big strings cannot buy
	// unbounded work with one step.
	if err := st.step(len(s) / 512); err != nil {
		return nil, err
	}
	switch p.name {
	case "length":
		return u16len(s), nil
	case "isEmpty":
		return s == "", nil
	case "toString", "trim", "toLowerCase", "toUpperCase", "intern":
		if len(args) != 0 {
			return nil, nil
		}
		switch p.name {
		case "trim":
			return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' }), nil
		case "toLowerCase":
			return st.newString(strings.ToLower(s))
		case "toUpperCase":
			return st.newString(strings.ToUpper(s))
		}
		return s, nil
	case "equals":
		if len(args) == 1 {
			o, ok := args[0].(string)
			return ok && o == s, nil
		}
	case "equalsIgnoreCase":
		if len(args) == 1 {
			o, ok := args[0].(string)
			return ok && strings.EqualFold(o, s), nil
		}
	case "contains":
		if o, ok := argString(args, 0); ok && len(args) == 1 {
			return strings.Contains(s, o), nil
		}
	case "startsWith":
		if o, ok := argString(args, 0); ok {
			if len(args) == 1 {
				return strings.HasPrefix(s, o), nil
			}
			if off, ok := toInt(args[1]); ok && len(args) == 2 {
				if !isASCII(s) || !isASCII(o) {
					h, n := u16(s), u16(o)
					return off >= 0 && off <= len(h) && u16index(h[off:], n, 0) == 0, nil
				}
				return off >= 0 && off <= len(s) && strings.HasPrefix(s[off:], o), nil
			}
		}
	case "endsWith":
		if o, ok := argString(args, 0); ok && len(args) == 1 {
			return strings.HasSuffix(s, o), nil
		}
	case "concat":
		if o, ok := argString(args, 0); ok && len(args) == 1 {
			if len(s)+len(o) > st.lim.MaxString {
				return nil, st.limit("string size limit (%d bytes) exceeded", st.lim.MaxString)
			}
			return st.newString(s + o)
		}
	case "indexOf", "lastIndexOf":
		return stringIndexOf(s, p.name == "lastIndexOf", args), nil
	case "charAt":
		if i, ok := toInt(firstArg(args)); ok && len(args) == 1 {
			if isASCII(s) {
				if i < 0 || i >= len(s) {
					return nil, st.errAt(p.pos, nil, "StringIndexOutOfBoundsException: index %d, length %d", i, len(s))
				}
				return s[i : i+1], nil
			}
			h := u16(s)
			if i < 0 || i >= len(h) {
				return nil, st.errAt(p.pos, nil, "StringIndexOutOfBoundsException: index %d, length %d", i, len(h))
			}
			return string(utf16.Decode(h[i : i+1])), nil
		}
	case "substring":
		if len(args) < 1 || len(args) > 2 {
			return nil, nil
		}
		b, ok := toInt(args[0])
		if !ok {
			return nil, nil
		}
		ascii := isASCII(s)
		n := len(s)
		var h []uint16
		if !ascii {
			h = u16(s)
			n = len(h)
		}
		e := n
		if len(args) == 2 {
			if e, ok = toInt(args[1]); !ok {
				return nil, nil
			}
		}
		if b < 0 || e > n || b > e {
			return nil, st.errAt(p.pos, nil, "StringIndexOutOfBoundsException: begin %d, end %d, length %d", b, e, n)
		}
		if ascii {
			return s[b:e], nil
		}
		return string(utf16.Decode(h[b:e])), nil
	case "replace":
		if len(args) != 2 {
			return nil, nil
		}
		old, ok1 := args[0].(string)
		nw, ok2 := args[1].(string)
		if !ok1 || !ok2 {
			return nil, nil
		}
		cnt := strings.Count(s, old)
		if cnt == 0 {
			return s, nil
		}
		if err := st.step(cnt); err != nil {
			return nil, err
		}
		if size := len(s) + cnt*(len(nw)-len(old)); size > st.lim.MaxString || size < 0 {
			return nil, st.limit("string size limit (%d bytes) exceeded", st.lim.MaxString)
		}
		return st.newString(strings.ReplaceAll(s, old, nw))
	case "replaceAll", "replaceFirst":
		if len(args) != 2 {
			return nil, nil
		}
		pat, ok1 := args[0].(string)
		repl, ok2 := args[1].(string)
		if !ok1 || !ok2 {
			return nil, nil
		}
		re, err := st.regex(p, pat)
		if err != nil {
			return nil, err
		}
		return st.replaceRegex(s, re, repl, p.name == "replaceFirst", p.pos)
	case "matches":
		pat, ok := argString(args, 0)
		if !ok || len(args) != 1 {
			return nil, nil
		}
		re, err := st.regex(p, pat)
		if err != nil {
			return nil, err
		}
		if err := st.step(len(s)); err != nil {
			return nil, err
		}
		loc := anchored(re).FindStringIndex(s)
		return loc != nil, nil
	case "split":
		pat, ok := argString(args, 0)
		if !ok || len(args) > 2 {
			return nil, nil
		}
		limit := 0
		if len(args) == 2 {
			if limit, ok = toInt(args[1]); !ok {
				return nil, nil
			}
		}
		re, err := st.regex(p, pat)
		if err != nil {
			return nil, err
		}
		return st.split(s, re, limit)
	case "compareTo":
		if o, ok := argString(args, 0); ok && len(args) == 1 {
			return javaCompare(s, o), nil
		}
	case "hashCode":
		var h int32
		for _, c := range u16(s) {
			h = 31*h + int32(c)
		}
		return int(h), nil
	}
	return nil, nil
}

func firstArg(args []any) any {
	if len(args) == 0 {
		return nil
	}
	return args[0]
}

func javaCompare(a, b string) int {
	x, y := u16(a), u16(b)
	for i := 0; i < len(x) && i < len(y); i++ {
		if x[i] != y[i] {
			return int(x[i]) - int(y[i])
		}
	}
	return len(x) - len(y)
}

func stringIndexOf(s string, last bool, args []any) any {
	if len(args) < 1 || len(args) > 2 {
		return nil
	}
	var needle string
	switch a := args[0].(type) {
	case string:
		needle = a
	case int: // indexOf(int ch)
		needle = string(rune(a))
	default:
		return nil
	}
	from := -1
	if len(args) == 2 {
		f, ok := toInt(args[1])
		if !ok {
			return nil
		}
		from = f
	}
	if isASCII(s) && isASCII(needle) {
		if last {
			if from >= 0 {
				if from+len(needle) < len(s) {
					s = s[:from+len(needle)]
				}
			}
			return strings.LastIndex(s, needle)
		}
		if from > len(s) {
			return -1
		}
		if from < 0 {
			from = 0
		}
		i := strings.Index(s[from:], needle)
		if i < 0 {
			return -1
		}
		return i + from
	}
	h, n := u16(s), u16(needle)
	if last {
		if from < 0 {
			from = len(h)
		}
		return u16lastIndex(h, n, from)
	}
	return u16index(h, n, from)
}

// newString charges for the bytes a new string occupies: strings are the
// only values that can grow geometrically per step.
func (st *state) newString(s string) (any, error) {
	if len(s) > st.lim.MaxString {
		return nil, st.limit("string size limit (%d bytes) exceeded", st.lim.MaxString)
	}
	if err := st.step(len(s) / 16); err != nil {
		return nil, err
	}
	return s, nil
}

// ---- regular expressions ----

// compileJavaRegex compiles a java.util.regex pattern with Go's RE2, which
// shares the syntax templates use; Java-only constructs (look-around,
// back-references, possessive quantifiers) are reported as errors.
func compileJavaRegex(pat string) (*regexp.Regexp, error) {
	return regexp.Compile(pat)
}

var (
	regexCache     sync.Map // string -> *regexp.Regexp
	regexCacheSize atomic.Int32
	anchoredCache  sync.Map // *regexp.Regexp -> *regexp.Regexp
)

const maxRegexCache = 512

func (st *state) regex(p *refPart, pat string) (*regexp.Regexp, error) {
	if p.re != nil {
		return p.re, nil
	}
	if re, ok := regexCache.Load(pat); ok {
		return re.(*regexp.Regexp), nil
	}
	if err := st.step(len(pat)); err != nil {
		return nil, err
	}
	re, err := compileJavaRegex(pat)
	if err != nil {
		return nil, st.errAt(p.pos, nil, "PatternSyntaxException: %v", err)
	}
	if regexCacheSize.Load() < maxRegexCache {
		if _, loaded := regexCache.LoadOrStore(pat, re); !loaded {
			regexCacheSize.Add(1)
		}
	}
	return re, nil
}

// anchored returns re wrapped to match the whole input (String.matches).
func anchored(re *regexp.Regexp) *regexp.Regexp {
	if a, ok := anchoredCache.Load(re); ok {
		return a.(*regexp.Regexp)
	}
	a := regexp.MustCompile(`\A(?:` + re.String() + `)\z`)
	if regexCacheSize.Load() < maxRegexCache*2 {
		regexCacheSize.Add(1)
		anchoredCache.Store(re, a)
	}
	return a
}

func (st *state) replaceRegex(s string, re *regexp.Regexp, repl string, first bool, pos int) (any, error) {
	n := -1
	if first {
		n = 1
	}
	// Regex matching costs far more per byte than other string work.
	if err := st.step(len(s)); err != nil {
		return nil, err
	}
	matches := re.FindAllStringSubmatchIndex(s, n)
	if err := st.step(len(matches)); err != nil {
		return nil, err
	}
	if len(matches) == 0 {
		return s, nil
	}
	var b []byte
	last := 0
	for _, m := range matches {
		b = append(b, s[last:m[0]]...)
		var err error
		if b, err = javaExpand(b, repl, s, m, re); err != nil {
			return nil, st.errAt(pos, nil, "%v", err)
		}
		if len(b) > st.lim.MaxString {
			return nil, st.limit("string size limit (%d bytes) exceeded", st.lim.MaxString)
		}
		last = m[1]
	}
	b = append(b, s[last:]...)
	return st.newString(string(b))
}

type replError string

func (e replError) Error() string { return string(e) }

// javaExpand appends a Matcher.appendReplacement-style expansion: "$n" and
// "${name}" refer to groups (n takes as many digits as form a valid group
// number), backslash quotes the next character.
func javaExpand(b []byte, repl, src string, m []int, re *regexp.Regexp) ([]byte, error) {
	groups := len(m)/2 - 1
	for i := 0; i < len(repl); {
		c := repl[i]
		switch c {
		case '\\':
			i++
			if i >= len(repl) {
				return b, replError("IllegalArgumentException: character to be escaped is missing")
			}
			b = append(b, repl[i])
			i++
		case '$':
			i++
			if i >= len(repl) {
				return b, replError("IllegalArgumentException: Illegal group reference: group index is missing")
			}
			g := -1
			if repl[i] == '{' {
				e := strings.IndexByte(repl[i:], '}')
				if e < 0 {
					return b, replError("IllegalArgumentException: named capturing group is missing trailing '}'")
				}
				name := repl[i+1 : i+e]
				g = re.SubexpIndex(name)
				if g < 0 {
					return b, replError("IllegalArgumentException: No group with name {" + name + "}")
				}
				i += e + 1
			} else {
				if repl[i] < '0' || repl[i] > '9' {
					return b, replError("IllegalArgumentException: Illegal group reference")
				}
				g = int(repl[i] - '0')
				i++
				for i < len(repl) && repl[i] >= '0' && repl[i] <= '9' {
					ng := g*10 + int(repl[i]-'0')
					if ng > groups {
						break
					}
					g = ng
					i++
				}
				if g > groups {
					return b, replError("IndexOutOfBoundsException: No group " + strconv.Itoa(g))
				}
			}
			if m[2*g] >= 0 {
				b = append(b, src[m[2*g]:m[2*g+1]]...)
			}
		default:
			b = append(b, c)
			i++
		}
	}
	return b, nil
}

// split is String.split: a zero-width match at the start yields no leading
// empty string, and with limit 0 trailing empty strings are dropped.
func (st *state) split(s string, re *regexp.Regexp, limit int) (any, error) {
	if s == "" {
		return &List{items: []any{""}}, nil
	}
	n := -1
	if limit > 0 {
		n = limit // one more than needed; the tail is kept below
	}
	if err := st.step(len(s)); err != nil {
		return nil, err
	}
	matches := re.FindAllStringIndex(s, n)
	if err := st.step(len(matches)); err != nil {
		return nil, err
	}
	var parts []any
	start := 0
	for _, m := range matches {
		if m[1] == 0 {
			continue
		}
		if limit > 0 && len(parts) == limit-1 {
			break
		}
		parts = append(parts, s[start:m[0]])
		start = m[1]
	}
	parts = append(parts, s[start:])
	if limit == 0 {
		for len(parts) > 0 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
	}
	return &List{items: parts}, nil
}

// ---- java.util.Map ----

func (st *state) key(k any) (string, error) {
	if s, ok := k.(string); ok {
		return s, nil
	}
	return st.str(k)
}

func (st *state) mapMethod(m *Map, name string, args []any) (any, error) {
	switch name {
	case "get", "containsKey", "remove", "getOrDefault":
		if len(args) < 1 || len(args) > 2 || (len(args) == 2) != (name == "getOrDefault") {
			return nil, nil
		}
		k, err := st.key(args[0])
		if err != nil {
			return nil, err
		}
		switch name {
		case "get":
			v, _ := m.Get(k)
			return v, nil
		case "getOrDefault":
			if v, ok := m.Get(k); ok {
				return v, nil
			}
			return args[1], nil
		case "containsKey":
			_, ok := m.Get(k)
			return ok, nil
		default:
			return m.Delete(k), nil
		}
	case "put", "putIfAbsent":
		if len(args) != 2 {
			return nil, nil
		}
		k, err := st.key(args[0])
		if err != nil {
			return nil, err
		}
		if name == "putIfAbsent" {
			if v, ok := m.Get(k); ok && v != nil {
				return v, nil
			}
		}
		return m.Set(k, args[1]), nil
	case "putAll":
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
	case "containsValue":
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
	case "keySet", "values", "entrySet":
		if len(args) != 0 {
			return nil, nil
		}
		if err := st.step(len(m.keys) / 8); err != nil {
			return nil, err
		}
		l := &List{items: make([]any, len(m.keys))}
		for i, k := range m.keys {
			switch name {
			case "keySet":
				l.items[i] = k
			case "values":
				l.items[i] = m.vals[i]
			default:
				l.items[i] = &entry{m: m, k: k}
			}
		}
		return l, nil
	case "size":
		return len(m.keys), nil
	case "isEmpty":
		return len(m.keys) == 0, nil
	case "clear":
		m.clear()
		return nil, nil
	case "equals":
		if len(args) == 1 {
			return javaEquals(m, args[0], 0, new(int)), nil
		}
	case "toString":
		return st.str(m)
	}
	return nil, nil
}

// ---- java.util.List ----

func (st *state) listMethod(l *List, name string, args []any) (any, error) {
	switch name {
	case "size":
		return len(l.items), nil
	case "isEmpty":
		return len(l.items) == 0, nil
	case "get":
		if len(args) != 1 {
			return nil, nil
		}
		i, ok := toInt(args[0])
		if !ok {
			return nil, nil
		}
		if i < 0 || i >= len(l.items) {
			return nil, st.errAt(st.pos, nil, "IndexOutOfBoundsException: Index %d out of bounds for length %d", i, len(l.items))
		}
		return l.items[i], nil
	case "set":
		if len(args) != 2 {
			return nil, nil
		}
		i, ok := toInt(args[0])
		if !ok {
			return nil, nil
		}
		if i < 0 || i >= len(l.items) {
			return nil, st.errAt(st.pos, nil, "IndexOutOfBoundsException: Index %d out of bounds for length %d", i, len(l.items))
		}
		old := l.items[i]
		l.items[i] = args[1]
		return old, nil
	case "add":
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
			return nil, nil
		}
	case "addAll":
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
	case "remove":
		if len(args) != 1 {
			return nil, nil
		}
		if err := st.step(len(l.items) / 64); err != nil {
			return nil, err
		}
		if i, ok := args[0].(int); ok {
			if i < 0 || i >= len(l.items) {
				return nil, st.errAt(st.pos, nil, "IndexOutOfBoundsException: Index %d out of bounds for length %d", i, len(l.items))
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
	case "contains", "indexOf", "lastIndexOf":
		if len(args) != 1 {
			return nil, nil
		}
		if err := st.step(len(l.items) / 8); err != nil {
			return nil, err
		}
		idx := -1
		if name == "lastIndexOf" {
			for i := len(l.items) - 1; i >= 0; i-- {
				if javaEquals(l.items[i], args[0], 0, new(int)) {
					idx = i
					break
				}
			}
		} else {
			for i, v := range l.items {
				if javaEquals(v, args[0], 0, new(int)) {
					idx = i
					break
				}
			}
		}
		if name == "contains" {
			return idx >= 0, nil
		}
		return idx, nil
	case "subList":
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
	case "clear":
		l.items = nil
		return nil, nil
	case "equals":
		if len(args) == 1 {
			return javaEquals(l, args[0], 0, new(int)), nil
		}
	case "toString":
		return st.str(l)
	}
	return nil, nil
}
