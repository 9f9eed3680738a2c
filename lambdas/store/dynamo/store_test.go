package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/orders/orderstest"
	"github.com/orderbot/orderbot/lambdas/store/dynamo"
	"github.com/orderbot/orderbot/lambdas/store/dynamo/dynamotest"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

func TestConformance(t *testing.T) {
	t.Parallel()
	orderstest.Run(t, func(t *testing.T) orders.Store {
		client, table := dynamotest.NewTable(t)
		return dynamo.New(client, table)
	})
}

// TestConformanceClosesLeftInSlot runs the suite with every close leaving its round in the
// slot (see LeaveClosesInSlot): a closed round that has not moved to history yet must
// answer every call as the moved one does.
func TestConformanceClosesLeftInSlot(t *testing.T) {
	t.Parallel()
	orderstest.Run(t, func(t *testing.T) orders.Store {
		client, table := dynamotest.NewTable(t)
		s := dynamo.New(client, table)
		dynamo.LeaveClosesInSlot(s)
		return s
	})
}

var (
	ch = orders.Channel{Team: "T1", Channel: "C1"}
	t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
)

func order(user, item string, at time.Time) orders.Order {
	return orders.Order{User: user, UserName: "name-" + user, Item: item, At: at}
}

// hooked wraps the real client so a test can act between the store's calls or fail them.
type hooked struct {
	dynamo.API
	mu        sync.Mutex
	calls     []string
	beforeUp  func(*dynamodb.UpdateItemInput) error
	beforePut func(*dynamodb.PutItemInput) error
}

func (h *hooked) record(op string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, op)
}

func (h *hooked) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	h.record("GetItem")
	return h.API.GetItem(ctx, in, opts...)
}

func (h *hooked) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	h.record("PutItem")
	if h.beforePut != nil {
		if err := h.beforePut(in); err != nil {
			return nil, err
		}
	}
	return h.API.PutItem(ctx, in, opts...)
}

func (h *hooked) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	h.record("UpdateItem")
	if h.beforeUp != nil {
		if err := h.beforeUp(in); err != nil {
			return nil, err
		}
	}
	return h.API.UpdateItem(ctx, in, opts...)
}

func (h *hooked) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	h.record("DeleteItem")
	return h.API.DeleteItem(ctx, in, opts...)
}

func (h *hooked) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	h.record("Query")
	return h.API.Query(ctx, in, opts...)
}

