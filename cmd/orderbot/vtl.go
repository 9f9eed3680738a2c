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

type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

// vtlCommand renders a template as API Gateway would. TEMPLATE is a file, or the name of
// one of orderbot's templates (request.vtl, response.vtl).
func vtlCommand(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "render" {
		return usageError("usage: orderbot vtl render TEMPLATE [--context ctx.json] [--body FILE] [--header 'K: V']...")
	}
	fs := flag.NewFlagSet("vtl render", flag.ContinueOnError)
	ctxFile := fs.String("context", "", "JSON object: its keys become top-level variables ($context, $stageVariables are also read from it)")
	bodyFile := fs.String("body", "", "file whose contents are $input.body (empty body renders as {})")
	var headers headerFlags
	fs.Var(&headers, "header", "request header 'Name: value' (repeatable)")
	if err := fs.Parse(reorder(fs, args[1:])); err != nil {
		return usageError("%v", err)
	}
	if fs.NArg() != 1 {
		return usageError("usage: orderbot vtl render TEMPLATE [flags]")
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
	req := vtl.Request{Header: map[string]string{}, Path: map[string]string{}, Query: map[string]string{}, Body: "{}"}
	if *bodyFile != "" {
		b, err := os.ReadFile(*bodyFile)
		if err != nil {
			return err
		}
		if len(b) > 0 {
			req.Body = string(b)
		}
	}
	for _, h := range headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok {
			return usageError("--header %q: want 'Name: value'", h)
		}
		req.Header[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if *ctxFile != "" {
		b, err := os.ReadFile(*ctxFile)
		if err != nil {
			return err
		}
		var vars map[string]any
		if err := json.Unmarshal(b, &vars); err != nil {
			return fmt.Errorf("--context %s: want a JSON object: %w", *ctxFile, err)
		}
		if c, ok := vars["context"].(map[string]any); ok {
			req.Context = c
			delete(vars, "context")
		}
		if sv, ok := vars["stageVariables"].(map[string]any); ok {
			req.StageVariables = map[string]string{}
			for k, v := range sv {
				req.StageVariables[k] = fmt.Sprint(v)
			}
			delete(vars, "stageVariables")
		}
		req.Vars = vars
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
