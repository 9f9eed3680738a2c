package dynamo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
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
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// maxAttempts bounds the retries of a write whose condition failed. A failure means another
// writer made progress (closed or retired a round, added or removed an order), so a handful
// of attempts is plenty unless a channel is closed over and over in the same instant.
const maxAttempts = 8

// Store is an orders.Store on one DynamoDB table with the schema of this package.
type Store struct {
	db    API
	table string
	// closesLinger makes CloseRound leave the round it closed in the slot, as a function
	// that timed out or crashed right after the close committed would; the next writer
	// moves it to history. Set by tests only (export_test.go).
	closesLinger bool
	// historyTTL is how long a closed round's history item lives after the close.
	historyTTL time.Duration
}

var _ orders.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// HistoryTTL keeps closed rounds in history for d after they closed (the history item's
// TTLAttribute; ClosedRounds leaves expired ones out until DynamoDB deletes them), instead
// of orders.DefaultHistoryTTL. A d shorter than orders.RequestMemory counts as that: a
// repeat of a request may read its round back from history until then.
func HistoryTTL(d time.Duration) Option {
	return func(s *Store) { s.historyTTL = max(d, orders.RequestMemory) }
}

// New returns a store on table.
func New(db API, table string, opts ...Option) *Store {
	s := &Store{db: refusals{db}, table: table, historyTTL: orders.DefaultHistoryTTL}
	for _, o := range opts {
		o(s)
	}
	return s
}

func (s *Store) slotKey(ch orders.Channel) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		PartitionKey: str(channelPK(ch.Team, ch.Channel)),
		SortKey:      str(slotSK),
	}
}

// userNames are the expression attribute names of the slot attributes about one user.
func userNames(user string) map[string]string {
	return map[string]string{
		"#rid": attrRoundID, "#opened": attrOpenedAt, "#closed": attrClosedAt, "#n": attrCount,
		"#o": orderPrefix + user, "#ua": reqAtPrefix + user, "#ur": reqIDPrefix + user, "#ui": reqRoundPrefix + user,
		"#uq": changesPrefix + user, "#ob": attrOpenedBy, "#uk": recentPrefix + user, "#uf": floorPrefix + user,
		"#us": reqSignedPrefix + user,
	}
}

// newerThanRecord is the condition that req is a request the slot has not seen — its key
// is not among the user's recent ones (uk#), it was signed after the user's floor (uf#),
// it is not the recorded one — and newer than the user's recorded request, in the order
// orders.Request.Newer defines. Identity first: a repeat arriving later fails it too.
//
// The order: signed second (us#; 0 or absent: unsigned, or recorded before us# was
// written), then receive time (ua#), then id. :slo..:shi is the span of recorded signed
// seconds that leave the order to receive time: just req's second when req is signed (and
// :slo, which us# is set to, is that second), everything when it is not (:slo is 0).
const newerThanRecord = "NOT contains(#uk, :key) AND (attribute_not_exists(#uf) OR #uf < :signed) AND " +
	"(attribute_not_exists(#ur) OR #ur <> :req) AND " +
	"(attribute_not_exists(#ua) OR (#us > :zero AND #us < :slo) OR " +
	"((attribute_not_exists(#us) OR #us = :zero OR #us BETWEEN :slo AND :shi) AND " +
	"(#ua < :at OR (#ua = :at AND #ur < :req))))"

// userRecordNames are the attribute names newerThanRecord and the key's ADD use.
var userRecordNames = []string{"#ua", "#ur", "#uk", "#uf", "#us"}

// signedSpan is newerThanRecord's :slo and :shi for req (see there).
func signedSpan(req orders.Request) (lo, hi *types.AttributeValueMemberN) {
	if req.Signed.IsZero() {
		return num(0), &types.AttributeValueMemberN{Value: strconv.FormatInt(math.MaxInt64, 10)}
	}
	sec := &types.AttributeValueMemberN{Value: strconv.FormatInt(req.Signed.Unix(), 10)}
	return sec, sec
}

func reqValues(req orders.Request) map[string]types.AttributeValue {
	lo, hi := signedSpan(req)
	return map[string]types.AttributeValue{":at": nanos(req.At), ":req": str(req.ID), ":slo": lo, ":shi": hi, ":zero": num(0),
		":change": &types.AttributeValueMemberSS{Value: []string{change(req)}}, ":maxq": num(maxChanges),
		":key": str(req.Key()), ":keys": &types.AttributeValueMemberSS{Value: []string{req.Key()}},
		":signed": &types.AttributeValueMemberN{Value: strconv.FormatInt(req.SignedAt().Unix(), 10)}}
}

// identityValues are the values newerThanRecord and the key's ADD use.
var identityValues = []string{":at", ":req", ":key", ":keys", ":signed", ":slo", ":shi", ":zero"}

// onRound is the precondition of a request made on round :want (orders.Request.Round):
// the slot holds that round. Every write it guards also requires the round open.
const onRound = "#rid = :want"

// stale reports whether req's precondition fails on the slot as read: req.Round is set and
// is not the open round. It never holds again once it fails, since a closed round never
// reopens, so a request found stale after its conditional write failed is stale for good.
func stale(item map[string]types.AttributeValue, req orders.Request) bool {
	return req.Round != "" && (!isOpen(item) || stringAttr(item, attrRoundID) != req.Round)
}

// roomForChange is the condition that the user's change set of the round has room.
const roomForChange = "(attribute_not_exists(#uq) OR size(#uq) < :maxq)"