// ops returns the IAM actions of the recorded calls, sorted and without repeats.
func (h *hooked) ops() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, c := range h.calls {
		out = append(out, "dynamodb:"+c)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func newHooked(t *testing.T) (*hooked, *dynamo.Store, *dynamodb.Client, string) {
	client, table := dynamotest.NewTable(t)
	h := &hooked{API: client}
	return h, dynamo.New(h, table), client, table
}

func mustSet(t *testing.T, s orders.Store, o orders.Order) orders.Round {
	t.Helper()
	res, err := s.SetOrder(context.Background(), ch, o, request(o.At), orders.NewRoundID(o.At))
	if err != nil {
		t.Fatal(err)
	}
	return res.Round
}

var requests atomic.Int64

func request(at time.Time) orders.Request {
	return orders.Request{ID: fmt.Sprintf("req-%d", requests.Add(1)), At: at}
}

// The DynamoDB calls the store makes for each way the functions use it. The stack grants
// exactly these (infra.TableActions), and infra's TestStoreRequestsWithinPolicies replays
// the conformance suite through the synthesized policies; a call added here needs its
// action granted there.
var (
	// orderCalls: the order functions' rounds, history and reply claims.
	orderCalls = []string{"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"}
	// eventCalls: the events function's de-duplication records.
	eventCalls = []string{"dynamodb:PutItem"}
)

// TestCallsMade runs every operation of each way of use and checks that the store made
// exactly the calls listed for it: no more, no fewer.
func TestCallsMade(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h, s, _, _ := newHooked(t)
	mustSet(t, s, order("U1", "latte", t0))
	mustSet(t, s, order("U2", "tea", t0))
	if _, err := s.CancelOrder(ctx, ch, "U2", request(t0.Add(time.Second))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CancelOrder(ctx, ch, "U2", request(t0.Add(2*time.Second))); !errors.Is(err, orders.ErrNoOrder) {
		t.Fatal(err)
	}
	if _, err := s.OpenRound(ctx, ch); err != nil {
		t.Fatal(err)
	}
	closeReq := request(t0.Add(3 * time.Second))
	if _, err := s.CloseRound(ctx, ch, closeReq, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Abandon(ctx, ch, orders.Target{Close: true}, closeReq); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Abandon(ctx, ch, orders.Target{User: "U3"}, request(t0.Add(4*time.Second))); err != nil {
		t.Fatal(err)
	}
	mustSet(t, s, order("U1", "latte", t0.Add(5*time.Second)))
	if _, err := s.SetDeadline(ctx, ch, t0.Add(time.Hour), request(t0.Add(5*time.Second))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClosedRounds(ctx, ch, 5, t0); err != nil {
		t.Fatal(err)
	}
	// An older request of U1 is looked for in the closed rounds (a Query).
	if _, err := s.SetOrder(ctx, ch, order("U1", "tea", t0), request(t0), "R1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EventRecorded(ctx, "reply#1#sent", t0); err != nil {
		t.Fatal(err)
	}
	// Order functions claim the deferred reply of a request and give the claim back when
	// the reply fails.
	if _, err := s.MarkEvent(ctx, "reply#1", t0, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.ForgetEvent(ctx, "reply#1"); err != nil {
		t.Fatal(err)
	}
	if got, want := h.ops(), orderCalls; !slices.Equal(got, want) {
		t.Errorf("orders: got calls %v, want %v", got, want)
	}

	h, s, _, _ = newHooked(t)
	for range 2 {
		if _, err := s.MarkEvent(ctx, "Ev1", t0, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := h.ops(), eventCalls; !slices.Equal(got, want) {
		t.Errorf("events: got calls %v, want %v", got, want)
	}
}

// TestCloseBetweenReadAndWrite closes the round right before an update's write reaches the
// table: the update must fail its condition, retire the closed round and open the next.
func TestCloseBetweenReadAndWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h, s, client, table := newHooked(t)
	first := mustSet(t, s, order("U1", "latte", t0))
	other := dynamo.New(client, table)
	var closed orders.Result
	h.beforeUp = func(*dynamodb.UpdateItemInput) error {
		h.beforeUp = nil
		var err error
		closed, err = other.CloseRound(ctx, ch, request(t0.Add(time.Minute)), t0.Add(time.Minute))
		return err
	}
	next := mustSet(t, s, order("U2", "tea", t0.Add(time.Minute)))
	if next.ID == first.ID || !next.Open() {
		t.Fatalf("update after close landed in round %s (open %v), closed %s", next.ID, next.Open(), first.ID)
	}
	if closed.Round.ID != first.ID || len(closed.Round.Orders) != 1 || closed.Round.Orders[0].User != "U1" {
		t.Fatalf("closed round = %+v", closed.Round)
	}
	if len(next.Orders) != 1 || next.Orders[0].User != "U2" {
		t.Fatalf("next round = %+v", next)
	}
}

// TestClosedRoundLeftInSlot: a close whose move to history failed (a crash, an error) leaves
// the closed round in the slot. Reads must not see it as open, the next update must finish
// the move, and history must hold the closed round with its closing time.
func TestClosedRoundLeftInSlot(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h, s, client, table := newHooked(t)
	first := mustSet(t, s, order("U1", "아이스 아메리카노 ☕️", t0))
	h.beforePut = func(*dynamodb.PutItemInput) error { return errors.New("injected failure") }
	closedAt := t0.Add(time.Hour)
	res, err := s.CloseRound(ctx, ch, request(closedAt), closedAt)
	if err != nil {
		t.Fatalf("close with a failing move to history: %v", err)
	}
	closed := res.Round
	h.beforePut = nil
	if _, err := s.OpenRound(ctx, ch); !errors.Is(err, orders.ErrNoOpenRound) {
		t.Fatalf("OpenRound with a closed round in the slot: %v", err)
	}
	h.beforePut = func(*dynamodb.PutItemInput) error { return errors.New("injected failure") }
	if _, err := s.CloseRound(ctx, ch, request(closedAt), closedAt); err == nil {
		t.Fatal("CloseRound with a closed round in the slot and a failing move: got no error")
	}
	h.beforePut = nil
	if _, err := s.CloseRound(ctx, ch, request(closedAt), closedAt); !errors.Is(err, orders.ErrNoOpenRound) {
		t.Fatalf("CloseRound with a closed round in the slot: %v", err)
	}
	next := mustSet(t, s, order("U2", "tea", closedAt))
	if next.ID == first.ID {
		t.Fatal("update went to the closed round")
	}

	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &table,
		Key: map[string]types.AttributeValue{
			dynamo.PartitionKey: &types.AttributeValueMemberS{Value: "C#T1#C1"},
			dynamo.SortKey:      &types.AttributeValueMemberS{Value: "R#" + first.ID},
		},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"round_id":  first.ID,
		"opened_at": t0.Format(time.RFC3339Nano),
		"closed_at": closedAt.Format(time.RFC3339Nano),
	}
	for k, v := range want {
		if got, _ := out.Item[k].(*types.AttributeValueMemberS); got == nil || got.Value != v {
			t.Errorf("history item %s = %v, want %q", k, out.Item[k], v)
		}
	}
	o, _ := out.Item["o#U1"].(*types.AttributeValueMemberM)
	if o == nil {
		t.Fatalf("history item lacks the order: %v", out.Item)
	}
	if it, _ := o.Value["item"].(*types.AttributeValueMemberS); it == nil || it.Value != closed.Orders[0].Item {
		t.Errorf("history order item = %v", o.Value["item"])
	}
}

// fakeAPI fails every conditional write, as a channel closed over and over would.
type fakeAPI struct {
	dynamo.API
	updates int
}

func (f *fakeAPI) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	f.updates++
	return nil, &types.ConditionalCheckFailedException{Message: aws.String("fake")}
}

func (f *fakeAPI) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return &dynamodb.GetItemOutput{}, nil
}

func TestSetOrderGivesUp(t *testing.T) {
	t.Parallel()
	f := &fakeAPI{}
	_, err := dynamo.New(f, "table").SetOrder(context.Background(), ch, order("U1", "latte", t0), request(t0), "R1")
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) || f.updates < 2 || f.updates > 20 {
		t.Fatalf("after %d attempts: %v, want a bounded retry ending in the condition failure", f.updates, err)
	}
}

func TestKeysAreEscaped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client, table := dynamotest.NewTable(t)
	s := dynamo.New(client, table)
	a := orders.Channel{Team: "T1#C1", Channel: "x"}
	b := orders.Channel{Team: "T1", Channel: "C1#x"}
	c := orders.Channel{Team: "T1", Channel: "C1%23x"}
	for _, c := range []orders.Channel{a, b, c} {
		if _, err := s.SetOrder(ctx, c, order("U1", c.String(), t0), request(t0), orders.NewRoundID(t0)); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []orders.Channel{a, b, c} {
		r, err := s.OpenRound(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Orders) != 1 || r.Orders[0].Item != c.String() {
			t.Errorf("%s: %+v", c, r.Orders)
		}
	}
}

// TestLargeRound fills a round with orders of maximum length: they all round-trip.
func TestLargeRound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client, table := dynamotest.NewTable(t)
	s := dynamo.New(client, table)
	item := strings.Repeat("가", orders.MaxItemRunes-2) + "😀\n" // 3 bytes a rune, and a 4-byte one
	const n = 100
	for i := range n {
		mustSet(t, s, order(fmt.Sprintf("U%03d", i), item, t0.Add(time.Duration(i)*time.Millisecond)))
	}
	r, err := s.OpenRound(ctx, ch)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Orders) != n {
		t.Fatalf("%d orders, want %d", len(r.Orders), n)
	}
	for i, o := range r.Orders {
		if o.User != fmt.Sprintf("U%03d", i) || o.Item != item {
			t.Fatalf("order %d = %s %q", i, o.User, o.Item)
		}
	}
}

