package dynamo_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/store/dynamo"
	"github.com/orderbot/orderbot/lambdas/store/dynamo/dynamotest"
)

// countingAPI counts the DynamoDB requests the store makes, and among them the writes of
// Home index items (key U#…): what the order path costs.
type countingAPI struct {
	dynamo.API
	requests, homeWrites atomic.Int64
}

func (c *countingAPI) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.requests.Add(1)
	return c.API.GetItem(ctx, in, o...)
}

func (c *countingAPI) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.requests.Add(1)
	return c.API.PutItem(ctx, in, o...)
}

func (c *countingAPI) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.requests.Add(1)
	if pk, ok := in.Key[dynamo.PartitionKey].(*types.AttributeValueMemberS); ok && strings.HasPrefix(pk.Value, dynamo.UserKeyPrefix) {
		c.homeWrites.Add(1)
	}
	return c.API.UpdateItem(ctx, in, o...)
}

func (c *countingAPI) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c.requests.Add(1)
	return c.API.DeleteItem(ctx, in, o...)
}

func (c *countingAPI) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.requests.Add(1)
	return c.API.Query(ctx, in, o...)
}

// BenchmarkOrderPathHomeIndex: orders as a round takes them — 10 people in one channel,
// each changing their order — through orders.Service on dynalite, counting DynamoDB
// requests and Home index writes per order (the order path's cost of the App Home).
//
//	cd lambdas && go test -run '^$' -bench OrderPathHomeIndex -benchtime 400x ./store/dynamo/
func BenchmarkOrderPathHomeIndex(b *testing.B) {
	client, table := dynamotest.NewTable(b)
	api := &countingAPI{API: client}
	t0 := time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC)
	svc := &orders.Service{Store: dynamo.New(api, table), Now: func() time.Time { return t0 }}
	ch := orders.Channel{Team: "T1", Channel: "C1"}
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		req := orders.Request{ID: fmt.Sprintf("req-%d", i), At: at, Signed: at.Truncate(time.Second)}
		if _, err := svc.Set(ctx, ch, fmt.Sprintf("U%d", i%10), "", fmt.Sprintf("latte %d", i), req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(api.requests.Load())/float64(b.N), "ddb-requests/order")
	b.ReportMetric(float64(api.homeWrites.Load())/float64(b.N), "home-writes/order")
}