// SetOrder puts o into the channel's open round, opening round newID if none is open.
//
// It is one conditional UpdateItem in the common case. Which of two forms — add an order
// (counted against MaxOrders, may open the round) or replace one — is guessed first and
// corrected from the item when the condition fails; a failed condition is also how a
// repeated or superseded request is told apart, by reading the user's request record.
func (s *Store) SetOrder(ctx context.Context, ch orders.Channel, o orders.Order, req orders.Request, newID string) (orders.Result, error) {
	add, replace := s.setInputs(ch, o, req, newID)
	return s.retry(ctx, ch, conditional{
		what:  "put order of " + o.User,
		blind: true,
		decided: func(item map[string]types.AttributeValue) (orders.Result, bool, error) {
			return s.decided(ctx, ch, item, o.User, req)
		},
		gone: func(item map[string]types.AttributeValue) bool { return stale(item, req) },
		write: func(item map[string]types.AttributeValue) (orders.Result, error) {
			in := add
			switch {
			case isOpen(item) && len(changes(item, o.User)) >= maxChanges:
				return orders.Result{}, cmp.Or(s.trimChanges(ctx, ch, item, o.User), errAgain)
			case isOpen(item) && item[orderPrefix+o.User] != nil:
				in = replace
			case isOpen(item) && count(item) >= orders.MaxOrders:
				return orders.Result{}, orders.ErrRoundFull
			}
			res, err := s.applied(ctx, ch, in, o.User, "put order of "+o.User)
			res.NewOrder = in == add // add's condition: the user had no order in the round
			return res, err
		},
	})
}

// applied makes an order write and answers it: Applied with the round as the write left
// it, the user's recent keys trimmed if full.
func (s *Store) applied(ctx context.Context, ch orders.Channel, in *dynamodb.UpdateItemInput, user, what string) (orders.Result, error) {
	out, err := s.db.UpdateItem(ctx, in)
	if err != nil {
		return orders.Result{}, fmt.Errorf("%s: %w", what, err)
	}
	s.trimRecent(ctx, ch, out.Attributes, user)
	r, err := decodeRound(ch, out.Attributes)
	return orders.Result{Round: r, Outcome: orders.Applied}, err
}

// setInputs are SetOrder's two forms of write: add an order (counted against MaxOrders,
// opening the round if none is) and replace one. A precondition (req.Round) is part of
// both conditions.
func (s *Store) setInputs(ch orders.Channel, o orders.Order, req orders.Request, newID string) (add, replace *dynamodb.UpdateItemInput) {
	o.At, o.Req = req.At, req.ID
	values := reqValues(req)
	values[":rid"] = str(newID)
	values[":opened"] = timeAttr(req.At)
	values[":o"] = orderAttr(o)
	values[":one"] = num(1)
	values[":max"] = num(orders.MaxOrders)
	values[":user"] = str(o.User)
	addCond := "attribute_not_exists(#closed) AND attribute_not_exists(#o) AND " +
		"(attribute_not_exists(#n) OR #n < :max) AND " + roomForChange + " AND " + newerThanRecord
	replaceCond := "attribute_exists(#rid) AND attribute_not_exists(#closed) AND attribute_exists(#o) AND " +
		roomForChange + " AND " + newerThanRecord
	replaceValues := pick(values, append([]string{":o", ":change", ":maxq"}, identityValues...)...)
	if req.Round != "" {
		// The precondition, in the same write: only that round, open — never a new one.
		addCond += " AND " + onRound
		replaceCond += " AND " + onRound
		values[":want"] = str(req.Round)
		replaceValues[":want"] = values[":want"]
	}
	add = &dynamodb.UpdateItemInput{
		TableName: &s.table,
		Key:       s.slotKey(ch),
		UpdateExpression: aws.String("SET #rid = if_not_exists(#rid, :rid), #opened = if_not_exists(#opened, :opened), " +
			"#ob = if_not_exists(#ob, :user), #o = :o, #ua = :at, #us = :slo, #ur = :req, #ui = if_not_exists(#rid, :rid) " +
			"ADD #n :one, #uq :change, #uk :keys"),
		ConditionExpression:       aws.String(addCond),
		ExpressionAttributeNames:  userNames(o.User),
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	}
	replace = &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       s.slotKey(ch),
		UpdateExpression:          aws.String("SET #o = :o, #ua = :at, #us = :slo, #ur = :req, #ui = #rid ADD #uq :change, #uk :keys"),
		ConditionExpression:       aws.String(replaceCond),
		ExpressionAttributeNames:  names(userNames(o.User), append([]string{"#rid", "#closed", "#o", "#ui", "#uq"}, userRecordNames...)...),
		ExpressionAttributeValues: replaceValues,
		ReturnValues:              types.ReturnValueAllNew,
	}
	return add, replace
}

