// Package vtl renders API Gateway mapping templates: the dialect of the
// Velocity Template Language that AWS API Gateway (REST APIs) evaluates, so a
// local gateway emulator produces the same bytes production does.
//
// The reference is what API Gateway actually outputs (the recorded
// conformance suites in shared/conformance: vtl-aws-recorded.json for the
// language, vtl-aws-apigw.json for $input, $util, $context and the
// request/response pipelines), not Apache Velocity 1.7. Where they differ,
// this package follows AWS:
//
//   - An undefined or null reference renders as nothing; Velocity prints the
//     reference source ("$name"). Quiet references ($!x) are therefore the same
//     as plain ones.
//   - In a condition only Boolean false is false. A null or undefined value
//     is true (Velocity treats null as false), so "#if($missing)" takes the
//     branch and "!$missing" is false.
//   - Indentation before a directive is kept even for #set (Velocity 1.7
//     swallows it for #set); the line break right after a directive's closing
//     parenthesis, #else or #end is dropped.
//   - String literals keep backslashes verbatim ("\n" is a backslash and an
//     n), and "" inside a double-quoted string is one quote.
//   - The API Gateway objects $input, $util, $context and $stageVariables are
//     built in; #parse, #include and #evaluate are rejected.
//   - A null reference equals "" in == and != (and nothing else that is not
//     null).
//
// What API Gateway adds to Velocity follows the cases recorded on AWS in
// shared/conformance/vtl-aws-apigw.json:
//
//   - An array $input.path returns prints as compact JSON ([{"a":1}]) while
//     the objects around it print as Java maps ({a=1}); $util.parseJson's
//     arrays stay Java lists ([x, y]).
//   - The objects nested in $context (identity, requestOverride,
//     responseOverride and their maps) print as "" but can still be read.
//   - $input.params never shows the headers API Gateway hides from templates
//     (HiddenHeader: Connection, Upgrade, Transfer-Encoding and others).
//
// Behaviour kept from Velocity 1.7: identifiers may contain '-' ("$a-b" is
// one reference), #set with a null right-hand side leaves its target alone,
// integer arithmetic stays integral and division by zero yields null, ==
// between different kinds compares their string forms, #foreach over a Map
// walks its values, and a collection modified during #foreach fails like
// Java's fail-fast iterators.
//
// Values are modelled on what Java templates see: *Map (insertion-ordered,
// like the LinkedHashMap from $util.parseJson), *List, string, int (Integer
// and Long), float64 (Double, printed as Double.toString does), bool and nil.
// Methods are the java.lang.String, java.util.Map and java.util.List methods
// templates use; regular expressions are Go RE2, which covers the Java syntax
// templates use but not look-around or back-references.
//
// The engine is laid out like text/template. Package parse lexes and parses
// a template into a syntax tree whose nodes print themselves back as VTL
// (Template.Tree). Parse then compiles the tree: variables become slots,
// literal regular expressions are compiled and method names are resolved
// against the method tables (methods_*.go, with $input and $util in
// funcs.go). Render runs one evaluator (exec.go) over the compiled form.
//
// Templates come from configuration that may be hostile, so every Render is
// bounded by Limits (steps, output and string size, nesting, ranges, loop
// iterations) and honours context cancellation; exceeding a bound is an error
// wrapping ErrLimit, never a hang or a crash.
package vtl
