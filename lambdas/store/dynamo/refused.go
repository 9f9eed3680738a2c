package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"

	"github.com/orderbot/orderbot/lambdas/orders"
)

// refusalCodes are DynamoDB's answers that refuse a request before it does anything: the
// caller may not (AccessDeniedException — its role lacks the action, or the item's key is
// outside its dynamodb:LeadingKeys — or UnrecognizedClientException), or the request is
// not valid (ValidationException, ResourceNotFoundException). Sent again it is refused
// again. ("Error handling with DynamoDB",
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html.)
var refusalCodes = []string{"AccessDeniedException", "UnrecognizedClientException", "ValidationException", "ResourceNotFoundException"}

// refusals is the table API with refusals marked orders.ErrRefused, so that a handler
// answers "not saved, nothing changed" at once instead of retrying, deferring, and then
// not knowing.
type refusals struct{ API }

func refused(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) && slices.Contains(refusalCodes, ae.ErrorCode()) {
		return fmt.Errorf("%w: %w", orders.ErrRefused, err)
	}
	return err
}

func (r refusals) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	out, err := r.API.GetItem(ctx, in, o...)
	return out, refused(err)
}

func (r refusals) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	out, err := r.API.PutItem(ctx, in, o...)
	return out, refused(err)
}

func (r refusals) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	out, err := r.API.UpdateItem(ctx, in, o...)
	return out, refused(err)
}

func (r refusals) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	out, err := r.API.DeleteItem(ctx, in, o...)
	return out, refused(err)
}

func (r refusals) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := r.API.Query(ctx, in, o...)
	return out, refused(err)
}
