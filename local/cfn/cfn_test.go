package cfn_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/local/cfn"
	"github.com/orderbot/orderbot/local/cfn/cfntest"
)

func TestMain(m *testing.M) { os.Exit(cfntest.Main(m)) }

const stack = "Orderbot"

func TestLoadServesTheStack(t *testing.T) {
	s, err := cfn.Load(cfntest.Default(t), stack)
	if err != nil {
		t.Fatal(err)
	}
	if s.API.StageName != "prod" || s.API.ThrottleRate != 10 || s.API.ThrottleBurst != 20 || s.API.AccessLogFormat != api.AccessLogFormat {
		t.Errorf("stage: got %q, %v/s burst %v, format %q; want prod, 10/s burst 20, api.AccessLogFormat", s.API.StageName, s.API.ThrottleRate, s.API.ThrottleBurst, s.API.AccessLogFormat)
	}
	if len(s.API.Methods) != len(api.Routes) {
		t.Fatalf("got %d methods, want %d", len(s.API.Methods), len(api.Routes))
	}
	for _, r := range api.Routes {
		var m *cfn.Method
		for i := range s.API.Methods {
			if s.API.Methods[i].Path == r.Path && s.API.Methods[i].HTTPMethod == r.Method {
				m = &s.API.Methods[i]
			}
		}
		if m == nil {
			t.Errorf("route %s %s: no method", r.Method, r.Path)
			continue
		}
		f := s.Functions[m.Function]
		if got := f.Env[api.EnvFunction]; got != r.Function {
			t.Errorf("%s: integration invokes %s, want %s", r.Path, got, r.Function)
		}
		it := m.Integration
		if it.Timeout != api.IntegrationTimeout || it.Passthrough != "NEVER" || it.RequestTemplates[r.ContentType] == "" || len(it.Responses) != 4 {
			t.Errorf("%s: integration %+v, want 2.5 s, NEVER, a template for %s, 4 responses", r.Path, it, r.ContentType)
		}
		if f.Timeout != r.Timeout || f.MemoryMB != 256 || f.Arch != "arm64" || f.LogFormat != "JSON" {
			t.Errorf("%s: function timeout %v, %d MB, %s, logs %s; want %v, 256 MB (infra.MemoryMB), arm64, JSON", r.Path, f.Timeout, f.MemoryMB, f.Arch, f.LogFormat, r.Timeout)
		}
		if _, err := os.Stat(filepath.Join(f.AssetDir, "bootstrap")); err != nil {
			t.Errorf("%s: asset: %v", r.Function, err)
		}
		if r.Kind.Defers() {
			if f.Async.MaxRetries != api.AsyncRetryAttempts || f.Async.MaxEventAge != api.MaxEventAge || f.DeadLetterQueue == "" {
				t.Errorf("%s: async %+v, dead letters %q; want %d retries, %v, a queue", r.Function, f.Async, f.DeadLetterQueue, api.AsyncRetryAttempts, api.MaxEventAge)
			}
		} else if f.Async.MaxRetries != cfn.DefaultMaxRetries || f.Async.MaxEventAge != 6*time.Hour {
			t.Errorf("%s: async %+v, want Lambda's defaults", r.Function, f.Async)
		}
	}
}

// TestEnvironmentResolvesToStandIns: the template's intrinsics become names and ARNs of
// the local stand-ins in the fixed account and region.
func TestEnvironmentResolvesToStandIns(t *testing.T) {
	s, err := cfn.Load(cfntest.Default(t), stack)
	if err != nil {
		t.Fatal(err)
	}
	f := s.FunctionNamed("Orderbot-order-list")
	if f == nil {
		t.Fatal("no function Orderbot-order-list")
	}
	var table cfn.Table
	for _, tb := range s.Tables {
		table = tb
	}
	want := map[string]string{
		api.EnvTableName:         table.Name,
		api.EnvScheduleGroup:     "Orderbot-deadlines",
		api.EnvScheduleTargetARN: "arn:aws:lambda:" + cfn.Region + ":" + cfn.Account + ":function:Orderbot-order-list",
	}
	for k, v := range want {
		if f.Env[k] != v {
			t.Errorf("%s: got %q, want %q", k, f.Env[k], v)
		}
	}
	if !strings.HasPrefix(f.Env[api.EnvSecretARN], "arn:aws:secretsmanager:"+cfn.Region+":"+cfn.Account+":secret:") {
		t.Errorf("%s: got %q, want a local secret ARN", api.EnvSecretARN, f.Env[api.EnvSecretARN])
	}
	if !strings.HasPrefix(f.Env[api.EnvScheduleRoleARN], "arn:aws:iam::"+cfn.Account+":role/") {
		t.Errorf("%s: got %q, want a local role ARN", api.EnvScheduleRoleARN, f.Env[api.EnvScheduleRoleARN])
	}
	if table.PartitionKey == "" || table.SortKey == "" || table.TTLAttribute == "" {
		t.Errorf("table %+v: want its keys and TTL attribute", table)
	}
}

