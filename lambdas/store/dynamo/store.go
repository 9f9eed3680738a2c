package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orderbot/orderbot/lambdas/orders"
)

// API is the part of the DynamoDB client the store calls; *dynamodb.Client implements it.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// maxAttempts bounds the retries of a write whose condition failed. A failure means another
// writer made progress (closed or retired a round, added or removed an order), so a handful
// of attempts is plenty unless a channel is closed over and over in the same instant.
const maxAttempts = 8

// Store is an orders.Store on one DynamoDB table with the schema of this package.
type Store struct {
	db    API
	table string
}

var _ orders.Store = (*Store)(nil)

// New returns a store on table.
func New(db API, table string) *Store {
	return &Store{db: db, table: table}
}

func (s *Store) slotKey(ch orders.Channel) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		PartitionKey: str(channelPK(ch.Team, ch.Channel)),
		SortKey:      str(slotSK),
	}
}

// SetOrder puts o into the channel's open round, opening round newID if the slot is empty.
func (s *Store) SetOrder(ctx context.Context, ch orders.Channel, o orders.Order, newID string) (orders.Round, error) {
	in := &dynamodb.UpdateItemInput{
		TableName:           &s.table,
		Key:                 s.slotKey(ch),
		UpdateExpression:    aws.String("SET #rid = if_not_exists(#rid, :rid), #opened = if_not_exists(#opened, :opened), #o = :o"),
		ConditionExpression: aws.String("attribute_not_exists(#closed)"),
		ExpressionAttributeNames: map[string]string{
			"#rid": attrRoundID, "#opened": attrOpenedAt, "#closed": attrClosedAt, "#o": orderPrefix + o.User,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":rid":    str(newID),
			":opened": timeAttr(o.At),
			":o":      orderAttr(o),
		},
		ReturnValues: types.ReturnValueAllNew,
	}
	for attempt := 1; ; attempt++ {
		out, err := s.db.UpdateItem(ctx, in)
		if err == nil {
			return decodeRound(ch, out.Attributes)
		}
		if !conditionFailed(err) {
			return orders.Round{}, fmt.Errorf("put order of %s: %w", o.User, err)
		}
		if attempt == maxAttempts {
			return orders.Round{}, fmt.Errorf("put order of %s: round closed under it %d times in a row: %w", o.User, attempt, err)
		}
		// The slot holds a closed round: move it to history so the next attempt opens one.
		item, err := s.slot(ctx, ch)
		if err != nil {
			return orders.Round{}, err
		}
		if _, closed := item[attrClosedAt]; closed {
			if err := s.retire(ctx, item); err != nil {
				return orders.Round{}, err
			}
		}
	}
}

// CancelOrder removes user's order from the open round.
func (s *Store) CancelOrder(ctx context.Context, ch orders.Channel, user string) (orders.Round, error) {
	in := &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      s.slotKey(ch),
		UpdateExpression:         aws.String("REMOVE #o"),
		ConditionExpression:      aws.String("attribute_exists(#rid) AND attribute_not_exists(#closed) AND attribute_exists(#o)"),
		ExpressionAttributeNames: map[string]string{"#rid": attrRoundID, "#closed": attrClosedAt, "#o": orderPrefix + user},
		ReturnValues:             types.ReturnValueAllNew,
	}
	for attempt := 1; ; attempt++ {
		out, err := s.db.UpdateItem(ctx, in)
		if err == nil {
			return decodeRound(ch, out.Attributes)
		}
		if !conditionFailed(err) {
			return orders.Round{}, fmt.Errorf("remove order of %s: %w", user, err)
		}
		if attempt == maxAttempts {
			return orders.Round{}, fmt.Errorf("remove order of %s: round changed under it %d times in a row: %w", user, attempt, err)
		}
		// Tell which part of the condition failed; if none does any more, the order
		// arrived after the write: try again.
		item, err := s.slot(ctx, ch)
		if err != nil {
			return orders.Round{}, err
		}
		if !isOpen(item) {
			return orders.Round{}, orders.ErrNoOpenRound
		}
		if _, ok := item[orderPrefix+user]; !ok {
			return orders.Round{}, orders.ErrNoOrder
		}
	}
}

// OpenRound returns the open round.
func (s *Store) OpenRound(ctx context.Context, ch orders.Channel) (orders.Round, error) {
	item, err := s.slot(ctx, ch)
	if err != nil {
		return orders.Round{}, err
	}
	if !isOpen(item) {
		return orders.Round{}, orders.ErrNoOpenRound
	}
	return decodeRound(ch, item)
}

// CloseRound closes the open round at at and returns it with its final orders.
func (s *Store) CloseRound(ctx context.Context, ch orders.Channel, at time.Time) (orders.Round, error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       s.slotKey(ch),
		UpdateExpression:          aws.String("SET #closed = :at"),
		ConditionExpression:       aws.String("attribute_exists(#rid) AND attribute_not_exists(#closed)"),
		ExpressionAttributeNames:  map[string]string{"#rid": attrRoundID, "#closed": attrClosedAt},
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": timeAttr(at)},
		ReturnValues:              types.ReturnValueAllNew,
	})
	if conditionFailed(err) {
		return orders.Round{}, orders.ErrNoOpenRound
	}
	if err != nil {
		return orders.Round{}, fmt.Errorf("mark round closed: %w", err)
	}
	r, err := decodeRound(ch, out.Attributes)
	if err != nil {
		return orders.Round{}, err
	}
	// The round is closed and r is final whatever happens next. Moving it to history now
	// spares the next SetOrder the work; if this fails, that SetOrder retries it, so the
	// error must not turn a successful close into a reported failure.
	_ = s.retire(ctx, out.Attributes)
	return r, nil
}

