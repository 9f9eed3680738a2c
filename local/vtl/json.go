package vtl

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ParseJSON decodes a JSON document into the engine's value model, keeping
// object key order (*Map), arrays as *List, integers as int and other numbers
// as float64, as AWS's $util.parseJson does.
func ParseJSON(s string) (any, error) {
	return parseJSON(s, DefaultLimits.withDefaults().MaxJSONDepth)
}

type jsonParser struct {
	s          string
	i          int
	maxDepth   int
	jsonArrays bool // mark arrays as JSON arrays (List.jsonArray)
}

func parseJSON(s string, maxDepth int) (any, error) {
	return (&jsonParser{s: s, maxDepth: maxDepth}).parse()
}

// parseBody parses the request body that $input.path reads: its arrays are
// JSON arrays (List.jsonArray), unlike $util.parseJson's.
func parseBody(s string, maxDepth int) (any, error) {
	return (&jsonParser{s: s, maxDepth: maxDepth, jsonArrays: true}).parse()
}

func (p *jsonParser) parse() (any, error) {
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

// peek reports whether the next byte is c, consuming it if so.
func (p *jsonParser) peek(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
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
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		return p.str()
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	for _, lit := range [...]struct {
		text string
		v    any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if strings.HasPrefix(p.s[p.i:], lit.text) {
			p.i += len(lit.text)
			return lit.v, nil
		}
	}
	return nil, p.errf("unexpected %q", p.s[p.i])
}

func (p *jsonParser) object(depth int) (any, error) {
	p.i++
	m := NewMap()
	p.ws()
	if p.peek('}') {
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
		if !p.peek(':') {
			return nil, p.errf("expected ':'")
		}
		p.ws()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		m.Set(k, v)
		p.ws()
		if p.peek(',') {
			continue
		}
		if p.peek('}') {
			return m, nil
		}
		return nil, p.errf("expected ',' or '}'")
	}
}

func (p *jsonParser) array(depth int) (any, error) {
	p.i++
	l := &List{jsonArray: p.jsonArrays}
	p.ws()
	if p.peek(']') {
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
		if p.peek(',') {
			continue
		}
		if p.peek(']') {
			return l, nil
		}
		return nil, p.errf("expected ',' or ']'")
	}
}

// digits consumes a run of digits and reports whether there was one.
func (p *jsonParser) digits() bool {
	d := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	return p.i > d
}

func (p *jsonParser) number() (any, error) {
	start := p.i
	p.peek('-')
	if !p.digits() {
		return nil, p.errf("bad number")
	}
	isFloat := false
	if p.peek('.') {
		isFloat = true
		if !p.digits() {
			return nil, p.errf("bad number")
		}
	}
	if p.peek('e') || p.peek('E') {
		isFloat = true
		if !p.peek('+') {
			p.peek('-')
		}
		if !p.digits() {
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
			var err error
			if b, err = p.escape(b); err != nil {
				return "", err
			}
		default:
			b = append(b, c)
			p.i++
		}
	}
	return "", p.errf("unterminated string")
}

var jsonEscapes = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// escape appends the character the escape sequence at p.i (a backslash) stands for.
func (p *jsonParser) escape(b []byte) ([]byte, error) {
	p.i++
	if p.i >= len(p.s) {
		return b, p.errf("unterminated string")
	}
	e := p.s[p.i]
	p.i++
	if c := jsonEscapes[e]; c != 0 {
		return append(b, c), nil
	}
	if e != 'u' {
		return b, p.errf("bad escape \\%c", e)
	}
	r, ok := p.hex4()
	if !ok {
		return b, p.errf("bad \\u escape")
	}
	if utf16.IsSurrogate(r) {
		if !strings.HasPrefix(p.s[p.i:], `\u`) {
			return utf8.AppendRune(b, utf8.RuneError), nil
		}
		p.i += 2
		r2, ok := p.hex4()
		if !ok {
			return b, p.errf("bad \\u escape")
		}
		r = utf16.DecodeRune(r, r2)
	}
	return utf8.AppendRune(b, r), nil
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

// jsonDepthLimit is the nesting appendJSON writes before it prints null
// (only a collection that contains itself gets there).
const jsonDepthLimit = 1000

// appendJSON writes compact JSON in document order, as $input.json does.
func appendJSON(b []byte, v any, depth, max int) ([]byte, error) {
	if len(b) > max {
		return b, errTooBig
	}
	if depth > jsonDepthLimit {
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