// decided reports the outcome a user's request record already decides: a repeat of the
// recorded request (Replayed, with the round it changed) or an older request (Superseded).
func (s *Store) decided(ctx context.Context, ch orders.Channel, item map[string]types.AttributeValue, user string, req orders.Request) (orders.Result, bool, error) {
	rec, ok := userRecord(item, user)
	switch {
	case ok && rec.ID == req.ID:
		return s.replayed(ctx, ch, item, stringAttr(item, reqRoundPrefix+user))
	case seen(item, user, req) || ok && !req.Newer(rec):
		// A request seen before (whatever its receive time: a delivery arriving later is
		// stamped later), or older than the user's latest — it may have taken effect before
		// that one was applied: in the slot's round (its change set says so) or in one that
		// has moved to history since. Then it is a repeat; otherwise it never applies.
		c, ok, err := s.changeOf(ctx, ch, item, user, req)
		if err != nil {
			return orders.Result{}, true, err
		}
		if ok {
			if strings.HasSuffix(c, noChangeMark) {
				return orders.Result{Outcome: orders.Replayed, NoChange: true}, true, nil
			}
			if strings.HasSuffix(c, givenUpMark) {
				return orders.Result{Outcome: orders.Replayed}, true, nil // no round: given up
			}
			// The slot's round, open or closed: a close leaves its round in the slot
			// until it is moved to history (retire), and a repeat found there in between
			// must name it as it would once moved — never the zero round, which says the
			// request was given up (issue #10).
			r, err := decodeRound(ch, item)
			return orders.Result{Round: r, Outcome: orders.Replayed}, true, err
		}
		if res, found, err := s.closedWith(ctx, ch, user, req); found || err != nil {
			return res, true, err
		}
		r, err := openRound(ch, item)
		if err == nil && !seen(item, user, req) {
			err = s.rememberSuperseded(ctx, ch, user, req)
		}
		return orders.Result{Round: r, Outcome: orders.Superseded}, true, err
	}
	return orders.Result{}, false, nil
}

// rememberSuperseded adds the key of a request found superseded to its user's recent keys:
// it never applies, and a delivery of it arriving later — stamped later, so no longer
// "older" — must be recognised too (issue #21). The condition is that it is still older
// than the user's record, which only ever gets newer.
func (s *Store) rememberSuperseded(ctx context.Context, ch orders.Channel, user string, req orders.Request) error {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       s.slotKey(ch),
		UpdateExpression:          aws.String("ADD #uk :keys"),
		ConditionExpression:       aws.String("#ua > :at OR (#ua = :at AND #ur > :req)"),
		ExpressionAttributeNames:  names(userNames(user), "#uk", "#ua", "#ur"),
		ExpressionAttributeValues: pick(reqValues(req), ":keys", ":at", ":req"),
		ReturnValues:              types.ReturnValueAllNew,
	})
	switch {
	case conditionFailed(err):
		return nil // the record is gone (forgotten): the request is too old to arrive again
	case err != nil:
		return fmt.Errorf("remember superseded request %s: %w", req.ID, err)
	}
	s.trimRecent(ctx, ch, out.Attributes, user)
	return nil
}

// replayed is the outcome of a repeat of a recorded request that changed round id.
func (s *Store) replayed(ctx context.Context, ch orders.Channel, item map[string]types.AttributeValue, id string) (orders.Result, bool, error) {
	if id == orders.NoChange {
		return orders.Result{Outcome: orders.Replayed, NoChange: true}, true, nil
	}
	r, err := s.roundByID(ctx, ch, item, id)
	return orders.Result{Round: r, Outcome: orders.Replayed}, true, err
}