// MarkEvent records id until expires; false when it is recorded and not expired at now.
func (s *Store) MarkEvent(ctx context.Context, id string, now, expires time.Time) (bool, error) {
	// Whole seconds, rounded so that a record never counts as expired early.
	exp := int64(math.Ceil(float64(expires.UnixNano()) / 1e9))
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table,
		Item: map[string]types.AttributeValue{
			PartitionKey: str(eventPK(id)),
			SortKey:      str(eventSK),
			TTLAttribute: &types.AttributeValueMemberN{Value: strconv.FormatInt(exp, 10)},
		},
		ConditionExpression:       aws.String("attribute_not_exists(#pk) OR #exp <= :now"),
		ExpressionAttributeNames:  map[string]string{"#pk": PartitionKey, "#exp": TTLAttribute},
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)}},
	})
	if conditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("put event record: %w", err)
	}
	return true, nil
}

// slot reads the channel's slot item (nil when empty) strongly consistently: the rules
// hold only against the latest write.
func (s *Store) slot(ctx context.Context, ch orders.Channel) (map[string]types.AttributeValue, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &s.table,
		Key:            s.slotKey(ch),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("read current round: %w", err)
	}
	return out.Item, nil
}

// retire moves a closed round from the slot to its history item. Both steps are safe to
// repeat and to race: a closed round never changes, and the delete only removes that
// round, never one opened since.
func (s *Store) retire(ctx context.Context, item map[string]types.AttributeValue) error {
	rid, ok := item[attrRoundID].(*types.AttributeValueMemberS)
	if !ok {
		return fmt.Errorf("retire round: slot item has no %s", attrRoundID)
	}
	history := maps.Clone(item)
	history[SortKey] = str(historySK + rid.Value)
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: history}); err != nil {
		return fmt.Errorf("retire round %s: save history: %w", rid.Value, err)
	}
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 &s.table,
		Key:                       map[string]types.AttributeValue{PartitionKey: item[PartitionKey], SortKey: str(slotSK)},
		ConditionExpression:       aws.String("#rid = :rid AND attribute_exists(#closed)"),
		ExpressionAttributeNames:  map[string]string{"#rid": attrRoundID, "#closed": attrClosedAt},
		ExpressionAttributeValues: map[string]types.AttributeValue{":rid": rid},
	})
	if err != nil && !conditionFailed(err) { // failed condition: someone else retired it
		return fmt.Errorf("retire round %s: clear slot: %w", rid.Value, err)
	}
	return nil
}

func isOpen(item map[string]types.AttributeValue) bool {
	_, opened := item[attrRoundID]
	_, closed := item[attrClosedAt]
	return opened && !closed
}

func conditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

func str(s string) *types.AttributeValueMemberS { return &types.AttributeValueMemberS{Value: s} }

func timeAttr(t time.Time) *types.AttributeValueMemberS {
	return str(t.UTC().Format(time.RFC3339Nano))
}

func orderAttr(o orders.Order) *types.AttributeValueMemberM {
	return &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
		"user_name": str(o.UserName),
		"item":      str(o.Item),
		"at":        timeAttr(o.At),
	}}
}

// decodeRound reads a round item; a malformed one is an error, never a silently short tally.
func decodeRound(ch orders.Channel, item map[string]types.AttributeValue) (orders.Round, error) {
	var d decoder
	r := orders.Round{
		Channel:  ch,
		ID:       d.str(item, attrRoundID),
		OpenedAt: d.time(item, attrOpenedAt),
	}
	if _, ok := item[attrClosedAt]; ok {
		r.ClosedAt = d.time(item, attrClosedAt)
	}
	for name, v := range item {
		user, ok := strings.CutPrefix(name, orderPrefix)
		if !ok {
			continue
		}
		m, ok := v.(*types.AttributeValueMemberM)
		if !ok {
			d.fail(name, "a map")
			continue
		}
		r.Orders = append(r.Orders, orders.Order{
			User:     user,
			UserName: d.str(m.Value, "user_name"),
			Item:     d.str(m.Value, "item"),
			At:       d.time(m.Value, "at"),
		})
	}
	if d.err != nil {
		return orders.Round{}, fmt.Errorf("decode round %s of %s: %w", r.ID, ch, d.err)
	}
	orders.SortOrders(r.Orders)
	return r, nil
}

// decoder keeps the first error so that decodeRound reads as a list of fields.
type decoder struct{ err error }

func (d *decoder) fail(name, want string) {
	if d.err == nil {
		d.err = fmt.Errorf("attribute %q is not %s", name, want)
	}
}

func (d *decoder) str(m map[string]types.AttributeValue, name string) string {
	v, ok := m[name].(*types.AttributeValueMemberS)
	if !ok {
		d.fail(name, "a string")
		return ""
	}
	return v.Value
}

func (d *decoder) time(m map[string]types.AttributeValue, name string) time.Time {
	s := d.str(m, name)
	if d.err != nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		d.fail(name, "an RFC 3339 time")
	}
	return t
}
