// Package apigwcases runs the API Gateway mapping-template cases recorded on AWS
// (../shared/conformance/vtl-aws-apigw.json) against a renderer and judges the result
// the way the file's notes prescribe: the pipelines (chain, shared-context) and the
// comparisons (exact, json with masked paths, json-subset, form, status-only).
//
// Both the engine's conformance test (local/vtl) and the CLI's (cmd/orderbot) use it,
// so the library and `orderbot vtl render` are held to the same cases by the same rules.
package apigwcases

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// File is the path of the cases relative to the repository root.
const File = "../shared/conformance/vtl-aws-apigw.json"

// Case is one recorded case; the fields mirror the file's (see its notes).
type Case struct {
	Name            string            `json:"name"`
	Kind            string            `json:"kind"`
	Template        string            `json:"template"`
	Body            string            `json:"body"`
	Headers         map[string]string `json:"headers"`
	Query           map[string]string `json:"query"`
	Path            map[string]string `json:"path"`
	StageVars       map[string]string `json:"stage_vars"`
	Context         map[string]any    `json:"context"`
	AWSOutput       json.RawMessage   `json:"aws_output"`
	AWSStatus       int               `json:"aws_status"`
	Compare         string            `json:"compare"`
	Masked          []string          `json:"masked"`
	Extract         []string          `json:"extract"`
	ParseNestedJSON bool              `json:"parse_nested_json"`
	Pipeline        string            `json:"pipeline"`
	Then            *Then             `json:"then"`
	RequestTemplate string            `json:"request_template"`
}

// Then is the second template of a chain: it gets the first one's output as its body.
type Then struct {
	Template string            `json:"template"`
	Headers  map[string]string `json:"headers"`
}

type file struct {
	Notes string `json:"notes"`
	Cases []Case `json:"cases"`
}

// Load reads the cases. A missing file skips the test locally and fails it when CI is
// set, as the Velocity-language conformance set does: CI must run every case.
func Load(t testing.TB) []Case {
	t.Helper()
	return load(t, filepath.Join(RepoRoot(t), File))
}

// ReadShared reads a file of ../shared/conformance beside the repository. Locally the
// checkout may lack ../shared and the test is skipped; under CI the conformance suites
// must run, so its absence fails the test.
func ReadShared(t testing.TB, name string) []byte {
	t.Helper()
	return readData(t, filepath.Join(RepoRoot(t), "..", "shared", "conformance", name))
}

func readData(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		if os.Getenv("CI") != "" {
			t.Fatalf("conformance data %s is absent; CI is set, so it must be present", path)
		}
		t.Skipf("conformance data %s is absent; skipping (set CI to make this fail)", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func load(t testing.TB, path string) []Case {
	t.Helper()
	data := readData(t, path)
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(f.Cases) == 0 {
		t.Fatalf("%s: got no cases, want the recorded ones", path)
	}
	return f.Cases
}

// RepoRoot walks up to the directory whose go.mod declares the root module; the
// conformance files lie beside it in ../shared.
func RepoRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if f, err := os.Open(filepath.Join(dir, "go.mod")); err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if strings.TrimSpace(sc.Text()) == "module github.com/orderbot/orderbot" {
					f.Close()
					return dir
				}
			}
			f.Close()
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("repository root (go.mod of github.com/orderbot/orderbot) not found")
		}
		dir = parent
	}
}

// Input is what one render sees. Body is the raw body; "" is an empty body, which API
// Gateway hands to templates as "{}" (the renderer does that, as the gateway does).
type Input struct {
	Template                        string
	Body                            string
	Headers, Query, Path, StageVars map[string]string
	Context                         map[string]any
}

// Rendered is one render's result: the output and the status the template set through
// $context.responseOverride.status (0 when none).
type Rendered struct {
	Output string
	Status int
}

// Renderer renders one template.
type Renderer func(Input) (Rendered, error)