// closedWith finds the closed round holding user's order set by req. Only rounds closed
// after req was received can: it reads history newest first (a Query on the channel's
// key, a page of a few items) and stops at the first round closed before req.
func (s *Store) closedWith(ctx context.Context, ch orders.Channel, user string, req orders.Request) (orders.Result, bool, error) {
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("#pk = :pk AND begins_with(#sk, :history)"),
		ExpressionAttributeNames:  map[string]string{"#pk": PartitionKey, "#sk": SortKey},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(channelPK(ch.Team, ch.Channel)), ":history": str(historySK)},
		ScanIndexForward:          aws.Bool(false),
		ConsistentRead:            aws.Bool(true),
		Limit:                     aws.Int32(4),
	}
	for {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return orders.Result{}, false, fmt.Errorf("read closed rounds: %w", err)
		}
		for _, item := range out.Items {
			r, err := decodeRound(ch, item)
			if err != nil {
				return orders.Result{}, false, err
			}
			if r.ClosedAt.Before(req.At.Add(-orders.RequestMemory)) {
				// Older rounds closed before req could run: the close time is this
				// function's clock and req's API Gateway's, hence the margin.
				return orders.Result{}, false, nil
			}
			for _, o := range r.Orders {
				if o.User == user && o.Req == req.ID {
					return orders.Result{Round: r, Outcome: orders.Replayed}, true, nil
				}
			}
			c, ok, err := s.changeOf(ctx, ch, item, user, req)
			if err != nil {
				return orders.Result{}, false, err
			}
			if ok {
				if strings.HasSuffix(c, noChangeMark) {
					return orders.Result{Outcome: orders.Replayed, NoChange: true}, true, nil // found nothing to change
				}
				if strings.HasSuffix(c, givenUpMark) {
					return orders.Result{Outcome: orders.Replayed}, true, nil // given up
				}
				return orders.Result{Round: r, Outcome: orders.Replayed}, true, nil // applied, then replaced or withdrawn there
			}
		}
		if out.LastEvaluatedKey == nil {
			return orders.Result{}, false, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// CancelOrder removes user's order from the open round. A cancel that finds no order is
// recorded as the user's latest request all the same, so that an older order request
// arriving late cannot bring an order back.
func (s *Store) CancelOrder(ctx context.Context, ch orders.Channel, user string, req orders.Request) (orders.Result, error) {
	remove := s.removeInput(ch, user, req)
	return s.retry(ctx, ch, conditional{
		what:  "remove order of " + user,
		blind: true,
		decided: decidedAs(orders.ErrNoOrder, func(item map[string]types.AttributeValue) (orders.Result, bool, error) {
			return s.decided(ctx, ch, item, user, req)
		}),
		gone: func(item map[string]types.AttributeValue) bool { return stale(item, req) },
		write: func(item map[string]types.AttributeValue) (orders.Result, error) {
			switch {
			case len(changes(item, user)) >= maxChanges:
				return orders.Result{}, cmp.Or(s.trimChanges(ctx, ch, item, user), errAgain)
			case item == nil || isOpen(item) && item[orderPrefix+user] != nil:
				return s.applied(ctx, ch, remove, user, "remove order of "+user)
			}
			answer, cond := orders.ErrNoOpenRound, "attribute_not_exists(#rid)"
			if isOpen(item) {
				answer, cond = orders.ErrNoOrder, "attribute_exists(#rid) AND attribute_not_exists(#closed) AND attribute_not_exists(#o)"
				if req.Round != "" {
					cond += " AND " + onRound
				}
			}
			if err := s.record(ctx, ch, user, req, orders.NoChange, cond+" AND "+roomForChange); err != nil {
				return orders.Result{}, fmt.Errorf("record cancel of %s: %w", user, err)
			}
			return orders.Result{}, answer
		},
	})
}

// removeInput is CancelOrder's write: remove the user's order from the open round (the
// precondition req.Round in the same condition) and record req.
func (s *Store) removeInput(ch orders.Channel, user string, req orders.Request) *dynamodb.UpdateItemInput {
	values := reqValues(req)
	values[":minus"] = num(-1)
	cond := "attribute_exists(#rid) AND attribute_not_exists(#closed) AND attribute_exists(#o) AND " + roomForChange + " AND " + newerThanRecord
	if req.Round != "" {
		cond += " AND " + onRound
		values[":want"] = str(req.Round)
	}
	return &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       s.slotKey(ch),
		UpdateExpression:          aws.String("REMOVE #o SET #ua = :at, #us = :slo, #ur = :req, #ui = #rid ADD #n :minus, #uq :change, #uk :keys"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  names(userNames(user), append([]string{"#rid", "#closed", "#o", "#ui", "#n", "#uq"}, userRecordNames...)...),
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	}
}

// record writes req as user's latest request without changing any order — round is
// orders.NoChange for a request that found nothing to change, "" for an abandoned one —
// under cond and the condition that req is newer than the record.
func (s *Store) record(ctx context.Context, ch orders.Channel, user string, req orders.Request, round, cond string) error {
	values := pick(reqValues(req), identityValues...)
	values[":none"] = str(round)
	if strings.Contains(cond, ":want") {
		values[":want"] = str(req.Round)
	}
	used := append([]string{"#ui", "#uq"}, userRecordNames...)
	// In the change set too, so that a repeat after a newer request is still told
	// "nothing to change", or "given up" (round ""; issue #21).
	update := "SET #ua = :at, #us = :slo, #ur = :req, #ui = :none ADD #uk :keys, #uq :change"
	mark := noChangeMark
	if round == "" {
		mark = givenUpMark
	}
	values[":change"] = &types.AttributeValueMemberSS{Value: []string{change(req) + mark}}
	values[":maxq"] = num(maxChanges)
	for _, n := range []string{"#rid", "#closed", "#o"} {
		if strings.Contains(cond, n) {
			used = append(used, n)
		}
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       s.slotKey(ch),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String(cond + " AND " + newerThanRecord),
		ExpressionAttributeNames:  names(userNames(user), used...),
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	})
	if err == nil {
		s.trimRecent(ctx, ch, out.Attributes, user)
	}
	return err
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

// CloseRound closes the open round at at and returns it with its final orders. The close
// is recorded under its request id in the slot, in the same write, so a repeat of it
// finds the round it closed. A precondition (req.Round) is checked against the slot as
// read and kept by the write's condition on the round's id.
func (s *Store) CloseRound(ctx context.Context, ch orders.Channel, req orders.Request, at time.Time) (orders.Result, error) {
	gone := func(item map[string]types.AttributeValue) bool { return stale(item, req) || deadlineGone(item, req) }
	return s.retry(ctx, ch, s.byRecord(ctx, ch, closePrefix, req, gone, func(item map[string]types.AttributeValue) (orders.Result, error) {
		return s.close(ctx, ch, item, req, at)
	}))
}

// close closes the slot's open round as read (or records a close that finds none to
// close: no round, or one opened after the request was received).
func (s *Store) close(ctx context.Context, ch orders.Channel, item map[string]types.AttributeValue, req orders.Request, at time.Time) (orders.Result, error) {
	r, err := openRound(ch, item)
	if err != nil {
		return orders.Result{}, err
	}
	if r.ID == "" || (req.Round == "" && req.DeadlineBy == "" && r.OpenedAt.After(req.At)) {
		if err := s.recordEmpty(ctx, ch, closePrefix, req, r.ID, orders.NoChange, trim{}); err != nil {
			return orders.Result{}, fmt.Errorf("record close %s: %w", req.ID, err)
		}
		return orders.Result{}, orders.ErrNoOpenRound
	}
	out, err := s.db.UpdateItem(ctx, s.closeInput(ch, req, r.ID, at))
	if err != nil {
		return orders.Result{}, fmt.Errorf("mark round %s closed: %w", r.ID, err)
	}
	if r, err = decodeRound(ch, out.Attributes); err != nil {
		return orders.Result{}, err
	}
	// The round is closed and r is final whatever happens next. Moving it to history now
	// spares the next writer the work; if this fails, that writer retries it, so the
	// error must not turn a successful close into a reported failure.
	if !s.closesLinger {
		_ = s.retire(ctx, out.Attributes)
	}
	return orders.Result{Round: r, Outcome: orders.Applied}, nil
}

// closeInput is the write that closes round rid: it sets closed_at and closed_by and
// records the close, conditional on the round being open — and, for a scheduled close,
// on its deadline being the one req.DeadlineBy set.
func (s *Store) closeInput(ch orders.Channel, req orders.Request, rid string, at time.Time) *dynamodb.UpdateItemInput {
	by := req.User
	cond := "#rid = :rid AND attribute_not_exists(#closed) AND attribute_not_exists(#c)"
	names := map[string]string{"#rid": attrRoundID, "#closed": attrClosedAt, "#c": closePrefix + req.ID, "#cb": attrClosedBy}
	values := map[string]types.AttributeValue{":closed": timeAttr(at), ":rid": str(rid), ":c": recordAttr(req, rid)}
	if req.DeadlineBy != "" {
		by = orders.ClosedByDeadline
		cond += " AND attribute_exists(#dl) AND #dr = :by"
		names["#dl"], names["#dr"] = attrDeadline, attrDeadlineReq
		values[":by"] = str(req.DeadlineBy)
	}
	values[":cb"] = str(by)
	return &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       s.slotKey(ch),
		UpdateExpression:          aws.String("SET #closed = :closed, #c = :c, #cb = :cb"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	}
}

// deadlineGone reports whether a scheduled close (req.DeadlineBy) finds its deadline gone
// from the slot as read: the round closed, or its deadline was removed or set by another
// request. Like stale, it never holds again once it fails: a request id sets a deadline
// once (its repeats are replayed), and a closed round never reopens.
func deadlineGone(item map[string]types.AttributeValue, req orders.Request) bool {
	if req.DeadlineBy == "" {
		return false
	}
	_, set := item[attrDeadline]
	return !isOpen(item) || !set || stringAttr(item, attrDeadlineReq) != req.DeadlineBy
}

// recordEmpty records a close or deadline request (the record prefix) that found nothing
// to change: no round, or round rid opened after the request was received (someone
// else's). Recorded, so that another delivery of it cannot change a round opened since
// by an order older than it — under the condition that the slot is still as read.
// t names records to drop in the same write (see trimmedRecords).
// round is what the record names: orders.NoChange, or for a superseded deadline request
// the round it could not change, whose deadline a repeat answers with.
func (s *Store) recordEmpty(ctx context.Context, ch orders.Channel, prefix string, req orders.Request, rid, round string, t trim) error {
	cond := "attribute_not_exists(#rid) AND attribute_not_exists(#c)"
	values := map[string]types.AttributeValue{":c": recordAttr(req, round)}
	names := map[string]string{"#rid": attrRoundID, "#c": prefix + req.ID}
	if rid != "" {
		cond = "#rid = :rid AND attribute_not_exists(#closed) AND attribute_not_exists(#c)"
		values[":rid"] = str(rid)
		names["#closed"] = attrClosedAt
	}
	update := "SET #c = :c" + t.clause(names, values)
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: s.slotKey(ch),
		UpdateExpression: aws.String(update), ConditionExpression: aws.String(cond),
		ExpressionAttributeNames: names, ExpressionAttributeValues: values,
	})
	return err
}