// TestRoundFull: an update beyond DynamoDB's item size limit fails and leaves the round as
// it was. Huge user ids reach the limit in a few calls.
func TestRoundFull(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client, table := dynamotest.NewTable(t)
	s := dynamo.New(client, table)
	pad := strings.Repeat("x", 40_000) // the first order's user id fits (o#, ua#, us#, ur#, ui#, uq#, uk#, opened_by)
	var stored int
	var failed error
	for i := 0; i < 20 && failed == nil; i++ {
		_, failed = s.SetOrder(ctx, ch, order(fmt.Sprintf("U%02d%s", i, pad), "latte", t0), request(t0), "R1")
		if failed == nil {
			stored++
		}
	}
	if failed == nil {
		t.Fatal("no size limit reached")
	}
	r, err := s.OpenRound(ctx, ch)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Orders) != stored {
		t.Fatalf("round has %d orders after %d stored and one refused (%v)", len(r.Orders), stored, failed)
	}
}

// TestEventRecord checks the stored TTL attribute and that an expired record still present
// (TTL deletes lazily) counts as absent.
func TestEventRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client, table := dynamotest.NewTable(t)
	s := dynamo.New(client, table)
	expires := t0.Add(10*time.Minute + 300*time.Millisecond)
	mark := func(now, expires time.Time) bool {
		t.Helper()
		first, err := s.MarkEvent(ctx, "Ev1", now, expires)
		if err != nil {
			t.Fatal(err)
		}
		return first
	}
	if !mark(t0, expires) {
		t.Fatal("first delivery is a duplicate")
	}
	stored := func() string {
		out, err := client.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: &table,
			Key: map[string]types.AttributeValue{
				dynamo.PartitionKey: &types.AttributeValueMemberS{Value: "E#Ev1"},
				dynamo.SortKey:      &types.AttributeValueMemberS{Value: "EVENT"},
			},
			ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			t.Fatal(err)
		}
		n, ok := out.Item[dynamo.TTLAttribute].(*types.AttributeValueMemberN)
		if !ok {
			t.Fatalf("event record %v has no numeric %s", out.Item, dynamo.TTLAttribute)
		}
		return n.Value
	}
	if got, want := stored(), fmt.Sprint(t0.Add(10*time.Minute).Unix()+1); got != want {
		t.Errorf("expires_at = %s, want %s (rounded up)", got, want)
	}
	if mark(t0.Add(10*time.Minute), expires) {
		t.Error("delivery before expiry counted as first")
	}
	later := t0.Add(time.Hour)
	if !mark(t0.Add(10*time.Minute+time.Second), later) {
		t.Error("expired record still present counted as a duplicate")
	}
	if got, want := stored(), fmt.Sprint(later.Unix()); got != want {
		t.Errorf("re-marked record expires_at = %s, want %s", got, want)
	}
}

