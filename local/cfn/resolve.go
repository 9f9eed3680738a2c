package cfn

import (
	"fmt"
	"regexp"
	"strings"
)

// Stand-ins for what CloudFormation would create: names are <stack>-<logical id> unless
// the template names the resource, ARNs are in Account and Region.

// ref is the value of {"Ref": id}.
func (s *Stack) ref(id string, r Resource) string {
	p := r.Properties
	name := s.Name + "-" + id
	switch r.Type {
	case "AWS::DynamoDB::Table":
		if n := str(p["TableName"]); n != "" {
			return n
		}
	case "AWS::SecretsManager::Secret":
		if n := str(p["Name"]); n != "" {
			name = n
		}
		// Secrets Manager appends six random characters to a secret's ARN.
		return "arn:aws:secretsmanager:" + Region + ":" + Account + ":secret:" + name + "-AbCdEf"
	case "AWS::SQS::Queue":
		return Queue{Name: name}.URL()
	case "AWS::Lambda::Function":
		if n := str(p["FunctionName"]); n != "" {
			return n
		}
	case "AWS::Scheduler::ScheduleGroup", "AWS::Logs::LogGroup":
		if n := str(p["Name"]) + str(p["LogGroupName"]); n != "" {
			return n
		}
	}
	return name
}

// attr is the value of {"Fn::GetAtt": [id, attribute]}.
func (s *Stack) attr(id string, r Resource, attribute string) string {
	arn := func(service, resource string) string {
		return "arn:aws:" + service + ":" + Region + ":" + Account + ":" + resource
	}
	switch r.Type + "." + attribute {
	case "AWS::Lambda::Function.Arn":
		return arn("lambda", "function:"+s.ref(id, r))
	case "AWS::IAM::Role.Arn":
		return "arn:aws:iam::" + Account + ":role/" + s.ref(id, r)
	case "AWS::SQS::Queue.Arn":
		return arn("sqs", s.Name+"-"+id)
	case "AWS::DynamoDB::Table.Arn":
		return arn("dynamodb", "table/"+s.ref(id, r))
	case "AWS::Logs::LogGroup.Arn":
		return arn("logs", "log-group:"+s.ref(id, r)+":*")
	case "AWS::Scheduler::ScheduleGroup.Arn":
		return arn("scheduler", "schedule-group/"+s.ref(id, r))
	case "AWS::ApiGateway::RestApi.RootResourceId":
		return id + "-root"
	}
	return arn("local", id+"/"+attribute)
}

// pseudo are the pseudo parameters' local values.
var pseudo = map[string]string{
	"AWS::Region": Region, "AWS::AccountId": Account, "AWS::Partition": "aws",
	"AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": "",
}

// Resolve evaluates a property value to a string: literals, Ref, Fn::GetAtt, Fn::Join and
// Fn::Sub; any other intrinsic is an error naming it.
func (s *Stack) Resolve(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case float64, bool:
		return fmt.Sprint(v), nil
	case map[string]any:
		if len(v) != 1 {
			break
		}
		for fn, arg := range v {
			return s.intrinsic(fn, arg)
		}
	}
	return "", fmt.Errorf("value %v: not a string the local stack can resolve", v)
}

func (s *Stack) intrinsic(fn string, arg any) (string, error) {
	switch fn {
	case "Ref":
		name := str(arg)
		if p, ok := pseudo[name]; ok {
			return p, nil
		}
		r, ok := s.res[name]
		if !ok {
			return "", fmt.Errorf("intrinsic Ref %q: no such resource", name)
		}
		return s.ref(name, r), nil
	case "Fn::GetAtt":
		l := list(arg)
		if len(l) != 2 {
			return "", fmt.Errorf("Fn::GetAtt %v: want [id, attribute]", arg)
		}
		r, ok := s.res[str(l[0])]
		if !ok {
			return "", fmt.Errorf("Fn::GetAtt %v: no such resource", arg)
		}
		return s.attr(str(l[0]), r, str(l[1])), nil
	case "Fn::Join":
		l := list(arg)
		if len(l) != 2 {
			return "", fmt.Errorf("Fn::Join %v: want [separator, list]", arg)
		}
		var parts []string
		for _, p := range list(l[1]) {
			v, err := s.Resolve(p)
			if err != nil {
				return "", err
			}
			parts = append(parts, v)
		}
		return strings.Join(parts, str(l[0])), nil
	case "Fn::Sub":
		return s.sub(arg)
	}
	return "", fmt.Errorf("intrinsic %s is not implemented by the local stack", fn)
}

var subVar = regexp.MustCompile(`\$\{([^}!]+)\}`)

// sub is Fn::Sub with a string: ${pseudo}, ${id} (Ref) and ${id.attribute}.
func (s *Stack) sub(arg any) (string, error) {
	text, ok := arg.(string)
	if !ok {
		return "", fmt.Errorf("Fn::Sub %v: only the string form is implemented by the local stack", arg)
	}
	var err error
	out := subVar.ReplaceAllStringFunc(text, func(m string) string {
		name := m[2 : len(m)-1]
		var v string
		var e error
		if id, attribute, ok := strings.Cut(name, "."); ok {
			v, e = s.intrinsic("Fn::GetAtt", []any{id, attribute})
		} else {
			v, e = s.intrinsic("Ref", name)
		}
		if e != nil && err == nil {
			err = e
		}
		return v
	})
	return out, err
}

// refOf returns the logical id (and attribute) a {"Ref"} or {"Fn::GetAtt"} names.
func refOf(v any) (id, attribute string) {
	m, _ := v.(map[string]any)
	if r, ok := m["Ref"].(string); ok {
		return r, ""
	}
	if l := list(m["Fn::GetAtt"]); len(l) == 2 {
		return str(l[0]), str(l[1])
	}
	return "", ""
}
