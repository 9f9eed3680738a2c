// Package selfinvoke hands work to an asynchronous invocation of the running Lambda
// function. A Lambda is frozen as soon as it returns, so a goroutine left running after
// the reply may never finish; an InvocationType=Event invoke is queued and retried by
// Lambda itself, which keeps "nothing lost" without adding a queue to the stack. The
// function's role holds lambda:InvokeFunction on its own ARN only.
package selfinvoke

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// Invoker is the Lambda API call this package makes.
type Invoker interface {
	Invoke(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Deferrer invokes self, the running function's name (AWS_LAMBDA_FUNCTION_NAME).
type Deferrer struct {
	Client Invoker
	Self   string
}

// Defer queues payload for an asynchronous invocation of the running function. function
// is the route's function name, for the error message: in Lambda a function only ever
// defers to itself.
func (d Deferrer) Defer(ctx context.Context, function string, payload []byte) error {
	out, err := d.Client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(d.Self),
		InvocationType: types.InvocationTypeEvent,
		Payload:        payload,
	})
	if err != nil {
		return fmt.Errorf("invoke %s (%s) asynchronously: %w", d.Self, function, err)
	}
	if out.StatusCode != 202 {
		return fmt.Errorf("invoke %s (%s) asynchronously: status %d", d.Self, function, out.StatusCode)
	}
	return nil
}
