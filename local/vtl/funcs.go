package vtl

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The API Gateway builtins: $input and $util. Their methods are tables like
// the Java types' (methods.go).

// inputObj is $input; its state (the request, the parsed body) lives in the
// render state so one Template can serve concurrent requests.
type inputObj struct{}

// utilObj is $util.
type utilObj struct{}

var inputMethods = map[string]inputMethod{
	"getBody": func(st *state, _ []any) (any, error) { return st.req.Body, nil },
	"params":  inputParams,
	"json":    func(st *state, args []any) (any, error) { return st.inputPath(args, true) },
	"path":    func(st *state, args []any) (any, error) { return st.inputPath(args, false) },
}

// utilMethods take one string argument (callUtil converts it).
var utilMethods = map[string]utilMethod{
	"escapeJavaScript": func(st *state, s string) (any, error) { return st.newString(escapeJavaScript(s)) },
	"parseJson":        utilParseJSON,
	"urlEncode":        func(st *state, s string) (any, error) { return st.newString(urlEncode(s)) },
	"urlDecode": func(st *state, s string) (any, error) {
		d, err := urlDecode(s)
		if err != nil {
			return nil, st.errAt(st.pos, nil, "$util.urlDecode: %v", err)
		}
		return st.newString(d)
	},
	"base64Encode": func(st *state, s string) (any, error) {
		return st.newString(base64.StdEncoding.EncodeToString([]byte(s)))
	},
	"base64Decode": func(st *state, s string) (any, error) {
		d, err := base64Decode(s)
		if err != nil {
			return nil, st.errAt(st.pos, nil, "$util.base64Decode: %v", err)
		}
		return st.newString(d)
	},
}

// body is $input's parsed request body, parsed once per render.
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
			st.bodyVal, st.bodyErr = parseBody(b, st.lim.MaxJSONDepth)
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
		header := st.req.Header
		for k := range header {
			if HiddenHeader(k) {
				header = visibleHeaders(header)
				break
			}
		}
		m.Set("header", stringMap(header))
		st.params = m
	}
	return st.params
}

// hiddenHeaders are the request headers API Gateway keeps from mapping
// templates: $input.params('Connection') renders "" on AWS even when the
// client sent one (recorded: integrations/header_remapping/full, which sends
// every one of these and gets "" for each, while Accept, Age, Authorization,
// Pragma, Range, Via, Warn and the rest come through). Keys are lower case.
var hiddenHeaders = map[string]bool{
	"connection": true, "content-md5": true, "expect": true, "max-forwards": true,
	"proxy-authenticate": true, "server": true, "te": true, "trailer": true,
	"transfer-encoding": true, "upgrade": true, "www-authenticate": true,
}

// HiddenHeader reports whether API Gateway hides the request header name
// (any case) from mapping templates. Render already leaves these headers out
// of $input.params; a gateway uses this to drop them before the template.
func HiddenHeader(name string) bool {
	if len(name) > len("proxy-authenticate") {
		return false
	}
	return hiddenHeaders[strings.ToLower(name)]
}

// visibleHeaders copies h without the headers HiddenHeader names.
func visibleHeaders(h map[string]string) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		if !HiddenHeader(k) {
			out[k] = v
		}
	}
	return out
}

// inputParams is $input.params(): all parameters, or the named one from the
// path, then the query string, then the headers, as AWS documents.
func inputParams(st *state, args []any) (any, error) {
	switch len(args) {
	case 0:
		return st.paramsMap(), nil
	case 1:
	default:
		return nil, nil
	}
	k, err := st.str(args[0])
	if err != nil {
		return nil, err
	}
	if v, ok := st.req.Path[k]; ok {
		return v, nil
	}
	if v, ok := st.req.Query[k]; ok {
		return v, nil
	}
	if HiddenHeader(k) {
		return "", nil
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
}

// inputPath is $input.path (the value at a JSONPath in the body) and, asJSON,
// $input.json (that value as JSON text).
func (st *state) inputPath(args []any, asJSON bool) (any, error) {
	path := "$"
	switch len(args) {
	case 0:
	case 1:
		s, err := st.str(args[0])
		if err != nil {
			return nil, err
		}
		path = s
	default:
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
	if !asJSON {
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

// callUtil calls a $util method: every one takes one non-null argument, as a string.
func (st *state) callUtil(f utilMethod, args []any) (any, error) {
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
	if f == nil {
		return nil, nil
	}
	return f(st, s)
}

func utilParseJSON(st *state, s string) (any, error) {
	v, err := parseJSON(s, st.lim.MaxJSONDepth)
	if err != nil {
		return nil, st.errAt(st.pos, nil, "$util.parseJson: %v", err)
	}
	if err := st.step(len(s) / 16); err != nil {
		return nil, err
	}
	return v, nil
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
