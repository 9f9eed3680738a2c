package vtl

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// inputObj is $input; its state (the request, the parsed body) lives in the
// render state so one Template can serve concurrent requests.
type inputObj struct{}

// utilObj is $util.
type utilObj struct{}

func (st *state) body() (any, error) {
	if !st.bodyDone {
		st.bodyDone = true
		b := strings.TrimSpace(st.req.Body)
		if b == "" {
			// API Gateway treats a missing body as an empty object.
			st.bodyVal = NewMap()
		} else {
			if err := st.step(len(b) / 16); err != nil {
				return nil, err
			}
			st.bodyVal, st.bodyErr = parseJSON(b, st.lim.MaxJSONDepth)
			if st.bodyErr != nil {
				st.bodyErr = st.errAt(st.pos, nil, "invalid JSON in request body: %v", st.bodyErr)
			}
		}
	}
	return st.bodyVal, st.bodyErr
}

func (st *state) paramsMap() *Map {
	if st.params == nil {
		m := NewMap()
		m.Set("path", stringMap(st.req.Path))
		m.Set("querystring", stringMap(st.req.Query))
		m.Set("header", stringMap(st.req.Header))
		st.params = m
	}
	return st.params
}

func (st *state) inputMethod(name string, args []any) (any, error) {
	switch name {
	case "getBody":
		return st.req.Body, nil
	case "params":
		if len(args) == 0 {
			return st.paramsMap(), nil
		}
		if len(args) != 1 {
			return nil, nil
		}
		k, err := st.str(args[0])
		if err != nil {
			return nil, err
		}
		// Path, then query string, then header, as AWS documents.
		if v, ok := st.req.Path[k]; ok {
			return v, nil
		}
		if v, ok := st.req.Query[k]; ok {
			return v, nil
		}
		if v, ok := st.req.Header[k]; ok {
			return v, nil
		}
		for hk, v := range st.req.Header {
			if strings.EqualFold(hk, k) {
				return v, nil
			}
		}
		return "", nil
	case "json", "path":
		path := "$"
		if len(args) == 1 {
			s, err := st.str(args[0])
			if err != nil {
				return nil, err
			}
			path = s
		} else if len(args) > 1 {
			return nil, nil
		}
		doc, err := st.body()
		if err != nil {
			return nil, err
		}
		v, found, err := jsonPath(doc, path)
		if err != nil {
			return nil, st.errAt(st.pos, nil, "%v", err)
		}
		if name == "path" {
			return v, nil
		}
		if !found {
			return "", nil
		}
		b, err := appendJSON(nil, v, 0, st.lim.MaxString)
		if err != nil {
			return nil, st.limit("string size limit (%d bytes) exceeded", st.lim.MaxString)
		}
		return st.newString(string(b))
	}
	return nil, nil
}

func (st *state) utilMethod(name string, args []any) (any, error) {
	if len(args) != 1 || args[0] == nil {
		return nil, nil
	}
	s, err := st.str(args[0])
	if err != nil {
		return nil, err
	}
	if err := st.step(len(s) / 64); err != nil {
		return nil, err
	}
	switch name {
	case "escapeJavaScript":
		return st.newString(escapeJavaScript(s))
	case "parseJson":
		v, err := parseJSON(s, st.lim.MaxJSONDepth)
		if err != nil {
			return nil, st.errAt(st.pos, nil, "$util.parseJson: %v", err)
		}
		if err := st.step(len(s) / 16); err != nil {
			return nil, err
		}
		return v, nil
	case "urlEncode":
		return st.newString(urlEncode(s))
	case "urlDecode":
		d, err := urlDecode(s)
		if err != nil {
			return nil, st.errAt(st.pos, nil, "$util.urlDecode: %v", err)
		}
		return st.newString(d)
	case "base64Encode":
		return st.newString(base64.StdEncoding.EncodeToString([]byte(s)))
	case "base64Decode":
		d, err := base64Decode(s)
		if err != nil {
			return nil, st.errAt(st.pos, nil, "$util.base64Decode: %v", err)
		}
		return st.newString(d)
	}
	return nil, nil
}

const hexUpper = "0123456789ABCDEF"