// recordDecided reports the outcome the record of a close or deadline request (prefix)
// already decides: a repeat, Replayed with the round it changed.
func (s *Store) recordDecided(ctx context.Context, ch orders.Channel, item map[string]types.AttributeValue, prefix string, req orders.Request) (orders.Result, bool, error) {
	m, ok := item[prefix+req.ID].(*types.AttributeValueMemberM)
	if !ok {
		return orders.Result{}, false, nil
	}
	return s.replayed(ctx, ch, item, stringAttr(m.Value, "round"))
}

// recordPrefix is the prefix of the per-request records of t's requests: closes and
// deadline changes; "" for order requests, which share the user's record.
func recordPrefix(t orders.Target) string {
	switch {
	case t.Close:
		return closePrefix
	case t.Deadline:
		return deadlinePrefix
	}
	return ""
}

// Abandon records req so that it can never apply, unless it already has, or its
// precondition failed (ErrStale: it never can, nothing to fence).
func (s *Store) Abandon(ctx context.Context, ch orders.Channel, t orders.Target, req orders.Request) (orders.Result, error) {
	prefix := recordPrefix(t)
	return s.retry(ctx, ch, conditional{
		what: "record abandoned request " + req.ID,
		decided: func(item map[string]types.AttributeValue) (orders.Result, bool, error) {
			if prefix != "" {
				return s.recordDecided(ctx, ch, item, prefix, req)
			}
			return s.decided(ctx, ch, item, t.User, req)
		},
		// A failed precondition never holds again: nothing to fence (orders.Store).
		gone: func(item map[string]types.AttributeValue) bool { return stale(item, req) },
		write: func(item map[string]types.AttributeValue) (orders.Result, error) {
			var err error
			switch {
			case prefix != "":
				err = s.abandonRecord(ctx, ch, item, prefix, req)
			case len(changes(item, t.User)) >= maxChanges:
				return orders.Result{}, cmp.Or(s.trimChanges(ctx, ch, item, t.User), errAgain)
			default:
				cond := "attribute_not_exists(#closed) AND " + roomForChange
				if req.Round != "" {
					cond += " AND " + onRound // closed since the read: read again, and find it gone
				}
				err = s.record(ctx, ch, t.User, req, "", cond)
			}
			if err != nil {
				return orders.Result{}, fmt.Errorf("record abandoned request %s: %w", req.ID, err)
			}
			r, err := openRound(ch, item)
			return orders.Result{Round: r, Outcome: orders.Applied}, err
		},
	})
}

