package main

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Problem is one error in a template. ID and Type are "-" for a template-level error;
// Pointer is a JSON pointer into the resource ("/Properties/BillingMode") or template.
type Problem struct {
	Template, ID, Type, Pointer, Message string
}

func (p Problem) String() string {
	ptr := p.Pointer
	if ptr == "" {
		ptr = "(root)" // the whole template or resource
	}
	return fmt.Sprintf("%s %s %s: %s: %s", p.Template, p.ID, p.Type, ptr, p.Message)
}

// resourceKeys are the attributes a resource may have besides Type.
var resourceKeys = map[string]bool{
	"Type": true, "Properties": true, "DependsOn": true, "Condition": true, "Metadata": true,
	"DeletionPolicy": true, "UpdateReplacePolicy": true, "CreationPolicy": true, "UpdatePolicy": true,
}

var (
	deletionPolicies      = []string{"Delete", "Retain", "RetainExceptOnCreate", "Snapshot"}
	updateReplacePolicies = []string{"Delete", "Retain", "Snapshot"}
	pseudoParameters      = map[string]bool{
		"AWS::AccountId": true, "AWS::NotificationARNs": true, "AWS::NoValue": true, "AWS::Partition": true,
		"AWS::Region": true, "AWS::StackId": true, "AWS::StackName": true, "AWS::URLSuffix": true,
	}
	logicalID  = regexp.MustCompile(`^[A-Za-z0-9]{1,255}$`)
	customType = regexp.MustCompile(`^Custom::[A-Za-z0-9_@-]{1,60}$`)
	subVar     = regexp.MustCompile(`\$\{([^!}][^}]*)\}`)
	printer    = message.NewPrinter(language.English)
)

// Checker validates templates against a Registry.
type Checker struct {
	reg      *Registry
	builtins map[string]*resourceSchema
}

// NewChecker returns a Checker whose registry types come from reg. Two kinds of Type
// are not in CloudFormation's registry and have schemas here instead:
//   - AWS::CDK::Metadata, the CDK's version-reporting resource, which CloudFormation
//     accepts: one optional string property, Analytics.
//   - Custom::<name> (and AWS::CloudFormation::CustomResource), custom resources:
//     ServiceToken is required and must be a string; the other properties are the
//     provider's own, so any are allowed.
func NewChecker(reg *Registry) (*Checker, error) {
	c := &Checker{reg: reg, builtins: map[string]*resourceSchema{}}
	for typ, doc := range map[string]string{
		"AWS::CDK::Metadata": `{"type": "object", "additionalProperties": false,
			"properties": {"Analytics": {"type": "string"}}}`,
		"Custom::Resource": `{"type": "object", "required": ["ServiceToken"],
			"properties": {"ServiceToken": {"type": "string"}, "ServiceTimeout": {"type": "integer", "minimum": 1, "maximum": 3600}}}`,
	} {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if err != nil {
			return nil, err
		}
		s, err := reg.compile(typ, Relax(v.(map[string]any)))
		if err != nil {
			return nil, err
		}
		c.builtins[typ] = &resourceSchema{schema: s}
	}
	return c, nil
}

func (c *Checker) schemaOf(typ string) (*resourceSchema, error) {
	switch {
	case typ == "AWS::CDK::Metadata":
		return c.builtins[typ], nil
	case customType.MatchString(typ), typ == "AWS::CloudFormation::CustomResource":
		return c.builtins["Custom::Resource"], nil
	case strings.HasPrefix(typ, "Custom::"):
		return nil, fmt.Errorf("custom resource type must match %s", customType)
	}
	return c.reg.Lookup(typ)
}

// CheckFile validates one template file: it returns the number of resources checked
// and the problems found, sorted.
func (c *Checker) CheckFile(path string) (int, []Problem) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, []Problem{{path, "-", "-", "", err.Error()}}
	}
	return c.Check(path, data)
}

