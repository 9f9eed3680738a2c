package api_test

import (
	"fmt"

	"github.com/orderbot/orderbot/lambdas/api"
)

// The route table is the one list of what the API serves; the stack, the local gateway,
// the Slack manifest and the tests are generated from it.
func ExampleRoutes() {
	for _, r := range api.Routes {
		fmt.Printf("%s %-14s → λ %-13s %-14q %s, %v\n", r.Method, r.Path, r.Function, r.Command, r.ContentType, r.Timeout)
	}
	// Output:
	// POST /              → λ events        ""             application/json, 3s
	// POST /order-update  → λ order-update  "/order-update" application/x-www-form-urlencoded, 30s
	// POST /order-list    → λ order-list    "/order-list"  application/x-www-form-urlencoded, 30s
}

func ExampleRouteFor() {
	r, ok := api.RouteFor("order-list")
	fmt.Println(ok, r.Path, r.Data)
	_, ok = api.RouteFor("orders")
	fmt.Println(ok)
	// Output:
	// true /order-list orders
	// false
}