// abandonRecord records a close or deadline request (prefix) as abandoned ("" round), so
// that it never applies; deadline records are trimmed in the same write.
func (s *Store) abandonRecord(ctx context.Context, ch orders.Channel, item map[string]types.AttributeValue, prefix string, req orders.Request) error {
	names := map[string]string{"#closed": attrClosedAt, "#c": prefix + req.ID}
	var t trim
	if prefix == deadlinePrefix {
		t = trimmedRecords(item, deadlinePrefix)
	}
	values := map[string]types.AttributeValue{":c": recordAttr(req, "")}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       s.slotKey(ch),
		UpdateExpression:          aws.String("SET #c = :c" + t.clause(names, values)),
		ConditionExpression:       aws.String("attribute_not_exists(#closed) AND attribute_not_exists(#c)"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	return err
}

// EventRecorded reports whether id is recorded and not expired at now.
func (s *Store) EventRecorded(ctx context.Context, id string, now time.Time) (bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &s.table,
		Key:            map[string]types.AttributeValue{PartitionKey: str(eventPK(id)), SortKey: str(eventSK)},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return false, fmt.Errorf("read event record: %w", err)
	}
	exp, err := strconv.ParseInt(numberAttr(out.Item, TTLAttribute), 10, 64)
	return err == nil && exp > now.Unix(), nil
}

// trimChanges keeps the newest half of a user's full change set, a compare-and-swap on
// the whole set, after moving the rest to the round's overflow item (spillChanges).
func (s *Store) trimChanges(ctx context.Context, ch orders.Channel, item map[string]types.AttributeValue, user string) error {
	all := changes(item, user)
	slices.Sort(all) // "<nanoseconds>|<id>": by time
	// Entries of requests that changed nothing go first, then the oldest: a trimmed
	// applied entry would tell a repeat of its request that it changed nothing.
	drop := len(all) - maxChanges/2
	kept := make([]string, 0, maxChanges/2)
	for _, c := range all {
		if drop > 0 && changedNothing(c) {
			drop--
			continue
		}
		kept = append(kept, c)
	}
	kept = kept[drop:]
	if err := s.spillChanges(ctx, ch, item, user, all, kept); err != nil {
		return err
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      s.slotKey(ch),
		UpdateExpression:         aws.String("SET #uq = :kept"),
		ConditionExpression:      aws.String("#uq = :all AND attribute_not_exists(#closed)"),
		ExpressionAttributeNames: map[string]string{"#uq": changesPrefix + user, "#closed": attrClosedAt},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":kept": &types.AttributeValueMemberSS{Value: kept}, ":all": item[changesPrefix+user],
		},
	})
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("trim changes of %s: %w", user, err)
	}
	return nil
}

// seen reports whether user's request req is one the slot knows: its key is among the
// user's recent ones, or it was signed at or before the user's floor.
func seen(item map[string]types.AttributeValue, user string, req orders.Request) bool {
	if ss, ok := item[recentPrefix+user].(*types.AttributeValueMemberSS); ok && slices.Contains(ss.Value, req.Key()) {
		return true
	}
	floor, err := strconv.ParseInt(numberAttr(item, floorPrefix+user), 10, 64)
	return err == nil && req.SignedAt().Unix() <= floor
}

// trimRecent drops the oldest of a user's recent keys once they number orders.MaxRecent,
// raising the user's floor to the latest second dropped, in one compare-and-swap on the
// set. It is tidying after a write that succeeded, so its failure is not the write's: a
// set that raced with it is trimmed by the next write.
func (s *Store) trimRecent(ctx context.Context, ch orders.Channel, item map[string]types.AttributeValue, user string) {
	all, ok := item[recentPrefix+user].(*types.AttributeValueMemberSS)
	if !ok || len(all.Value) < orders.MaxRecent {
		return
	}
	floor, _ := strconv.ParseInt(numberAttr(item, floorPrefix+user), 10, 64)
	kept, floor := orders.TrimRecent(all.Value, floor)
	if len(kept) == len(all.Value) {
		return
	}
	_, _ = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      s.slotKey(ch),
		UpdateExpression:         aws.String("SET #uk = :kept, #uf = :floor"),
		ConditionExpression:      aws.String("#uk = :all"),
		ExpressionAttributeNames: map[string]string{"#uk": recentPrefix + user, "#uf": floorPrefix + user},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":kept": &types.AttributeValueMemberSS{Value: kept}, ":all": all,
			":floor": &types.AttributeValueMemberN{Value: strconv.FormatInt(floor, 10)},
		},
	})
}

// ForgetEvent deletes an event record.
func (s *Store) ForgetEvent(ctx context.Context, id string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.table,
		Key:       map[string]types.AttributeValue{PartitionKey: str(eventPK(id)), SortKey: str(eventSK)},
	})
	if err != nil {
		return fmt.Errorf("delete event record: %w", err)
	}
	return nil
}

