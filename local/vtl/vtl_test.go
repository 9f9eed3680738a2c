package vtl

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func render(t *testing.T, src string, req Request) (Result, error) {
	t.Helper()
	tpl, err := Parse("t", src)
	if err != nil {
		return Result{}, err
	}
	return tpl.Render(context.Background(), req)
}

func TestRender(t *testing.T) {
	vars := map[string]any{
		"s":    "Hello World",
		"n":    7,
		"f":    2.5,
		"list": []any{"a", "b", "c"},
		"m":    map[string]any{"k": "v", "n": 1},
		"u":    "héllo😀",
	}
	tests := []struct{ name, src, want string }{
		{"text", "plain", "plain"},
		{"ref", "$s", "Hello World"},
		{"formal", "${s}!", "Hello World!"},
		{"silent", "$!s$!nope", "Hello World"},
		{"undefined renders empty", "[$nope][${nope.x}]", "[][]"},
		{"dollar alone", "cost: $ 5 and $.", "cost: $ 5 and $."},
		{"property on map", "$m.k", "v"},
		{"index", "$list[1] $list[-1] $m['k']", "b c v"},
		{"empty getter", "$list.empty $s.empty", "false false"},
		{"set and arithmetic", "#set($x = 7 / 2)#set($y = 7.0 / 2)#set($z = -7 % 3)$x $y $z", "3 3.5 -1"},
		{"precedence", "#set($x = 2 + 3 * 4 - 1)$x", "13"},
		{"float format", "#set($x = 1.0 * 10000000)$x #set($y = 0.0001 * 1)$y", "1.0E7 1.0E-4"},
		{"division by zero is null", "#set($x = 1 / 0)[$x]", "[]"},
		{"string concat with +", "#set($x = 'a' + 1)$x", "a1"},
		{"comparisons", "#if($n > 5 && $n <= 7 and $n != 8 && !($n lt 7))yes#end", "yes"},
		{"word operators", "#if($n gt 5 and not false or false)yes#end", "yes"},
		{"eq across kinds", "#if($n == '7')yes#end", "yes"},
		{"null is truthy (AWS)", "#if($nope)yes#else no#end", "yes"},
		{"false is falsy", "#if(false)yes#elseif($n == 7)seven#else no#end", "seven"},
		{"foreach helpers", "#foreach($x in $list)$foreach.index$foreach.count$velocityCount#if($foreach.hasNext),#end#end", "011,122,233"},
		{"foreach first last", "#foreach($x in [1..3])#if($foreach.first)F#end#if($foreach.last)L#end#end", "FL"},
		{"foreach break", "#foreach($x in [1..10])$x#if($x == 3)#break#end#end", "123"},
		{"foreach over map values", "#foreach($v in $m)$v;#end", "v;1;"},
		{"range backwards", "#foreach($i in [3..1])$i#end", "321"},
		{"stop", "a#stop b", "a"},
		{"comments", "a## line\nb#* block\n *#c", "abc"},
		{"unparsed", "#[[$x #if]]#", "$x #if"},
		{"escapes", "#set($e = 'x')\\$e \\\\$e \\#if \\# x", "$e \\x #if \\# x"},
		{"escaped undefined keeps backslash", "\\$nope", "\\$nope"},
		{"brace directives", "#{if}(true)a#{else}b#{end}c", "ac"},
		{"newline after directive", "#set($a = 1)\n#if(true)\n  x\n#end\ny", "  x\ny"},
		{"indentation kept", "  #set($a = 1)\nz", "  z"},
		{"double quoted interpolation", "#set($x = \"n=$n ${s}\")$x", "n=7 Hello World"},
		{"single quoted literal", "#set($x = '$n')$x", "$n"},
		{"doubled quotes", "#set($x = \"a\"\"b\")$x", "a\"b"},
		{"list literal", "#set($l = [1, 'two', [3]])$l $l.size()", "[1, two, [3]] 3"},
		{"map literal", "#set($x = {'a': 1, \"b\": [2]})$x $x.b[0]", "{a=1, b=[2]} 2"},
		{"set nested", "#set($x = {})#set($x.a = 1)#set($x['b'] = 2)$x", "{a=1, b=2}"},
		{"set null keeps value", "#set($x = 1)#set($x = $nope)$x", "1"},
		{"define", "#define($d)[$n]#end$d$d", "[7][7]"},
		{"macro", "#macro(greet $who $p)Hi $who$p#end#greet('Bob' '!') #greet($s, '?')", "Hi Bob! Hi Hello World?"},
		{"unknown macro is text", "#nosuch(1)", "#nosuch(1)"},
		{"color is text", "color: #ff0000;", "color: #ff0000;"},
		{"hyphen identifier", "#set($a-b = 1)$a-b $n-", "1 7-"},

		{"string methods", "$s.length() $s.toLowerCase() $s.toUpperCase() $s.substring(6) $s.substring(0, 5) $s.indexOf('o') $s.lastIndexOf('o') $s.charAt(4)",
			"11 hello world HELLO WORLD World Hello 4 7 o"},
		{"string predicates", "$s.startsWith('Hell') $s.endsWith('x') $s.contains('lo W') $s.equals('Hello World') $s.isEmpty() $s.matches('H.*d')",
			"true false true true false true"},
		{"trim concat replace", "#set($p = '  pad ')[$p.trim()] $s.concat('!') $s.replace('l', 'L')", "[pad] Hello World! HeLLo WorLd"},
		{"replaceAll groups", "$s.replaceAll('(\\w+) (\\w+)', '$2 $1') $s.replaceAll('o', '\\$') $s.replaceFirst('l', '_')", "World Hello Hell$ W$rld He_lo World"},
		{"matches with unterminated \\Q", "#set($q = 'a.b')$q.matches('\\Qa.b') $s.matches('\\Qa.b')", "true false"},
		{"split java semantics", "#set($c = 'a,b,,c,,')#set($p = $c.split(','))$p.size() $p", "4 [a, b, , c]"},
		{"split leading empty", "#set($c = ',a')$c.split(',') $s.split('')", "[, a] [H, e, l, l, o,  , W, o, r, l, d]"},
		{"split limit", "$s.split(' ', 5) $s.split('o', 2)", "[Hello, World] [Hell,  World]"},
		{"utf16 length", "$u.length() $u.substring(1, 3) $u.indexOf('l')", "7 él 2"},
		{"map methods", "#set($x = {'a': 1})$x.put('b', 2) $x.put('a', 3) $x.get('a') $x.containsKey('b') $x.keySet() $x.values() $x.size() $x.remove('a') $x",
			" 1 3 true [a, b] [3, 2] 2 3 {b=2}"},
		{"entrySet", "#foreach($e in $m.entrySet())$e.key=$e.getValue();#end", "k=v;n=1;"},
		{"list methods", "#set($l = [1, 2])$l.add(3) $l.get(0) $l.set(0, 9) $l.contains(2) $l.indexOf(3) $l.remove(0) $l $l.isEmpty()",
			"true 1 1 true 2 9 [2, 3] false"},
		{"toString", "$m.toString() $list.toString() $n.toString()", "{k=v, n=1} [a, b, c] 7"},
		{"method on null", "[$nope.size()]", "[]"},
		{"unknown method", "[$s.frobnicate()]", "[]"},
		{"nested method args", "$s.substring($s.indexOf(' ')).trim()", "World"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := render(t, tc.src, Request{Vars: vars})
			if err != nil {
				t.Fatalf("%q: got error %v, want %q", tc.src, err, tc.want)
			}
			if res.Output != tc.want {
				t.Errorf("%q: got %q, want %q", tc.src, res.Output, tc.want)
			}
		})
	}
}

