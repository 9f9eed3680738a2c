package dynamo

import (
	"cmp"
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

// maxRecords bounds the slot's records of deadline requests (d#): a write that finds this
// many drops the older half in the same write. Only a request that many deadline changes
// old could then be misjudged (Superseded instead of Replayed), and the item stays small.
const maxRecords = 16

// SetDeadline sets, replaces or (zero at) removes the open round's deadline. It reads
// the slot, decides from it what only the request's record or the round can decide, and
// makes the change in one UpdateItem conditional on the slot's round still being the open
// one read and req still being newer than the round's latest deadline request; the
// same write records the request (d#<id>) so that a repeat finds the round it changed.
func (s *Store) SetDeadline(ctx context.Context, ch orders.Channel, at time.Time, req orders.Request) (orders.Result, error) {
	gone := func(item map[string]types.AttributeValue) bool { return stale(item, req) }
	return s.retry(ctx, ch, s.byRecord(ctx, ch, deadlinePrefix, req, gone, func(item map[string]types.AttributeValue) (orders.Result, error) {
		return s.setDeadline(ctx, ch, item, at, req)
	}))
}

// setDeadline changes the deadline of the slot's open round as read, or records a request
// that cannot change it: no round (or one opened after the request was received), or a
// request older than the round's deadline request.
func (s *Store) setDeadline(ctx context.Context, ch orders.Channel, item map[string]types.AttributeValue, at time.Time, req orders.Request) (orders.Result, error) {
	r, err := openRound(ch, item)
	if err != nil {
		return orders.Result{}, err
	}
	switch last, ok := deadlineRecord(item); {
	case r.ID == "" || (req.Round == "" && r.OpenedAt.After(req.At)):
		if err := s.recordEmpty(ctx, ch, deadlinePrefix, req, r.ID, orders.NoChange, trimmedRecords(item, deadlinePrefix)); err != nil {
			return orders.Result{}, fmt.Errorf("record deadline request %s: %w", req.ID, err)
		}
		return orders.Result{}, orders.ErrNoOpenRound
	case ok && !req.Newer(last), req.SignedAt().Unix() <= deadlineFloor(item):
		// The round's deadline request only ever gets newer: this one never applies.
		// Nor does one signed no later than a request whose record the trim dropped: it
		// may be that request, delivered again (issue #21). Recorded all the same, with
		// the round: a delivery of it arriving later is stamped later.
		if err := s.recordEmpty(ctx, ch, deadlinePrefix, req, r.ID, r.ID, trimmedRecords(item, deadlinePrefix)); err != nil {
			return orders.Result{}, fmt.Errorf("record deadline request %s: %w", req.ID, err)
		}
		return orders.Result{Round: r, Outcome: orders.Superseded}, nil
	}
	out, err := s.db.UpdateItem(ctx, s.deadlineInput(ch, item, r.ID, at, req))
	if err != nil {
		return orders.Result{}, fmt.Errorf("set deadline of round %s: %w", r.ID, err)
	}
	r, err = decodeRound(ch, out.Attributes)
	return orders.Result{Round: r, Outcome: orders.Applied}, err
}

// deadlineInput is the write that sets (or removes) round rid's deadline and records req.
func (s *Store) deadlineInput(ch orders.Channel, item map[string]types.AttributeValue, rid string, at time.Time, req orders.Request) *dynamodb.UpdateItemInput {
	names := map[string]string{
		"#rid": attrRoundID, "#closed": attrClosedAt, "#d": deadlinePrefix + req.ID,
		"#dl": attrDeadline, "#dr": attrDeadlineReq, "#da": attrDeadlineReqAt,
	}
	values := map[string]types.AttributeValue{
		":rid": str(rid), ":d": recordAttr(req, rid), ":req": str(req.ID), ":at": nanos(req.At),
		":signed": &types.AttributeValueMemberN{Value: strconv.FormatInt(req.SignedAt().Unix(), 10)},
	}
	names["#df"] = attrDeadlineFloor
	update := "SET #d = :d, #dr = :req, #da = :at"
	var extra []string
	if at.IsZero() {
		extra = append(extra, "#dl")
	} else {
		update += ", #dl = :dl"
		values[":dl"] = timeAttr(at)
	}
	return &dynamodb.UpdateItemInput{
		TableName:        &s.table,
		Key:              s.slotKey(ch),
		UpdateExpression: aws.String(update + trimmedRecords(item, deadlinePrefix).clause(names, values, extra...)),
		ConditionExpression: aws.String("#rid = :rid AND attribute_not_exists(#closed) AND attribute_not_exists(#d) AND " +
			"(attribute_not_exists(#df) OR #df < :signed) AND " +
			"(attribute_not_exists(#da) OR #da < :at OR (#da = :at AND #dr < :req))"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	}
}

// deadlineRecord is the latest deadline request of the slot's round.
func deadlineRecord(item map[string]types.AttributeValue) (orders.Request, bool) {
	id := stringAttr(item, attrDeadlineReq)
	return orders.Request{ID: id, At: nanosAttr(item, attrDeadlineReqAt)}, id != ""
}

// deadlineFloor is the slot's deadline floor (0: none).
func deadlineFloor(item map[string]types.AttributeValue) int64 {
	n, _ := strconv.ParseInt(numberAttr(item, attrDeadlineFloor), 10, 64)
	return n
}

// trim is what a write drops of the slot's records: their names, and the floor it sets
// (the latest signed second dropped; 0: none dropped).
type trim struct {
	remove []string
	floor  int64
}

// clause continues a SET list: the floor, then the REMOVE clause of the records and the
// placeholders extra.
func (t trim) clause(names map[string]string, values map[string]types.AttributeValue, extra ...string) string {
	set := ""
	if t.floor > 0 {
		names["#dfl"] = attrDeadlineFloor
		values[":dfl"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(t.floor, 10)}
		set = ", #dfl = :dfl"
	}
	return set + removeClause(names, t.remove, extra...)
}

// trimmedRecords names the older half of the slot's records with prefix once they number
// maxRecords, oldest by signed second first — never one signed in the newest second,
// which the floor could not tell from a new request — and the floor that raises to.
func trimmedRecords(item map[string]types.AttributeValue, prefix string) trim {
	type rec struct {
		name   string
		signed int64
		at     time.Time
	}
	var all []rec
	for name, v := range item {
		if m, ok := v.(*types.AttributeValueMemberM); ok && strings.HasPrefix(name, prefix) {
			at := nanosAttr(m.Value, "at")
			signed, err := strconv.ParseInt(numberAttr(m.Value, "signed"), 10, 64)
			if err != nil {
				signed = at.Unix() // records written before "signed" existed
			}
			all = append(all, rec{name, signed, at})
		}
	}
	if len(all) < maxRecords {
		return trim{}
	}
	slices.SortFunc(all, func(a, b rec) int {
		if a.signed != b.signed {
			return cmp.Compare(a.signed, b.signed)
		}
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	t := trim{floor: deadlineFloor(item)}
	newest := all[len(all)-1].signed
	for _, r := range all[:len(all)-maxRecords/2] {
		if r.signed >= newest {
			break
		}
		t.remove = append(t.remove, r.name)
		t.floor = max(t.floor, r.signed)
	}
	if len(t.remove) == 0 {
		t.floor = 0 // unchanged: nothing to set
	}
	return t
}

// removeClause is the REMOVE clause of an update expression for the attributes named
// remove (added to names as #x0, #x1, …) and the placeholders extra; "" for none.
func removeClause(names map[string]string, remove []string, extra ...string) string {
	for i, name := range remove {
		k := fmt.Sprintf("#x%d", i)
		names[k] = name
		extra = append(extra, k)
	}
	if len(extra) == 0 {
		return ""
	}
	return " REMOVE " + strings.Join(extra, ", ")
}
