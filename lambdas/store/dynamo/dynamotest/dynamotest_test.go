package dynamotest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// No TestMain here: every test gets its own server, stopped at its end.
func TestNewTable(t *testing.T) {
	client, name := NewTable(t)
	out, err := client.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: &name})
	if err != nil {
		t.Fatal(err)
	}
	if out.Table.TableStatus != "ACTIVE" {
		t.Fatalf("table %s is %s", name, out.Table.TableStatus)
	}
}

func TestReadyWriterSplitLine(t *testing.T) {
	w := &readyWriter{found: make(chan string, 1)}
	for _, p := range []string{"Dynalite listening at: http://127.0.0.1:", "4567", "\n", "more\n"} {
		if n, err := w.Write([]byte(p)); n != len(p) || err != nil {
			t.Fatal(n, err)
		}
	}
	if got := <-w.found; got != "http://127.0.0.1:4567" {
		t.Fatalf("endpoint %q", got)
	}
}

// TestConditionalUpdatesAreAtomic checks what the store relies on dynalite for (issue
// #10), with raw SDK calls: an UpdateItem's condition is evaluated against the item its
// write replaces, atomically per item, and numbers of 19 digits (Unix nanoseconds) are
// compared exactly. Workers race to record requests under the store's condition "newer
// than the recorded request" — later time, or the same time and a greater id — with times
// one nanosecond apart (below float64's precision at that size) and repeated. Every write
// that succeeds returns the item it replaced (ALL_OLD); if the writes were atomic, those
// form one chain, each replacing exactly the one before it, ending at the newest request.
func TestConditionalUpdatesAreAtomic(t *testing.T) {
	client, table := NewTable(t)
	ctx := context.Background()
	key := map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "C#T#C"},
		"sk": &types.AttributeValueMemberS{Value: "ROUND"},
	}
	const base = 1795623474683994019 // a 2026 time in ns; float64 steps by 256 here
	type rec struct {
		at int64
		id string
	}
	newer := func(a, b rec) bool { return a.at > b.at || a.at == b.at && a.id > b.id }
	type link struct{ old, new rec }
	var (
		mu    sync.Mutex
		links []link
		all   []rec
		wg    sync.WaitGroup
	)
	const workers, attempts = 12, 25
	for w := range workers {
		wg.Go(func() {
			for a := range attempts {
				r := rec{at: base + int64(2*a+w%3), id: fmt.Sprintf("req-%02d-%02d", w, a)}
				at := &types.AttributeValueMemberN{Value: strconv.FormatInt(r.at, 10)}
				out, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
					TableName:           &table,
					Key:                 key,
					UpdateExpression:    aws.String("SET #ua = :at, #ur = :req ADD #n :one, #uq :change"),
					ConditionExpression: aws.String("attribute_not_exists(#ua) OR #ua < :at OR (#ua = :at AND #ur < :req)"),
					ExpressionAttributeNames: map[string]string{
						"#ua": "ua#U1", "#ur": "ur#U1", "#n": "n", "#uq": "uq#U1",
					},
					ExpressionAttributeValues: map[string]types.AttributeValue{
						":at": at, ":req": &types.AttributeValueMemberS{Value: r.id},
						":one":    &types.AttributeValueMemberN{Value: "1"},
						":change": &types.AttributeValueMemberSS{Value: []string{fmt.Sprintf("%019d|%s", r.at, r.id)}},
					},
					ReturnValues: types.ReturnValueAllOld,
				})
				mu.Lock()
				all = append(all, r)
				mu.Unlock()
				var ccf *types.ConditionalCheckFailedException
				if errors.As(err, &ccf) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				var old rec
				if v, ok := out.Attributes["ua#U1"].(*types.AttributeValueMemberN); ok {
					old.at, _ = strconv.ParseInt(v.Value, 10, 64)
					old.id = out.Attributes["ur#U1"].(*types.AttributeValueMemberS).Value
				}
				mu.Lock()
				links = append(links, link{old, r})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// Each success replaced the one before it: follow the chain from the empty item.
	next := map[rec]rec{}
	for _, l := range links {
		if !newer(l.new, l.old) {
			t.Errorf("%v replaced %v, which is not older", l.new, l.old)
		}
		if prev, dup := next[l.old]; dup {
			t.Errorf("%v was replaced twice: by %v and by %v (a lost update)", l.old, prev, l.new)
		}
		next[l.old] = l.new
	}
	newest := all[0]
	for _, r := range all {
		if newer(r, newest) {
			newest = r
		}
	}
	cur, n := rec{}, 0
	for {
		r, ok := next[cur]
		if !ok {
			break
		}
		cur, n = r, n+1
	}
	if n != len(links) || cur != newest {
		t.Errorf("the chain of %d successes reaches %v after %d links, want all of them ending at the newest %v", len(links), cur, n, newest)
	}
	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Item["n"].(*types.AttributeValueMemberN).Value; got != strconv.Itoa(len(links)) {
		t.Errorf("n = %s, want %d: one increment per success", got, len(links))
	}
	if got := len(out.Item["uq#U1"].(*types.AttributeValueMemberSS).Value); got != len(links) {
		t.Errorf("the change set holds %d entries, want %d: one per success", got, len(links))
	}
	if got := out.Item["ur#U1"].(*types.AttributeValueMemberS).Value; got != newest.id {
		t.Errorf("recorded %s, want the newest request %s", got, newest.id)
	}
	t.Logf("%d of %d conditional writes succeeded, in one chain", len(links), len(all))
}
