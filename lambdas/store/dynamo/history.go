package dynamo

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orderbot/orderbot/lambdas/orders"
)

// ClosedRounds returns the channel's last limit closed rounds, newest first: the history
// items (R#<round id>), read newest first with a Query, and the slot while it holds a
// closed round not yet moved to history. Items whose TTLAttribute has passed at now are
// left out: DynamoDB deletes expired items only eventually (within days).
func (s *Store) ClosedRounds(ctx context.Context, ch orders.Channel, limit int, now time.Time) ([]orders.Round, error) {
	out := []orders.Round{}
	if limit < 1 {
		return out, nil
	}
	item, err := s.slot(ctx, ch)
	if err != nil {
		return nil, err
	}
	if closed(item) {
		r, err := decodeRound(ch, item)
		if err != nil {
			return nil, err
		}
		if r.ClosedAt.Add(s.historyTTL).After(now) {
			out = append(out, r)
		}
	}
	// One more than asked for: the slot's round may be in history too (moved, but the
	// slot not yet reset).
	history, err := s.history(ctx, ch, limit+1, now)
	if err != nil {
		return nil, err
	}
	for _, r := range history {
		if len(out) == 0 || out[0].ID != r.ID {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b orders.Round) int { return strings.Compare(b.ID, a.ID) })
	return out[:min(limit, len(out))], nil
}

// history reads up to n unexpired history items of the channel, newest first.
func (s *Store) history(ctx context.Context, ch orders.Channel, n int, now time.Time) ([]orders.Round, error) {
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("#pk = :pk AND begins_with(#sk, :history)"),
		ExpressionAttributeNames:  map[string]string{"#pk": PartitionKey, "#sk": SortKey},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(channelPK(ch.Team, ch.Channel)), ":history": str(historySK)},
		ScanIndexForward:          aws.Bool(false),
		ConsistentRead:            aws.Bool(true),
		Limit:                     aws.Int32(int32(min(n, 100))),
	}
	var out []orders.Round
	for {
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("read closed rounds: %w", err)
		}
		for _, item := range page.Items {
			r, err := decodeRound(ch, item)
			if err != nil {
				return nil, err
			}
			if !s.expired(item, r, now) {
				out = append(out, r)
			}
			if len(out) == n {
				return out, nil
			}
		}
		if page.LastEvaluatedKey == nil {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// expired reports whether a history item's TTL has passed at now; an item saved before
// history expired counts from its closing time.
func (s *Store) expired(item map[string]types.AttributeValue, r orders.Round, now time.Time) bool {
	if exp, err := strconv.ParseInt(numberAttr(item, TTLAttribute), 10, 64); err == nil {
		return exp <= now.Unix()
	}
	return !r.ClosedAt.Add(s.historyTTL).After(now)
}
