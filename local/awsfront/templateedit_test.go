package awsfront_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/config"
	"github.com/orderbot/orderbot/lambdas/handler"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/slackio"
	"github.com/orderbot/orderbot/lambdas/store/dynamo"
	"github.com/orderbot/orderbot/lambdas/store/dynamo/dynamotest"
	"github.com/orderbot/orderbot/lambdas/syncbuf"
	"github.com/orderbot/orderbot/local/awsfront"
	"github.com/orderbot/orderbot/local/cfn"
	"github.com/orderbot/orderbot/local/gateway"
	"github.com/orderbot/orderbot/local/iam"
	"github.com/orderbot/orderbot/local/slacksim"
)

var signingSecret = []byte("iam-signing-secret")

// edited is the local stack of a copy of the template with edit applied to the role
// statements of the order functions (data access orders) whose Sid is sid.
func edited(t *testing.T, endpoint, sid string, edit func(st map[string]any) bool) local {
	t.Helper()
	l := newLocal(t, endpoint)
	b, _ := json.Marshal(l.raw)
	var tpl cfn.Template
	json.Unmarshal(b, &tpl) // a copy: l.raw stays as synthesized
	for _, r := range api.Routes {
		if r.Data != api.DataOrders {
			continue
		}
		fn := l.stack.FunctionNamed("Orderbot-" + r.Function)
		role := l.model.Functions[fn.Name].Role
		res := tpl.Resources[role.LogicalID]
		for _, p := range res.Properties["Policies"].([]any) {
			doc := p.(map[string]any)["PolicyDocument"].(map[string]any)
			var kept []any
			for _, st := range doc["Statement"].([]any) {
				m := st.(map[string]any)
				if m["Sid"] != sid || edit(m) {
					kept = append(kept, m)
				}
			}
			doc["Statement"] = kept
		}
	}
	var err error
	if l.model, err = iam.FromTemplate(tpl, l.stack); err != nil {
		t.Fatal(err)
	}
	l.raw = tpl
	return l
}

// gatewayOf serves the route functions' handlers as the local gateway does, each with a
// store that reaches DynamoDB through front f with its own function's credentials.
func gatewayOf(t *testing.T, l local, f *awsfront.Front, frontURL string) *slacksim.Client {
	t.Helper()
	handlers := map[string]any{}
	for _, r := range api.Routes {
		creds, err := f.Issue("Orderbot-" + r.Function)
		if err != nil {
			t.Fatal(err)
		}
		db := dynamodb.NewFromConfig(env{url: frontURL}.cfgWith(creds))
		deps := handler.Deps{Orders: &orders.Service{Store: dynamo.New(db, l.table)}, Verifier: slackio.Verifier{Secret: signingSecret},
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		handlers[r.Function] = handler.Handlers(deps)[r.Function]
	}
	gw, err := gateway.New(handlers, gateway.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	return slacksim.New(srv.URL, signingSecret)
}

// itemCount is how many items the stack's table holds, read past the front.
func itemCount(t *testing.T, endpoint string, l local) int32 {
	t.Helper()
	out, err := dynamotest.NewClient(endpoint).Scan(context.Background(), &dynamodb.ScanInput{TableName: &l.table})
	if err != nil {
		t.Fatal(err)
	}
	return out.Count
}

// Edits of the template's order-function roles: without their DynamoDB statement, or with
// its LeadingKeys narrowed to another prefix, /order-update answers that the order was
// not saved and nothing changed — a 200 with a clear message, never a success, never a
// 5xx — nothing is written, and the front's log names the missing action.
func TestTemplateEditsDenyOrderUpdate(t *testing.T) {
	endpoint := dynamotest.Endpoint(t)
	for _, c := range []struct {
		name string
		edit func(st map[string]any) bool
	}{
		{"without the Table statement", func(map[string]any) bool { return false }},
		{"LeadingKeys narrowed to X#*", func(st map[string]any) bool {
			st["Condition"] = map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": []any{"X#*"}}}
			return true
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := edited(t, endpoint, "Table", c.edit)
			f, u := l.front(t, endpoint, l.model)
			log := &syncbuf.Buffer{}
			f.Log = log
			client := gatewayOf(t, l, f, u)
			r, err := client.Command(context.Background(), "/order-update", "iced americano")
			if err != nil {
				t.Fatal(err)
			}
			text := ""
			if r.Msg != nil {
				text = slacksim.RenderMessage(r.Msg)
			}
			if r.Status != 200 || !strings.Contains(text, "could not save") || !strings.Contains(text, "Nothing was changed") {
				t.Errorf("/order-update: got %d %q, want 200 and that the order was not saved, nothing changed", r.Status, text)
			}
			if n := itemCount(t, endpoint, l); n != 0 {
				t.Errorf("table: got %d items, want none written", n)
			}
			if !strings.Contains(log.String(), "DENIED") || !strings.Contains(log.String(), "function Orderbot-order-update: dynamodb:") {
				t.Errorf("front log %q: want the denied DynamoDB action of order-update", log.String())
			}
		})
	}
}

// Without secretsmanager:GetSecretValue the cold start's read of the secret is
// AccessDeniedException naming the action: the function cannot start.
func TestTemplateEditWithoutSecretFailsColdStart(t *testing.T) {
	endpoint := dynamotest.Endpoint(t)
	l := edited(t, endpoint, "Secret", func(map[string]any) bool { return false })
	f, u := l.front(t, endpoint, l.model)
	fn := l.stack.FunctionNamed("Orderbot-order-update")
	creds, _ := f.Issue(fn.Name)
	_, err := config.FetchSecret(context.Background(), config.SecretsManagerAPI{AWS: env{url: u}.cfgWith(creds)}, fn.Env[api.EnvSecretARN])
	if err == nil || !strings.Contains(err.Error(), "AccessDeniedException") || !strings.Contains(err.Error(), "secretsmanager:GetSecretValue") {
		t.Errorf("cold start: got %v, want AccessDeniedException naming secretsmanager:GetSecretValue", err)
	}
}