// Run renders a case through its pipeline and returns what is compared with AWS.
//
// chain: the output becomes the body of then.template (AWS passed it through an echo).
// shared-context: the response template reads the $context overrides the request
// template set; as the notes allow, both render as one template and the prefix the
// request template renders alone is dropped.
func (c Case) Run(render Renderer) (Rendered, error) {
	in := Input{Template: c.Template, Body: c.Body, Headers: c.Headers, Query: c.Query,
		Path: c.Path, StageVars: c.StageVars, Context: c.Context}
	switch c.Pipeline {
	case "":
		return render(in)
	case "chain":
		if c.Then == nil {
			return Rendered{}, fmt.Errorf("pipeline chain without then")
		}
		first, err := render(in)
		if err != nil {
			return Rendered{}, fmt.Errorf("first template: %w", err)
		}
		return render(Input{Template: c.Then.Template, Body: first.Output, Headers: c.Then.Headers})
	case "shared-context":
		req := in
		req.Template = c.RequestTemplate
		prefix, err := render(req)
		if err != nil {
			return Rendered{}, fmt.Errorf("request template: %w", err)
		}
		in.Template = c.RequestTemplate + c.Template
		both, err := render(in)
		if err != nil {
			return Rendered{}, err
		}
		out, ok := strings.CutPrefix(both.Output, prefix.Output)
		if !ok {
			return Rendered{}, fmt.Errorf("request+response output %q does not start with the request template's %q", both.Output, prefix.Output)
		}
		return Rendered{Output: out, Status: both.Status}, nil
	}
	return Rendered{}, fmt.Errorf("unknown pipeline %q", c.Pipeline)
}

// Judge reports how got differs from what AWS recorded, or nil when it matches.
func (c Case) Judge(got Rendered) error {
	if c.AWSStatus != 0 && got.Status != c.AWSStatus {
		return fmt.Errorf("got status %d, want %d", got.Status, c.AWSStatus)
	}
	switch c.Compare {
	case "status-only":
		if c.AWSStatus == 0 {
			return fmt.Errorf("status-only case without aws_status")
		}
		return nil
	case "exact":
		var want string
		if err := json.Unmarshal(c.AWSOutput, &want); err != nil {
			return fmt.Errorf("aws_output of an exact case: %w", err)
		}
		if got.Output != want {
			return fmt.Errorf("got %q, want %q", got.Output, want)
		}
		return nil
	case "form":
		return c.judgeForm(got.Output)
	case "json", "json-subset":
		return c.judgeJSON(got.Output)
	}
	return fmt.Errorf("unknown compare %q", c.Compare)
}

func (c Case) judgeForm(out string) error {
	var want string
	if err := json.Unmarshal(c.AWSOutput, &want); err != nil {
		return fmt.Errorf("aws_output of a form case: %w", err)
	}
	w, err := url.ParseQuery(want)
	if err != nil {
		return fmt.Errorf("aws_output %q as a form: %w", want, err)
	}
	g, err := url.ParseQuery(out)
	if err != nil {
		return fmt.Errorf("got %q, not a form: %v", out, err)
	}
	norm := func(v url.Values) map[string]any {
		m := map[string]any{}
		for k, vs := range v {
			l := make([]any, len(vs))
			for i, s := range vs {
				l[i] = s
				if c.ParseNestedJSON {
					l[i] = parseNested(s)
				}
			}
			m[k] = l
		}
		return m
	}
	if !reflect.DeepEqual(norm(w), norm(g)) {
		return fmt.Errorf("got form %q, want %q", out, want)
	}
	return nil
}