func TestBuiltins(t *testing.T) {
	req := Request{
		Body:           `{"name":"Ann","n":1,"f":1.5,"items":[{"id":"a"},{"id":"b"}],"nested":{"k":"v"},"weird key":true}`,
		Path:           map[string]string{"id": "p1"},
		Query:          map[string]string{"q": "query", "id": "q1"},
		Header:         map[string]string{"X-Token": "tok", "q": "hq"},
		Context:        map[string]any{"requestId": "req-1", "identity": map[string]any{"sourceIp": "1.2.3.4"}},
		StageVariables: map[string]string{"env": "dev"},
	}
	tests := []struct{ name, src, want string }{
		{"body", "$input.body", req.Body},
		{"json root", "$input.json('$')", req.Body},
		{"json paths", "$input.json('$.name') $input.json('$.n') $input.json('$.f') $input.json('$.nested') $input.json('$.items[1]') $input.json(\"$['weird key']\")",
			`"Ann" 1 1.5 {"k":"v"} {"id":"b"} true`},
		{"json missing", "[$input.json('$.nope')]", "[]"},
		{"json wildcard", "$input.json('$.items[*].id') $input.json('$..id') $input.json('$.nested.*')", `["a","b"] ["a","b"] ["v"]`},
		{"path objects", "$input.path('$.items').size() $input.path('$.items[0].id') $input.path('$.nested').k $input.path('$.items[-1]').id", "2 a v b"},
		{"foreach over path", "#foreach($i in $input.path('$.items'))$i.id#end", "ab"},
		{"params lookup order", "$input.params('id') $input.params('q') $input.params('X-Token') $input.params('x-token') [$input.params('none')]", "p1 query tok tok []"},
		{"params maps", "$input.params().path $input.params().querystring.q $input.params().header.get('X-Token')", "{id=p1} query tok"},
		{"context", "$context.requestId $context.identity.sourceIp", "req-1 1.2.3.4"},
		{"stage variables", "$stageVariables.env", "dev"},
		{"escapeJavaScript", `#set($q = 'it''s "q" \ / é	
x😀')$util.escapeJavaScript($q)`, `it\'s \"q\" \\ \/ \u00E9\t\nx\uD83D\uDE00`},
		{"urlEncode", `$util.urlEncode("a b&c=d/é~*._-")`, "a+b%26c%3Dd%2F%C3%A9%7E*._-"},
		{"urlDecode", `$util.urlDecode("a+b%26c%3D%C3%A9")`, "a b&c=é"},
		{"base64", `$util.base64Encode("héllo") $util.base64Decode("aMOpbGxv")`, "aMOpbGxv héllo"},
		{"parseJson", `#set($o = $util.parseJson('{"b":[1,2.0,null],"a":"x"}'))$o $o.b[1] $o.keySet()`, "{b=[1, 2.0, null], a=x} 2.0 [b, a]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := render(t, tc.src, req)
			if err != nil {
				t.Fatalf("%q: got error %v, want %q", tc.src, err, tc.want)
			}
			if res.Output != tc.want {
				t.Errorf("%q: got %q, want %q", tc.src, res.Output, tc.want)
			}
		})
	}
}

