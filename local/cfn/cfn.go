// Package cfn reads a synthesized CloudFormation template (cdk.out) as the local stack
// runs it: the REST API's resources, methods, integrations and stage, every Lambda
// function with its environment, timeout and asynchronous invocation configuration, the
// table, the secret, the queues and the schedule groups. Intrinsic functions resolve to
// local stand-ins in a fixed account and region (Account, Region).
//
// It is strict: a resource type or a property the local stack does not implement is an
// error naming the resource and the property, never ignored — a template that asks for
// something local does not do would otherwise run differently here than deployed.
// Honoured and Inert list what is accepted.
package cfn

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// The fixed local account and region every stand-in ARN is in.
const (
	Account = "000000000000"
	Region  = "us-east-1"
)

// Template is a CloudFormation template as synthesized.
type Template struct {
	Resources map[string]Resource `json:"Resources"`
}

// Resource is one resource of a template.
type Resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
	Metadata   map[string]any `json:"Metadata"`
}

// Stack is what the local stack runs of a template.
type Stack struct {
	Name string
	// Dir is the cloud assembly directory (cdk.out) the template and its assets are in.
	Dir       string
	API       API
	Functions map[string]*Function // by logical id
	Tables    map[string]Table     // by logical id
	Secrets   map[string]string    // ARN by logical id
	Queues    map[string]Queue     // by logical id
	// ScheduleGroups are the EventBridge Scheduler groups' names by logical id.
	ScheduleGroups map[string]string

	res map[string]Resource
}

// Load reads <dir>/<stack>.template.json and checks every resource and property against
// what the local stack implements.
func Load(dir, stack string) (*Stack, error) {
	path := filepath.Join(dir, stack+".template.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	var t Template
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("template %s: %w", path, err)
	}
	s, err := Parse(t, stack, dir)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", path, err)
	}
	return s, nil
}

// Parse builds the Stack of template t, whose assets are under dir.
func Parse(t Template, stack, dir string) (*Stack, error) {
	s := &Stack{Name: stack, Dir: dir, res: t.Resources, Functions: map[string]*Function{}, Tables: map[string]Table{},
		Secrets: map[string]string{}, Queues: map[string]Queue{}, ScheduleGroups: map[string]string{}}
	if err := check(t.Resources); err != nil {
		return nil, err
	}
	for _, id := range sortedIDs(t.Resources) {
		if err := s.add(id, t.Resources[id]); err != nil {
			return nil, err
		}
	}
	for _, id := range sortedIDs(t.Resources) {
		r := t.Resources[id]
		var err error
		switch r.Type {
		case "AWS::Lambda::Function":
			err = s.function(id, r)
		case "AWS::Lambda::EventInvokeConfig":
			err = s.eventInvokeConfig(id, r)
		}
		if err != nil {
			return nil, err
		}
	}
	var err error
	if s.API, err = s.api(); err != nil {
		return nil, err
	}
	return s, nil
}

// add records the stand-in of a resource other resources refer to.
func (s *Stack) add(id string, r Resource) error {
	switch r.Type {
	case "AWS::DynamoDB::Table":
		t, err := table(s.Name+"-"+id, r.Properties)
		if err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		s.Tables[id] = t
	case "AWS::SecretsManager::Secret":
		s.Secrets[id] = s.ref(id, r)
	case "AWS::SQS::Queue":
		s.Queues[id] = Queue{Name: s.Name + "-" + id, ARN: s.attr(id, r, "Arn")}
	case "AWS::Scheduler::ScheduleGroup":
		s.ScheduleGroups[id] = s.ref(id, r)
	}
	return nil
}

// Table is a DynamoDB table's stand-in: its name and what creating it locally needs.
type Table struct {
	Name         string
	PartitionKey string
	SortKey      string
	// Types are the key attributes' types (S, N, B).
	Types        map[string]string
	TTLAttribute string
}

func table(name string, p map[string]any) (Table, error) {
	t := Table{Name: name, Types: map[string]string{}}
	if n, ok := p["TableName"].(string); ok {
		t.Name = n
	}
	for _, a := range list(p["AttributeDefinitions"]) {
		m, _ := a.(map[string]any)
		t.Types[str(m["AttributeName"])] = str(m["AttributeType"])
	}
	for _, k := range list(p["KeySchema"]) {
		m, _ := k.(map[string]any)
		switch str(m["KeyType"]) {
		case "HASH":
			t.PartitionKey = str(m["AttributeName"])
		case "RANGE":
			t.SortKey = str(m["AttributeName"])
		}
	}
	if ttl, ok := p["TimeToLiveSpecification"].(map[string]any); ok && ttl["Enabled"] == true {
		t.TTLAttribute = str(ttl["AttributeName"])
	}
	if t.PartitionKey == "" {
		return t, errors.New("KeySchema: no HASH key")
	}
	return t, nil
}

// Queue is an SQS queue's stand-in.
type Queue struct {
	Name, ARN string
}

// URL is the queue's URL in the local account.
func (q Queue) URL() string {
	return "https://sqs." + Region + ".amazonaws.com/" + Account + "/" + q.Name
}

func sortedIDs(m map[string]Resource) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func list(v any) []any { l, _ := v.([]any); return l }

func str(v any) string { s, _ := v.(string); return s }

// FunctionNamed is the function whose FunctionName (or stand-in name) is name, or nil.
func (s *Stack) FunctionNamed(name string) *Function {
	for _, f := range s.Functions {
		if f.Name == name || f.ARN == name {
			return f
		}
	}
	return nil
}

// FunctionIDs are the functions' logical ids, sorted.
func (s *Stack) FunctionIDs() []string {
	ids := make([]string, 0, len(s.Functions))
	for id := range s.Functions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// pathOf joins an API resource's path parts up to the root.
func (s *Stack) pathOf(resourceID any) (string, error) {
	var parts []string
	for range 64 {
		id, attr := refOf(resourceID)
		if attr == "RootResourceId" {
			return "/" + strings.Join(parts, "/"), nil
		}
		r, ok := s.res[id]
		if !ok || r.Type != "AWS::ApiGateway::Resource" {
			return "", fmt.Errorf("ResourceId %v names no AWS::ApiGateway::Resource", resourceID)
		}
		parts = append([]string{str(r.Properties["PathPart"])}, parts...)
		resourceID = r.Properties["ParentId"]
	}
	return "", errors.New("API resources nest deeper than 64")
}
