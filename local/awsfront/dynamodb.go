package awsfront

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/orderbot/orderbot/local/cfn"
)

// av is an attribute value as the JSON protocol carries it: {"S": "…"}, {"N": "1"}, …
type av = map[string]any

// ddbRequest is the part of a DynamoDB request the front reads.
type ddbRequest struct {
	TableName                           string
	Key, Item                           map[string]av
	KeyConditionExpression              string
	ConditionExpression                 string
	UpdateExpression                    string
	FilterExpression                    string
	ProjectionExpression                string
	ExpressionAttributeNames            map[string]string
	ExpressionAttributeValues           map[string]av
	ReturnValuesOnConditionCheckFailure string
	TransactItems                       []map[string]ddbRequest
}

// transactActions are the IAM actions of TransactWriteItems' parts
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
var transactActions = map[string]string{"Put": "dynamodb:PutItem", "Update": "dynamodb:UpdateItem",
	"Delete": "dynamodb:DeleteItem", "ConditionCheck": "dynamodb:ConditionCheckItem"}

func parseDynamoDB(f *Front, r *http.Request, body []byte) (op, *apiError) {
	name, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	if !ok {
		return op{}, &apiError{http.StatusBadRequest, "UnknownOperationException", ""}
	}
	var req ddbRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return op{}, &apiError{http.StatusBadRequest, "SerializationException", err.Error()}
	}
	o := op{rules: func() *apiError { return f.ddbRules(name, req) }}
	switch name {
	case "TransactWriteItems":
		for _, ti := range req.TransactItems {
			for kind, part := range ti {
				o.checks = append(o.checks, f.ddbCheck(transactActions[kind], part))
			}
		}
	default:
		o.checks = []check{f.ddbCheck("dynamodb:"+name, req)}
	}
	switch name {
	case "PutItem", "UpdateItem", "DeleteItem":
		o.respond = func(w http.ResponseWriter, r *http.Request, backend http.Handler) {
			f.ddbWrite(w, r, backend, name, req)
		}
	}
	return o, nil
}

// ddbCheck is the authorisation of one DynamoDB action: on the table's ARN, with
// dynamodb:LeadingKeys the partition keys the request names
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html).
func (f *Front) ddbCheck(action string, req ddbRequest) check {
	c := check{action: action, resource: arn("dynamodb", "table/"+req.TableName)}
	t, ok := f.table(req.TableName)
	if !ok {
		return c
	}
	var pk av
	switch {
	case req.Key != nil:
		pk = req.Key[t.PartitionKey]
	case req.Item != nil:
		pk = req.Item[t.PartitionKey]
	case req.KeyConditionExpression != "":
		pk = keyConditionValue(req, t.PartitionKey)
	}
	if v, ok := scalar(pk); ok {
		c.ctx = map[string][]string{"dynamodb:LeadingKeys": {v}}
	}
	return c
}

func (f *Front) table(name string) (cfn.Table, bool) {
	if f.Stack == nil {
		return cfn.Table{}, false
	}
	for _, t := range f.Stack.Tables {
		if t.Name == name {
			return t, true
		}
	}
	return cfn.Table{}, false
}

var (
	keyEquality = regexp.MustCompile(`^\(?\s*([#:A-Za-z0-9_.]+)\s*=\s*([#:A-Za-z0-9_.]+)\s*\)?$`)
	and         = regexp.MustCompile(`(?i)\s+AND\s+`)
)

// keyConditionValue is the value a Query's KeyConditionExpression requires of the
// partition key ("#pk = :pk AND …").
func keyConditionValue(req ddbRequest, partitionKey string) av {
	for _, clause := range and.Split(req.KeyConditionExpression, -1) {
		m := keyEquality.FindStringSubmatch(strings.TrimSpace(clause))
		if m == nil {
			continue
		}
		for _, pair := range [][2]string{{m[1], m[2]}, {m[2], m[1]}} {
			attr := pair[0]
			if n, ok := req.ExpressionAttributeNames[attr]; ok {
				attr = n
			}
			if attr == partitionKey {
				return req.ExpressionAttributeValues[pair[1]]
			}
		}
	}
	return nil
}

// scalar is a key attribute value as a string: S, N, or B (base64, as sent).
func scalar(v av) (string, bool) {
	for _, t := range []string{"S", "N", "B"} {
		if s, ok := v[t].(string); ok {
			return s, true
		}
	}
	return "", false
}

func ddbNotFound(table string) *apiError {
	return &apiError{http.StatusBadRequest, "ResourceNotFoundException", fmt.Sprintf("Requested resource not found: Table: %s not found", table)}
}