func TestOverrides(t *testing.T) {
	src := `#set($context.responseOverride.status = 201)
#set($context.responseOverride.header.Location = "/x/$input.params('id')")
#set($context.requestOverride.header.X-Trace = "t1")
#set($context.requestOverride.path.id = "p2")
#set($context.requestOverride.querystring.q = 5)
ok`
	res, err := render(t, src, Request{Path: map[string]string{"id": "7"}})
	if err != nil {
		t.Fatal(err)
	}
	want := Result{Output: "ok", Status: 201, Headers: map[string]string{"Location": "/x/7"}}
	want.RequestOverride.Header = map[string]string{"X-Trace": "t1"}
	want.RequestOverride.Path = map[string]string{"id": "p2"}
	want.RequestOverride.Query = map[string]string{"q": "5"}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("got %+v, want %+v", res, want)
	}
	// Status given as a string, caller-supplied override maps.
	res, err = render(t, `#set($context.responseOverride.status = "404")`, Request{
		Context: map[string]any{"responseOverride": map[string]any{"header": map[string]any{"A": "b"}}}})
	if err != nil || res.Status != 404 || res.Headers["A"] != "b" {
		t.Errorf("got %+v, %v; want status 404 and header A: b", res, err)
	}
	res, _ = render(t, `x`, Request{})
	if res.Status != 0 || res.Headers != nil {
		t.Errorf("template without $context: got %+v, want no overrides", res)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"#if(true)x", "t:1:1: #if without #end"},
		{"a\n  #end", "t:2:3: #end without matching"},
		{"#set($x = )", "t:1:11: unexpected ')' in expression"},
		{"line1\n#set($x = [1, 2)", "t:2:16: expected ',' or ']' in list"},
		{"#foreach($x $y)#end", "t:1:13: expected 'in' in #foreach"},
		{"x #* never closed", "t:1:3: unterminated #* comment"},
		{"#set($x = \"abc)", "t:1:11: unterminated string literal"},
		{"#set($a.b() = 1)", "t:1:6: cannot assign to a method call"},
		{"#include('x')", "t:1:1: #include is not supported"},
		{"é#if(1 +)x#end", "t:1:9: unexpected ')' in expression"},
		{"$a.b(1 2)", "t:1:8: expected ',' between method arguments"},
	}
	for _, tc := range tests {
		_, err := Parse("t", tc.src)
		if err == nil {
			t.Errorf("%q: got no error, want %q", tc.src, tc.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %s…", tc.src, err, tc.want)
		}
		var ve *Error
		if !errors.As(err, &ve) || ve.Line == 0 {
			t.Errorf("%q: got error %T without a position, want a *vtl.Error", tc.src, err)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"ab\n  $s.substring(5)", "t:2:6: StringIndexOutOfBoundsException"},
		{"#set($l = [1])$l.get(3)", "t:1:18: IndexOutOfBoundsException"},
		{"$s.matches('(')", "t:1:4: PatternSyntaxException"},
		{"$util.parseJson('{')", "t:1:7: $util.parseJson"},
		{"#set($l = [1])#foreach($x in $l)#set($d = $l.add(1))#end", "t:1:15: ConcurrentModificationException"},
		{"$input.json('$.a')", "invalid JSON in request body"},
	}
	for _, tc := range tests {
		_, err := render(t, tc.src, Request{Body: "not json", Vars: map[string]any{"s": "abc"}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.src, err, tc.want)
		}
	}
}

