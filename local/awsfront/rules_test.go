package awsfront_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orderbot/orderbot/local/awsfront"
)

// DynamoDB counts an item's strings in UTF-8 bytes: 140,000 Hangul syllables are 420,000
// bytes, over 400 KB, though dynalite (UTF-16 units: 140,000) takes them.
func TestItemSizeInUTF8(t *testing.T) {
	e := newEnv(t, awsfront.Enforce)
	ctx := context.Background()
	db := e.db(e.cfg(t, "Orderbot-order-update"))
	big := strings.Repeat("가", 140000)
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &e.table, Item: item("C#T1#C1", "round", map[string]string{"a": big})})
	if code, msg, status := apiErr(t, err); code != "ValidationException" || status != 400 || msg != "Item size has exceeded the maximum allowed size" {
		t.Errorf("PutItem of 420,000 bytes: got %s %d %q, want ValidationException 400", code, status, msg)
	}
	if _, err := e.direct.PutItem(ctx, &dynamodb.PutItemInput{TableName: &e.table, Item: item("C#T1#C9", "round", map[string]string{"a": big})}); err != nil {
		t.Errorf("dynalite itself: got %v, want it to take the item (its UTF-16 count)", err)
	}
	// An update that grows an item past 400 KB is refused, and the item stays as it was.
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &e.table, Item: item("C#T1#C2", "round", map[string]string{"a": strings.Repeat("가", 100000)})}); err != nil {
		t.Fatalf("PutItem of 300,000 bytes: %v", err)
	}
	_, err = db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &e.table, Key: item("C#T1#C2", "round", nil),
		UpdateExpression:          aws.String("SET b = :b"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":b": &types.AttributeValueMemberS{Value: strings.Repeat("가", 50000)}}})
	if code, msg, _ := apiErr(t, err); code != "ValidationException" || msg != "Item size to update has exceeded the maximum allowed size" {
		t.Errorf("UpdateItem to 450,000 bytes: got %s %q, want ValidationException, the item to update", code, msg)
	}
	got, _ := e.direct.GetItem(ctx, &dynamodb.GetItemInput{TableName: &e.table, Key: item("C#T1#C2", "round", nil)})
	if _, ok := got.Item["b"]; ok || got.Item["a"] == nil {
		t.Errorf("item after the refused update: got attributes %v, want a only", keys(got.Item))
	}
}

func keys(m map[string]types.AttributeValue) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	return k
}

// ItemSize follows "Item sizes and formats": names and strings in UTF-8, numbers by
// significant digits, Booleans one byte, lists and maps 3 bytes plus one per element.
func TestItemSize(t *testing.T) {
	for _, c := range []struct {
		item map[string]map[string]any
		want int
	}{
		{map[string]map[string]any{"a": {"S": "가"}}, 1 + 3},
		{map[string]map[string]any{"name": {"S": "abc"}}, 4 + 3},
		{map[string]map[string]any{"n": {"N": "12345"}}, 1 + 1 + 3},
		{map[string]map[string]any{"n": {"N": "-1.50"}}, 1 + 1 + 1 + 1},
		{map[string]map[string]any{"b": {"BOOL": true}, "z": {"NULL": true}}, 2 + 2},
		{map[string]map[string]any{"l": {"L": []any{map[string]any{"S": "ab"}}}}, 1 + 3 + 1 + 2},
		{map[string]map[string]any{"m": {"M": map[string]any{"k": map[string]any{"S": "ab"}}}}, 1 + 3 + 1 + 1 + 2},
	} {
		if got := awsfront.ItemSize(c.item); got != c.want {
			t.Errorf("ItemSize(%v): got %d, want %d", c.item, got, c.want)
		}
	}
}

// ConditionalCheckFailedException carries the item only when the request asks for it.
func TestConditionalCheckFailedReturnValues(t *testing.T) {
	e := newEnv(t, awsfront.Enforce)
	ctx := context.Background()
	db := e.db(e.cfg(t, "Orderbot-order-update"))
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &e.table, Item: item("C#T1#C1", "round", map[string]string{"a": "latte"})}); err != nil {
		t.Fatal(err)
	}
	for _, rv := range []types.ReturnValuesOnConditionCheckFailure{"", types.ReturnValuesOnConditionCheckFailureNone, types.ReturnValuesOnConditionCheckFailureAllOld} {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &e.table, Item: item("C#T1#C1", "round", map[string]string{"a": "mocha"}),
			ConditionExpression: aws.String("attribute_not_exists(pk)"), ReturnValuesOnConditionCheckFailure: rv})
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			t.Fatalf("%q: got %v, want ConditionalCheckFailedException", rv, err)
		}
		a, _ := ccf.Item["a"].(*types.AttributeValueMemberS)
		switch {
		case rv == types.ReturnValuesOnConditionCheckFailureAllOld && (a == nil || a.Value != "latte"):
			t.Errorf("ALL_OLD: got item %v, want the item as it is (a = latte)", ccf.Item)
		case rv != types.ReturnValuesOnConditionCheckFailureAllOld && ccf.Item != nil:
			t.Errorf("%q: got item %v, want none", rv, ccf.Item)
		}
	}
}

