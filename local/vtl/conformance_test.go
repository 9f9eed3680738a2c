package vtl

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/orderbot/orderbot/local/vtl/apigwcases"
)

type confCase struct {
	Name                string          `json:"name"`
	Template            string          `json:"template"`
	Context             json.RawMessage `json:"context"`
	AWS                 json.RawMessage `json:"aws"`
	NormalizeWhitespace bool            `json:"normalize_whitespace"`
	XFail               *string         `json:"xfail"`
}

type confFile struct {
	Notes string     `json:"notes"`
	Cases []confCase `json:"cases"`
}

// knownFailures lists conformance cases that cannot match AWS, each with the
// reason. The test fails if one of them starts passing.
var knownFailures = map[string]string{}

func loadConformance(t testing.TB) *confFile {
	data := apigwcases.ReadShared(t, "vtl-aws-recorded.json")
	var cf confFile
	if err := json.Unmarshal(data, &cf); err != nil {
		t.Fatal(err)
	}
	return &cf
}

func collapseWS(s string) string { return strings.Join(strings.Fields(s), " ") }

// runCase renders one case and reports whether it matches AWS.
func runCase(c confCase) (got string, ok bool, err error) {
	vars := map[string]any{}
	if len(c.Context) > 0 && string(c.Context) != "null" {
		v, err := ParseJSON(string(c.Context))
		if err != nil {
			return "", false, err
		}
		if m, isMap := v.(*Map); isMap {
			for i, k := range m.keys {
				vars[k] = m.vals[i]
			}
		}
	}
	tpl, err := Parse(c.Name, c.Template)
	if err != nil {
		return "", false, err
	}
	res, err := tpl.Render(context.Background(), Request{Vars: vars})
	if err != nil {
		return "", false, err
	}
	got = res.Output
	var wantStr string
	if json.Unmarshal(c.AWS, &wantStr) == nil {
		if c.NormalizeWhitespace {
			return got, collapseWS(got) == collapseWS(wantStr), nil
		}
		return got, got == wantStr, nil
	}
	// Not a string: AWS's output was JSON; compare semantically.
	var want, have any
	if err := json.Unmarshal(c.AWS, &want); err != nil {
		return got, false, err
	}
	if err := json.Unmarshal([]byte(got), &have); err != nil {
		return got, false, nil
	}
	return got, reflect.DeepEqual(want, have), nil
}

func TestConformanceAWS(t *testing.T) {
	cf := loadConformance(t)
	t.Logf("notes: %s", cf.Notes)
	pass := 0
	seen := map[string]bool{}
	for _, c := range cf.Cases {
		seen[c.Name] = true
		got, ok, err := runCase(c)
		if ok {
			pass++
		}
		t.Run(c.Name, func(t *testing.T) {
			reason, known := knownFailures[c.Name]
			switch {
			case ok && known:
				t.Errorf("got a match with AWS, want the known failure (%s); remove it from knownFailures", reason)
			case !ok && known:
				t.Skipf("known failure: %s", reason)
			case err != nil:
				t.Errorf("template %q: got error %v, want %s", c.Template, err, c.AWS)
			case !ok:
				t.Errorf("template %q: got %q, want %s", c.Template, got, c.AWS)
			}
		})
	}
	for name := range knownFailures {
		if !seen[name] {
			t.Errorf("knownFailures lists %q: got no such case in the conformance file, want every listed case there", name)
		}
	}
	t.Logf("conformance: %d/%d match AWS", pass, len(cf.Cases))
}
