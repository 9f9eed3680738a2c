package vtl

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot/local/vtl/parse"
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
				t.Fatalf("got error %v, want one starting with a position (fuzz:LINE:COL)", err)
			}
			if strings.Contains(err.Error(), "internal") {
				t.Fatalf("got %v, want no internal (panic) error", err)
			}
			return
		}
		if tpl == nil {
			t.Fatal("got a nil template and no error, want one of them")
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
			t.Fatalf("render took %v, want under 3s", d)
		}
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("got %v, want no internal (panic) error", err)
			}
			return
		}
		if len(res.Output) > fuzzLimits.MaxOutput {
			t.Fatalf("got %d bytes of output, want at most %d", len(res.Output), fuzzLimits.MaxOutput)
		}
	})
}

// FuzzRoundTrip prints each template's syntax tree and parses the result:
// the two trees must be the same (positions aside) and render the same.
func FuzzRoundTrip(f *testing.F) {
	fuzzSeeds(f, func(s string) { f.Add(s, `{"a":[1,{"b":"c"}],"s":"x y"}`) })
	f.Fuzz(checkPrinted)
}

// TestRoundTripCorpus runs FuzzRoundTrip's check over the FuzzParse and
// FuzzRender corpora and the templates the API deploys.
func TestRoundTripCorpus(t *testing.T) {
	files, _ := filepath.Glob("testdata/fuzz/*/*")
	api, _ := filepath.Glob("../../lambdas/api/templates/*.vtl")
	if len(files) < 100 {
		t.Fatalf("got %d corpus files, want the fuzz corpora", len(files))
	}
	for _, name := range append(files, api...) {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		src, body := string(data), `{"errorMessage":"x","a":[1]}`
		if strings.HasPrefix(src, "go test fuzz v1\n") {
			var args []string
			for _, line := range strings.Split(src, "\n")[1:] {
				if s, ok := strings.CutPrefix(line, "string("); ok {
					if s, err := strconv.Unquote(strings.TrimSuffix(s, ")")); err == nil {
						args = append(args, s)
					}
				}
			}
			if len(args) == 0 {
				continue
			}
			src = args[0]
			if len(args) > 1 {
				body = args[1]
			}
		}
		t.Run(name, func(t *testing.T) { checkPrinted(t, src, body) })
	}
}

func checkPrinted(t *testing.T, src, body string) {
	tpl, err := ParseWithLimits("fuzz", src, fuzzLimits)
	if err != nil {
		return
	}
	printed := tpl.Tree().String()
	again, err := ParseWithLimits("fuzz", printed, fuzzLimits)
	if err != nil {
		t.Fatalf("%q printed as %q: got %v, want it to parse", src, printed, err)
	}
	if got := again.Tree().String(); got != printed {
		t.Fatalf("%q printed as %q: got %q printing that, want the same", src, printed, got)
	}
	want, wantErr := renderFuzz(tpl, body)
	got, gotErr := renderFuzz(again, body)
	if got != want || gotErr != wantErr {
		t.Fatalf("%q printed as %q: got %q, %q rendering that, want %q, %q", src, printed, got, gotErr, want, wantErr)
	}
	a, b := tpl.Tree().Root, again.Tree().Root
	clearPos(reflect.ValueOf(a))
	clearPos(reflect.ValueOf(b))
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("%q printed as %q: got a different tree parsing that, want the same", src, printed)
	}
}

// renderFuzz renders tpl as FuzzRender does and returns the output and the
// error message without its position.
func renderFuzz(tpl *Template, body string) (string, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := tpl.Render(ctx, Request{
		Body:    body,
		Header:  map[string]string{"h": "v"},
		Context: map[string]any{"requestId": "r"},
		Vars:    map[string]any{"s": "aaa", "n": 3, "l": []any{1, "x"}, "m": map[string]any{"k": "v"}},
	})
	var e *Error
	if errors.As(err, &e) {
		if strings.HasPrefix(e.Msg, "internal error") {
			return res.Output, "internal error"
		}
		return res.Output, e.Msg
	}
	if err != nil {
		return res.Output, err.Error()
	}
	return res.Output, ""
}

// clearPos zeroes every parse.Pos in a syntax tree.
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
			if f := v.Field(i); f.Type() == reflect.TypeFor[parse.Pos]() {
				f.SetInt(0)
			} else {
				clearPos(f)
			}
		}
	}
}
