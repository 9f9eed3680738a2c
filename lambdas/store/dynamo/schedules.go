package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orderbot/orderbot/lambdas/orders"
)

// A channel's recurring rounds are one item, C#<team>#<channel> / SCHEDULES: one
// attribute s#<id> per recurring round (S, the JSON of orders.Recurring) and sn (N, the
// active ones), so that "at most orders.MaxRecurring" is a condition of the one write
// that adds one. It shares the channel's partition key, which the order functions' policy
// already allows (dynamodb:LeadingKeys C#…): no new permission.
const (
	schedulesSK     = "SCHEDULES"
	recurringPrefix = "s#"
	attrActive      = "sn"
)

func (s *Store) schedulesKey(ch orders.Channel) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{PartitionKey: str(channelPK(ch.Team, ch.Channel)), SortKey: str(schedulesSK)}
}

// schedules reads the channel's recurring rounds by id, with each one's stored text.
func (s *Store) schedules(ctx context.Context, ch orders.Channel) (map[string]orders.Recurring, map[string]string, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: s.schedulesKey(ch), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, nil, fmt.Errorf("read recurring rounds of %s: %w", ch, err)
	}
	rs, raw := map[string]orders.Recurring{}, map[string]string{}
	for name, v := range out.Item {
		id, ok := strings.CutPrefix(name, recurringPrefix)
		sv, isS := v.(*types.AttributeValueMemberS)
		if !ok || !isS {
			continue
		}
		var r orders.Recurring
		if err := json.Unmarshal([]byte(sv.Value), &r); err != nil {
			return nil, nil, fmt.Errorf("decode recurring round %s of %s: %w", id, ch, err)
		}
		rs[id], raw[id] = r, sv.Value
	}
	return rs, raw, nil
}

// AddRecurring implements orders.RecurringStore: one UpdateItem, conditional on the id
// being new and on fewer than MaxRecurring active ones.
func (s *Store) AddRecurring(ctx context.Context, ch orders.Channel, r orders.Recurring) (orders.Recurring, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return orders.Recurring{}, err
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: s.schedulesKey(ch),
		UpdateExpression:          aws.String("SET #s = :s ADD #n :one"),
		ConditionExpression:       aws.String("attribute_not_exists(#s) AND (attribute_not_exists(#n) OR #n < :max)"),
		ExpressionAttributeNames:  map[string]string{"#s": recurringPrefix + r.ID, "#n": attrActive},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": str(string(b)), ":one": num(1), ":max": num(orders.MaxRecurring)},
	})
	if !conditionFailed(err) {
		if err != nil {
			return orders.Recurring{}, fmt.Errorf("add recurring round %s: %w", r.ID, err)
		}
		return r, nil
	}
	rs, _, err := s.schedules(ctx, ch)
	if err != nil {
		return orders.Recurring{}, err
	}
	if old, ok := rs[r.ID]; ok {
		return old, nil // a repeat
	}
	return orders.Recurring{}, orders.ErrTooManyRecurring
}

// ListRecurring implements orders.RecurringStore.
func (s *Store) ListRecurring(ctx context.Context, ch orders.Channel) ([]orders.Recurring, error) {
	rs, _, err := s.schedules(ctx, ch)
	out := make([]orders.Recurring, 0, len(rs))
	for _, r := range rs {
		out = append(out, r)
	}
	orders.SortRecurring(out)
	return out, err
}

// StopRecurring implements orders.RecurringStore: a compare-and-swap of the one
// attribute, which also decrements sn and drops stopped ones beyond MaxStopped.
func (s *Store) StopRecurring(ctx context.Context, ch orders.Channel, id, by string, at time.Time) (orders.Recurring, error) {
	return s.swapRecurring(ctx, ch, id, func(r orders.Recurring, all map[string]orders.Recurring) (orders.Recurring, []string, bool) {
		if !r.Active() {
			return r, nil, false
		}
		r.StoppedBy, r.StoppedAt = by, at
		all[id] = r
		list := make([]orders.Recurring, 0, len(all))
		for _, x := range all {
			list = append(list, x)
		}
		return r, orders.TrimStopped(list), true
	}, true)
}

// SkipRecurring implements orders.RecurringStore.
func (s *Store) SkipRecurring(ctx context.Context, ch orders.Channel, id string, occurrence time.Time) (orders.Recurring, error) {
	r, err := s.swapRecurring(ctx, ch, id, func(r orders.Recurring, _ map[string]orders.Recurring) (orders.Recurring, []string, bool) {
		if !r.Active() {
			return r, nil, false
		}
		r.Skip = occurrence
		return r, nil, true
	}, false)
	if err == nil && !r.Active() {
		return orders.Recurring{}, orders.ErrNoRecurring
	}
	return r, err
}

