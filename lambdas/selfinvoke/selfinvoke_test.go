package selfinvoke

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

type fakeLambda struct {
	in     *lambda.InvokeInput
	status int32
	err    error
}

func (f *fakeLambda) Invoke(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	f.in = in
	return &lambda.InvokeOutput{StatusCode: f.status}, f.err
}

func TestDeferInvokesSelfAsynchronously(t *testing.T) {
	f := &fakeLambda{status: 202}
	d := Deferrer{Client: f, Self: "Orderbot-OrderUpdate-abc"}
	if err := d.Defer(context.Background(), "order-update", []byte(`{"deferred":true}`)); err != nil {
		t.Fatal(err)
	}
	if *f.in.FunctionName != "Orderbot-OrderUpdate-abc" || f.in.InvocationType != types.InvocationTypeEvent || string(f.in.Payload) != `{"deferred":true}` {
		t.Fatalf("invoke input = %+v", f.in)
	}
	for _, bad := range []*fakeLambda{{status: 200}, {err: errors.New("AccessDenied")}} {
		if err := (Deferrer{Client: bad, Self: "x"}).Defer(context.Background(), "order-update", nil); err == nil {
			t.Errorf("Defer with %+v succeeded", bad)
		}
	}
}