// MarkEvent records id until expires; false when it is recorded and not expired at now.
func (s *Store) MarkEvent(ctx context.Context, id string, now, expires time.Time) (bool, error) {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table,
		Item: map[string]types.AttributeValue{
			PartitionKey: str(eventPK(id)),
			SortKey:      str(eventSK),
			TTLAttribute: epochSeconds(expires),
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

// roundByID reads the round a request record names: the slot's, or a closed one from
// history. "" names no round (the request changed nothing).
func (s *Store) roundByID(ctx context.Context, ch orders.Channel, item map[string]types.AttributeValue, id string) (orders.Round, error) {
	if id == "" {
		return orders.Round{}, nil
	}
	if stringAttr(item, attrRoundID) == id {
		return decodeRound(ch, item)
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &s.table,
		Key:            map[string]types.AttributeValue{PartitionKey: str(channelPK(ch.Team, ch.Channel)), SortKey: str(historySK + id)},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return orders.Round{}, fmt.Errorf("read round %s: %w", id, err)
	}
	if out.Item == nil {
		return orders.Round{}, fmt.Errorf("read round %s: neither open nor in history", id)
	}
	return decodeRound(ch, out.Item)
}

// retire moves a closed round from the slot to its history item and resets the slot to
// the request records that are still young enough to matter. Both steps are safe to
// repeat and to race: a closed round never changes (every write to the slot is
// conditional on it being open), and the reset is conditional on the round's id.
func (s *Store) retire(ctx context.Context, item map[string]types.AttributeValue) error {
	rid, ok := item[attrRoundID].(*types.AttributeValueMemberS)
	if !ok {
		return fmt.Errorf("retire round: slot item has no %s", attrRoundID)
	}
	history := map[string]types.AttributeValue{}
	slot := map[string]types.AttributeValue{PartitionKey: item[PartitionKey], SortKey: str(slotSK)}
	closedAt, perr := time.Parse(time.RFC3339Nano, stringAttr(item, attrClosedAt))
	if perr != nil {
		closedAt = time.Now()
	}
	cutoff := closedAt.Add(-orders.RequestMemory)
	for name, v := range item {
		switch {
		case name == attrRoundID, name == attrOpenedAt, name == attrClosedAt, strings.HasPrefix(name, orderPrefix),
			strings.HasPrefix(name, changesPrefix), name == attrOpenedBy, name == attrClosedBy,
			name == attrDeadline, name == attrDeadlineReq, name == attrDeadlineReqAt:
			history[name] = v
		case strings.HasPrefix(name, closePrefix), strings.HasPrefix(name, deadlinePrefix):
			if m, ok := v.(*types.AttributeValueMemberM); ok && !nanosAttr(m.Value, "at").Before(cutoff) {
				slot[name] = v
			}
		case name == attrDeadlineFloor:
			slot[name] = v
		case strings.HasPrefix(name, reqAtPrefix), strings.HasPrefix(name, reqIDPrefix), strings.HasPrefix(name, reqRoundPrefix),
			strings.HasPrefix(name, reqSignedPrefix), strings.HasPrefix(name, recentPrefix), strings.HasPrefix(name, floorPrefix):
			user := name[strings.Index(name, "#")+1:]
			if !nanosAttr(item, reqAtPrefix+user).Before(cutoff) {
				slot[name] = v
			}
		}
	}
	history[PartitionKey] = item[PartitionKey]
	history[SortKey] = str(historySK + rid.Value)
	history[TTLAttribute] = epochSeconds(closedAt.Add(s.historyTTL))
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: history}); err != nil {
		return fmt.Errorf("retire round %s: save history: %w", rid.Value, err)
	}
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 &s.table,
		Item:                      slot,
		ConditionExpression:       aws.String("#rid = :rid AND attribute_exists(#closed)"),
		ExpressionAttributeNames:  map[string]string{"#rid": attrRoundID, "#closed": attrClosedAt},
		ExpressionAttributeValues: map[string]types.AttributeValue{":rid": rid},
	})
	if err != nil && !conditionFailed(err) { // failed condition: someone else retired it
		return fmt.Errorf("retire round %s: reset slot: %w", rid.Value, err)
	}
	return nil
}

func closed(item map[string]types.AttributeValue) bool {
	_, ok := item[attrClosedAt]
	return ok
}

func count(item map[string]types.AttributeValue) int {
	n, _ := strconv.Atoi(numberAttr(item, attrCount))
	return n
}

// userRecord is the user's latest recorded request.
func userRecord(item map[string]types.AttributeValue, user string) (orders.Request, bool) {
	id := stringAttr(item, reqIDPrefix+user)
	if id == "" {
		return orders.Request{}, false
	}
	rec := orders.Request{ID: id, At: nanosAttr(item, reqAtPrefix+user)}
	if sec, err := strconv.ParseInt(numberAttr(item, reqSignedPrefix+user), 10, 64); err == nil && sec > 0 {
		rec.Signed = time.Unix(sec, 0) // absent or 0: unsigned, or recorded before us# was
	}
	return rec, true
}

func openRound(ch orders.Channel, item map[string]types.AttributeValue) (orders.Round, error) {
	if !isOpen(item) {
		return orders.Round{}, nil
	}
	return decodeRound(ch, item)
}

func stringAttr(m map[string]types.AttributeValue, name string) string {
	if v, ok := m[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func numberAttr(m map[string]types.AttributeValue, name string) string {
	if v, ok := m[name].(*types.AttributeValueMemberN); ok {
		return v.Value
	}
	return ""
}

func nanosAttr(m map[string]types.AttributeValue, name string) time.Time {
	n, err := strconv.ParseInt(numberAttr(m, name), 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// epochSeconds is t for TTLAttribute: whole seconds, rounded up so that a record never
// counts as expired early.
func epochSeconds(t time.Time) *types.AttributeValueMemberN {
	exp := int64(math.Ceil(float64(t.UnixNano()) / 1e9))
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(exp, 10)}
}

func nanos(t time.Time) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.UnixNano(), 10)}
}

