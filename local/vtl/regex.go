package vtl

import (
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

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
	a, err := regexp.Compile(`\A(?:` + re.String() + `)\z`)
	if err != nil {
		// The pattern ends inside \Q…, which swallowed the closing
		// parenthesis: wrap its canonical form instead.
		t, err := syntax.Parse(re.String(), syntax.Perl)
		if err != nil {
			return nil
		}
		if a, err = regexp.Compile(`\A(?:` + t.String() + `)\z`); err != nil {
			return nil
		}
	}
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
