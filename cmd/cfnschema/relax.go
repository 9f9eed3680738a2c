package main

import (
	"fmt"
	"sort"
)

// Intrinsic functions stand for a value CloudFormation computes at deploy time, so a
// template may put {"Ref": …} or {"Fn::GetAtt": …} wherever a schema expects a string, a
// number, a list or an object. Relax rewrites a registry schema so that every place a
// property value can appear — properties, patternProperties, additionalProperties,
// items and additionalItems, at any depth and inside definitions — accepts, besides
// the original subschema:
//
//   - an intrinsic function: an object with exactly one key, a known function name,
//     whose argument has that function's shape (Ref a string, Fn::Join [string, list]…);
//   - {"Fn::If": [condition, a, b]}, where a and b are each checked against the same
//     relaxed subschema (so a wrong value inside a branch still fails, and
//     {"Ref": "AWS::NoValue"} passes as an intrinsic);
//   - the string forms CloudFormation converts, as cfn-lint does by default: "5" for an
//     integer or number ("30" only if 30 is in the enum, when there is one; minimum and
//     maximum are not applied to strings), "true"/"false" for a boolean, and a number
//     or boolean for a plain string (one with no enum, pattern or format).
//
// Everything else — additionalProperties: false, required, enum, pattern, lengths,
// minimum/maximum — is left as the registry wrote it, so a literal value is checked
// exactly and only the intrinsic itself is taken on trust. Each relaxed subschema is
// hoisted into definitions as cfnValueN, so Fn::If can refer back to it.
//
// Relax modifies and returns root.
func Relax(root map[string]any) map[string]any {
	r := &relaxer{root: root, defs: map[string]any{}}
	r.walk(root)
	defs, _ := root["definitions"].(map[string]any)
	if defs == nil {
		defs = map[string]any{}
		root["definitions"] = defs
	}
	for k, v := range r.defs {
		defs[k] = v
	}
	defs[intrinsicDef] = intrinsicSchema()
	return root
}

const (
	intrinsicDef = "cfnIntrinsic"
	valueDef     = "cfnValue"
	// Branches of a cfnValueN anyOf, in order.
	branchOriginal  = 0
	branchIntrinsic = 1
	branchIf        = 2
)

// IntrinsicFunctions are the functions that return a value and so may stand for a
// property value (Fn::And, Fn::Equals, Fn::Not, Fn::Or and Condition belong in
// Conditions, not in Properties).
var IntrinsicFunctions = []string{
	"Ref", "Fn::Base64", "Fn::Cidr", "Fn::FindInMap", "Fn::GetAtt", "Fn::GetAZs", "Fn::If",
	"Fn::ImportValue", "Fn::Join", "Fn::Length", "Fn::Select", "Fn::Split", "Fn::Sub",
	"Fn::ToJsonString", "Fn::Transform",
}

type relaxer struct {
	root map[string]any
	defs map[string]any
	n    int
}

// walk relaxes the value positions inside schema s.
func (r *relaxer) walk(s any) {
	m, ok := s.(map[string]any)
	if !ok {
		return
	}
	for _, kw := range sortedKeys(m) {
		v := m[kw]
		switch kw {
		case "properties", "patternProperties":
			if props, ok := v.(map[string]any); ok {
				for _, k := range sortedKeys(props) {
					props[k] = r.value(props[k])
				}
			}
		case "additionalProperties", "additionalItems":
			if _, ok := v.(map[string]any); ok {
				m[kw] = r.value(v)
			}
		case "items":
			switch it := v.(type) {
			case map[string]any:
				m[kw] = r.value(it)
			case []any:
				for i := range it {
					it[i] = r.value(it[i])
				}
			}
		case "definitions", "dependencies":
			if defs, ok := v.(map[string]any); ok {
				for _, k := range sortedKeys(defs) {
					r.walk(defs[k])
				}
			}
		case "allOf", "anyOf", "oneOf":
			if list, ok := v.([]any); ok {
				for _, sub := range list {
					r.walk(sub)
				}
			}
		case "not", "if", "then", "else", "contains":
			r.walk(v)
		}
	}
}