// escapeJavaScript is commons-lang StringEscapeUtils.escapeJavaScript, which
// AWS uses: it escapes ' as \' (not valid JSON, a documented AWS quirk), / as
// \/, and every non-ASCII UTF-16 unit as \uXXXX.
func escapeJavaScript(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	u := func(c uint16) {
		b.WriteString(`\u`)
		b.WriteByte(hexUpper[c>>12&15])
		b.WriteByte(hexUpper[c>>8&15])
		b.WriteByte(hexUpper[c>>4&15])
		b.WriteByte(hexUpper[c&15])
	}
	for _, r := range s {
		switch {
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			u(uint16(r1))
			u(uint16(r2))
		case r > 0x7f:
			u(uint16(r))
		case r < 32:
			switch r {
			case '\b':
				b.WriteString(`\b`)
			case '\n':
				b.WriteString(`\n`)
			case '\t':
				b.WriteString(`\t`)
			case '\f':
				b.WriteString(`\f`)
			case '\r':
				b.WriteString(`\r`)
			default:
				u(uint16(r))
			}
		case r == '\'':
			b.WriteString(`\'`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '/':
			b.WriteString(`\/`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// urlEncode is java.net.URLEncoder.encode(s, "UTF-8"): form encoding, where
// space becomes '+' and only [A-Za-z0-9.*_-] stay as they are.
func urlEncode(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '.', c == '-', c == '*', c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hexUpper[c>>4])
			b.WriteByte(hexUpper[c&15])
		}
	}
	return b.String()
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// urlDecode is java.net.URLDecoder.decode(s, "UTF-8").
func urlDecode(s string) (string, error) {
	if !strings.ContainsAny(s, "+%") {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			b = append(b, ' ')
		case '%':
			if i+2 >= len(s) {
				return "", errors.New("incomplete trailing escape (%) pattern")
			}
			h, ok1 := unhex(s[i+1])
			l, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return "", fmt.Errorf("illegal hex characters in escape (%%) pattern %q", s[i:i+3])
			}
			b = append(b, h<<4|l)
			i += 2
		default:
			b = append(b, c)
		}
	}
	if !utf8.Valid(b) {
		return strings.ToValidUTF8(string(b), "\uFFFD"), nil
	}
	return string(b), nil
}

// base64Decode accepts standard or URL-safe alphabets, with or without
// padding, ignoring whitespace, like the lenient decoders AWS uses.
func base64Decode(s string) (string, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, s)
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		b, err := base64.RawURLEncoding.DecodeString(s)
		return string(b), err
	}
	b, err := base64.RawStdEncoding.DecodeString(s)
	return string(b), err
}

// ---- JSON ----

// ParseJSON decodes a JSON document into the engine's value model, keeping
// object key order (*Map), arrays as *List, integers as int and other numbers
// as float64, as AWS's $util.parseJson does.
func ParseJSON(s string) (any, error) {
	return parseJSON(s, DefaultLimits.withDefaults().MaxJSONDepth)
}

type jsonParser struct {
	s        string
	i        int
	maxDepth int
}

func parseJSON(s string, maxDepth int) (any, error) {
	p := &jsonParser{s: s, maxDepth: maxDepth}
	p.ws()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("unexpected %q after JSON value at offset %d", p.s[p.i], p.i)
	}
	return v, nil
}

func (p *jsonParser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) errf(format string, args ...any) error {
	return fmt.Errorf("offset %d: "+format, append([]any{p.i}, args...)...)
}

func (p *jsonParser) value(depth int) (any, error) {
	if depth > p.maxDepth {
		return nil, p.errf("JSON nested deeper than %d", p.maxDepth)
	}
	if p.i >= len(p.s) {
		return nil, p.errf("unexpected end of JSON")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		p.i++
		m := NewMap()
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return m, nil
		}
		for {
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] != '"' {
				return nil, p.errf("expected object key")
			}
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				return nil, p.errf("expected ':'")
			}
			p.i++
			p.ws()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			m.Set(k, v)
			p.ws()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.s) && p.s[p.i] == '}' {
				p.i++
				return m, nil
			}
			return nil, p.errf("expected ',' or '}'")
		}
	case c == '[':
		p.i++
		l := &List{}
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return l, nil
		}
		for {
			p.ws()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			l.items = append(l.items, v)
			p.ws()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.s) && p.s[p.i] == ']' {
				p.i++
				return l, nil
			}
			return nil, p.errf("expected ',' or ']'")
		}
	case c == '"':
		return p.str()
	case c == 't' && strings.HasPrefix(p.s[p.i:], "true"):
		p.i += 4
		return true, nil
	case c == 'f' && strings.HasPrefix(p.s[p.i:], "false"):
		p.i += 5
		return false, nil
	case c == 'n' && strings.HasPrefix(p.s[p.i:], "null"):
		p.i += 4
		return nil, nil
	case c == '-' || c >= '0' && c <= '9':
		start := p.i
		if c == '-' {
			p.i++
		}
		digits := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if p.i == digits {
			return nil, p.errf("bad number")
		}
		isFloat := false
		if p.i < len(p.s) && p.s[p.i] == '.' {
			isFloat = true
			p.i++
			d := p.i
			for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
				p.i++
			}
			if p.i == d {
				return nil, p.errf("bad number")
			}
		}
		if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
			isFloat = true
			p.i++
			if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
				p.i++
			}
			d := p.i
			for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
				p.i++
			}
			if p.i == d {
				return nil, p.errf("bad number")
			}
		}
		text := p.s[start:p.i]
		if !isFloat {
			if n, err := strconv.ParseInt(text, 10, 64); err == nil {
				return int(n), nil
			}
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, p.errf("bad number %q", text)
		}
		return f, nil
	}
	return nil, p.errf("unexpected %q", p.s[p.i])
}