func (c Case) judgeJSON(out string) error {
	var want, got any
	if err := json.Unmarshal(c.AWSOutput, &want); err != nil {
		return fmt.Errorf("aws_output: %w", err)
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		return fmt.Errorf("got %q, not JSON: %v", out, err)
	}
	if len(c.Extract) > 0 {
		s, ok := at(got, c.Extract).(string)
		if !ok {
			return fmt.Errorf("got %q: no string at %v", out, c.Extract)
		}
		if err := json.Unmarshal([]byte(s), &got); err != nil {
			return fmt.Errorf("got %q at %v, not JSON: %v", s, c.Extract, err)
		}
	}
	if c.ParseNestedJSON {
		want, got = nestedJSON(want, 0), nestedJSON(got, 0)
	}
	for _, p := range c.Masked {
		steps, err := parseMask(p)
		if err != nil {
			return err
		}
		want, got = mask(want, steps), mask(got, steps)
	}
	if c.Compare == "json-subset" {
		if !subset(want, got) {
			return fmt.Errorf("got %s, want a superset of %s", out, c.AWSOutput)
		}
		return nil
	}
	if !reflect.DeepEqual(want, got) {
		w, _ := json.Marshal(want)
		g, _ := json.Marshal(got)
		return fmt.Errorf("got %s, want %s (as JSON, masked paths %v ignored)", g, w, c.Masked)
	}
	return nil
}

// at follows object keys.
func at(v any, keys []string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// parseNested parses a string holding a JSON object or array, as the snapshot library
// did before AWS's output was recorded; anything else stays as it is.
func parseNested(s string) any {
	t := strings.TrimSpace(s)
	if t == "" || (t[0] != '{' && t[0] != '[') {
		return s
	}
	var v any
	if json.Unmarshal([]byte(t), &v) != nil {
		return s
	}
	return v
}

func nestedJSON(v any, depth int) any {
	if depth > 64 {
		return v
	}
	switch x := v.(type) {
	case string:
		if p := parseNested(x); p != any(x) {
			return nestedJSON(p, depth+1)
		}
	case map[string]any:
		for k, e := range x {
			x[k] = nestedJSON(e, depth+1)
		}
	case []any:
		for i, e := range x {
			x[i] = nestedJSON(e, depth+1)
		}
	}
	return v
}

// subset reports whether got has every key of want with an equal value (objects
// recursively; arrays element by element).
func subset(want, got any) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok || !subset(wv, gv) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !subset(w[i], g[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(want, got)
}

// maskStep is one step of a masked path: a key (deep: at any depth below) or [*].
type maskStep struct {
	key  string
	deep bool
	all  bool
}

// masked replaces a masked value: the key must exist, its value is ignored.
const masked = "<masked>"

// parseMask parses the masked paths the file uses: $.a.b, $..a and [*].
func parseMask(p string) ([]maskStep, error) {
	rest, ok := strings.CutPrefix(p, "$")
	if !ok {
		return nil, fmt.Errorf("masked path %q: want it to start with $", p)
	}
	var steps []maskStep
	for rest != "" {
		switch {
		case strings.HasPrefix(rest, "[*]"):
			steps, rest = append(steps, maskStep{all: true}), rest[3:]
		case strings.HasPrefix(rest, "."):
			deep := strings.HasPrefix(rest, "..")
			rest = strings.TrimLeft(rest, ".")
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			if end == 0 {
				return nil, fmt.Errorf("masked path %q: empty key", p)
			}
			steps, rest = append(steps, maskStep{key: rest[:end], deep: deep}), rest[end:]
		default:
			return nil, fmt.Errorf("masked path %q: unexpected %q", p, rest)
		}
	}
	return steps, nil
}

// mask replaces the values at steps with the masked marker wherever they exist.
func mask(v any, steps []maskStep) any {
	if len(steps) == 0 {
		return masked
	}
	s, rest := steps[0], steps[1:]
	switch x := v.(type) {
	case map[string]any:
		if s.deep {
			for k, e := range x {
				x[k] = mask(e, steps)
			}
		}
		if s.all {
			for k, e := range x {
				x[k] = mask(e, rest)
			}
		} else if e, ok := x[s.key]; ok {
			x[s.key] = mask(e, rest)
		}
	case []any:
		if s.deep || s.all {
			next := steps
			if s.all {
				next = rest
			}
			for i, e := range x {
				x[i] = mask(e, next)
			}
		}
	}
	return v
}