// swapRecurring changes recurring round id as change says, conditional on its stored text
// being the one read (retried when another write came first); change returns the new
// value, the ids to drop, and false for no write. stop decrements the active count.
func (s *Store) swapRecurring(ctx context.Context, ch orders.Channel, id string,
	change func(orders.Recurring, map[string]orders.Recurring) (orders.Recurring, []string, bool), stop bool) (orders.Recurring, error) {
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		rs, raw, err := s.schedules(ctx, ch)
		if err != nil {
			return orders.Recurring{}, err
		}
		old, ok := rs[id]
		if !ok {
			return orders.Recurring{}, orders.ErrNoRecurring
		}
		r, drop, write := change(old, rs)
		if !write {
			return r, nil
		}
		err = s.writeRecurring(ctx, ch, r, raw[id], drop, stop)
		if !conditionFailed(err) {
			return r, err
		}
	}
	return orders.Recurring{}, fmt.Errorf("change recurring round %s: %w", id, errors.New("changed under it too often"))
}

func (s *Store) writeRecurring(ctx context.Context, ch orders.Channel, r orders.Recurring, old string, drop []string, stop bool) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	names := map[string]string{"#s": recurringPrefix + r.ID}
	values := map[string]types.AttributeValue{":s": str(string(b)), ":old": str(old)}
	update := "SET #s = :s"
	if stop {
		names["#n"], values[":minus"] = attrActive, num(-1)
		update = "SET #s = :s ADD #n :minus"
	}
	var remove []string
	for _, id := range drop {
		remove = append(remove, recurringPrefix+id)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: s.schedulesKey(ch),
		UpdateExpression:          aws.String(update + removeClause(names, remove)),
		ConditionExpression:       aws.String("#s = :old"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("change recurring round %s: %w", r.ID, err)
	}
	return err
}

// StartRound implements orders.RecurringStore: recorded as a deadline request (d#<id>) in
// the write that opens the round or sets the open one's deadline, so a repeat of the
// occurrence is Replayed by the records that make SetDeadline exactly-once.
func (s *Store) StartRound(ctx context.Context, ch orders.Channel, deadline time.Time, req orders.Request, newID string) (orders.Result, error) {
	gone := func(item map[string]types.AttributeValue) bool { return stale(item, req) }
	return s.retry(ctx, ch, s.byRecord(ctx, ch, deadlinePrefix, req, gone, func(item map[string]types.AttributeValue) (orders.Result, error) {
		if isOpen(item) {
			return s.setDeadline(ctx, ch, item, deadline, req)
		}
		out, err := s.db.UpdateItem(ctx, s.startInput(ch, item, deadline, req, newID))
		if err != nil {
			return orders.Result{}, fmt.Errorf("open round %s: %w", newID, err)
		}
		r, err := decodeRound(ch, out.Attributes)
		return orders.Result{Round: r, Outcome: orders.Applied}, err
	}))
}

// startInput opens round newID, empty, with its deadline, on a slot without a round.
func (s *Store) startInput(ch orders.Channel, item map[string]types.AttributeValue, deadline time.Time, req orders.Request, newID string) *dynamodb.UpdateItemInput {
	names := map[string]string{"#rid": attrRoundID, "#opened": attrOpenedAt, "#ob": attrOpenedBy, "#d": deadlinePrefix + req.ID,
		"#dl": attrDeadline, "#dr": attrDeadlineReq, "#da": attrDeadlineReqAt, "#df": attrDeadlineFloor}
	values := map[string]types.AttributeValue{
		":rid": str(newID), ":opened": timeAttr(req.At), ":by": str(req.User), ":d": recordAttr(req, newID),
		":dl": timeAttr(deadline), ":req": str(req.ID), ":at": nanos(req.At),
		":signed": &types.AttributeValueMemberN{Value: strconv.FormatInt(req.SignedAt().Unix(), 10)},
	}
	update := "SET #rid = :rid, #opened = :opened, #ob = :by, #d = :d, #dl = :dl, #dr = :req, #da = :at"
	return &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: s.slotKey(ch),
		UpdateExpression: aws.String(update + trimmedRecords(item, deadlinePrefix).clause(names, values)),
		ConditionExpression: aws.String("attribute_not_exists(#rid) AND attribute_not_exists(#d) AND " +
			"(attribute_not_exists(#df) OR #df < :signed)"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	}
}

// MarkLive implements orders.RecurringStore: a compare-and-swap of the one attribute.
func (s *Store) MarkLive(ctx context.Context, ch orders.Channel, id, round, ts string) error {
	_, err := s.swapRecurring(ctx, ch, id, func(r orders.Recurring, _ map[string]orders.Recurring) (orders.Recurring, []string, bool) {
		r.LiveRound, r.LiveTS = round, ts
		return r, nil, true
	}, false)
	return err
}
