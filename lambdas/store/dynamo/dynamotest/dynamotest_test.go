package dynamotest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
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
