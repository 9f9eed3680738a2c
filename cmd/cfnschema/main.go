// Command cfnschema checks CloudFormation templates against CloudFormation's published
// resource-provider schemas, offline:
//
//	go run ./cmd/cfnschema [-schemas DIR] TEMPLATE.json...
//
// It prints one line per error, "<template> <logical id> <type>: <json pointer>:
// <message>", then "N templates, M resources checked", and exits 1 if there was an error.
// Each resource's Type must be in the registry (Custom::* and AWS::CDK::Metadata are
// handled here) and its Properties must match the type's schema; intrinsic functions
// are accepted wherever a value may be (see Relax). Ref, Fn::GetAtt, Fn::Sub, DependsOn
// and Condition must name something the template defines, and Fn::GetAtt an attribute
// the type has.
//
// The schemas are those that github.com/aws-cloudformation/rain ships, at the version
// pinned in tools/go.mod; -schemas points at another copy of the same layout
// (aws/<service>/<resource>.json).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cfnschema", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("schemas", "", "directory of resource schemas, aws/<service>/<resource>.json (default: rain's, pinned in tools/go.mod)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: cfnschema [-schemas DIR] TEMPLATE.json...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	if *dir == "" {
		d, err := FindSchemaDir()
		if err != nil {
			fmt.Fprintln(stderr, "cfnschema:", err)
			return 2
		}
		*dir = d
	}
	reg, err := NewRegistry(*dir)
	if err != nil {
		fmt.Fprintln(stderr, "cfnschema:", err)
		return 2
	}
	c, err := NewChecker(reg)
	if err != nil {
		fmt.Fprintln(stderr, "cfnschema:", err)
		return 2
	}
	var resources, errs int
	for _, path := range fs.Args() {
		n, problems := c.CheckFile(path)
		resources += n
		errs += len(problems)
		for _, p := range problems {
			fmt.Fprintln(stdout, p)
		}
	}
	for _, n := range reg.Notes() {
		fmt.Fprintln(stderr, "note:", n)
	}
	fmt.Fprintf(stdout, "%d templates, %d resources checked", fs.NArg(), resources)
	if errs > 0 {
		fmt.Fprintf(stdout, ", %d errors\n", errs)
		return 1
	}
	fmt.Fprintln(stdout)
	return 0
}
