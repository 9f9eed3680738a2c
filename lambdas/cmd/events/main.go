// Command events is the Slack Events API Lambda function (provided.al2023, built as bootstrap).
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
	deps, err := config.Deps(context.Background(), true)
	if err != nil {
		slog.Error("cold start failed", "function", "events", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(handler.Events(deps))
}
