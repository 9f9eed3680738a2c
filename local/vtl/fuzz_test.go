package vtl

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fuzzSeeds adds every conformance template (when the data is present) plus
// templates exercising the API Gateway builtins.
func fuzzSeeds(f *testing.F, add func(tpl string)) {
	for _, s := range []string{
		benchTemplate,
		`#set($b = $input.path('$'))#foreach($k in $b.keySet())$k=$input.json("$['$k']")#end`,
		`$util.escapeJavaScript($input.body) $util.urlEncode($input.params('q')) $util.base64Decode($util.base64Encode("x"))`,
		`#macro(m $a)#if($a > 0)#m($a - 1)$a#end#end#m(3)`,
		`#define($d)$foreach.count#end#foreach($i in [1..3])$d#end`,
		`\#if \\$x $!{y} #[[raw]]# #* c *# ## c`,
		`#set($context.responseOverride.status = 400)$context.requestId`,
		`$s.replaceAll("(a+)", "$1-").split("-").size()`,
		// hostile shapes: each must end in a limit error
		`#set($l = [1])#foreach($i in $l)#set($d = $l.add($i))#end`,
		`#set($s = 'x')#foreach($i in [1..100])#set($s = "$s$s")#end`,
		`#macro(r $x)#r($x)#end#r(1)`,
		`#define($a)$a$a#end$a`,
		`#set($a = [])#set($b = [$a, $a])#set($d = $a.add($b))$a.equals($b)`,
	} {
		add(s)
	}
	root, err := os.Getwd()
	if err != nil {
		return
	}
	for dir := root; ; dir = filepath.Dir(dir) {
		data, err := os.ReadFile(filepath.Join(dir, "..", "shared", "conformance", "vtl-aws-recorded.json"))
		if err == nil {
			var cf confFile
			if json.Unmarshal(data, &cf) == nil {
				for _, c := range cf.Cases {
					add(c.Template)
				}
			}
			return
		}
		if filepath.Dir(dir) == dir {
			return
		}
	}
}

func FuzzParse(f *testing.F) {
	fuzzSeeds(f, func(s string) { f.Add(s) })
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := Parse("fuzz", src)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz:") {
				t.Fatalf("error without position: %v", err)
			}
			if strings.Contains(err.Error(), "internal") {
				t.Fatalf("parser panicked: %v", err)
			}
			return
		}
		if tpl == nil {
			t.Fatal("nil template without error")
		}
	})
}

var fuzzLimits = Limits{MaxSteps: 200_000, MaxOutput: 1 << 20, MaxString: 1 << 20, MaxRange: 10_000, MaxLoop: 10_000}

func FuzzRender(f *testing.F) {
	fuzzSeeds(f, func(s string) { f.Add(s, `{"a":[1,{"b":"c"}],"s":"x y"}`) })
	f.Fuzz(func(t *testing.T, src, body string) {
		tpl, err := ParseWithLimits("fuzz", src, fuzzLimits)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		res, err := tpl.Render(ctx, Request{
			Body:    body,
			Header:  map[string]string{"h": "v"},
			Query:   map[string]string{"q": "a b"},
			Context: map[string]any{"requestId": "r"},
			Vars:    map[string]any{"s": "aaa", "n": 3, "l": []any{1, "x"}, "m": map[string]any{"k": "v"}},
		})
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("render took %v", d)
		}
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("render panicked: %v", err)
			}
			return
		}
		if len(res.Output) > fuzzLimits.MaxOutput {
			t.Fatalf("output %d bytes exceeds limit", len(res.Output))
		}
	})
}
