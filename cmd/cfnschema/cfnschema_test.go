package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var (
	checkerOnce sync.Once
	checker     *Checker
	checkerErr  error
)

// realChecker checks against the registry schemas of the rain version pinned in
// tools/go.mod (downloaded into the module cache on first use).
func realChecker(t *testing.T) *Checker {
	t.Helper()
	checkerOnce.Do(func() {
		var dir string
		if dir, checkerErr = FindSchemaDir(); checkerErr != nil {
			return
		}
		var reg *Registry
		if reg, checkerErr = NewRegistry(dir); checkerErr != nil {
			return
		}
		checker, checkerErr = NewChecker(reg)
	})
	if checkerErr != nil {
		t.Fatal(checkerErr)
	}
	return checker
}

// tmpl is a template with a role, a table and a function, which the cases edit.
func tmpl(edit func(r map[string]map[string]any)) []byte {
	r := map[string]map[string]any{
		"Role": {"Type": "AWS::IAM::Role", "Properties": map[string]any{
			"AssumeRolePolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
				"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": map[string]any{"Service": "lambda.amazonaws.com"},
			}}},
		}},
		"Table": {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "Properties": map[string]any{
			"BillingMode":          "PAY_PER_REQUEST",
			"KeySchema":            []any{map[string]any{"AttributeName": "pk", "KeyType": "HASH"}},
			"AttributeDefinitions": []any{map[string]any{"AttributeName": "pk", "AttributeType": "S"}},
		}},
		"Fn": {"Type": "AWS::Lambda::Function", "Properties": map[string]any{
			"Runtime": "provided.al2023", "Handler": "bootstrap", "Architectures": []any{"arm64"},
			"Code": map[string]any{"ZipFile": "x"}, "Role": map[string]any{"Fn::GetAtt": []any{"Role", "Arn"}},
		}},
	}
	if edit != nil {
		edit(r)
	}
	b, err := json.Marshal(map[string]any{"Resources": r})
	if err != nil {
		panic(err)
	}
	return b
}

func props(r map[string]map[string]any, id string) map[string]any {
	return r[id]["Properties"].(map[string]any)
}

func check(t *testing.T, data []byte) []string {
	t.Helper()
	_, problems := realChecker(t).Check("t.json", data)
	var lines []string
	for _, p := range problems {
		lines = append(lines, p.String())
	}
	return lines
}

// wantOne asserts exactly one problem, containing each of parts.
func wantOne(t *testing.T, got []string, parts ...string) {
	t.Helper()
	if len(got) != 1 {
		t.Fatalf("problems: got %d, want 1 with %q:\n%s", len(got), parts, strings.Join(got, "\n"))
	}
	for _, p := range parts {
		if !strings.Contains(got[0], p) {
			t.Errorf("problem: got %q, want it to contain %q", got[0], p)
		}
	}
}

func TestValidTemplate(t *testing.T) {
	if got := check(t, tmpl(nil)); len(got) != 0 {
		t.Fatalf("valid template: got problems:\n%s\nwant none", strings.Join(got, "\n"))
	}
}

func TestMisspelledProperty(t *testing.T) {
	got := check(t, tmpl(func(r map[string]map[string]any) {
		p := props(r, "Table")
		p["BillingMod"] = p["BillingMode"]
		delete(p, "BillingMode")
	}))
	wantOne(t, got, "t.json Table AWS::DynamoDB::Table: /Properties: ", "'BillingMod' not allowed")

	got = check(t, tmpl(func(r map[string]map[string]any) {
		props(r, "Table")["KeySchema"] = []any{map[string]any{"AttributeName": "pk", "KeyType": "HASH", "Keytype": "HASH"}}
	}))
	wantOne(t, got, "Table AWS::DynamoDB::Table: /Properties/KeySchema/0: ", "'Keytype' not allowed")
}

