// Package vtl renders API Gateway mapping templates: the dialect of the
// Velocity Template Language that AWS API Gateway (REST APIs) evaluates, so a
// local gateway emulator produces the same bytes production does.
//
// The reference is what API Gateway actually outputs (the recorded
// conformance suite in shared/conformance/vtl-aws-recorded.json), not Apache
// Velocity 1.7. Where they differ, this package follows AWS:
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
