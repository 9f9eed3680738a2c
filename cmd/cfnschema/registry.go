package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dlclark/regexp2"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// rainModule ships CloudFormation's resource-provider schemas (the registry's
// DescribeType output, one JSON file per type) inside its source; tools/go.mod pins its
// version and go.sum its hash. The files live under an internal package, so they are
// read from the module cache rather than imported.
const (
	rainModule  = "github.com/aws-cloudformation/rain"
	rainSchemas = "internal/aws/cfn/schemas"
)

// FindSchemaDir returns the schema directory of the rain version pinned in the
// repository's tools/go.mod, downloading the module (checked against tools/go.sum) if
// the module cache lacks it.
func FindSchemaDir() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the orderbot module: run from the repository or pass -schemas")
	}
	modfile := filepath.Join(filepath.Dir(gomod), "tools", "go.mod")
	cmd := exec.Command("go", "mod", "download", "-modfile="+modfile, "-json", rainModule)
	cmd.Dir = filepath.Dir(gomod)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	var info struct{ Dir, Version, Error string }
	if jerr := json.Unmarshal(out, &info); jerr == nil && info.Error != "" {
		return "", fmt.Errorf("go mod download %s: %s", rainModule, info.Error)
	}
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %v: %s", rainModule, err, strings.TrimSpace(stderr.String()))
	}
	if info.Dir == "" {
		return "", fmt.Errorf("go mod download %s: no directory in %q", rainModule, out)
	}
	dir := filepath.Join(info.Dir, filepath.FromSlash(rainSchemas))
	if _, err := os.Stat(filepath.Join(dir, "aws", "dynamodb", "table.json")); err != nil {
		return "", fmt.Errorf("%s@%s no longer ships schemas under %s: %w", rainModule, info.Version, rainSchemas, err)
	}
	return dir, nil
}

// Registry loads, relaxes and compiles resource schemas on demand, once per type.
type Registry struct {
	dir string

	mu    sync.Mutex
	types map[string]*resourceSchema
	notes map[string]bool // patterns that are not ECMA-262 regexps, each reported once
}

type resourceSchema struct {
	schema *jsonschema.Schema
	// attrs are the attributes Fn::GetAtt may read: the schema's readOnlyProperties,
	// "Endpoint.Address" for /properties/Endpoint/Address.
	attrs map[string]bool
	props []string // top-level property names
	err   error
}

// NewRegistry reads schemas from dir, which holds aws/<service>/<resource>.json.
func NewRegistry(dir string) (*Registry, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	return &Registry{dir: dir, types: map[string]*resourceSchema{}, notes: map[string]bool{}}, nil
}

// Notes returns the schema patterns that could not be compiled and so were not checked.
func (r *Registry) Notes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for n := range r.notes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

var typeName = regexp.MustCompile(`^[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+$`)

// errUnknownType marks a Type the registry does not have.
var errUnknownType = errors.New("unknown resource type: not in CloudFormation's registry schemas")

// Lookup returns the compiled schema of a resource type.
func (r *Registry) Lookup(typ string) (*resourceSchema, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rs, ok := r.types[typ]; ok {
		return rs, rs.err
	}
	rs := r.load(typ)
	r.types[typ] = rs
	return rs, rs.err
}

func (r *Registry) load(typ string) *resourceSchema {
	if !typeName.MatchString(typ) {
		return &resourceSchema{err: errUnknownType}
	}
	path := filepath.Join(r.dir, strings.ToLower(strings.ReplaceAll(typ, "::", string(filepath.Separator)))+".json")
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &resourceSchema{err: errUnknownType}
	}
	if err != nil {
		return &resourceSchema{err: err}
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return &resourceSchema{err: fmt.Errorf("schema %s: %w", path, err)}
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return &resourceSchema{err: fmt.Errorf("schema %s: not an object", path)}
	}
	// The file name is the type in lower case: a Type that differs in case is unknown.
	if got, _ := root["typeName"].(string); got != typ {
		if strings.EqualFold(got, typ) {
			return &resourceSchema{err: fmt.Errorf("unknown resource type (did you mean %s?)", got)}
		}
		return &resourceSchema{err: fmt.Errorf("schema %s: typeName %q", path, got)}
	}
	rs := &resourceSchema{attrs: map[string]bool{}}
	if ro, ok := root["readOnlyProperties"].([]any); ok {
		for _, p := range ro {
			if s, ok := p.(string); ok && strings.HasPrefix(s, "/properties/") {
				rs.attrs[strings.ReplaceAll(strings.TrimPrefix(s, "/properties/"), "/", ".")] = true
			}
		}
	}
	// Some configurable properties can be read with Fn::GetAtt too (AWS::SQS::Queue's
	// QueueName), from a list the schema does not carry: allow every property.
	if props, ok := root["properties"].(map[string]any); ok {
		for p := range props {
			rs.props = append(rs.props, p)
		}
	}
	// Some schemas name the registry's meta-schema, a draft-07 extension, by URL; it
	// adds nothing to validating a template and cannot be fetched here.
	delete(root, "$schema")
	if err := patch(typ, root); err != nil {
		return &resourceSchema{err: err}
	}
	rs.schema, rs.err = r.compile(typ, Relax(root))
	return rs
}

// compile compiles a relaxed schema as draft-07, the dialect of the registry's
// provider definition meta-schema.
func (r *Registry) compile(typ string, doc map[string]any) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.UseRegexpEngine(r.regexpEngine(typ))
	url := "cfn:///" + strings.ReplaceAll(typ, "::", "/") + ".json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("schema of %s: %w", typ, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("schema of %s: %w", typ, err)
	}
	return s, nil
}

// regexpEngine compiles patterns as ECMA-262 regular expressions, the flavour JSON
// Schema specifies (the registry's patterns use lookarounds and \u escapes that Go's
// regexp lacks). The few registry patterns that are not valid ECMA-262 either match
// anything and are reported as notes.
func (r *Registry) regexpEngine(typ string) jsonschema.RegexpEngine {
	return func(s string) (jsonschema.Regexp, error) {
		re, err := regexp2.Compile(s, regexp2.ECMAScript)
		if err != nil {
			r.notes[fmt.Sprintf("%s: pattern %q is not a valid ECMA-262 regexp (%v): not checked", typ, s, err)] = true
			return anything(s), nil
		}
		re.MatchTimeout = 5 * time.Second
		return (*ecmaRegexp)(re), nil
	}
}

type ecmaRegexp regexp2.Regexp

func (re *ecmaRegexp) MatchString(s string) bool {
	ok, err := (*regexp2.Regexp)(re).MatchString(s)
	return err == nil && ok
}

func (re *ecmaRegexp) String() string { return (*regexp2.Regexp)(re).String() }

type anything string

func (anything) MatchString(string) bool { return true }
func (a anything) String() string        { return string(a) }
