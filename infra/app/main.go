// Command app is the CDK app that cdk.json runs (`go run ./infra/app`). It only wires: the
// stack lives in package infra so that the tests can build it too.
package main

import (
	"fmt"
	"os"

	"github.com/aws/jsii-runtime-go"

	"github.com/orderbot/orderbot/infra"
)

func main() {
	defer jsii.Close()
	app, _, err := infra.NewApp(infra.AppOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "orderbot app:", err)
		os.Exit(1)
	}
	app.Synth(nil)
}