func TestWrongEnum(t *testing.T) {
	for name, c := range map[string]struct {
		edit  func(r map[string]map[string]any)
		parts []string
	}{
		// An enum the registry schema states.
		"architecture": {func(r map[string]map[string]any) { props(r, "Fn")["Architectures"] = []any{"arm65"} },
			[]string{"Fn AWS::Lambda::Function: /Properties/Architectures/0: ", "'x86_64', 'arm64'"}},
		// An enum patches.go adds: the registry has BillingMode as any string.
		"billing mode": {func(r map[string]map[string]any) { props(r, "Table")["BillingMode"] = "PAY_PER_USE" },
			[]string{"Table AWS::DynamoDB::Table: /Properties/BillingMode: ", "'PROVISIONED', 'PAY_PER_REQUEST'"}},
		// A wrong value in a branch of Fn::If is checked like a literal.
		"Fn::If branch": {func(r map[string]map[string]any) {
			// The condition is undefined too: a second problem.
			props(r, "Table")["BillingMode"] = map[string]any{"Fn::If": []any{"Prod", "PAY_PER_REQUEST", "ON_DEMAND"}}
		}, nil},
		"deletion policy": {func(r map[string]map[string]any) { r["Table"]["DeletionPolicy"] = "Keep" },
			[]string{"Table AWS::DynamoDB::Table: /DeletionPolicy: Keep is not one of"}},
		"type": {func(r map[string]map[string]any) { props(r, "Fn")["Timeout"] = "thirty" },
			[]string{"/Properties/Timeout: got string, want integer"}},
	} {
		t.Run(name, func(t *testing.T) {
			got := check(t, tmpl(c.edit))
			if c.parts == nil {
				if len(got) != 2 || !strings.Contains(got[0], "/Properties/BillingMode/Fn::If/0: no condition Prod") ||
					!strings.Contains(got[1], "/Properties/BillingMode/Fn::If/2: value must be one of") {
					t.Fatalf("got problems:\n%s\nwant two: Fn::If/0 no condition Prod, Fn::If/2 value must be one of", strings.Join(got, "\n"))
				}
				return
			}
			wantOne(t, got, c.parts...)
		})
	}
}

// Intrinsic functions pass wherever a value may be, Fn::If branches included, and so do
// the scalar spellings CloudFormation converts; the rest of the schema still applies.
func TestIntrinsicsPass(t *testing.T) {
	data := tmpl(func(r map[string]map[string]any) {
		t := props(r, "Table")
		t["TableName"] = map[string]any{"Fn::Join": []any{"-", []any{map[string]any{"Ref": "AWS::StackName"}, "orders"}}}
		t["BillingMode"] = map[string]any{"Fn::If": []any{"Prod", "PAY_PER_REQUEST", map[string]any{"Ref": "AWS::NoValue"}}}
		t["KeySchema"] = []any{map[string]any{"AttributeName": map[string]any{"Ref": "KeyName"}, "KeyType": "HASH"}}
		t["DeletionProtectionEnabled"] = "true"
		f := props(r, "Fn")
		f["Architectures"] = map[string]any{"Ref": "Architectures"}
		f["Timeout"] = "30"
		f["MemorySize"] = map[string]any{"Fn::FindInMap": []any{"Sizes", map[string]any{"Ref": "AWS::Region"}, "Memory"}}
		f["Description"] = map[string]any{"Fn::Sub": []any{"${AWS::StackName} ${Table.Arn} ${X}", map[string]any{"X": "y"}}}
		f["Environment"] = map[string]any{"Variables": map[string]any{
			"TABLE": map[string]any{"Ref": "Table"},
			"AZ":    map[string]any{"Fn::Select": []any{0, map[string]any{"Fn::GetAZs": ""}}},
		}}
		r["Fn"]["DependsOn"] = []any{"Role", "Table"}
		r["Custom"] = map[string]any{"Type": "Custom::Seed", "Properties": map[string]any{
			"ServiceToken": map[string]any{"Fn::GetAtt": "Fn.Arn"}, "Anything": []any{1, "two"},
		}}
		r["CDKMetadata"] = map[string]any{"Type": "AWS::CDK::Metadata", "Condition": "Prod",
			"Properties": map[string]any{"Analytics": "v2:deflate64:abc"}}
	})
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	doc["Parameters"] = map[string]any{"KeyName": map[string]any{"Type": "String"},
		"Architectures": map[string]any{"Type": "CommaDelimitedList"}}
	doc["Conditions"] = map[string]any{"Prod": map[string]any{"Fn::Equals": []any{"a", "a"}}}
	doc["Mappings"] = map[string]any{"Sizes": map[string]any{"us-east-1": map[string]any{"Memory": 256}}}
	data, _ = json.Marshal(doc)
	if got := check(t, data); len(got) != 0 {
		t.Fatalf("got problems:\n%s\nwant none", strings.Join(got, "\n"))
	}
}