// Check validates one template, named name in problems.
func (c *Checker) Check(name string, data []byte) (int, []Problem) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return 0, []Problem{{name, "-", "-", "", "not JSON: " + err.Error()}}
	}
	t := &template{name: name}
	tmpl, ok := doc.(map[string]any)
	if !ok {
		return 0, []Problem{{name, "-", "-", "", "not a JSON object"}}
	}
	t.resources, _ = tmpl["Resources"].(map[string]any)
	t.params, _ = tmpl["Parameters"].(map[string]any)
	t.conds, _ = tmpl["Conditions"].(map[string]any)
	if len(t.resources) == 0 {
		t.add("-", "-", "/Resources", "a template needs at least one resource")
	}
	ids := sortedKeys(t.resources)
	t.schemaByID = map[string]*resourceSchema{}
	for _, id := range ids {
		if res, ok := t.resources[id].(map[string]any); ok {
			if typ, ok := res["Type"].(string); ok {
				t.schemaByID[id], _ = c.schemaOf(typ)
			}
		}
	}
	for _, id := range ids {
		c.checkResource(t, id)
	}
	if outs, ok := tmpl["Outputs"].(map[string]any); ok {
		for _, k := range sortedKeys(outs) {
			t.checkRefs("-", "-", "/Outputs/"+escape(k), outs[k])
		}
	}
	sort.SliceStable(t.problems, func(i, j int) bool {
		a, b := t.problems[i], t.problems[j]
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.Pointer < b.Pointer
	})
	return len(ids), dedupe(t.problems)
}

type template struct {
	name                     string
	resources, params, conds map[string]any
	problems                 []Problem
	schemaByID               map[string]*resourceSchema
}

func (t *template) add(id, typ, ptr, msg string) {
	t.problems = append(t.problems, Problem{t.name, id, typ, ptr, msg})
}

func (c *Checker) checkResource(t *template, id string) {
	res, ok := t.resources[id].(map[string]any)
	if !ok {
		t.add(id, "-", "", "a resource must be an object")
		return
	}
	typ, _ := res["Type"].(string)
	if typ == "" {
		t.add(id, "-", "/Type", "a resource needs a Type string")
		return
	}
	t.checkAttributes(id, typ, res)
	props, ok := res["Properties"]
	if !ok {
		props = map[string]any{}
	}
	if _, isObj := props.(map[string]any); !isObj {
		t.add(id, typ, "/Properties", "Properties must be an object")
		return
	}
	t.checkRefs(id, typ, "/Properties", props)
	c.checkProperties(t, id, typ, props)
}

// checkAttributes checks what CloudFormation itself defines for every resource: its
// logical ID and attributes (DeletionPolicy, UpdateReplacePolicy, Condition, DependsOn).
func (t *template) checkAttributes(id, typ string, res map[string]any) {
	if !logicalID.MatchString(id) {
		t.add(id, typ, "", "logical ID must be 1-255 letters and digits")
	}
	for _, k := range sortedKeys(res) {
		if !resourceKeys[k] {
			t.add(id, typ, "/"+escape(k), fmt.Sprintf("%q is not a resource attribute", k))
		}
	}
	for key, allowed := range map[string][]string{"DeletionPolicy": deletionPolicies, "UpdateReplacePolicy": updateReplacePolicies} {
		if v, ok := res[key]; ok {
			if s, _ := v.(string); !contains(allowed, s) {
				t.add(id, typ, "/"+key, fmt.Sprintf("%v is not one of %s", v, strings.Join(allowed, ", ")))
			}
		}
	}
	if v, ok := res["Condition"]; ok {
		if s, _ := v.(string); t.conds[s] == nil {
			t.add(id, typ, "/Condition", fmt.Sprintf("no condition %v in Conditions", v))
		}
	}
	if v, ok := res["DependsOn"]; ok {
		deps, isList := v.([]any)
		if !isList {
			deps = []any{v}
		}
		for i, d := range deps {
			ptr := "/DependsOn"
			if isList {
				ptr = fmt.Sprintf("/DependsOn/%d", i)
			}
			if s, _ := d.(string); t.resources[s] == nil {
				t.add(id, typ, ptr, fmt.Sprintf("DependsOn %v is not a resource", d))
			}
		}
	}
}

// checkProperties validates a resource's Properties against its type's schema.
func (c *Checker) checkProperties(t *template, id, typ string, props any) {
	rs, err := c.schemaOf(typ)
	if err != nil {
		t.add(id, typ, "/Type", err.Error())
		return
	}
	err = rs.schema.Validate(props)
	if err == nil {
		return
	}
	verr, ok := err.(*jsonschema.ValidationError)
	if !ok {
		t.add(id, typ, "/Properties", err.Error())
		return
	}
	col := &collector{root: props}
	col.visit(verr)
	for _, l := range col.leaves {
		t.add(id, typ, "/Properties"+l.ptr, l.msg)
	}
}