// TestHistoryTTL: a closed round's history item carries TTLAttribute, its close plus the
// configured history TTL (orders.DefaultHistoryTTL by default, never less than
// orders.RequestMemory); the slot never does, whatever it holds.
func TestHistoryTTL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client, table := dynamotest.NewTable(t)
	for _, tc := range []struct {
		opts []dynamo.Option
		ttl  time.Duration
	}{
		{nil, orders.DefaultHistoryTTL},
		{[]dynamo.Option{dynamo.HistoryTTL(48 * time.Hour)}, 48 * time.Hour},
		{[]dynamo.Option{dynamo.HistoryTTL(time.Second)}, orders.RequestMemory},
	} {
		s := dynamo.New(client, table, tc.opts...)
		c := orders.Channel{Team: "T1", Channel: "C-" + tc.ttl.String()}
		r, err := s.SetOrder(ctx, c, order("U1", "latte", t0), request(t0), orders.NewRoundID(t0))
		if err != nil {
			t.Fatal(err)
		}
		closedAt := t0.Add(time.Minute + 300*time.Millisecond)
		if _, err := s.CloseRound(ctx, c, request(closedAt), closedAt); err != nil {
			t.Fatal(err)
		}
		item := func(sk string) map[string]types.AttributeValue {
			out, err := client.GetItem(ctx, &dynamodb.GetItemInput{
				TableName: &table,
				Key: map[string]types.AttributeValue{
					dynamo.PartitionKey: &types.AttributeValueMemberS{Value: "C#T1#" + c.Channel},
					dynamo.SortKey:      &types.AttributeValueMemberS{Value: sk},
				},
				ConsistentRead: aws.Bool(true),
			})
			if err != nil {
				t.Fatal(err)
			}
			return out.Item
		}
		want := fmt.Sprint(closedAt.Add(tc.ttl).Unix() + 1) // rounded up
		if got, _ := item("R#" + r.Round.ID)[dynamo.TTLAttribute].(*types.AttributeValueMemberN); got == nil || got.Value != want {
			t.Errorf("TTL %v: history item %s = %v, want %s", tc.ttl, dynamo.TTLAttribute, got, want)
		}
		if got, ok := item("ROUND")[dynamo.TTLAttribute]; ok {
			t.Errorf("TTL %v: slot %s = %v, want none", tc.ttl, dynamo.TTLAttribute, got)
		}
		expires := closedAt.Add(tc.ttl)
		for _, at := range []struct {
			now  time.Time
			want int
		}{{expires.Add(-time.Second), 1}, {expires.Add(time.Second), 0}} {
			rs, err := s.ClosedRounds(ctx, c, 5, at.now)
			if err != nil || len(rs) != at.want {
				t.Errorf("TTL %v: ClosedRounds at %v: got %d rounds, %v; want %d", tc.ttl, at.now, len(rs), err, at.want)
			}
		}
	}
}

