package apigwcases

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// stopTB records how Load gave up; Fatalf and Skipf end the call as the real ones do.
type stopTB struct {
	testing.TB
	how string
}

type stopped struct{}

func (s *stopTB) Helper() {}
func (s *stopTB) Fatalf(format string, a ...any) {
	s.how = "fatal: " + fmt.Sprintf(format, a...)
	panic(stopped{})
}
func (s *stopTB) Skipf(format string, a ...any) {
	s.how = "skip: " + fmt.Sprintf(format, a...)
	panic(stopped{})
}
func (s *stopTB) Fatal(a ...any) { s.how = "fatal: " + fmt.Sprint(a...); panic(stopped{}) }

func loadMissing(t *testing.T) string {
	s := &stopTB{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(stopped); !ok {
					panic(r)
				}
			}
		}()
		load(s, filepath.Join(t.TempDir(), "absent.json"))
	}()
	return s.how
}

// TestLoadMissingFailsUnderCI: without the cases CI fails and a local run skips.
func TestLoadMissingFailsUnderCI(t *testing.T) {
	t.Setenv("CI", "true")
	if got := loadMissing(t); !strings.HasPrefix(got, "fatal: ") {
		t.Errorf("missing cases with CI set: got %q, want a fatal failure", got)
	}
	t.Setenv("CI", "")
	if got := loadMissing(t); !strings.HasPrefix(got, "skip: ") {
		t.Errorf("missing cases without CI: got %q, want a skip", got)
	}
}

func raw(t *testing.T, v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestJudge: each comparison accepts what AWS's rules accept and rejects the rest.
func TestJudge(t *testing.T) {
	tests := []struct {
		name string
		c    Case
		out  string
		st   int
		ok   bool
	}{
		{"exact equal", Case{Compare: "exact", AWSOutput: raw(t, "a b")}, "a b", 0, true},
		{"exact differs in space", Case{Compare: "exact", AWSOutput: raw(t, "a b")}, "a  b", 0, false},
		{"json key order", Case{Compare: "json", AWSOutput: raw(t, map[string]any{"a": 1, "b": 2})}, `{"b":2,"a":1}`, 0, true},
		{"json value differs", Case{Compare: "json", AWSOutput: raw(t, map[string]any{"a": 1})}, `{"a":2}`, 0, false},
		{"json not JSON", Case{Compare: "json", AWSOutput: raw(t, map[string]any{"a": 1})}, `{a=1}`, 0, false},
		{"masked value ignored", Case{Compare: "json", Masked: []string{"$.id"}, AWSOutput: raw(t, map[string]any{"id": "<x>", "a": 1})}, `{"id":"r-1","a":1}`, 0, true},
		{"masked key must exist", Case{Compare: "json", Masked: []string{"$.id"}, AWSOutput: raw(t, map[string]any{"id": "<x>", "a": 1})}, `{"a":1}`, 0, false},
		{"deep mask", Case{Compare: "json", Masked: []string{"$..n"}, AWSOutput: raw(t, map[string]any{"r": []any{map[string]any{"n": "<1>"}}})}, `{"r":[{"n":"z"}]}`, 0, true},
		{"wildcard mask", Case{Compare: "json", Masked: []string{"$.e[*].id"}, AWSOutput: raw(t, map[string]any{"e": []any{map[string]any{"id": "<1>", "k": 1}}})}, `{"e":[{"id":"q","k":1}]}`, 0, true},
		{"wildcard mask keeps the rest", Case{Compare: "json", Masked: []string{"$.e[*].id"}, AWSOutput: raw(t, map[string]any{"e": []any{map[string]any{"id": "<1>", "k": 1}}})}, `{"e":[{"id":"q","k":2}]}`, 0, false},
		{"subset", Case{Compare: "json-subset", AWSOutput: raw(t, map[string]any{"body": map[string]any{"a": "1"}})}, `{"x":0,"body":{"a":"1","b":2}}`, 0, true},
		{"subset missing key", Case{Compare: "json-subset", AWSOutput: raw(t, map[string]any{"body": map[string]any{"a": "1"}})}, `{"body":{"b":2}}`, 0, false},
		{"extract", Case{Compare: "json", Extract: []string{"M"}, AWSOutput: raw(t, map[string]any{"a": 1})}, `{"M":"{\"a\":1}"}`, 0, true},
		{"nested JSON", Case{Compare: "json", ParseNestedJSON: true, AWSOutput: raw(t, map[string]any{"d": map[string]any{"m": "x"}})}, `{"d":"{\"m\": \"x\"}"}`, 0, true},
		{"form order", Case{Compare: "form", AWSOutput: raw(t, "a=1&b=2")}, "b=2&a=1", 0, true},
		{"form value", Case{Compare: "form", AWSOutput: raw(t, "a=1&b=2")}, "a=1&b=3", 0, false},
		{"status only", Case{Compare: "status-only", AWSStatus: 444, AWSOutput: raw(t, nil)}, "anything", 444, true},
		{"status differs", Case{Compare: "status-only", AWSStatus: 444, AWSOutput: raw(t, nil)}, "", 200, false},
		{"status with json", Case{Compare: "json", AWSStatus: 202, AWSOutput: raw(t, map[string]any{})}, `{}`, 0, false},
	}
	for _, tc := range tests {
		err := tc.c.Judge(Rendered{Output: tc.out, Status: tc.st})
		if (err == nil) != tc.ok {
			t.Errorf("%s: Judge(%q, status %d): got error %v, want match=%v", tc.name, tc.out, tc.st, err, tc.ok)
		}
	}
}

// TestRunPipelines: chain feeds the output on as the body; shared-context drops the
// request template's own output; an empty first output stays empty for the renderer.
func TestRunPipelines(t *testing.T) {
	var seen []Input
	render := func(in Input) (Rendered, error) {
		seen = append(seen, in)
		return Rendered{Output: "<" + in.Template + "|" + in.Body + ">"}, nil
	}
	c := Case{Template: "A", Body: "b", Pipeline: "chain", Then: &Then{Template: "B", Headers: map[string]string{"H": "v"}}}
	got, err := c.Run(render)
	if want := "<B|<A|b>>"; err != nil || got.Output != want {
		t.Errorf("chain: got %q, %v; want %q", got.Output, err, want)
	}
	if seen[1].Headers["H"] != "v" {
		t.Errorf("chain: second render got headers %v, want then.headers", seen[1].Headers)
	}
	sc := Case{Template: "R", RequestTemplate: "Q", Pipeline: "shared-context"}
	render2 := func(in Input) (Rendered, error) {
		if in.Template == "Q" {
			return Rendered{Output: "q-out"}, nil
		}
		return Rendered{Output: "q-outr-out", Status: 444}, nil
	}
	got, err = sc.Run(render2)
	if err != nil || got.Output != "r-out" || got.Status != 444 {
		t.Errorf("shared-context: got %+v, %v; want r-out with status 444", got, err)
	}
	if _, err := (Case{Pipeline: "other"}).Run(render); err == nil {
		t.Errorf("unknown pipeline: got no error, want one")
	}
}
