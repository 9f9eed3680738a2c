// Command orderbot runs orderbot on one machine and talks to it like Slack does:
//
//	orderbot dev                               the local API Gateway + handlers + embedded store
//	orderbot send /order-update "iced americano" a signed slash command, reply printed
//	orderbot send --event url_verification       a signed Events API payload
//	orderbot smoke --url https://…/prod          post-deploy smoke test
//	orderbot manifest --url https://…/prod       the Slack app manifest
//	orderbot vtl render TEMPLATE [flags]         render a mapping template as API Gateway would
//	orderbot routes [--functions]                the route table
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: orderbot <command> [flags]

commands:
  dev        run orderbot locally: PORT (3000), SLACK_SIGNING_SECRET (generated if unset), ORDERBOT_DB (.orderbot/orders.db)
  send       send a signed slash command or event:  orderbot send [--url U] [--secret S] [--team T --channel C --user U] /order-update "iced americano"
  smoke      smoke-test a deployed API:             orderbot smoke --url https://<api>/<stage> [--secret S]
  manifest   print the Slack app manifest:          orderbot manifest --url https://<api>/<stage>
  vtl        render a mapping template:             orderbot vtl render TEMPLATE [--body FILE] [--header 'K: V']... [--query k=v]... [--path k=v]... [--stage-var k=v]... [--context ctx.json]
  routes     print the route table:                 orderbot routes [--functions]
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

func run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "dev":
		err = dev(ctx, args[1:])
	case "send":
		err = send(ctx, args[1:])
	case "smoke":
		err = smoke(ctx, args[1:])
	case "manifest":
		err = printManifest(args[1:])
	case "vtl":
		err = vtlCommand(ctx, args[1:])
	case "routes":
		err = routes(args[1:], os.Stdout)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return 0
	default:
		fmt.Fprintf(os.Stderr, "orderbot: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "orderbot:", err)
		if e, ok := err.(exitError); ok {
			return e.code
		}
		return 1
	}
	return 0
}

// exitError carries a specific exit status (2 for usage errors).
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

func usageError(format string, args ...any) error {
	return exitError{code: 2, msg: fmt.Sprintf(format, args...)}
}
