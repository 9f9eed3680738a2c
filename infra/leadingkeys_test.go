package infra

import (
	"context"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/orders/orderstest"
	"github.com/orderbot/orderbot/lambdas/store/dynamo"
	"github.com/orderbot/orderbot/lambdas/store/dynamo/dynamotest"
)

// wantLeadingKeys are the partition keys each part of the data may touch, spelled out as
// the specification; function.go builds them from the dynamo package's key prefixes.
var wantLeadingKeys = map[api.DataAccess][]string{
	api.DataOrders: {"C#*", "E#reply#*", "U#*"},
	api.DataEvents: {"E#*"},
}

// Each function's Table statement carries exactly the LeadingKeys condition of its data.
func TestTableLeadingKeys(t *testing.T) {
	for data, want := range wantLeadingKeys {
		got, err := LeadingKeys(data)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("LeadingKeys(%s): got %v, %v, want %v", data, got, err, want)
		}
	}
	if got, err := LeadingKeys("history"); err == nil {
		t.Errorf("LeadingKeys(history): got %v, want an error", got)
	}
	ct := ciTemplate{Resources: def.res}
	for _, r := range api.Routes {
		t.Run(r.Function, func(t *testing.T) {
			want, ok := wantLeadingKeys[r.Data]
			if !ok {
				t.Fatalf("data %q: no expected partition keys; add them to wantLeadingKeys", r.Data)
			}
			var table []map[string]any
			for _, st := range ct.rawStatements(def.route(t, r).role) {
				if st["Sid"] == "Table" {
					table = append(table, st)
				}
			}
			if len(table) != 1 {
				t.Fatalf("Table statements: got %d, want 1", len(table))
			}
			wantCond := map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": want}}
			if got, want := render(table[0]["Condition"]), render(wantCond); got != want {
				t.Errorf("Table condition: got %s, want %s", got, want)
			}
		})
	}
}

// fnPolicy is one function's synthesized policy.
type fnPolicy struct {
	function   string
	statements []map[string]any
}

// allows evaluates the policy for one DynamoDB request on the table with partition key pk.
func (p fnPolicy) allows(t *testing.T, action, table, pk string) bool {
	t.Helper()
	allowed := false
	for _, st := range p.statements {
		if st["Effect"] != "Allow" {
			t.Fatalf("%s: %v statement: only Allow statements are evaluated here", p.function, st["Effect"])
		}
		if !slices.Contains(strs(st["Action"]), action) || !slices.Contains(strs(st["Resource"]), table) {
			continue
		}
		if conditionHolds(t, st["Condition"], func(key string) []string {
			if key == "dynamodb:LeadingKeys" {
				return []string{pk}
			}
			return nil
		}) {
			allowed = true
		}
	}
	return allowed
}

// policyCheck is a DynamoDB client that checks every request against the synthesized
// policies of the functions that would make it, then makes it.
type policyCheck struct {
	t     *testing.T
	db    dynamo.API
	table string // the table's ARN as the template renders it
	fns   []fnPolicy
	made  *actionSet
}

// actionSet collects the actions of the requests made, from parallel subtests.
type actionSet struct {
	mu sync.Mutex
	m  map[string]bool
}

func (s *actionSet) add(action string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]bool{}
	}
	s.m[action] = true
}

func (s *actionSet) sorted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.m))
}

func (c *policyCheck) check(action string, item map[string]types.AttributeValue) {
	c.made.add(action)
	pk, ok := item[dynamo.PartitionKey].(*types.AttributeValueMemberS)
	if !ok {
		c.t.Errorf("%s: got no string partition key in %v", action, item)
		return
	}
	for _, fn := range c.fns {
		if !fn.allows(c.t, action, c.table, pk.Value) {
			c.t.Errorf("%s: %s on partition key %q: got denied by its policy, want allowed", fn.function, action, pk.Value)
		}
	}
}

func (c *policyCheck) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.check("dynamodb:GetItem", in.Key)
	return c.db.GetItem(ctx, in, o...)
}

func (c *policyCheck) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.check("dynamodb:PutItem", in.Item)
	return c.db.PutItem(ctx, in, o...)
}

func (c *policyCheck) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.check("dynamodb:UpdateItem", in.Key)
	return c.db.UpdateItem(ctx, in, o...)
}

func (c *policyCheck) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	// The partition key a Query reads is its :pk value (the store names it so).
	c.check("dynamodb:Query", map[string]types.AttributeValue{dynamo.PartitionKey: in.ExpressionAttributeValues[":pk"]})
	return c.db.Query(ctx, in, o...)
}

func (c *policyCheck) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c.check("dynamodb:DeleteItem", in.Key)
	return c.db.DeleteItem(ctx, in, o...)
}

// replyClaims is the store as an order function uses it: its only event records are the
// claims of deferred replies and their "sent" records (lambdas/handler, respondOnce), ids
// "reply#<request id>…".
type replyClaims struct{ *dynamo.Store }

func (r replyClaims) MarkEvent(ctx context.Context, id string, now, expires time.Time) (bool, error) {
	return r.Store.MarkEvent(ctx, dynamo.ReplyClaimPrefix+id, now, expires)
}

func (r replyClaims) ForgetEvent(ctx context.Context, id string) error {
	return r.Store.ForgetEvent(ctx, dynamo.ReplyClaimPrefix+id)
}

