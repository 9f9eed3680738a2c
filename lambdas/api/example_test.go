package api_test

import (
	"fmt"

	"github.com/orderbot/orderbot/lambdas/api"
)

// The route table is the one list of what the API serves; the stack, the local gateway,
// the Slack manifest and the tests are generated from it.
func ExampleRoutes() {
	for _, r := range api.Routes {
		fmt.Printf("%-11s %s %-13s → λ %-12s %-13s %v\n", r.Kind, r.Method, r.Path, r.Function, r.Command, r.Timeout)
	}
	// Output:
	// events      POST /             → λ events                     3s
	// command     POST /order-update → λ order-update /order-update 30s
	// command     POST /order-list   → λ order-list   /order-list   30s
	// interactive POST /interactive  → λ interactive                30s
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