// Expression and key limits, in DynamoDB's ValidationException.
func TestExpressionAndKeyLimits(t *testing.T) {
	e := newEnv(t, awsfront.Enforce)
	ctx := context.Background()
	db := e.db(e.cfg(t, "Orderbot-order-update"))
	long := "attribute_not_exists(pk)" + strings.Repeat(" AND attribute_not_exists(pk)", 150)
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &e.table, Item: item("C#T1#C1", "round", nil), ConditionExpression: &long})
	if code, msg, _ := apiErr(t, err); code != "ValidationException" || !strings.Contains(msg, "Expression size has exceeded the maximum allowed size") {
		t.Errorf("a %d-byte expression: got %s %q, want ValidationException", len(long), code, msg)
	}
	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &e.table, Item: item("C#"+strings.Repeat("x", 2047), "round", nil)})
	if code, msg, _ := apiErr(t, err); code != "ValidationException" || !strings.Contains(msg, "Size of hashkey has exceeded the maximum size limit of 2048 bytes") {
		t.Errorf("a 2,049-byte partition key: got %s %q, want ValidationException", code, msg)
	}
	name := "#" + strings.Repeat("n", 255)
	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &e.table, Item: item("C#T1#C1", "round", nil),
		ConditionExpression: aws.String("attribute_not_exists(" + name + ")"), ExpressionAttributeNames: map[string]string{name: "pk"}})
	if code, _, _ := apiErr(t, err); code != "ValidationException" {
		t.Errorf("a 256-byte placeholder: got %s, want ValidationException", code)
	}
}