// Each hostile template must fail with a limit error, quickly.
func TestHostileTemplates(t *testing.T) {
	deep := strings.Repeat("#if(true)", 5000) + strings.Repeat("#end", 5000)
	tests := []struct{ name, src string }{
		{"deep nesting", deep},
		{"deep parens", "#set($x = " + strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000) + ")"},
		{"deep lists", "#set($x = " + strings.Repeat("[", 100000) + ")"},
		{"deep method args", strings.Repeat("$a.b(", 100000)},
		{"huge range", "#foreach($i in [0..2000000000])#end"},
		{"nested loops", "#foreach($i in [1..10000])#foreach($j in [1..10000])#end#end"},
		{"growing list", "#set($l = [1])#foreach($i in $l)#set($d = $l.add($i))#end"},
		{"doubling string", "#set($s = 'x')#foreach($i in [1..100])#set($s = \"$s$s\")#end"},
		{"doubling concat", "#set($s = 'x')#foreach($i in [1..100])#set($s = $s.concat($s))#end"},
		{"doubling list", "#set($l = [1])#foreach($i in [1..100])#set($d = $l.addAll($l))#end"},
		{"output flood", "#foreach($i in [1..99999])#foreach($j in [1..99999])xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx#end#end"},
		{"recursive macro", "#macro(r $x)#r($x)#end#r(1)"},
		{"mutually recursive define", "#define($a)$b#end#define($b)$a#end$a"},
		{"self define", "#define($a)$a$a#end$a"},
		{"replace blowup", "#set($s = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')#foreach($i in [1..30])#set($s = $s.replace('a', 'aa'))#end"},
		{"replaceAll blowup", "#set($s = 'aaaaaaaaaaaaaaaa')#foreach($i in [1..30])#set($s = $s.replaceAll('a', 'aa'))#end"},
		{"cyclic collections", "#set($a = [])#set($b = [$a, $a])#set($d = $a.add($b))#set($d = $a.add($b))$a"},
		{"cyclic json body", "#set($m = $input.path('$'))#set($d = $m.put('x', [$m, $m]))$input.json('$')"},
		{"long loop", "#foreach($i in [1..99999])#foreach($j in [1..99999])#set($x = $i)#end#end"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := render(t, tc.src, Request{Vars: map[string]any{"a": "x"}})
			if err == nil {
				t.Fatal("got no error, want a limit error")
			}
			if !errors.Is(err, ErrLimit) && !strings.Contains(err.Error(), "ConcurrentModification") {
				t.Errorf("got %v, want a limit error", err)
			}
			// A guard against a runaway, not a speed assertion (the machine may be busy;
			// BenchmarkRender measures speed): unbounded, these run for hours.
			if d := time.Since(start); d > 30*time.Second {
				t.Errorf("took %v, want under 30s", d)
			}
			t.Logf("%v (%v)", err, time.Since(start).Round(time.Millisecond))
		})
	}
}