// edit loads a copy of the default template changed by fn.
func edit(t *testing.T, fn func(res map[string]map[string]any)) error {
	t.Helper()
	dir := cfntest.Default(t)
	b, err := os.ReadFile(filepath.Join(dir, stack+".template.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tpl map[string]any
	if err := json.Unmarshal(b, &tpl); err != nil {
		t.Fatal(err)
	}
	res := map[string]map[string]any{}
	for id, r := range tpl["Resources"].(map[string]any) {
		res[id] = r.(map[string]any)
	}
	fn(res)
	all := tpl["Resources"].(map[string]any)
	for id, r := range res {
		all[id] = r
	}
	b, _ = json.Marshal(tpl)
	var parsed cfn.Template
	if err := json.Unmarshal(b, &parsed); err != nil {
		t.Fatal(err)
	}
	_, err = cfn.Parse(parsed, stack, dir)
	return err
}

func firstOf(res map[string]map[string]any, typ string) (string, map[string]any) {
	for id, r := range res {
		if r["Type"] == typ {
			return id, r["Properties"].(map[string]any)
		}
	}
	return "", nil
}

// TestRefusesWhatItDoesNotImplement: a type, a property or an intrinsic the local stack
// does not implement stops it, naming the resource and the property.
func TestRefusesWhatItDoesNotImplement(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(res map[string]map[string]any) string // returns the resource id
		want string
	}{
		{"method property", func(res map[string]map[string]any) string {
			id, p := firstOf(res, "AWS::ApiGateway::Method")
			p["ApiKeyRequired"] = true
			return id
		}, "property ApiKeyRequired"},
		{"integration property", func(res map[string]map[string]any) string {
			id, p := firstOf(res, "AWS::ApiGateway::Method")
			p["Integration"].(map[string]any)["RequestParameters"] = map[string]any{"integration.request.header.x": "'1'"}
			return id
		}, "property Integration.RequestParameters"},
		{"authorizer", func(res map[string]map[string]any) string {
			id, p := firstOf(res, "AWS::ApiGateway::Method")
			p["AuthorizationType"] = "AWS_IAM"
			return id
		}, "AuthorizationType"},
		{"type", func(res map[string]map[string]any) string {
			res["Authorizer"] = map[string]any{"Type": "AWS::ApiGateway::Authorizer", "Properties": map[string]any{}}
			return "Authorizer"
		}, "type AWS::ApiGateway::Authorizer"},
		{"function property", func(res map[string]map[string]any) string {
			id, p := firstOf(res, "AWS::Lambda::Function")
			p["VpcConfig"] = map[string]any{}
			return id
		}, "property VpcConfig"},
		{"intrinsic", func(res map[string]map[string]any) string {
			id, p := firstOf(res, "AWS::Lambda::Function")
			p["Environment"].(map[string]any)["Variables"].(map[string]any)["X"] = map[string]any{"Fn::ImportValue": "x"}
			return id
		}, "Fn::ImportValue"},
		{"stage setting", func(res map[string]map[string]any) string {
			id, p := firstOf(res, "AWS::ApiGateway::Stage")
			p["MethodSettings"].([]any)[0].(map[string]any)["CachingEnabled"] = true
			return id
		}, "MethodSettings[0].CachingEnabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var id string
			err := edit(t, func(res map[string]map[string]any) { id = tc.edit(res) })
			if err == nil || !strings.Contains(err.Error(), id) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one naming %s and %q", err, id, tc.want)
			}
		})
	}
}
