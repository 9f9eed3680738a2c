// Command events is the the Slack Events API Lambda function (provided.al2023, built as bootstrap).
package main

import (
	"github.com/orderbot/orderbot/lambdas/handler"
	"github.com/orderbot/orderbot/lambdas/wire"
)

func main() { wire.Start("events", handler.Events, wire.WithPoster) }
