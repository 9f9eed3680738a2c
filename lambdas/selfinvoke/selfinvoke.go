// Package selfinvoke hands work to an asynchronous invocation of the running Lambda
// function. A Lambda is frozen as soon as it returns, so a goroutine left running after
// the reply may never finish; an InvocationType=Event invoke is queued and retried by
// Lambda itself (and lands in the dead-letter queue after the last retry), which keeps
// "nothing lost" without a queue to run. The function's role holds lambda:InvokeFunction
// on its own ARN only.
//
// The call is Lambda's documented Invoke REST endpoint signed with the SDK's SigV4 signer
// (awscall), not the SDK's Lambda client: that client's generated schemas and endpoint tables take
// 7–9 ms to initialise on every cold start of every command function (GODEBUG=inittrace)
// and add 330 KB, for a call made only on the slow path.
package selfinvoke

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/orderbot/orderbot/lambdas/awscall"
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
	resp, err := awscall.Send(ctx, d.AWS, d.HTTP, awscall.Call{
		Service: "lambda", Method: http.MethodPost, Body: payload,
		URL:    awscall.Endpoint(d.AWS, "lambda") + "/2015-03-31/functions/" + url.PathEscape(d.Self) + "/invocations",
		Header: http.Header{"Content-Type": {"application/json"}, "X-Amz-Invocation-Type": {"Event"}},
	})
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