func num(n int) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.Itoa(n)}
}

// recordAttr is the record of a close or deadline request: its time and the round it
// changed (orders.NoChange: none to change, "": abandoned).
func recordAttr(req orders.Request, round string) *types.AttributeValueMemberM {
	return &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"at": nanos(req.At), "round": str(round),
		"signed": &types.AttributeValueMemberN{Value: strconv.FormatInt(req.SignedAt().Unix(), 10)}}}
}

// names returns the subset of m's entries that an expression uses: DynamoDB refuses
// unused expression attribute names.
func names(m map[string]string, keys ...string) map[string]string {
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

func pick(m map[string]types.AttributeValue, keys ...string) map[string]types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(keys))
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
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
		"req":       str(o.Req),
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
	// Absent from rounds saved before they existed.
	r.OpenedBy, r.ClosedBy = stringAttr(item, attrOpenedBy), stringAttr(item, attrClosedBy)
	if _, ok := item[attrDeadline]; ok {
		r.Deadline, r.DeadlineBy = d.time(item, attrDeadline), d.str(item, attrDeadlineReq)
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
			Req:      stringAttr(m.Value, "req"), // absent on orders saved before request ids
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

// maxChanges bounds a user's change set in one round (see schema.go): the item limit
// holds for orders.MaxOrders users each with a full set.
const maxChanges = 8

// change is a request's entry in a change set: its time first, so entries sort by it.
func change(req orders.Request) string {
	return fmt.Sprintf("%019d|%s", req.At.UnixNano(), req.ID)
}

func changeID(c string) string {
	_, id, _ := strings.Cut(c, "|")
	return strings.TrimSuffix(strings.TrimSuffix(id, noChangeMark), givenUpMark)
}

// noChangeMark ends the change-set entry of a request that changed nothing.
const noChangeMark = "|-"

// givenUpMark ends the change-set entry of a request given up (Abandon): a later delivery
// of it, after a newer request of the user replaced its record, is still told it was
// given up — not "superseded", which would tell the person a newer request of theirs came
// first although this one was decided before that one arrived (issue #21).
const givenUpMark = "|x"

// changedNothing reports whether change-set entry c is one of a request that changed
// nothing: trimmed first, since a repeat of it told "superseded" is told nothing changed
// either way.
func changedNothing(c string) bool {
	return strings.HasSuffix(c, noChangeMark) || strings.HasSuffix(c, givenUpMark)
}

// findChange is req's entry in user's change set of item.
func findChange(item map[string]types.AttributeValue, user string, req orders.Request) (string, bool) {
	if ss, ok := item[changesPrefix+user].(*types.AttributeValueMemberSS); ok {
		for _, c := range ss.Value {
			if changeID(c) == req.ID {
				return c, true
			}
		}
	}
	return "", false
}

func changes(item map[string]types.AttributeValue, user string) []string {
	if ss, ok := item[changesPrefix+user].(*types.AttributeValueMemberSS); ok {
		return slices.Clone(ss.Value)
	}
	return nil
}

// changesKey is the key of user's change-set entries of round rid that left its item.
func changesKey(ch orders.Channel, rid, user string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{PartitionKey: str(channelPK(ch.Team, ch.Channel)), SortKey: str(changesSK + rid + "#" + user)}
}

// spillChanges adds the entries of all that kept leaves out to the overflow item of the
// round item holds, before the set is trimmed: an entry is in the set or in the overflow
// item at every moment, so a repeat of its request is always found (issue #21). Adding
// entries again (a trim that lost its compare-and-swap) changes nothing.
func (s *Store) spillChanges(ctx context.Context, ch orders.Channel, item map[string]types.AttributeValue, user string, all, kept []string) error {
	dropped := slices.DeleteFunc(slices.Clone(all), func(c string) bool { return slices.Contains(kept, c) })
	rid := stringAttr(item, attrRoundID)
	if len(dropped) == 0 || rid == "" {
		return nil
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      changesKey(ch, rid, user),
		UpdateExpression:         aws.String("ADD #q :q SET #exp = :exp"),
		ExpressionAttributeNames: map[string]string{"#q": attrChanges, "#exp": TTLAttribute},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":q": &types.AttributeValueMemberSS{Value: dropped}, ":exp": epochSeconds(time.Now().Add(orders.RequestMemory)),
		},
	})
	if err != nil {
		return fmt.Errorf("keep trimmed changes of %s: %w", user, err)
	}
	return nil
}

// changeOf is req's entry in user's change set of the round item holds (the slot's or a
// history item): in the set, or — when the set may have been trimmed, which leaves at
// least half of maxChanges — in the round's overflow item.
func (s *Store) changeOf(ctx context.Context, ch orders.Channel, item map[string]types.AttributeValue, user string, req orders.Request) (string, bool, error) {
	if c, ok := findChange(item, user, req); ok {
		return c, true, nil
	}
	rid := stringAttr(item, attrRoundID)
	if rid == "" || len(changes(item, user)) < maxChanges/2 {
		return "", false, nil
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: changesKey(ch, rid, user), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return "", false, fmt.Errorf("read trimmed changes of %s: %w", user, err)
	}
	c, ok := findChange(map[string]types.AttributeValue{changesPrefix + user: out.Item[attrChanges]}, user, req)
	return c, ok, nil
}