// checkRefs reports Ref, Fn::GetAtt and Fn::Sub references to names the template does
// not define, and Fn::GetAtt attributes the target's schema does not have.
func (t *template) checkRefs(id, typ, ptr string, v any) {
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			t.checkRefs(id, typ, fmt.Sprintf("%s/%d", ptr, i), e)
		}
	case map[string]any:
		if len(x) == 1 {
			switch {
			case x["Ref"] != nil:
				if s, ok := x["Ref"].(string); ok && !t.defined(s) {
					t.add(id, typ, ptr+"/Ref", fmt.Sprintf("Ref to %s, which is not a parameter, resource or pseudo parameter", s))
				}
				return
			case x["Fn::GetAtt"] != nil:
				t.checkGetAtt(id, typ, ptr+"/Fn::GetAtt", x["Fn::GetAtt"])
				return
			case x["Fn::Sub"] != nil:
				t.checkSub(id, typ, ptr+"/Fn::Sub", x["Fn::Sub"])
				return
			case x["Fn::If"] != nil:
				if args, ok := x["Fn::If"].([]any); ok && len(args) > 0 {
					if s, ok := args[0].(string); ok && t.conds[s] == nil {
						t.add(id, typ, ptr+"/Fn::If/0", fmt.Sprintf("no condition %s in Conditions", s))
					}
				}
			}
		}
		for _, k := range sortedKeys(x) {
			t.checkRefs(id, typ, ptr+"/"+escape(k), x[k])
		}
	}
}

func (t *template) defined(name string) bool {
	return pseudoParameters[name] || t.params[name] != nil || t.resources[name] != nil
}

func (t *template) checkGetAtt(id, typ, ptr string, arg any) {
	var target, attr string
	switch a := arg.(type) {
	case string:
		target, attr, _ = strings.Cut(a, ".")
	case []any:
		if len(a) == 2 {
			target, _ = a[0].(string)
			attr, _ = a[1].(string) // "" when the attribute is itself an intrinsic
		}
		t.checkRefs(id, typ, ptr, a)
	}
	if target == "" {
		return // a malformed Fn::GetAtt is reported by the schema check
	}
	res, ok := t.resources[target].(map[string]any)
	if !ok {
		t.add(id, typ, ptr, fmt.Sprintf("Fn::GetAtt of %s, which is not a resource", target))
		return
	}
	if attr == "" {
		return
	}
	ttyp, _ := res["Type"].(string)
	if rs := t.schemaByID[target]; rs != nil && len(rs.attrs)+len(rs.props) > 0 && !rs.hasAttr(attr) {
		has := "no read-only attributes"
		if len(rs.attrs) > 0 {
			has = "attributes " + strings.Join(sortedSet(rs.attrs), ", ")
		}
		t.add(id, typ, ptr, fmt.Sprintf("%s (%s) has no attribute %s (it has %s, and its properties)", target, ttyp, attr, has))
	}
}

func (t *template) checkSub(id, typ, ptr string, arg any) {
	var s string
	vars := map[string]any{}
	switch a := arg.(type) {
	case string:
		s = a
	case []any:
		if len(a) == 2 {
			s, _ = a[0].(string)
			vars, _ = a[1].(map[string]any)
			for _, k := range sortedKeys(vars) {
				t.checkRefs(id, typ, fmt.Sprintf("%s/1/%s", ptr, escape(k)), vars[k])
			}
		}
	}
	for _, m := range subVar.FindAllStringSubmatch(s, -1) {
		name := strings.TrimSpace(m[1])
		if _, ok := vars[name]; ok {
			continue
		}
		if target, attr, isAtt := strings.Cut(name, "."); isAtt {
			t.checkGetAtt(id, typ, ptr, []any{target, attr})
		} else if !t.defined(name) {
			t.add(id, typ, ptr, fmt.Sprintf("${%s} is not a parameter, resource or pseudo parameter", name))
		}
	}
}

// leaf is one reported schema error, at a pointer relative to Properties.
type leaf struct{ ptr, msg string }

// collector turns a ValidationError tree into the errors a reader can act on.
type collector struct {
	root   any
	leaves []leaf
}

var valueWrapper = regexp.MustCompile(`#/definitions/` + valueDef + `[0-9]+$`)