func (p *jsonParser) str() (string, error) {
	p.i++ // opening quote
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '"' {
			s := p.s[start:p.i]
			p.i++
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", p.errf("control character in string")
		}
		p.i++
	}
	b := []byte(p.s[start:p.i])
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(b), nil
		case c < 0x20:
			return "", p.errf("control character in string")
		case c == '\\':
			p.i++
			if p.i >= len(p.s) {
				return "", p.errf("unterminated string")
			}
			e := p.s[p.i]
			p.i++
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", p.errf("bad \\u escape")
				}
				if utf16.IsSurrogate(r) {
					if strings.HasPrefix(p.s[p.i:], `\u`) {
						p.i += 2
						r2, ok := p.hex4()
						if !ok {
							return "", p.errf("bad \\u escape")
						}
						r = utf16.DecodeRune(r, r2)
					} else {
						r = utf8.RuneError
					}
				}
				b = utf8.AppendRune(b, r)
			default:
				return "", p.errf("bad escape \\%c", e)
			}
		default:
			b = append(b, c)
			p.i++
		}
	}
	return "", p.errf("unterminated string")
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(p.s[p.i : p.i+4]) {
		h, ok := unhex(c)
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(h)
	}
	p.i += 4
	return r, true
}

var errTooBig = errors.New("too big")

// appendJSON writes compact JSON in document order, as $input.json does.
func appendJSON(b []byte, v any, depth, max int) ([]byte, error) {
	if len(b) > max {
		return b, errTooBig
	}
	if depth > 1000 {
		return append(b, "null"...), nil
	}
	var err error
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(b, "null"...), nil
		}
		return append(b, formatFloat(x)...), nil
	case string:
		return appendJSONString(b, x), nil
	case *List:
		b = append(b, '[')
		for i, e := range x.items {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendJSON(b, e, depth+1, max); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case *Map:
		b = append(b, '{')
		for i, k := range x.keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			if b, err = appendJSON(b, x.vals[i], depth+1, max); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	}
	return appendJSONString(b, javaString(v)), nil
}

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			b = append(b, `\"`...)
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\r':
			b = append(b, `\r`...)
		case c == '\t':
			b = append(b, `\t`...)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, hexUpper[c>>4], hexUpper[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// ---- JSONPath (the subset mapping templates use) ----

// jsonPath evaluates $, $.a.b, $['a'], $.a[0], $.a[-1], $.* / [*] and $..a.
// Paths with a wildcard or deep scan return a list of matches.
func jsonPath(doc any, path string) (any, bool, error) {
	path = strings.TrimSpace(path)
	if path == "" || path[0] != '$' {
		return nil, false, fmt.Errorf("invalid JSONPath %q: must start with $", path)
	}
	cur := []any{doc}
	multi := false
	i := 1
	for i < len(path) {
		switch path[i] {
		case '.':
			i++
			deep := false
			if i < len(path) && path[i] == '.' {
				deep = true
				multi = true
				i++
			}
			if i < len(path) && path[i] == '[' {
				if deep {
					cur = descendants(cur)
				}
				continue
			}
			j := i
			for j < len(path) && path[j] != '.' && path[j] != '[' {
				j++
			}
			name := path[i:j]
			i = j
			if name == "" {
				return nil, false, fmt.Errorf("invalid JSONPath %q", path)
			}
			if deep {
				cur = descendants(cur)
			}
			if name == "*" {
				multi = true
				cur = children(cur)
			} else {
				cur = field(cur, name)
			}
		case '[':
			e := strings.IndexByte(path[i:], ']')
			if e < 0 {
				return nil, false, fmt.Errorf("invalid JSONPath %q: missing ]", path)
			}
			sel := strings.TrimSpace(path[i+1 : i+e])
			// a quoted key may contain ']'
			if len(sel) > 0 && (sel[0] == '\'' || sel[0] == '"') {
				q := sel[0]
				end := strings.IndexByte(path[i+2:], q)
				if end < 0 {
					return nil, false, fmt.Errorf("invalid JSONPath %q: unterminated quote", path)
				}
				name := path[i+2 : i+2+end]
				rest := i + 2 + end + 1
				for rest < len(path) && path[rest] == ' ' {
					rest++
				}
				if rest >= len(path) || path[rest] != ']' {
					return nil, false, fmt.Errorf("invalid JSONPath %q", path)
				}
				cur = field(cur, name)
				i = rest + 1
				continue
			}
			i += e + 1
			if sel == "*" {
				multi = true
				cur = children(cur)
				continue
			}
			n, err := strconv.Atoi(sel)
			if err != nil {
				return nil, false, fmt.Errorf("invalid JSONPath %q: unsupported selector [%s]", path, sel)
			}
			var next []any
			for _, c := range cur {
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
			cur = next
		default:
			return nil, false, fmt.Errorf("invalid JSONPath %q at offset %d", path, i)
		}
	}
	if multi {
		return &List{items: cur}, true, nil
	}
	if len(cur) == 0 {
		return nil, false, nil
	}
	return cur[0], true, nil
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
