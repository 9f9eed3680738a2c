package devstack

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orderbot/orderbot/lambdas/store/dynamo/dynamotest"
	"github.com/orderbot/orderbot/local/cfn"
)

var buildMu sync.Mutex

// hostBuild builds lambdas/cmd/bootstrap for the host into the data directory, as `make
// build` builds it for Lambda (same tags and flags, the host's GOARCH).
func (s *Stack) hostBuild() (string, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	if s.built != "" {
		return s.built, nil
	}
	abs, err := filepath.Abs(filepath.Join(s.opts.DataDir, "bin", "bootstrap"))
	if err != nil {
		return "", err
	}
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", abs, "./cmd/bootstrap")
	cmd.Dir = s.opts.ModuleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("host build of the bootstrap in %s: %v\n%s", s.opts.ModuleDir, err, out)
	}
	s.built = abs
	return abs, nil
}

// createTables creates each table of the template on the local DynamoDB with its key
// schema and TTL, unless it exists (dynalite keeps tables between runs).
func createTables(ctx context.Context, endpoint string, tables map[string]cfn.Table) error {
	client := dynamotest.NewClient(endpoint)
	for _, t := range tables {
		if _, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &t.Name}); err == nil {
			continue
		}
		in := &dynamodb.CreateTableInput{TableName: aws.String(t.Name), BillingMode: types.BillingModePayPerRequest}
		keys := []struct {
			name string
			typ  types.KeyType
		}{{t.PartitionKey, types.KeyTypeHash}, {t.SortKey, types.KeyTypeRange}}
		for _, k := range keys {
			if k.name == "" {
				continue
			}
			in.KeySchema = append(in.KeySchema, types.KeySchemaElement{AttributeName: aws.String(k.name), KeyType: k.typ})
			in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
				AttributeName: aws.String(k.name), AttributeType: types.ScalarAttributeType(t.Types[k.name])})
		}
		if _, err := client.CreateTable(ctx, in); err != nil {
			return fmt.Errorf("create table %s: %w", t.Name, err)
		}
		w := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 20 * time.Millisecond })
		if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: &t.Name}, time.Minute); err != nil {
			return fmt.Errorf("wait for table %s: %w", t.Name, err)
		}
		if t.TTLAttribute != "" {
			// dynalite does not implement TTL; DynamoDB does. Items carry the attribute
			// either way, and the stores ignore expired items themselves.
			_, _ = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: &t.Name,
				TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: &t.TTLAttribute, Enabled: aws.Bool(true)}})
		}
	}
	return nil
}

// prefixed writes each line to w as "[name] line"; lambdaenv writes one line per Write.
func prefixed(w io.Writer, name string) io.Writer {
	if w == nil {
		return nil
	}
	return &prefixWriter{w: w, prefix: "[" + name + "] "}
}

type prefixWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := io.WriteString(p.w, p.prefix+string(b)); err != nil {
		return 0, err
	}
	return len(b), nil
}