func (c *collector) visit(e *jsonschema.ValidationError) {
	switch k := e.ErrorKind.(type) {
	case *kind.AnyOf:
		if valueWrapper.MatchString(e.SchemaURL) {
			// A relaxed value position: report the branch that applies to the value —
			// the registry's own subschema unless the value is an intrinsic function.
			want := branchOriginal
			v := valueAt(c.root, e.InstanceLocation)
			switch fn := intrinsicName(v); fn {
			case "":
				if m, ok := v.(map[string]any); ok && len(m) == 1 {
					for k := range m {
						if strings.HasPrefix(k, "Fn::") {
							c.leaves = append(c.leaves, leaf{jsonPointer(e.InstanceLocation), k + " is not an intrinsic function"})
							return
						}
					}
				}
			case "Fn::If":
				want = branchIf
			default:
				want = branchIntrinsic
			}
			// A branch's error is located at the branch or, for a single failing
			// keyword such as items, below it.
			branch := fmt.Sprintf("%s/anyOf/%d", e.SchemaURL, want)
			for _, cause := range e.Causes {
				if cause.SchemaURL == branch || strings.HasPrefix(cause.SchemaURL, branch+"/") {
					c.visit(cause)
					return
				}
			}
		} else {
			c.alternatives(e)
			return
		}
	case *kind.OneOf:
		if len(k.Subschemas) == 0 {
			c.alternatives(e)
			return
		}
	}
	if len(e.Causes) == 0 {
		c.leaves = append(c.leaves, leaf{jsonPointer(e.InstanceLocation), e.ErrorKind.LocalizedString(printer)})
		return
	}
	for _, cause := range e.Causes {
		c.visit(cause)
	}
}

// alternatives reports an anyOf or oneOf of the registry schema that no subschema
// matched. Subschemas that fail on the value's type are dropped as not meant; if one
// or more remain, their errors are reported, otherwise one line lists what was wanted.
func (c *collector) alternatives(e *jsonschema.ValidationError) {
	var meant []*jsonschema.ValidationError
	var wanted []string
	for _, cause := range e.Causes {
		if tk, ok := typeMismatch(cause, e.InstanceLocation); ok {
			wanted = append(wanted, tk.Want...)
			continue
		}
		meant = append(meant, cause)
	}
	if len(meant) == 0 {
		c.leaves = append(c.leaves, leaf{jsonPointer(e.InstanceLocation),
			fmt.Sprintf("%s: want %s", e.ErrorKind.LocalizedString(printer), strings.Join(uniq(wanted), " or "))})
		return
	}
	before := len(c.leaves)
	for _, cause := range meant {
		c.visit(cause)
	}
	if len(meant) > 1 {
		for i := before; i < len(c.leaves); i++ {
			c.leaves[i].msg += fmt.Sprintf(" (one of %d alternatives)", len(meant))
		}
	}
}

// typeMismatch reports whether err is, at instance location loc, only a type error.
func typeMismatch(err *jsonschema.ValidationError, loc []string) (*kind.Type, bool) {
	for {
		if tk, ok := err.ErrorKind.(*kind.Type); ok && len(err.InstanceLocation) == len(loc) {
			return tk, true
		}
		if len(err.Causes) != 1 {
			return nil, false
		}
		err = err.Causes[0]
	}
}

// intrinsicName is the function v calls, or "" when v is not an intrinsic function.
func intrinsicName(v any) string {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return ""
	}
	for k := range m {
		if contains(IntrinsicFunctions, k) {
			return k
		}
	}
	return ""
}

func valueAt(v any, loc []string) any {
	for _, tok := range loc {
		switch x := v.(type) {
		case map[string]any:
			v = x[tok]
		case []any:
			var i int
			if _, err := fmt.Sscanf(tok, "%d", &i); err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func jsonPointer(loc []string) string {
	var sb strings.Builder
	for _, tok := range loc {
		sb.WriteByte('/')
		sb.WriteString(escape(tok))
	}
	return sb.String()
}

func escape(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func uniq(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func sortedSet(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func dedupe(ps []Problem) []Problem {
	seen := map[Problem]bool{}
	var out []Problem
	for _, p := range ps {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// hasAttr reports whether Fn::GetAtt may read attr: a read-only property, or a
// property (or a field of one) of the type.
func (rs *resourceSchema) hasAttr(attr string) bool {
	if rs.attrs[attr] {
		return true
	}
	top, _, _ := strings.Cut(attr, ".")
	return contains(rs.props, top)
}
