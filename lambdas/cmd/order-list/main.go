// Command order-list is the /order-list Lambda function (provided.al2023, built as bootstrap).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/orderbot/orderbot/lambdas/config"
	"github.com/orderbot/orderbot/lambdas/handler"
)

func main() {
	deps, err := config.Deps(context.Background(), false)
	if err != nil {
		slog.Error("cold start failed", "function", "order-list", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(handler.OrderList(deps))
}
