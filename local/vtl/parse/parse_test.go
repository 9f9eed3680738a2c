package parse

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// Parse then print: the printed form is canonical VTL (operators as
// symbols, string literals single-quoted, comments dropped) that parses back
// to the same tree.
func TestPrint(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"text", "plain", "plain"},
		{"references", "Hello $name! ${a}b $!c $!{d}", "Hello $name! ${a}b $!c $!{d}"},
		{"chain", "$a.b.c( 1,'x' )[0][$i].d", "$a.b.c(1, 'x')[0][$i].d"},
		{"hyphen", "$a-b.c-d", "$a-b.c-d"},
		{"set", "#set( $a = 1 )", "#set($a = 1)"},
		{"precedence", "#set($a = 1 + 2 * 3 - 4 / 5 % 6)", "#set($a = 1 + 2 * 3 - 4 / 5 % 6)"},
		{"parentheses kept where needed", "#set($a = (1 + 2) * 3 - (4 - 5))", "#set($a = (1 + 2) * 3 - (4 - 5))"},
		{"parentheses dropped", "#set($a = ((1 * 2)) + (3))", "#set($a = 1 * 2 + 3)"},
		{"word operators", "#if($a and not $b or $c eq 1 && $d ne 2 and $e lt 1 and $f ge 2)x#end",
			"#if($a && !$b || $c == 1 && $d != 2 && $e < 1 && $f >= 2)x#end"},
		{"negation", "#set($x = -1)#set($y = -$x)#set($z = -(1))#set($w = - -1)", "#set($x = -1)#set($y = -$x)#set($z = -(1))#set($w = --1)"},
		{"not of comparison", "#if(!($a == $b))x#end", "#if(!($a == $b))x#end"},
		{"if", "#if($a)\nx\n#elseif($b)\ny\n#else\nz\n#end\n", "#if($a)x\n#elseif($b)y\n#else\nz\n#end"},
		{"foreach", "#foreach( $i in [1..3] )$i#end", "#foreach($i in [1..3])$i#end"},
		{"literals", "#set($l = [1, 2.50, 'a''b', \"c\", true, false, null, {'k': [], \"j\": {}}])",
			"#set($l = [1, 2.50, 'a''b', 'c', true, false, null, {'k': [], 'j': {}}])"},
		{"interpolation", `#set($s = "a ${b} ""c"" $d.e(""f"")")`, `#set($s = "a ${b} ""c"" $d.e('f')")`},
		{"interpolation keeps backslashes", `#set($s = "a\"b $c")`, `#set($s = "a\"b $c")`},
		{"define", "#define( $d )x$y#end$d", "#define($d)x$y#end$d"},
		{"macro", "#macro( m $a, $b )[$a$b]#end#m(1 'x')", "#macro(m $a $b)[$a$b]#end#m(1 'x')"},
		{"break and stop", "#foreach($i in $l)#break($foreach)#end#stop", "#foreach($i in $l)#break#end#stop"},
		{"escapes", `\$x \\$x \\\${y}`, `\$x \\$x \\\${y}`},
		{"escaped directive", `\#if \\#set($a = 1)`, `#[[#if \]]##set($a = 1)`},
		{"unparsed and comments", "a#[[$x #if]]#b## c\nd#* e *#f", "a#[[$x #]]#ifbdf"},
		{"unparsed holding its end", "#[[a]]]]##[[#b]]#", "a]]#[[#]]#b"},
		{"brace directives", "#{if}(true)a#{else}b#{end}c", "#if(true)a#else\nb#end\nc"},
		{"text extending a reference", "$a#[[.b]]# $a#[[-b]]# $a#[[[0]]]# ${a}.b $a. b", "$a#[[.]]#b $a#[[-]]#b $a#[[[]]#0] ${a}.b $a. b"},
		{"line break after a directive", "#set($a = 1)#[[\n]]#x", "#set($a = 1)\n\nx"},
		{"letters after #end", "#if(true)#end#[[x]]#", "#if(true)#end\nx"},
		{"parenthesis after #break", "#foreach($i in $l)#break#[[ (]]#)#end", "#foreach($i in $l)#break#[[ ]]#()#end"},
		{"macro call raw", "#foo( 1  2 )#bar", "#foo( 1  2 )#[[#]]#bar"},
		{"not references", "$ 5 ${x $.", "$ 5 #[[$]]#{x $."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tree, err := Parse("t", tc.in, 100)
			if err != nil {
				t.Fatal(err)
			}
			got := tree.String()
			if got != tc.want {
				t.Errorf("Parse(%q).String()\n got %q\nwant %q", tc.in, got, tc.want)
			}
			checkRoundTrip(t, tc.in)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"#if(true)x", "t:1:1: #if without #end"},
		{"a\n  #end", "t:2:3: #end without matching #if/#foreach/#define/#macro"},
		{"#set($x = )", "t:1:11: unexpected ')' in expression"},
		{"#set(x = 1)", "t:1:6: #set needs a reference on the left, found 'x'"},
		{"#set($a.b() = 1)", "t:1:6: cannot assign to a method call"},
		{"#foreach($x $y)#end", "t:1:13: expected 'in' in #foreach, found '$'"},
		{"#foreach($a.b in $c)#end", "t:1:10: #foreach needs a plain $variable"},
		{"#macro(if)#end", "t:1:8: #macro cannot redefine #if"},
		{"#define($d)", "t:1:1: #define without #end"},
		{"#if(true)#else#elseif(true)#end", "t:1:15: unexpected #elseif after #else"},
		{"x #* never closed", "t:1:3: unterminated #* comment"},
		{"#[[ never closed", "t:1:1: unterminated #[[ block"},
		{"#set($x = \"abc)", "t:1:11: unterminated string literal"},
		{"#set($x = \"#end\")", "t:1:12: #end without matching block in string"},
		{"#set($x = -.)", "t:1:11: unexpected '-' in expression"},
		{"#set($x = $)", "t:1:11: malformed reference"},
		{"$a.b(1 2)", "t:1:8: expected ',' between method arguments, found '2'"},
		{"#parse('x')", "t:1:1: #parse is not supported by API Gateway"},
		{"é#if(1 +)x#end", "t:1:9: unexpected ')' in expression"},
	}
	for _, tc := range tests {
		_, err := Parse("t", tc.in, 100)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Parse(%q): got %v, want %s", tc.in, err, tc.want)
		}
	}
}