// Scheduler's rules on CreateSchedule, in its REST error shape.
func TestSchedulerRules(t *testing.T) {
	e := newEnv(t, awsfront.Enforce)
	creds, _ := e.front.Issue("Orderbot-order-list")
	var roleARN string
	for _, r := range model.Roles {
		if strings.Contains(r.LogicalID, "DeadlineSchedulerRole") {
			roleARN = r.ARN
		}
	}
	valid := func() map[string]any {
		return map[string]any{"GroupName": "Orderbot-deadlines", "ScheduleExpression": "at(2030-01-02T03:04:05)", "ScheduleExpressionTimezone": "UTC",
			"FlexibleTimeWindow": map[string]any{"Mode": "OFF"}, "ActionAfterCompletion": "DELETE", "ClientToken": "round-1",
			"Target": map[string]any{"Arn": "arn:aws:lambda:us-east-1:000000000000:function:Orderbot-order-list", "RoleArn": roleARN, "Input": `{"x":1}`,
				"RetryPolicy": map[string]any{"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 5}}}
	}
	cases := []struct {
		name, schedule string
		change         func(map[string]any)
		status         int
		code           string
	}{
		{"valid", "round-1", func(map[string]any) {}, 200, ""},
		{"name pattern", "round 1!", func(map[string]any) {}, 400, "ValidationException"},
		{"name length", strings.Repeat("r", 65), func(map[string]any) {}, 400, "ValidationException"},
		{"no FlexibleTimeWindow", "round-1", func(m map[string]any) { delete(m, "FlexibleTimeWindow") }, 400, "ValidationException"},
		{"FLEXIBLE without a window", "round-1", func(m map[string]any) { m["FlexibleTimeWindow"] = map[string]any{"Mode": "FLEXIBLE"} }, 400, "ValidationException"},
		{"at() not a date", "round-1", func(m map[string]any) { m["ScheduleExpression"] = "at(2030-13-02T03:04:05)" }, 400, "ValidationException"},
		{"at() without seconds", "round-1", func(m map[string]any) { m["ScheduleExpression"] = "at(2030-01-02T03:04)" }, 400, "ValidationException"},
		{"rate(1 minutes)", "round-1", func(m map[string]any) { m["ScheduleExpression"] = "rate(1 minutes)" }, 400, "ValidationException"},
		{"cron of five fields", "round-1", func(m map[string]any) { m["ScheduleExpression"] = "cron(0 12 * * ?)" }, 400, "ValidationException"},
		{"cron of six fields", "round-1", func(m map[string]any) { m["ScheduleExpression"] = "cron(0 12 * * ? *)" }, 200, ""},
		{"cron with both day fields ?", "round-1", func(m map[string]any) { m["ScheduleExpression"] = "cron(0 12 ? * ? *)" }, 400, "ValidationException"},
		{"cron with both day fields *", "round-1", func(m map[string]any) { m["ScheduleExpression"] = "cron(0 12 * * * *)" }, 400, "ValidationException"},
		{"cron hour 24", "round-1", func(m map[string]any) { m["ScheduleExpression"] = "cron(0 24 ? * MON-FRI *)" }, 400, "ValidationException"},
		{"cron weekdays in Seoul", "round-1", func(m map[string]any) {
			m["ScheduleExpression"], m["ScheduleExpressionTimezone"], m["ActionAfterCompletion"] = "cron(0 11 ? * MON-FRI *)", "Asia/Seoul", "NONE"
		}, 200, ""},
		{"time zone", "round-1", func(m map[string]any) { m["ScheduleExpressionTimezone"] = "Mars/Olympus" }, 400, "ValidationException"},
		{"Korean time zone", "round-1", func(m map[string]any) { m["ScheduleExpressionTimezone"] = "Asia/Seoul" }, 200, ""},
		{"input 8,193 characters", "round-1", func(m map[string]any) { m["Target"].(map[string]any)["Input"] = strings.Repeat("가", 8193) }, 400, "ValidationException"},
		{"input 8,192 characters", "round-1", func(m map[string]any) { m["Target"].(map[string]any)["Input"] = strings.Repeat("가", 8192) }, 200, ""},
		{"retry age", "round-1", func(m map[string]any) {
			m["Target"].(map[string]any)["RetryPolicy"] = map[string]any{"MaximumEventAgeInSeconds": 59}
		}, 400, "ValidationException"},
		{"unknown group", "round-1", func(m map[string]any) { m["GroupName"] = "Orderbot-other" }, 403, "AccessDeniedException"},
	}
	for _, c := range cases {
		in := valid()
		c.change(in)
		status, _, h := e.call(t, creds, "scheduler", http.MethodPost, "/schedules/"+c.schedule,
			http.Header{"Content-Type": {"application/json"}}, jsonBody(t, in), time.Now(), nil)
		if status != c.status || h.Get("X-Amzn-ErrorType") != c.code {
			t.Errorf("%s: got %d %q, want %d %q", c.name, status, h.Get("X-Amzn-ErrorType"), c.status, c.code)
		}
	}
}

// Lambda's payload limits by invocation type, and Secrets Manager's
// ResourceNotFoundException.
func TestLambdaPayloadAndSecretNotFound(t *testing.T) {
	e := newEnv(t, awsfront.Warn)
	creds, _ := e.front.Issue("Orderbot-order-update")
	path := "/2015-03-31/functions/Orderbot-order-update/invocations"
	for _, c := range []struct {
		typ    string
		size   int
		status int
	}{
		{"Event", awsfront.MaxAsyncPayload, 202},
		{"Event", awsfront.MaxAsyncPayload + 1, 413},
		{"RequestResponse", awsfront.MaxAsyncPayload + 1, 202},
		{"RequestResponse", awsfront.MaxSyncPayload + 1, 413},
	} {
		body := []byte(`"` + strings.Repeat("x", c.size-2) + `"`)
		status, out, h := e.call(t, creds, "lambda", http.MethodPost, path, http.Header{"X-Amz-Invocation-Type": {c.typ}}, body, time.Now(), nil)
		if status != c.status || (status == 413 && (h.Get("X-Amzn-ErrorType") != "RequestTooLargeException" || !strings.Contains(out["message"], "Request must be smaller than"))) {
			t.Errorf("%s of %d bytes: got %d %q %q, want %d", c.typ, c.size, status, h.Get("X-Amzn-ErrorType"), out["message"], c.status)
		}
	}
	status, out, _ := e.call(t, creds, "secretsmanager", http.MethodPost, "/", http.Header{"X-Amz-Target": {"secretsmanager.GetSecretValue"},
		"Content-Type": {"application/x-amz-json-1.1"}}, []byte(`{"SecretId":"orderbot/missing"}`), time.Now(), nil)
	if status != 400 || out["__type"] != "ResourceNotFoundException" || out["message"] != "Secrets Manager can't find the specified secret." {
		t.Errorf("a missing secret: got %d %v, want 400 ResourceNotFoundException", status, out)
	}
}
