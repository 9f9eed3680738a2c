package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/local/vtl"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// listFlag collects a repeatable flag's values in order.
type listFlag []string

func (h *listFlag) String() string     { return strings.Join(*h, ", ") }
func (h *listFlag) Set(v string) error { *h = append(*h, v); return nil }

const vtlUsage = "usage: orderbot vtl render TEMPLATE [--body FILE] [--header 'K: V']... [--query k=v]... " +
	"[--path k=v]... [--stage-var k=v]... [--context ctx.json]"

// vtlInputs are the render flags: every input a mapping template can see.
type vtlInputs struct {
	ctxFile, bodyFile               *string
	headers, query, path, stageVars listFlag
}

func vtlFlags(fs *flag.FlagSet) *vtlInputs {
	in := &vtlInputs{
		ctxFile:  fs.String("context", "", "JSON object: its keys become top-level variables; a \"context\" key is $context, a \"stageVariables\" key is $stageVariables"),
		bodyFile: fs.String("body", "", "file whose contents are $input.body (an empty body renders as {})"),
	}
	fs.Var(&in.headers, "header", "request header 'Name: value' (repeatable; the last value of a repeated header wins)")
	fs.Var(&in.query, "query", "query-string parameter k=v (repeatable; a repeated key keeps its last value, as $input.params does)")
	fs.Var(&in.path, "path", "path parameter k=v (repeatable)")
	fs.Var(&in.stageVars, "stage-var", "stage variable k=v (repeatable; $stageVariables)")
	return in
}

// vtlCommand renders a template as API Gateway would. TEMPLATE is a file, or the name of
// one of orderbot's templates (request.vtl, response.vtl).
func vtlCommand(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "render" {
		return usageError("%s", vtlUsage)
	}
	fs := flag.NewFlagSet("vtl render", flag.ContinueOnError)
	in := vtlFlags(fs)
	if err := fs.Parse(reorder(fs, args[1:])); err != nil {
		return usageError("%v", err)
	}
	if fs.NArg() != 1 {
		return usageError("%s", vtlUsage)
	}
	name := fs.Arg(0)
	src, err := os.ReadFile(name)
	if err != nil {
		s, terr := api.Template(name)
		if terr != nil {
			return fmt.Errorf("read template: %w", err)
		}
		src = []byte(s)
	}
	req, err := in.request()
	if err != nil {
		return err
	}
	t, err := vtl.Parse(name, string(src))
	if err != nil {
		return err
	}
	res, err := t.Render(ctx, req)
	if err != nil {
		return err
	}
	fmt.Print(res.Output)
	if res.Status != 0 {
		fmt.Fprintf(os.Stderr, "\n(responseOverride.status = %d)\n", res.Status)
	}
	return nil
}

// request builds the API Gateway request the flags describe.
func (in *vtlInputs) request() (vtl.Request, error) {
	req := vtl.Request{Header: map[string]string{}, Body: "{}"}
	if *in.bodyFile != "" {
		b, err := os.ReadFile(*in.bodyFile)
		if err != nil {
			return req, fmt.Errorf("--body: %w", err)
		}
		if len(b) > 0 {
			req.Body = string(b)
		}
	}
	for _, h := range in.headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return req, usageError("--header %q: want 'Name: value'", h)
		}
		req.Header[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	var err error
	if req.Query, err = pairs("--query", in.query); err != nil {
		return req, err
	}
	if req.Path, err = pairs("--path", in.path); err != nil {
		return req, err
	}
	if req.StageVariables, err = pairs("--stage-var", in.stageVars); err != nil {
		return req, err
	}
	if *in.ctxFile != "" {
		if err := readContextFile(*in.ctxFile, &req); err != nil {
			return req, err
		}
	}
	return req, nil
}

// pairs parses k=v flags. A repeated key keeps its last value: API Gateway gives a
// non-proxy template one value per name, the last one for a repeated query parameter
// (as in a proxy event's queryStringParameters), and the local gateway does the same.
func pairs(flagName string, vals []string) (map[string]string, error) {
	m := make(map[string]string, len(vals))
	for _, kv := range vals {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageError("%s %q: want name=value", flagName, kv)
		}
		m[k] = v
	}
	return m, nil
}

// readContextFile reads --context: its "context" key is $context, "stageVariables" adds
// stage variables (a --stage-var of the same name wins) and the other keys are
// top-level variables.
func readContextFile(path string, req *vtl.Request) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--context: %w", err)
	}
	var vars map[string]any
	if err := json.Unmarshal(b, &vars); err != nil {
		return fmt.Errorf("--context %s: want a JSON object: %w", path, err)
	}
	if c, ok := vars["context"].(map[string]any); ok {
		req.Context = c
		delete(vars, "context")
	}
	if sv, ok := vars["stageVariables"].(map[string]any); ok {
		for k, v := range sv {
			if _, set := req.StageVariables[k]; !set {
				req.StageVariables[k] = fmt.Sprint(v)
			}
		}
		delete(vars, "stageVariables")
	}
	req.Vars = vars
	return nil
}