// value relaxes the subschema at one value position and returns its replacement.
func (r *relaxer) value(s any) any {
	m, ok := s.(map[string]any)
	if !ok {
		return s // a boolean schema: true accepts an intrinsic already, false nothing
	}
	r.walk(m)
	r.n++
	name := fmt.Sprintf("%s%d", valueDef, r.n)
	self := map[string]any{"$ref": "#/definitions/" + name}
	anyOf := []any{
		m,
		map[string]any{"$ref": "#/definitions/" + intrinsicDef},
		map[string]any{
			"type": "object", "required": []any{"Fn::If"}, "maxProperties": 1,
			"properties": map[string]any{"Fn::If": map[string]any{
				"type": "array", "minItems": 3, "maxItems": 3,
				"items": []any{map[string]any{"type": "string"}, self, self},
			}},
		},
	}
	anyOf = append(anyOf, coercions(m)...)
	r.defs[name] = map[string]any{"anyOf": anyOf}
	return map[string]any{"$ref": "#/definitions/" + name}
}

// coercions are the scalar spellings CloudFormation converts to the type s declares.
func coercions(s map[string]any) []any {
	var types []string
	switch t := s["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			if x, ok := x.(string); ok {
				types = append(types, x)
			}
		}
	}
	var out []any
	if e, ok := s["enum"].([]any); ok {
		// An enum of numbers or booleans: their string forms, and no others.
		var strs []any
		for _, v := range e {
			if _, isStr := v.(string); !isStr {
				strs = append(strs, fmt.Sprint(v))
			}
		}
		if len(strs) > 0 {
			return []any{map[string]any{"type": "string", "enum": strs}}
		}
	}
	for _, t := range types {
		switch t {
		case "integer":
			out = append(out, map[string]any{"type": "string", "pattern": `^[+-]?[0-9]+$`})
		case "number":
			out = append(out, map[string]any{"type": "string", "pattern": `^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`})
		case "boolean":
			out = append(out, map[string]any{"enum": []any{"true", "false"}})
		case "string":
			_, enum := s["enum"]
			_, pattern := s["pattern"]
			_, format := s["format"]
			if !enum && !pattern && !format {
				out = append(out, map[string]any{"type": []any{"number", "boolean"}})
			}
		}
	}
	return out
}

// intrinsicSchema is one intrinsic function call with an argument of the right shape.
// Arguments may themselves be intrinsics; those are not checked further than that.
// Fn::If is not among them: each cfnValueN checks its branches against that value's
// schema.
func intrinsicSchema() map[string]any {
	str := map[string]any{"type": "string"}
	list := func(min, max int) map[string]any {
		return map[string]any{"type": "array", "minItems": min, "maxItems": max}
	}
	// fn: an argument of that kind, or a nested intrinsic (Fn::If included).
	fn := func(kind map[string]any) map[string]any {
		return map[string]any{"anyOf": []any{kind,
			map[string]any{"$ref": "#/definitions/" + intrinsicDef},
			map[string]any{"type": "object", "required": []any{"Fn::If"}, "maxProperties": 1},
		}}
	}
	props := map[string]any{
		"Ref":        str,
		"Fn::Base64": map[string]any{},
		"Fn::Cidr":   list(3, 3),
		"Fn::FindInMap": map[string]any{"type": "array", "minItems": 3, "maxItems": 4,
			"items": []any{fn(str), fn(str), fn(str)}},
		"Fn::GetAtt": map[string]any{"anyOf": []any{
			map[string]any{"type": "string", "pattern": `^[A-Za-z0-9]+\..+$`},
			map[string]any{"type": "array", "minItems": 2, "maxItems": 2, "items": []any{str, fn(str)}},
		}},
		"Fn::GetAZs":      map[string]any{},
		"Fn::ImportValue": map[string]any{},
		"Fn::Join": map[string]any{"type": "array", "minItems": 2, "maxItems": 2,
			"items": []any{str, fn(map[string]any{"type": "array"})}},
		"Fn::Length": map[string]any{},
		"Fn::Select": map[string]any{"type": "array", "minItems": 2, "maxItems": 2,
			"items": []any{fn(map[string]any{"type": []any{"integer", "string"}}), fn(map[string]any{"type": "array"})}},
		"Fn::Split": map[string]any{"type": "array", "minItems": 2, "maxItems": 2, "items": []any{str, fn(str)}},
		"Fn::Sub": map[string]any{"anyOf": []any{
			str,
			map[string]any{"type": "array", "minItems": 2, "maxItems": 2,
				"items": []any{str, map[string]any{"type": "object"}}},
		}},
		"Fn::ToJsonString": map[string]any{},
		"Fn::Transform":    map[string]any{"type": "object"},
	}
	return map[string]any{
		"type": "object", "minProperties": 1, "maxProperties": 1,
		"properties": props, "additionalProperties": false,
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
