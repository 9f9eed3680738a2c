package say_test

import (
	"fmt"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say"
)

func ExampleMessages_ItemProblem() {
	_, err := orders.CleanItem("   ")
	fmt.Println(say.Messages{}.ItemProblem(err))
	_, err = orders.CleanItem("latte\x07")
	fmt.Println(say.Messages{}.ItemProblem(fmt.Errorf("order from U1: %w", err)))
	// Output:
	// Tell me what you'd like, e.g. `/order-update iced americano`.
	// That order holds characters I can't store (control characters or invalid UTF-8).
}
