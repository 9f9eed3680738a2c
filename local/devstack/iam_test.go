package devstack_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orderbot/orderbot/lambdas/store/dynamo/dynamotest"
	"github.com/orderbot/orderbot/local/awsfront"
	"github.com/orderbot/orderbot/local/cfn/cfntest"
	"github.com/orderbot/orderbot/local/devstack"
)

// withoutStatement removes the statement sid from the inline policies of the roles whose
// logical id contains one of roles, or changes it with edit (keep: true).
func withoutStatement(res cfntest.Resources, sid string, edit func(st map[string]any) (keep bool), roles ...string) {
	for _, role := range roles {
		for _, p := range res.Props("AWS::IAM::Role", role)["Policies"].([]any) {
			doc := p.(map[string]any)["PolicyDocument"].(map[string]any)
			var kept []any
			for _, st := range doc["Statement"].([]any) {
				m := st.(map[string]any)
				if m["Sid"] != sid || (edit != nil && edit(m)) {
					kept = append(kept, m)
				}
			}
			doc["Statement"] = kept
		}
	}
}

var orderRoles = []string{"FnorderupdateRole", "FnorderlistRole", "FninteractiveRole"}

// The stack's commands, through the template's functions as processes, with every AWS
// call signed by its function and decided by its role in the template (enforce, the
// default): no denial.
func TestCommandsInEnforceModeWithoutDenials(t *testing.T) {
	r := start(t, nil, devstack.Options{})
	for _, c := range []struct{ cmd, text, want string }{
		{"/order-update", "iced americano", "iced americano"},
		{"/order-update", "아이스 라떼 🧊", "아이스 라떼"},
		{"/order-list", "", "1 order"},
		{"/order-list", "share", "1 order"},
		{"/order-list", "close at 23:59", "23:59"},
		{"/order-list", "close never", ""},
		{"/order-update", "cancel", ""},
		{"/order-list", "close", ""},
		{"/order-list", "history", ""},
		{"/order-update", "again", ""},
	} {
		reply := command(t, r, c.cmd, c.text)
		if reply.Status != 200 || !strings.Contains(text(reply), c.want) {
			t.Errorf("%s %s: got %d %s, want 200 with %q", c.cmd, c.text, reply.Status, text(reply), c.want)
		}
	}
	r.st.Wait()
	if d := r.st.Front.Denials(); len(d) != 0 {
		t.Errorf("denials: got %+v, want none", d)
	}
}

// Without the order functions' DynamoDB statement, or with its LeadingKeys narrowed to
// another prefix, /order-update answers that the order was not saved and nothing
// changed — never a success, never a 5xx — nothing is written, and the log names the
// missing action.
func TestOrderUpdateWithoutTablePermission(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(st map[string]any) bool
	}{
		{"Table statement removed", nil},
		{"LeadingKeys narrowed to X#", func(st map[string]any) bool {
			st["Condition"] = map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": []any{"X#*"}}}
			return true
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := start(t, func(res cfntest.Resources) { withoutStatement(res, "Table", c.edit, orderRoles...) }, devstack.Options{})
			reply := command(t, r, "/order-update", "iced americano")
			if reply.Status != 200 || !strings.Contains(text(reply), "could not save") || !strings.Contains(text(reply), "Nothing was changed") {
				t.Errorf("/order-update: got %d %s, want 200, not saved, nothing changed", reply.Status, text(reply))
			}
			r.st.Wait()
			var table string
			for _, tb := range r.st.Stack.Tables {
				table = tb.Name
			}
			out, err := dynamotest.NewClient(r.st.DynamoDBEndpoint()).Scan(context.Background(), &dynamodb.ScanInput{TableName: &table})
			if err != nil || out.Count != 0 {
				t.Errorf("table: got %v items, %v; want none written", out.Count, err)
			}
			if log := r.log.String(); !strings.Contains(log, "DENIED") || !strings.Contains(log, "function Orderbot-order-update: dynamodb:") {
				t.Errorf("log: want the denied DynamoDB action of order-update")
			}
		})
	}
}

// Without secretsmanager:GetSecretValue the cold start fails (the secret is read at
// init) and API Gateway answers what it answers for a function error that matches no
// selection pattern.
func TestColdStartWithoutSecretPermission(t *testing.T) {
	r := start(t, func(res cfntest.Resources) { withoutStatement(res, "Secret", nil, "FnorderupdateRole") }, devstack.Options{})
	reply := command(t, r, "/order-update", "iced americano")
	// The init error's message matches the template's catch-all 500 response, as the
	// local gateway applies the template's integration responses.
	if reply.Status != 500 {
		t.Errorf("/order-update: got %d %s, want 500: the function cannot start", reply.Status, text(reply))
	}
	log := r.log.String()
	if !strings.Contains(log, "secretsmanager:GetSecretValue") || !strings.Contains(log, "AccessDeniedException") {
		t.Errorf("log: want the cold start's AccessDeniedException on secretsmanager:GetSecretValue")
	}
}

// --iam warn: the same denial is logged and the call goes through.
func TestWarnModeLetsThrough(t *testing.T) {
	r := start(t, func(res cfntest.Resources) { withoutStatement(res, "Table", nil, orderRoles...) }, devstack.Options{IAM: awsfront.Warn})
	if reply := command(t, r, "/order-update", "iced americano"); reply.Status != 200 || !strings.Contains(text(reply), "iced americano") {
		t.Errorf("/order-update in warn mode: got %d %s, want the order saved", reply.Status, text(reply))
	}
	if !strings.Contains(r.log.String(), "WOULD BE DENIED") {
		t.Error("log: want the denial that warn mode let through")
	}
}
