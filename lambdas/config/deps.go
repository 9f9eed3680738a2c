package config

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orderbot/orderbot/lambdas/handler"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/selfinvoke"
	"github.com/orderbot/orderbot/lambdas/slack"
	"github.com/orderbot/orderbot/lambdas/store/dynamo"
)

// Deps loads the configuration and builds what a handler needs in production: the
// DynamoDB store, the verifier, the asynchronous self-invoke for slow commands and, when a
// bot token is configured and wanted, the poster.
func Deps(ctx context.Context, withPoster bool) (handler.Deps, error) {
	c, err := Load(ctx)
	if err != nil {
		return handler.Deps{}, err
	}
	d := handler.Deps{
		Orders:   &orders.Service{Store: dynamo.New(dynamodb.NewFromConfig(ForService(c.AWS, "DYNAMODB")), c.TableName)},
		Verifier: slack.Verifier{Secret: []byte(c.SigningSecret)},
		Log:      c.Logger(),
	}
	if withPoster && c.BotToken != "" {
		d.Poster = slack.NewPoster(c.BotToken, "")
	}
	if self := os.Getenv("AWS_LAMBDA_FUNCTION_NAME"); self != "" {
		d.Deferrer = selfinvoke.Deferrer{AWS: ForService(c.AWS, "LAMBDA"), Self: self}
		d.Budget = c.ReplyBudget
	}
	return d, nil
}
