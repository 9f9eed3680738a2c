package main

import (
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/orderbot/orderbot/lambdas/api"
)

// routes prints the route table; --functions prints only the function names, one per
// line (make build deploys the one bootstrap once per function).
func routes(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("routes", flag.ContinueOnError)
	functions := fs.Bool("functions", false, "print only the function names, one per line")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return usageError("usage: orderbot routes [--functions]")
	}
	if *functions {
		for _, r := range api.Routes {
			fmt.Fprintln(out, r.Function)
		}
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tMETHOD\tPATH\tFUNCTION\tCOMMAND")
	for _, r := range api.Routes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Kind, r.Method, r.Path, r.Function, r.Command)
	}
	return tw.Flush()
}
