// Command order-list is the /order-list Lambda function (provided.al2023, built as bootstrap).
package main

import (
	"github.com/orderbot/orderbot/lambdas/handler"
	"github.com/orderbot/orderbot/lambdas/wire"
)

func main() { wire.Start("order-list", handler.OrderList, wire.NoPoster) }
