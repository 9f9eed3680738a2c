// Package selfinvoke hands work to an asynchronous invocation of the running Lambda
// function. A Lambda is frozen as soon as it returns, so a goroutine left running after
// the reply may never finish; an InvocationType=Event invoke is queued and retried by
// Lambda itself (and lands in the dead-letter queue after the last retry), which keeps
// "nothing lost" without a queue to run. The function's role holds lambda:InvokeFunction
// on its own ARN only.
//
// The call is Lambda's documented Invoke REST endpoint signed with the SDK's SigV4 signer,
// not the SDK's Lambda client: that client's generated schemas and endpoint tables take
// 7–9 ms to initialise on every cold start of every command function (GODEBUG=inittrace)
// and add 330 KB, for a call made only on the slow path.
package selfinvoke

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// CallTimeout bounds one Invoke call when no shorter deadline applies (issue #21): an
// asynchronous invoke is only queued, which takes milliseconds; the synchronous path
// gives it much less (handler's hand-off timeout, through ctx).
const CallTimeout = 5 * time.Second

// Deferrer invokes Self, the running function's name (AWS_LAMBDA_FUNCTION_NAME).
type Deferrer struct {
	AWS  aws.Config // region, credentials and optional BaseEndpoint
	Self string
	HTTP *http.Client // http.DefaultClient when nil
}

// Defer queues payload for an asynchronous invocation of the running function. function
// is the route's function name, for the error message: in Lambda a function only ever
// defers to itself.
func (d Deferrer) Defer(ctx context.Context, function string, payload []byte) error {
	if err := d.invoke(ctx, payload); err != nil {
		return fmt.Errorf("invoke %s (%s) asynchronously: %w", d.Self, function, err)
	}
	return nil
}

func (d Deferrer) invoke(ctx context.Context, payload []byte) error {
	base := "https://lambda." + d.AWS.Region + ".amazonaws.com"
	if strings.HasPrefix(d.AWS.Region, "cn-") {
		base += ".cn"
	}
	if d.AWS.BaseEndpoint != nil {
		base = strings.TrimRight(*d.AWS.BaseEndpoint, "/")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		base+"/2015-03-31/functions/"+url.PathEscape(d.Self)+"/invocations", bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amz-Invocation-Type", "Event")
	creds, err := d.AWS.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	sum := sha256.Sum256(payload)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "lambda", d.AWS.Region, time.Now()); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	client := d.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(msg))
	}
	return nil
}