func (r replyClaims) EventRecorded(ctx context.Context, id string, now time.Time) (bool, error) {
	return r.Store.EventRecorded(ctx, dynamo.ReplyClaimPrefix+id, now)
}

// The LeadingKeys conditions admit every request the store makes for each function: the
// whole store conformance suite runs, as an order function, against dynalite through the
// order functions' synthesized policies, and event de-duplication through the events
// function's. A key the policy does not admit would be AccessDenied in production. And
// TableActions grants no action the store did not use: the grant is exactly the calls.
func TestStoreRequestsWithinPolicies(t *testing.T) {
	endpoint := dynamotest.Endpoint(t) // one dynalite for all the subtests
	table := "<" + def.ofType("AWS::DynamoDB::Table")[0] + ".Arn>"
	ct := ciTemplate{Resources: def.res}
	byData := map[api.DataAccess][]fnPolicy{}
	for _, r := range api.Routes {
		byData[r.Data] = append(byData[r.Data], fnPolicy{r.Function, ct.rawStatements(def.route(t, r).role)})
	}
	for _, data := range []api.DataAccess{api.DataOrders, api.DataEvents} {
		if len(byData[data]) == 0 {
			t.Fatalf("functions with data %s: got none, want at least one", data)
		}
	}
	made := map[api.DataAccess]*actionSet{api.DataOrders: {}, api.DataEvents: {}}
	home := &actionSet{}
	newStore := func(t *testing.T, data api.DataAccess) *dynamo.Store {
		client := dynamotest.NewClient(endpoint)
		name := dynamotest.TableName(t)
		if err := dynamo.CreateTable(context.Background(), client, name); err != nil {
			t.Fatal(err)
		}
		return dynamo.New(&policyCheck{t: t, db: client, table: table, fns: byData[data], made: made[data]}, name)
	}

	t.Run("orders", func(t *testing.T) {
		orderstest.Run(t, func(t *testing.T) orders.Store { return replyClaims{newStore(t, api.DataOrders)} })
	})
	t.Run("events", func(t *testing.T) {
		s := newStore(t, api.DataEvents)
		now := time.Now()
		for i, want := range []bool{true, false} {
			first, err := s.MarkEvent(context.Background(), "Ev0123ABCDEF", now, now.Add(time.Hour))
			if err != nil || first != want {
				t.Errorf("MarkEvent #%d: got %v, %v, want %v, nil", i+1, first, err, want)
			}
		}
	})
	// The events function's App Home: the rounds and Home index an order function wrote,
	// read through the events function's policy.
	t.Run("home", func(t *testing.T) {
		client := dynamotest.NewClient(endpoint)
		name := dynamotest.TableName(t)
		if err := dynamo.CreateTable(context.Background(), client, name); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		writer := &orders.Service{Store: dynamo.New(&policyCheck{t: t, db: client, table: table, fns: byData[api.DataOrders], made: made[api.DataOrders]}, name)}
		for _, c := range []string{"C1", "C2"} {
			if _, err := writer.Set(context.Background(), orders.Channel{Team: "T1", Channel: c}, "U1", "kim", "latte", orders.Request{ID: "r-" + c, At: now}); err != nil {
				t.Fatal(err)
			}
		}
		reader := &orders.Service{Store: dynamo.New(&policyCheck{t: t, db: client, table: table, fns: byData[api.DataEvents], made: home}, name)}
		if h, err := reader.Home(context.Background(), "T1", "U1"); err != nil || len(h.Open) != 2 {
			t.Errorf("Home as the events function: got %+v, %v, want 2 open rounds, nil", h, err)
		}
	})
	if got, want := home.sorted(), sorted(HomeActions); !slices.Equal(got, want) {
		t.Errorf("home: got requests with actions %v, want exactly the granted %v", got, want)
	}
	for data, set := range made {
		if got, want := set.sorted(), sorted(TableActions(data)); !slices.Equal(got, want) {
			t.Errorf("data %s: got requests with actions %v, want exactly the granted %v", data, got, want)
		}
	}
	// And the conditions do narrow: each part of the data is kept from the other's keys.
	t.Run("denied", func(t *testing.T) {
		for _, tc := range []struct {
			data        api.DataAccess
			action, pk  string
			description string
		}{
			{api.DataOrders, "dynamodb:PutItem", "E#Ev0123ABCDEF", "an order function writing a Slack event's record"},
			{api.DataOrders, "dynamodb:GetItem", "X#anything", "an order function reading an unknown key"},
			{api.DataEvents, "dynamodb:PutItem", "C#T1#C1", "the events function writing a channel's slot"},
			{api.DataEvents, "dynamodb:GetItem", "E#Ev0123ABCDEF", "the events function reading event records (it only writes them)"},
			{api.DataEvents, "dynamodb:UpdateItem", "U#T1#U1", "the events function writing a Home index (it only reads it)"},
			{api.DataEvents, "dynamodb:PutItem", "C#T1#C1", "the events function writing a round (the Home only reads)"},
		} {
			for _, fn := range byData[tc.data] {
				if fn.allows(t, tc.action, table, tc.pk) {
					t.Errorf("%s: %s on %q (%s): got allowed, want denied", fn.function, tc.action, tc.pk, tc.description)
				}
			}
		}
	})
}
