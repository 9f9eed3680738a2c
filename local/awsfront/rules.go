package awsfront

import (
	"encoding/base64"
	"fmt"
	"math/big"
	"slices"
	"strings"
)

// DynamoDB's constraints
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html):
// sizes in binary units, strings counted in UTF-8 bytes.
const (
	// MaxItemSize: "The maximum item size in DynamoDB is 400 KB, which includes both
	// attribute name binary length (UTF-8 length) and attribute value lengths" (#limits-items).
	MaxItemSize = 400 << 10
	// MaxPartitionKey and MaxSortKey: key values' lengths (#limits-partition-sort-keys).
	MaxPartitionKey = 2048
	MaxSortKey      = 1024
	// MaxExpression: "The maximum length of any expression string is 4 KB";
	// MaxPlaceholder: "of any single expression attribute name or expression attribute
	// value is 255 bytes"; MaxSubstitutions: "of all substitution variables in an
	// expression is 2 MB" (#limits-expression-parameters).
	MaxExpression    = 4 << 10
	MaxPlaceholder   = 255
	MaxSubstitutions = 2 << 20
	// MaxTransactItems and MaxTransactSize: "up to 100 unique items … the aggregate size
	// of the items in the transaction cannot exceed 4 MB" (#limits-dynamodb-transactions).
	MaxTransactItems = 100
	MaxTransactSize  = 4 << 20
)

func (f *Front) ddbRules(name string, req ddbRequest) *apiError {
	if name == "TransactWriteItems" {
		return f.transactRules(req)
	}
	if _, ok := f.table(req.TableName); !ok && req.TableName != "" {
		return ddbNotFound(req.TableName)
	}
	if err := expressionRules(req); err != nil {
		return err
	}
	if err := f.keyRules(req); err != nil {
		return err
	}
	if req.Item != nil && ItemSize(req.Item) > MaxItemSize {
		return validation("Item size has exceeded the maximum allowed size")
	}
	return nil
}

func expressionRules(req ddbRequest) *apiError {
	for _, e := range []string{req.KeyConditionExpression, req.ConditionExpression, req.UpdateExpression, req.FilterExpression, req.ProjectionExpression} {
		if len(e) > MaxExpression {
			return validation(fmt.Sprintf("Invalid expression: Expression size has exceeded the maximum allowed size; expression size: %d", len(e)))
		}
	}
	total := 0
	for k, v := range req.ExpressionAttributeNames {
		if len(k) > MaxPlaceholder {
			return validation(fmt.Sprintf("ExpressionAttributeNames contains invalid key: the placeholder %.20q… is longer than %d bytes", k, MaxPlaceholder))
		}
		total += len(k) + len(v)
	}
	for k, v := range req.ExpressionAttributeValues {
		if len(k) > MaxPlaceholder {
			return validation(fmt.Sprintf("ExpressionAttributeValues contains invalid key: the placeholder %.20q… is longer than %d bytes", k, MaxPlaceholder))
		}
		total += len(k) + valueSize(v)
	}
	if total > MaxSubstitutions {
		return validation(fmt.Sprintf("Invalid expression: the substitution variables total %d bytes, more than 2 MB", total))
	}
	return nil
}

// keyRules: the key attribute values' lengths. The messages are DynamoDB's (as moto
// reproduces them: HashKeyTooLong, RangeKeyTooLong).
func (f *Front) keyRules(req ddbRequest) *apiError {
	t, ok := f.table(req.TableName)
	if !ok {
		return nil
	}
	key := req.Key
	if key == nil {
		key = req.Item
	}
	if v, ok := key[t.PartitionKey]; ok && valueSize(v) > MaxPartitionKey {
		return validation(fmt.Sprintf("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of %d bytes", MaxPartitionKey))
	}
	if v, ok := key[t.SortKey]; ok && t.SortKey != "" && valueSize(v) > MaxSortKey {
		return validation(fmt.Sprintf("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of %d bytes", MaxSortKey))
	}
	return nil
}

func (f *Front) transactRules(req ddbRequest) *apiError {
	if n := len(req.TransactItems); n == 0 || n > MaxTransactItems {
		return validation(fmt.Sprintf("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to %d and greater than or equal to 1 (got %d)", MaxTransactItems, n))
	}
	var seen []string
	size := 0
	for _, ti := range req.TransactItems {
		for _, part := range ti {
			if _, ok := f.table(part.TableName); !ok {
				return ddbNotFound(part.TableName)
			}
			if err := expressionRules(part); err != nil {
				return err
			}
			if err := f.keyRules(part); err != nil {
				return err
			}
			key := f.itemKey(part)
			if slices.Contains(seen, key) {
				return validation("Transaction request cannot include multiple operations on one item")
			}
			seen = append(seen, key)
			if part.Item != nil {
				if ItemSize(part.Item) > MaxItemSize {
					return validation("Item size has exceeded the maximum allowed size")
				}
				size += ItemSize(part.Item)
			}
		}
	}
	if size > MaxTransactSize {
		return validation("Transaction size has exceeded the maximum allowed size of 4 MB")
	}
	return nil
}

// itemKey identifies the item a request is on: table, partition and sort key.
func (f *Front) itemKey(req ddbRequest) string {
	t, _ := f.table(req.TableName)
	key := req.Key
	if key == nil {
		key = req.Item
	}
	pk, _ := scalar(key[t.PartitionKey])
	sk, _ := scalar(key[t.SortKey])
	return req.TableName + "\x00" + pk + "\x00" + sk
}

// ItemSize is an item's size as DynamoDB counts it ("Item sizes and formats",
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
// attribute names and strings in UTF-8 bytes, binaries raw, numbers about one byte per
// two significant digits plus one, null and Boolean one byte, a list or map 3 bytes plus
// one per element plus its elements. dynalite counts strings in UTF-16 code units, which
// lets a Korean item of 300 KB in UTF-8 pass as 200 KB.
func ItemSize(item map[string]av) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v av) int {
	for t, val := range v {
		switch t {
		case "S":
			s, _ := val.(string)
			return len(s)
		case "B":
			s, _ := val.(string)
			b, _ := base64.StdEncoding.DecodeString(s)
			return len(b)
		case "N":
			s, _ := val.(string)
			return numberSize(s)
		case "NULL", "BOOL":
			return 1
		case "SS", "NS", "BS":
			n := 0
			for _, e := range list(val) {
				s, _ := e.(string)
				n += valueSize(av{strings.TrimSuffix(t, "S"): s})
			}
			return n
		case "L":
			n := 3
			for _, e := range list(val) {
				m, _ := e.(map[string]any)
				n += 1 + valueSize(m)
			}
			return n
		case "M":
			m, _ := val.(map[string]any)
			inner := map[string]av{}
			for k, e := range m {
				inner[k], _ = e.(map[string]any)
			}
			return 3 + len(m) + ItemSize(inner)
		}
	}
	return 0
}

// numberSize: the significant digits, two to a byte, plus one (dynalite's formula, which
// follows DynamoDB's).
func numberSize(s string) int {
	f, ok := new(big.Float).SetPrec(200).SetString(s)
	if !ok || f.Sign() == 0 {
		return 1
	}
	digits := strings.TrimLeft(strings.ReplaceAll(strings.TrimLeft(s, "+-"), ".", ""), "0")
	if i := strings.IndexAny(digits, "eE"); i >= 0 {
		digits = digits[:i]
	}
	digits = strings.TrimRight(digits, "0")
	n := 1 + (len(digits)+1)/2
	if f.Sign() < 0 {
		n++
	}
	return n
}

func list(v any) []any { l, _ := v.([]any); return l }
