package vtl

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// stringMethods are java.lang.String's. Java indexes strings in UTF-16 code
// units; ASCII strings take a fast path.
var stringMethods = map[string]stringMethod{
	"length":           func(_ *state, s string, _ *refPart, _ []any) (any, error) { return u16len(s), nil },
	"isEmpty":          func(_ *state, s string, _ *refPart, _ []any) (any, error) { return s == "", nil },
	"toString":         strIdentity,
	"intern":           strIdentity,
	"trim":             strTrim,
	"toLowerCase":      strLower,
	"toUpperCase":      strUpper,
	"equals":           strEquals,
	"equalsIgnoreCase": strEqualsIgnoreCase,
	"contains":         strContains,
	"startsWith":       strStartsWith,
	"endsWith":         strEndsWith,
	"concat":           strConcat,
	"indexOf":          strIndexOf,
	"lastIndexOf":      strIndexOf,
	"charAt":           strCharAt,
	"substring":        strSubstring,
	"replace":          strReplace,
	"replaceAll":       strReplaceRegex,
	"replaceFirst":     strReplaceRegex,
	"matches":          strMatches,
	"split":            strSplit,
	"compareTo":        strCompareTo,
	"hashCode":         strHashCode,
}

func strIdentity(_ *state, s string, _ *refPart, args []any) (any, error) {
	if len(args) != 0 {
		return nil, nil
	}
	return s, nil
}

func strTrim(_ *state, s string, _ *refPart, args []any) (any, error) {
	if len(args) != 0 {
		return nil, nil
	}
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' }), nil
}

func strLower(st *state, s string, _ *refPart, args []any) (any, error) {
	if len(args) != 0 {
		return nil, nil
	}
	return st.newString(strings.ToLower(s))
}

func strUpper(st *state, s string, _ *refPart, args []any) (any, error) {
	if len(args) != 0 {
		return nil, nil
	}
	return st.newString(strings.ToUpper(s))
}

func strEquals(_ *state, s string, _ *refPart, args []any) (any, error) {
	if len(args) != 1 {
		return nil, nil
	}
	o, ok := args[0].(string)
	return ok && o == s, nil
}

func strEqualsIgnoreCase(_ *state, s string, _ *refPart, args []any) (any, error) {
	if len(args) != 1 {
		return nil, nil
	}
	o, ok := args[0].(string)
	return ok && strings.EqualFold(o, s), nil
}

func strContains(_ *state, s string, _ *refPart, args []any) (any, error) {
	if o, ok := argString(args, 0); ok && len(args) == 1 {
		return strings.Contains(s, o), nil
	}
	return nil, nil
}

func strStartsWith(_ *state, s string, _ *refPart, args []any) (any, error) {
	o, ok := argString(args, 0)
	switch {
	case !ok:
		return nil, nil
	case len(args) == 1:
		return strings.HasPrefix(s, o), nil
	}
	off, ok := toInt(args[1])
	if !ok || len(args) != 2 {
		return nil, nil
	}
	if !isASCII(s) || !isASCII(o) {
		h, n := u16(s), u16(o)
		return off >= 0 && off <= len(h) && u16index(h[off:], n, 0) == 0, nil
	}
	return off >= 0 && off <= len(s) && strings.HasPrefix(s[off:], o), nil
}

func strEndsWith(_ *state, s string, _ *refPart, args []any) (any, error) {
	if o, ok := argString(args, 0); ok && len(args) == 1 {
		return strings.HasSuffix(s, o), nil
	}
	return nil, nil
}

func strConcat(st *state, s string, _ *refPart, args []any) (any, error) {
	o, ok := argString(args, 0)
	if !ok || len(args) != 1 {
		return nil, nil
	}
	if len(s)+len(o) > st.lim.MaxString {
		return nil, st.limit("string size limit (%d bytes) exceeded", st.lim.MaxString)
	}
	return st.newString(s + o)
}

func strCharAt(st *state, s string, p *refPart, args []any) (any, error) {
	i, ok := toInt(firstArg(args))
	if !ok || len(args) != 1 {
		return nil, nil
	}
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

func strSubstring(st *state, s string, p *refPart, args []any) (any, error) {
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
}

func strReplace(st *state, s string, _ *refPart, args []any) (any, error) {
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
}

func strReplaceRegex(st *state, s string, p *refPart, args []any) (any, error) {
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
}

func strMatches(st *state, s string, p *refPart, args []any) (any, error) {
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
	if a := anchored(re); a != nil {
		return a.FindStringIndex(s) != nil, nil
	}
	loc := re.FindStringIndex(s)
	return loc != nil && loc[0] == 0 && loc[1] == len(s), nil
}

func strSplit(st *state, s string, p *refPart, args []any) (any, error) {
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
}

func strCompareTo(_ *state, s string, _ *refPart, args []any) (any, error) {
	if o, ok := argString(args, 0); ok && len(args) == 1 {
		return javaCompare(s, o), nil
	}
	return nil, nil
}

func strHashCode(_ *state, s string, _ *refPart, _ []any) (any, error) {
	var h int32
	for _, c := range u16(s) {
		h = 31*h + int32(c)
	}
	return int(h), nil
}

func strIndexOf(_ *state, s string, p *refPart, args []any) (any, error) {
	return stringIndexOf(s, p.name == "lastIndexOf", args), nil
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
		return asciiIndexOf(s, needle, last, from)
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

func asciiIndexOf(s, needle string, last bool, from int) int {
	if last {
		if from >= 0 && from+len(needle) < len(s) {
			s = s[:from+len(needle)]
		}
		return strings.LastIndex(s, needle)
	}
	if from > len(s) {
		return -1
	}
	from = max(from, 0)
	i := strings.Index(s[from:], needle)
	if i < 0 {
		return -1
	}
	return i + from
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

func argString(args []any, i int) (string, bool) {
	if i >= len(args) {
		return "", false
	}
	s, ok := args[i].(string)
	return s, ok
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

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

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