func TestParseDepth(t *testing.T) {
	for _, src := range []string{
		strings.Repeat("#if(true)", 5) + strings.Repeat("#end", 5),
		"#set($x = " + strings.Repeat("(", 5) + "1" + strings.Repeat(")", 5) + ")",
		strings.Repeat("$a.b(", 5),
		`#set($x = "$a.b(""$c.d(1)"")")`,
	} {
		if _, err := Parse("t", src, 3); !errors.Is(err, ErrTooDeep) {
			t.Errorf("Parse(%q) with depth 3: got %v, want ErrTooDeep", src, err)
		}
	}
}

// clearPos zeroes every Pos in a tree, so trees parsed from different text
// compare by structure.
func clearPos(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			clearPos(v.Elem())
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			clearPos(v.Index(i))
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.Type() == reflect.TypeFor[Pos]() {
				f.SetInt(0)
			} else {
				clearPos(f)
			}
		}
	}
}

// checkRoundTrip parses src, prints it and parses the result: the two trees
// must be the same, and printing must be a fixed point.
func checkRoundTrip(t *testing.T, src string) {
	t.Helper()
	tree, err := Parse("t", src, 100)
	if err != nil {
		return
	}
	printed := tree.String()
	again, err := Parse("t", printed, 100)
	if err != nil {
		t.Fatalf("%q printed as %q, which does not parse: %v", src, printed, err)
	}
	if got := again.String(); got != printed {
		t.Errorf("%q printed as %q, which prints as %q", src, printed, got)
	}
	clearPos(reflect.ValueOf(tree.Root))
	clearPos(reflect.ValueOf(again.Root))
	if !reflect.DeepEqual(tree.Root, again.Root) {
		t.Errorf("%q printed as %q, which parses to a different tree", src, printed)
	}
}

// corpus returns the templates of the vtl package's fuzz corpus, the AWS
// conformance cases and the templates the API deploys.
func corpus(t *testing.T) map[string]string {
	out := map[string]string{}
	files, _ := filepath.Glob("../testdata/fuzz/*/*")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			if s, ok := strings.CutPrefix(line, "string("); ok {
				if s, err := strconv.Unquote(strings.TrimSuffix(s, ")")); err == nil {
					out[f] = s
				}
				break
			}
		}
	}
	if data, err := os.ReadFile("../../../../shared/conformance/vtl-aws-recorded.json"); err == nil {
		var cf struct {
			Cases []struct{ Name, Template string }
		}
		if err := json.Unmarshal(data, &cf); err != nil {
			t.Fatal(err)
		}
		for _, c := range cf.Cases {
			out["conformance "+c.Name] = c.Template
		}
	}
	tpls, _ := filepath.Glob("../../../lambdas/api/templates/*.vtl")
	for _, f := range tpls {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = string(data)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	c := corpus(t)
	if len(c) < 100 {
		t.Fatalf("corpus has %d templates, want the fuzz corpus at least", len(c))
	}
	for name, src := range c {
		t.Run(name, func(t *testing.T) { checkRoundTrip(t, src) })
	}
}
