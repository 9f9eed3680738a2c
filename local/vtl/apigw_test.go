package vtl

import (
	"testing"
)

// Unit tests for the API Gateway behaviours the recorded cases of
// vtl-aws-apigw.json pinned down; each names the case that shows AWS doing it.

// TestInputPathArraysPrintAsJSON: arrays from $input.path print as compact JSON, objects
// as Java maps, a map holding an array prints the array as JSON
// (common/input_path_formatting/json-list, nested-list, list-with-nested-list,
// dict-with-nested-list, list-to-string, dict-response, dict-in-list).
func TestInputPathArraysPrintAsJSON(t *testing.T) {
	tests := []struct{ name, body, src, want string }{
		{"array", `{"json":[{"foo":"bar"}]}`, `#set($r = $input.path("$.json"))$r`, `[{"foo":"bar"}]`},
		{"array toString", `{"json":[{"foo":"bar"}]}`, `#set($r = $input.path("$.json"))$r.toString()`, `[{"foo":"bar"}]`},
		{"object", `{"json":{"foo":"bar"}}`, `#set($r = $input.path("$.json"))$r`, `{foo=bar}`},
		{"object in array", `{"json":[{"foo":"bar"}]}`, `#set($r = $input.path("$.json"))$r[0]`, `{foo=bar}`},
		{"array in array", `{"json":[[{"foo":"bar"}]]}`, `#set($r = $input.path("$.json"))$r[0]`, `[{"foo":"bar"}]`},
		{"array in object", `{"json":{"foo":[{"nested":"bar"}]}}`, `$input.path("$.json")`, `{foo=[{"nested":"bar"}]}`},
		{"scalars in array", `{"a":["x",1,2.5,true,null]}`, `$input.path("$.a")`, `["x",1,2.5,true,null]`},
		{"empty array", `{"a":[]}`, `$input.path("$.a")`, `[]`},
		{"wildcard result", `{"a":[{"b":1},{"b":2}]}`, `$input.path("$.a[*].b")`, `[1,2]`},
		{"string concatenation", `{"a":["x"]}`, `#set($s = "v=$input.path('$.a')")$s`, `v=["x"]`},
		// $util.parseJson's arrays stay java.util.List (the Velocity-language recordings).
		{"parseJson stays Java", `{}`, `$util.parseJson('{"a":["x","y"]}')`, `{a=[x, y]}`},
		// A list the template builds is a Java list, even filled from a JSON array.
		{"template list", `{"a":["x"]}`, `#set($l = [])#set($d = $l.add($input.path("$.a")))$l`, `[["x"]]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := render(t, tc.src, Request{Body: tc.body})
			if err != nil {
				t.Fatalf("got error %v, want %q", err, tc.want)
			}
			if res.Output != tc.want {
				t.Errorf("%s with body %s: got %q, want %q", tc.src, tc.body, res.Output, tc.want)
			}
		})
	}
}

// TestInputPathSelfContainingArrayIsBounded: a JSON array a template adds to itself
// prints within the output limit instead of recursing without end.
func TestInputPathSelfContainingArrayIsBounded(t *testing.T) {
	src := `#set($a = $input.path("$.a"))#set($d = $a.add($a))#set($d = $a.add($a))$a`
	res, err := render(t, src, Request{Body: `{"a":[1]}`, Limits: &Limits{MaxOutput: 1 << 16}})
	if err == nil && len(res.Output) > 1<<16 {
		t.Fatalf("got %d bytes of output and no error, want at most %d bytes or a limit error", len(res.Output), 1<<16)
	}
}

// TestNullEqualsEmptyString: null == "" is true on AWS, in both orders, and != is its
// negation (common/input_path_formatting/empty-body, nested-null-list,
// kinesis/PutRecords/request). null still differs from any other string.
func TestNullEqualsEmptyString(t *testing.T) {
	tests := []struct{ name, body, src, want string }{
		{"missing path == ''", `{}`, `#set($r = $input.path("$.no"))#if($r == "")y#else n#end`, "y"},
		{"JSON null == ''", `{"v":null}`, `#if($input.path("$.v") == "")y#else n#end`, "y"},
		{"'' == undefined", `{}`, `#if("" == $nope)y#else n#end`, "y"},
		{"undefined != ''", `{}`, `#if($foo.bar.stuff != '')y#else n#end`, " n"},
		{"null == null", `{}`, `#if($nope == $null)y#else n#end`, "y"},
		{"null != 'x'", `{}`, `#if($nope != "x")y#else n#end`, "y"},
		{"null == 'null' is false", `{}`, `#if($nope == "null")y#else n#end`, " n"},
		{"empty array != ''", `{"v":[]}`, `#if($input.path("$.v") == "")y#else n#end`, " n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := render(t, tc.src, Request{Body: tc.body})
			if err != nil {
				t.Fatalf("got error %v, want %q", err, tc.want)
			}
			if res.Output != tc.want {
				t.Errorf("%s: got %q, want %q", tc.src, res.Output, tc.want)
			}
		})
	}
}

// TestContextNestedObjectsPrintEmpty: the objects nested in $context print as "" while
// their entries stay readable (sqs/amz_json_protocol/context-dump).
func TestContextNestedObjectsPrintEmpty(t *testing.T) {
	ctx := map[string]any{"stage": "prod", "identity": map[string]any{"sourceIp": "203.0.113.7", "user": nil}}
	tests := []struct{ src, want string }{
		{`[$context.identity]`, `[]`},
		{`[$context.get("identity")]`, `[]`},
		{`[$context.requestOverride][$context.requestOverride.header][$context.responseOverride]`, `[][][]`},
		{`$context.identity.sourceIp`, `203.0.113.7`},
		{`#foreach($k in $context.identity.keySet())$k=[$context.identity.get($k)];#end`, `sourceIp=[203.0.113.7];user=[];`},
		{`#foreach($k in $context.requestOverride.keySet())$k,#end`, `header,path,querystring,`},
		{`$context.stage`, `prod`},
		{`#set($context.requestOverride.header.x = "1")$context.requestOverride.header.x`, `1`},
	}
	for _, tc := range tests {
		res, err := render(t, tc.src, Request{Context: ctx})
		if err != nil {
			t.Fatalf("%s: got error %v, want %q", tc.src, err, tc.want)
		}
		if res.Output != tc.want {
			t.Errorf("%s: got %q, want %q", tc.src, res.Output, tc.want)
		}
	}
	// The caller's context is copied, not marked: rendering twice gives the same.
	if id, ok := ToValue(ctx["identity"]).(*Map); !ok || id.blank {
		t.Errorf("ToValue of the caller's identity: got %#v, want an unmarked *Map", id)
	}
}

// TestHiddenHeaders: API Gateway hides hop-by-hop and a few other headers from
// templates, in any case, while the others come through
// (integrations/header_remapping/full).
func TestHiddenHeaders(t *testing.T) {
	hdr := map[string]string{"Connection": "close", "te": "deflate", "Transfer-Encoding": "chunked",
		"WWW-Authenticate": "Basic x", "Content-MD5": "m", "Expect": "100-continue", "Max-Forwards": "2",
		"Proxy-Authenticate": "Basic", "Server": "s", "Trailer": "Expires", "Upgrade": "HTTP/2.0",
		"Authorization": "Unauthorized", "Via": "p.example.net", "Accept": "application/json"}
	src := `#foreach($h in ["Connection","TE","Transfer-Encoding","WWW-Authenticate","Content-MD5","Expect","Max-Forwards","Proxy-Authenticate","Server","Trailer","Upgrade","Authorization","Via","accept"])$h=[$input.params($h)];#end|#foreach($k in $input.params().header.keySet())$k,#end`
	want := `Connection=[];TE=[];Transfer-Encoding=[];WWW-Authenticate=[];Content-MD5=[];Expect=[];Max-Forwards=[];Proxy-Authenticate=[];Server=[];Trailer=[];Upgrade=[];Authorization=[Unauthorized];Via=[p.example.net];accept=[application/json];|Accept,Authorization,Via,`
	res, err := render(t, src, Request{Header: hdr})
	if err != nil {
		t.Fatal(err)
	}
	if res.Output != want {
		t.Errorf("got  %q,\nwant %q", res.Output, want)
	}
	for name, want := range map[string]bool{"connection": true, "CONNECTION": true, "Te": true, "Accept": false,
		"Content-Length": false, "Keep-Alive": false, "": false, "X-Slack-Signature": false} {
		if got := HiddenHeader(name); got != want {
			t.Errorf("HiddenHeader(%q): got %v, want %v", name, got, want)
		}
	}
	// A path or query parameter of that name is not a header and stays visible.
	res, err = render(t, `$input.params('Server')`, Request{Query: map[string]string{"Server": "q"}, Header: hdr})
	if err != nil || res.Output != "q" {
		t.Errorf("$input.params('Server') with query Server=q: got %q, %v; want \"q\"", res.Output, err)
	}
}