func TestIntrinsicErrors(t *testing.T) {
	for name, c := range map[string]struct {
		edit  func(r map[string]map[string]any)
		parts []string
	}{
		"unknown function": {func(r map[string]map[string]any) {
			props(r, "Table")["TableName"] = map[string]any{"Fn::Joinn": []any{"", []any{"a"}}}
		}, []string{"/Properties/TableName: Fn::Joinn is not an intrinsic function"}},
		"Ref target": {func(r map[string]map[string]any) {
			props(r, "Table")["TableName"] = map[string]any{"Ref": "Nope"}
		}, []string{"/Properties/TableName/Ref: Ref to Nope, which is not"}},
		"GetAtt attribute": {func(r map[string]map[string]any) {
			props(r, "Fn")["Role"] = map[string]any{"Fn::GetAtt": []any{"Role", "Arnn"}}
		}, []string{"/Properties/Role/Fn::GetAtt: Role (AWS::IAM::Role) has no attribute Arnn"}},
		"Sub variable": {func(r map[string]map[string]any) {
			props(r, "Fn")["Description"] = map[string]any{"Fn::Sub": "${Tabel.Arn} ${!Literal}"}
		}, []string{"/Properties/Description/Fn::Sub: Fn::GetAtt of Tabel, which is not a resource"}},
		"Join shape": {func(r map[string]map[string]any) {
			props(r, "Table")["TableName"] = map[string]any{"Fn::Join": "a,b"}
		}, []string{"/Properties/TableName/Fn::Join: got string, want array"}},
		"Fn::If condition": {func(r map[string]map[string]any) {
			props(r, "Table")["TableName"] = map[string]any{"Fn::If": []any{"IsProd", "a", "b"}}
		}, []string{"/Properties/TableName/Fn::If/0: no condition IsProd in Conditions"}},
		"DependsOn": {func(r map[string]map[string]any) { r["Fn"]["DependsOn"] = "Rol" },
			[]string{"Fn AWS::Lambda::Function: /DependsOn: DependsOn Rol is not a resource"}},
		"resource attribute": {func(r map[string]map[string]any) { r["Fn"]["Propertes"] = map[string]any{} },
			[]string{"/Propertes: \"Propertes\" is not a resource attribute"}},
	} {
		t.Run(name, func(t *testing.T) { wantOne(t, check(t, tmpl(c.edit)), c.parts...) })
	}
}

func TestTypes(t *testing.T) {
	for name, c := range map[string]struct {
		res   map[string]any
		parts []string
	}{
		"unknown": {map[string]any{"Type": "AWS::DynamoDB::Tabel"},
			[]string{"X AWS::DynamoDB::Tabel: /Type: unknown resource type"}},
		"wrong case": {map[string]any{"Type": "AWS::DynamoDB::table"},
			[]string{"/Type: unknown resource type (did you mean AWS::DynamoDB::Table?)"}},
		"not a type name": {map[string]any{"Type": "DynamoDB::Table"}, []string{"/Type: unknown resource type"}},
		"custom without token": {map[string]any{"Type": "Custom::Seed", "Properties": map[string]any{"A": 1}},
			[]string{"X Custom::Seed: /Properties: missing property 'ServiceToken'"}},
		"custom bad name": {map[string]any{"Type": "Custom::Bad Name", "Properties": map[string]any{"ServiceToken": "arn"}},
			[]string{"/Type: custom resource type must match"}},
		"CDK metadata": {map[string]any{"Type": "AWS::CDK::Metadata", "Properties": map[string]any{"Analytic": "x"}},
			[]string{"X AWS::CDK::Metadata: /Properties: ", "'Analytic' not allowed"}},
		"no type": {map[string]any{"Properties": map[string]any{}}, []string{"X -: /Type: a resource needs a Type"}},
	} {
		t.Run(name, func(t *testing.T) {
			got := check(t, tmpl(func(r map[string]map[string]any) { r["X"] = c.res }))
			wantOne(t, got, c.parts...)
		})
	}
}

