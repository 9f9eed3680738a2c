package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/orderbot/orderbot/local/vtl/apigwcases"
)

var statusLine = regexp.MustCompile(`\(responseOverride\.status = (\d+)\)`)

// cliRenderer renders through the built `orderbot vtl render` binary: every input goes
// in as a flag or a file, exactly as a user would type it.
func cliRenderer(t *testing.T, bin string) apigwcases.Renderer {
	return func(in apigwcases.Input) (apigwcases.Rendered, error) {
		dir := t.TempDir()
		tpl := filepath.Join(dir, "template.vtl")
		body := filepath.Join(dir, "body")
		if err := os.WriteFile(tpl, []byte(in.Template), 0o600); err != nil {
			return apigwcases.Rendered{}, err
		}
		if err := os.WriteFile(body, []byte(in.Body), 0o600); err != nil {
			return apigwcases.Rendered{}, err
		}
		args := []string{"vtl", "render", tpl, "--body", body}
		for k, v := range in.Headers {
			args = append(args, "--header", k+": "+v)
		}
		for flagName, m := range map[string]map[string]string{"--query": in.Query, "--path": in.Path, "--stage-var": in.StageVars} {
			for k, v := range m {
				args = append(args, flagName, k+"="+v)
			}
		}
		if len(in.Context) > 0 {
			b, err := json.Marshal(map[string]any{"context": in.Context})
			if err != nil {
				return apigwcases.Rendered{}, err
			}
			ctxFile := filepath.Join(dir, "ctx.json")
			if err := os.WriteFile(ctxFile, b, 0o600); err != nil {
				return apigwcases.Rendered{}, err
			}
			args = append(args, "--context", ctxFile)
		}
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return apigwcases.Rendered{}, errors.New(err.Error() + ": " + stderr.String())
		}
		res := apigwcases.Rendered{Output: stdout.String()}
		if m := statusLine.FindStringSubmatch(stderr.String()); m != nil {
			res.Status, _ = strconv.Atoi(m[1])
		}
		return res, nil
	}
}

// TestVTLRenderCLIConformance runs every recorded API Gateway case through the CLI
// binary, pipelines included, and wants AWS's output from each.
func TestVTLRenderCLIConformance(t *testing.T) {
	cases := apigwcases.Load(t)
	render := cliRenderer(t, buildOrderbot(t))
	pass := 0
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			got, err := c.Run(render)
			if err != nil {
				t.Fatalf("orderbot vtl render: got error %v, want AWS's output %s", err, c.AWSOutput)
			}
			if err := c.Judge(got); err != nil {
				t.Errorf("orderbot vtl render of %q: %v", c.Template, err)
				return
			}
			pass++
		})
	}
	t.Logf("orderbot vtl render: %d/%d cases match AWS", pass, len(cases))
	if pass != len(cases) {
		t.Errorf("got %d/%d cases matching AWS through the CLI, want all", pass, len(cases))
	}
}

// TestVTLRenderFlags checks the input flags one by one through the binary: repeated
// query keys keep the last value, --stage-var wins over the context file's
// stageVariables, and malformed pairs are usage errors (exit 2) that render nothing.
func TestVTLRenderFlags(t *testing.T) {
	bin := buildOrderbot(t)
	dir := t.TempDir()
	tpl := filepath.Join(dir, "t.vtl")
	src := `q=$input.params('k') p=$input.params().path.id s=$stageVariables.env o=$stageVariables.other c=$context.stage v=$x`
	if err := os.WriteFile(tpl, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	ctxFile := filepath.Join(dir, "ctx.json")
	ctx := `{"context":{"stage":"dev"},"stageVariables":{"env":"from-file","other":"kept"},"x":1}`
	if err := os.WriteFile(ctxFile, []byte(ctx), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "vtl", "render", tpl, "--query", "k=a", "--query=k=b=c", "--path", "id=42",
		"--stage-var", "env=flag", "--context", ctxFile).Output()
	if err != nil {
		t.Fatalf("orderbot vtl render: got error %v, want success", err)
	}
	if want := "q=b=c p=42 s=flag o=kept c=dev v=1"; string(out) != want {
		t.Errorf("got %q, want %q", out, want)
	}
	for _, bad := range [][]string{{"--query", "novalue"}, {"--path", "=v"}, {"--stage-var", "x"}, {"--header", "NoColon"}} {
		cmd := exec.Command(bin, append([]string{"vtl", "render", tpl}, bad...)...)
		out, err := cmd.Output()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || len(out) != 0 {
			t.Errorf("orderbot vtl render %v: got exit %v and output %q, want exit 2 and nothing rendered", bad, err, out)
		}
	}
}