// TestWorstCaseRoundSize measures the largest round the store allows — orders.MaxOrders
// users, each with the longest item in 4-byte characters, a full change set and request
// ids as long as real ones — as DynamoDB does, in UTF-8 bytes (dynalite counts UTF-16
// units, so it would accept more than DynamoDB): it must stay under the 400 KB item limit,
// with room for a close. Every user adds the same attributes of the same size, so the
// round of MaxOrders users is the round of a few, plus the cost of one user that many
// times: building a few users' worth keeps the test fast.
func TestWorstCaseRoundSize(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client, table := dynamotest.NewTable(t)
	s := dynamo.New(client, table)
	long := func(i int) string { return strings.Repeat("𝓪", orders.MaxItemRunes-1) + string(rune('0'+i%10)) }
	var seq atomic.Int64
	realID := func() string { return fmt.Sprintf("%032x", seq.Add(1)) } // a 128-bit digest in hex
	size := func(users int) int {
		for u := range users {
			user := fmt.Sprintf("U%010d", u) // Slack ids are 9–11 characters
			for c := 0; c < 10; c++ {        // more changes than a change set keeps
				at := t0.Add(time.Duration(u*16+c) * time.Millisecond)
				req := orders.Request{ID: realID(), At: at}
				if _, err := s.SetOrder(ctx, ch, order(user, long(c), at), req, "R1"); err != nil {
					t.Fatalf("user %d change %d: got error %v, want none", u, c, err)
				}
			}
		}
		out, err := client.Query(ctx, &dynamodb.QueryInput{
			TableName:                 &table,
			KeyConditionExpression:    aws.String("#pk = :pk"),
			ExpressionAttributeNames:  map[string]string{"#pk": dynamo.PartitionKey},
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "C#T1#C1"}},
		})
		if err != nil || len(out.Items) != 1 {
			t.Fatalf("reading the round item: got %d items, error %v; want 1", len(out.Items), err)
		}
		return itemSize(out.Items[0])
	}
	one := size(1)
	eleven := size(11) // users 0–10: user 0 again (no growth) and ten more
	perUser := (eleven - one) / 10
	largest := one + perUser*(orders.MaxOrders-1)
	t.Logf("one user's round %d bytes, each further user %d: %d users' round %d bytes of DynamoDB's 409,600", one, perUser, orders.MaxOrders, largest)
	if limit := 400*1024 - 4*1024; largest > limit {
		t.Fatalf("largest round: got %d bytes, want at most %d (400 KB less room for a close)", largest, limit)
	}
}

// itemSize is an item's size as DynamoDB bills and limits it, rounded up: attribute names
// and string values in UTF-8 bytes, numbers at most 21 bytes, 3 bytes per map or list
// plus 1 per element.
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return 21
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberM:
		return 3 + itemSize(v.Value) + len(v.Value)
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	default:
		return 1
	}
}