func TestCyclicValues(t *testing.T) {
	src := `#set($l = [])#set($d = $l.add($l))#set($m = {})#set($d = $m.put('m', $m))$l $m
#set($a = [])#set($b = [$a, $a])#set($d = $a.add($b))#set($d = $a.add($b))#set($c = [])#set($e = [$c, $c])#set($d = $c.add($e))#set($d = $c.add($e))
$a.equals($c) $a.contains($c) #if($a == $c)eq#end`
	start := time.Now()
	res, err := render(t, src, Request{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[(this Collection)] {m=(this Map)}\n"; !strings.HasPrefix(res.Output, want) {
		t.Errorf("got %q, want %q…", res.Output, want)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v, want under 3s", d)
	}
}

func TestLimitsOverride(t *testing.T) {
	tpl, err := Parse("t", "#foreach($i in [1..50])x#end")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tpl.Render(context.Background(), Request{Limits: &Limits{MaxLoop: 10}}); !errors.Is(err, ErrLimit) {
		t.Errorf("per-request MaxLoop: got %v, want ErrLimit", err)
	}
	tpl.SetLimits(Limits{MaxOutput: 20})
	if _, err := tpl.Render(context.Background(), Request{}); !errors.Is(err, ErrLimit) {
		t.Errorf("template MaxOutput: got %v, want ErrLimit", err)
	}
	if res, err := tpl.Render(context.Background(), Request{Limits: &Limits{MaxOutput: 100}}); err != nil || len(res.Output) != 50 {
		t.Errorf("got %q, %v; want 50 bytes", res.Output, err)
	}
	if _, err := ParseWithLimits("t", "#if(true)#if(true)#end#end", Limits{MaxDepth: 1}); !errors.Is(err, ErrLimit) {
		t.Errorf("parse depth limit: got %v, want ErrLimit", err)
	}
}

func TestCancellation(t *testing.T) {
	tpl, err := Parse("t", "#foreach($i in [1..99999])#foreach($j in [1..99999])#end#end")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = tpl.Render(ctx, Request{Limits: &Limits{MaxSteps: 1 << 40}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("cancellation took %v, want under 1s", d)
	}
}

func TestConcurrentRender(t *testing.T) {
	tpl, err := Parse("t", `#set($m = {})#foreach($k in $input.params().header.keySet())#set($m[$k] = $k.toUpperCase())#end$m $input.json('$.a')`)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				body := `{"a":` + string(rune('0'+i)) + `}`
				res, err := tpl.Render(context.Background(), Request{Body: body, Header: map[string]string{"h": "v"}})
				if want := "{h=H} " + string(rune('0'+i)); err != nil || res.Output != want {
					t.Errorf("got %q, %v; want %q", res.Output, err, want)
					return
				}
			}
		}(i)
	}
	wg.Wait()
}

func TestVarsDoNotLeakBetweenRenders(t *testing.T) {
	tpl, _ := Parse("t", `#set($d = $obj.put('k', 'changed'))$obj.k`)
	shared := map[string]any{"k": "orig"}
	for i := 0; i < 2; i++ {
		res, err := tpl.Render(context.Background(), Request{Vars: map[string]any{"obj": shared}})
		if err != nil || res.Output != "changed" {
			t.Fatalf("got %q, %v; want \"changed\"", res.Output, err)
		}
	}
	if shared["k"] != "orig" {
		t.Errorf("caller's map: got k=%v, want it unmodified (orig)", shared["k"])
	}
}

func TestFormatFloat(t *testing.T) {
	for f, want := range map[float64]string{
		2: "2.0", 0.05: "0.05", 1e7: "1.0E7", 1.5e-4: "1.5E-4", -3.25: "-3.25", 123456.789: "123456.789", 1e21: "1.0E21", 0.001: "0.001",
	} {
		if got := formatFloat(f); got != want {
			t.Errorf("formatFloat(%v) = %q, want %q", f, got, want)
		}
	}
}
