// Command bootstrap is every orderbot Lambda function (provided.al2023, arm64): the stack
// deploys this one binary once per route of the table and names the route's function in
// ORDERBOT_FUNCTION (api.EnvFunction). A new route needs no main of its own.
package main

import "github.com/orderbot/orderbot/lambdas/wire"

func main() { wire.Start() }
