package infra

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// All infra tests live in this one package so that the CDK bindings compile once. Each
// synth costs seconds (a Node.js process runs CDK), so the default stack is synthesized
// once here and shared; variants synthesize their own.

var (
	buildDir   string         // dummy bootstraps, so the tests do not need `make build`
	cdkContext map[string]any // cdk.json's context: the tests see the feature flags synth sees
	def        *fixture       // the stack with cdk.json's context
)

func TestMain(m *testing.M) {
	code, err := run(m)
	jsii.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	tmp, err := os.MkdirTemp("", "orderbot-infra-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	buildDir = filepath.Join(tmp, "build")
	code := CodeDir(Config{BuildDir: buildDir})
	if err := os.MkdirAll(code, 0o755); err != nil {
		return 0, err
	}
	if err := os.WriteFile(filepath.Join(code, HandlerName), []byte("#!/bin/false\n"), 0o755); err != nil {
		return 0, err
	}
	b, err := os.ReadFile("../cdk.json")
	if err != nil {
		return 0, err
	}
	var cdk struct {
		App     string         `json:"app"`
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &cdk); err != nil {
		return 0, fmt.Errorf("cdk.json: %w", err)
	}
	cdkContext = cdk.Context
	if def, err = synth(tmp, nil); err != nil {
		return 0, err
	}
	return m.Run(), nil
}

// fixture is one synthesized stack: the CDK handles, the assertions template and the
// template as plain JSON for walking.
type fixture struct {
	stack *Stack
	tmpl  assertions.Template
	res   map[string]resource // by logical id
	outs  map[string]any
	ann   assertions.Annotations
}

type resource struct {
	Type           string         `json:"Type"`
	Properties     map[string]any `json:"Properties"`
	DependsOn      any            `json:"DependsOn"`
	DeletionPolicy string         `json:"DeletionPolicy"`
}

// synth builds the app with cdk.json's context, the dummy build dir and overrides, with
// cdk-nag logging the findings it suppresses so that the tests can compare them.
func synth(outRoot string, overrides map[string]any) (*fixture, error) {
	ctx := map[string]any{}
	for k, v := range cdkContext {
		ctx[k] = v
	}
	ctx[KeyBuildDir] = buildDir
	for k, v := range overrides {
		ctx[k] = v
	}
	out, err := os.MkdirTemp(outRoot, "cdk.out-")
	if err != nil {
		return nil, err
	}
	_, s, err := NewApp(AppOptions{Context: ctx, Outdir: out, Nag: &cdknag.NagPackProps{
		Verbose: jsii.Bool(true), LogIgnores: jsii.Bool(true), Reports: jsii.Bool(false),
	}})
	if err != nil {
		return nil, err
	}
	f := &fixture{stack: s, tmpl: assertions.Template_FromStack(s.Stack, nil)}
	f.ann = assertions.Annotations_FromStack(s.Stack)
	raw, err := json.Marshal(f.tmpl.ToJSON())
	if err != nil {
		return nil, err
	}
	var t struct {
		Resources map[string]resource `json:"Resources"`
		Outputs   map[string]any      `json:"Outputs"`
	}
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, err
	}
	f.res, f.outs = t.Resources, t.Outputs
	return f, nil
}

// ofType returns the logical ids of the resources of type typ, sorted.
func (f *fixture) ofType(typ string) []string {
	var ids []string
	for id, r := range f.res {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// ref returns the logical id that v (a {"Ref": id} or {"Fn::GetAtt": [id, attr]}) names.
func ref(v any) (id string, attr string) {
	m, ok := v.(map[string]any)
	if !ok {
		return "", ""
	}
	if r, ok := m["Ref"].(string); ok {
		return r, ""
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
		id, _ := ga[0].(string)
		attr, _ := ga[1].(string)
		return id, attr
	}
	return "", ""
}

// render turns a CloudFormation value into a string with each Ref or GetAtt written as
// <id> or <id.attr>, so that tests can compare joined strings.
func render(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if id, attr := ref(v); id != "" {
			if attr != "" {
				return "<" + id + "." + attr + ">"
			}
			return "<" + id + ">"
		}
		if j, ok := v["Fn::Join"].([]any); ok && len(j) == 2 {
			sep, _ := j[0].(string)
			var parts []string
			for _, p := range j[1].([]any) {
				parts = append(parts, render(p))
			}
			return strings.Join(parts, sep)
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// strs returns a CloudFormation string-or-list as a list.
func strs(v any) []string {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, render(e))
		}
		return out
	default:
		return []string{render(v)}
	}
}

func get(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}