// Every patch must land on a subschema of the pinned registry schemas.
func TestPatchesApply(t *testing.T) {
	c := realChecker(t)
	for _, p := range patches {
		if _, err := c.reg.Lookup(p.typ); err != nil {
			t.Errorf("%s: Lookup: got error %v, want nil", p.typ, err)
		}
	}
}

// Relax needs no registry: a small schema shows what it accepts and what it keeps.
func TestRelax(t *testing.T) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(`{
		"type": "object", "additionalProperties": false, "required": ["Mode"],
		"properties": {
			"Mode": {"type": "string", "enum": ["A", "B"]},
			"Count": {"type": "integer", "maximum": 5},
			"Days": {"type": "integer", "enum": [1, 3]},
			"Tags": {"type": "array", "items": {"$ref": "#/definitions/Tag"}}
		},
		"definitions": {"Tag": {"type": "object", "additionalProperties": false,
			"properties": {"Key": {"type": "string", "pattern": "^[a-z]+$"}}}}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	reg := &Registry{notes: map[string]bool{}}
	s, err := reg.compile("Test::Relax::Schema", Relax(doc.(map[string]any)))
	if err != nil {
		t.Fatalf("compiling the relaxed schema: got error %v, want nil", err)
	}
	for inst, valid := range map[string]bool{
		`{"Mode": "A"}`:          true,
		`{"Mode": {"Ref": "P"}}`: true,
		`{"Mode": {"Fn::If": ["C", "A", {"Ref": "AWS::NoValue"}]}}`:            true,
		`{"Mode": {"Fn::If": ["C", "A", "Z"]}}`:                                false,
		`{"Mode": "Z"}`:                                                        false,
		`{"Mode": {"Ref": 1}}`:                                                 false,
		`{"Mode": {"Ref": "P", "Fn::Sub": "x"}}`:                               false,
		`{"Mode": "A", "Count": "3"}`:                                          true,
		`{"Mode": "A", "Count": "three"}`:                                      false,
		`{"Mode": "A", "Count": 6}`:                                            false,
		`{"Mode": "A", "Days": "3"}`:                                           true,
		`{"Mode": "A", "Days": "2"}`:                                           false,
		`{"Mode": "A", "Tags": [{"Key": "ok"}, {"Key": {"Fn::Sub": "${X}"}}]}`: true,
		`{"Mode": "A", "Tags": [{"Key": "NO"}]}`:                               false,
		`{"Mode": "A", "Tags": [{"Kee": "ok"}]}`:                               false,
		`{"Mode": "A", "Tags": {"Fn::Split": [",", "a,b"]}}`:                   true,
		`{"Mode": "A", "Moed": "A"}`:                                           false,
		`{}`:                                                                   false,
	} {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(inst))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(v); (err == nil) != valid {
			t.Errorf("%s: valid: got %v (%v), want %v", inst, err == nil, err, valid)
		}
	}
}

func TestRun(t *testing.T) {
	realChecker(t) // fails early, with the reason, when the schemas cannot be had
	dir := t.TempDir()
	good := filepath.Join(dir, "good.template.json")
	bad := filepath.Join(dir, "bad.template.json")
	if err := os.WriteFile(good, tmpl(nil), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, tmpl(func(r map[string]map[string]any) {
		props(r, "Fn")["Architectures"] = []any{"arm65"}
	}), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	const wantGood = "1 templates, 3 resources checked\n"
	if code := run([]string{good}, &out, &errOut); code != 0 || out.String() != wantGood {
		t.Errorf("good: got exit %d, out %q, err %q; want exit 0, out %q", code, out.String(), errOut.String(), wantGood)
	}
	out.Reset()
	code := run([]string{good, bad}, &out, &errOut)
	want := bad + " Fn AWS::Lambda::Function: /Properties/Architectures/0: value must be one of 'x86_64', 'arm64'\n" +
		"2 templates, 6 resources checked, 1 errors\n"
	if code != 1 || out.String() != want {
		t.Errorf("bad: got exit %d, out:\n%s\nwant exit 1, out:\n%s", code, out.String(), want)
	}
	if code := run(nil, &out, &errOut); code != 2 {
		t.Errorf("no arguments: got exit %d, want 2", code)
	}
}
