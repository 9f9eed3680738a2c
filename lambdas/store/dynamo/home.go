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

// A user's Home index (orders.HomeIndex) is one item:
//
//	U#<team>#<user>   HOME   h#<channel> (N, Unix nanoseconds of the latest order noted
//	                         there), one per channel; expires_at (N, the latest + history TTL)
//
// Noting a channel is one UpdateItem (SET of its attribute: concurrent orders in other
// channels never overwrite each other). When the item then holds more than
// orders.MaxHomeChannels, the oldest attributes are removed, each conditional on still
// holding the value read, so a channel noted again meanwhile stays.
const (
	// UserKeyPrefix starts the key of a user's items ("U#<team>#<user>", both escaped).
	UserKeyPrefix = "U#"
	homeSK        = "HOME"
	homeAttr      = "h#"
)

func (s *Store) homeKey(team, user string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		PartitionKey: str(UserKeyPrefix + keyEscaper.Replace(team) + "#" + keyEscaper.Replace(user)),
		SortKey:      str(homeSK),
	}
}

// NoteOrderChannel implements orders.HomeIndex.
func (s *Store) NoteOrderChannel(ctx context.Context, ch orders.Channel, user string, at time.Time) error {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       s.homeKey(ch.Team, user),
		UpdateExpression:          aws.String("SET #c = :at, #ttl = :exp"),
		ExpressionAttributeNames:  map[string]string{"#c": homeAttr + ch.Channel, "#ttl": TTLAttribute},
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": nanos(at), ":exp": epochSeconds(at.Add(s.historyTTL))},
		ReturnValues:              types.ReturnValueAllNew,
	})
	if err != nil {
		return fmt.Errorf("note the Home channel: %w", err)
	}
	entries := homeEntries(out.Attributes)
	for _, e := range entries[min(len(entries), orders.MaxHomeChannels):] {
		s.dropHomeChannel(ctx, ch.Team, user, e)
	}
	return nil
}

// dropHomeChannel removes e's attribute if it still holds e.At. A failure leaves one entry
// too many, which the next write removes again and readers trim.
func (s *Store) dropHomeChannel(ctx context.Context, team, user string, e orders.HomeChannel) {
	_, _ = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       s.homeKey(team, user),
		UpdateExpression:          aws.String("REMOVE #c"),
		ConditionExpression:       aws.String("#c = :at"),
		ExpressionAttributeNames:  map[string]string{"#c": homeAttr + e.Channel},
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": nanos(e.At)},
	})
}

// OrderChannels implements orders.HomeIndex.
func (s *Store) OrderChannels(ctx context.Context, team, user string, now time.Time) ([]string, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: s.homeKey(team, user), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("read the Home index: %w", err)
	}
	channels := []string{}
	for _, e := range orders.TrimHomeChannels(homeEntries(out.Item), now.Add(-s.historyTTL)) {
		channels = append(channels, e.Channel)
	}
	return channels, nil
}

// homeEntries decodes the item's h# attributes, most recent first (all of them: one
// attribute per channel, so no duplicates).
func homeEntries(item map[string]types.AttributeValue) []orders.HomeChannel {
	var out []orders.HomeChannel
	for name := range item {
		c, ok := strings.CutPrefix(name, homeAttr)
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(numberAttr(item, name), 10, 64); err == nil {
			out = append(out, orders.HomeChannel{Channel: c, At: time.Unix(0, n).UTC()})
		}
	}
	slices.SortFunc(out, func(a, b orders.HomeChannel) int { return b.At.Compare(a.At) })
	return out
}
