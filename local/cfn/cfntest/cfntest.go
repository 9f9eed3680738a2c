// Package cfntest synthesizes the app's stack for the tests of the local stack: the real
// CDK app (infra.NewApp), so that a test reads the template CloudFormation would deploy.
// It links the CDK and starts Node.js: only tests import it.
package cfntest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/orderbot/orderbot/infra"
)

// Synth synthesizes the stack with cdk.json's context plus overrides into a new
// directory under dir and returns that cloud assembly directory. buildDir holds the
// bootstrap the functions' asset is made from (infra.CodeDir).
func Synth(dir, buildDir string, overrides map[string]any) (string, error) {
	ctx, err := cdkContext()
	if err != nil {
		return "", err
	}
	ctx[infra.KeyBuildDir] = buildDir
	// The CLI sets this: each function's Metadata names its asset's directory.
	ctx["aws:cdk:enable-asset-metadata"] = true
	for k, v := range overrides {
		ctx[k] = v
	}
	out, err := os.MkdirTemp(dir, "cdk.out-")
	if err != nil {
		return "", err
	}
	app, _, err := infra.NewApp(infra.AppOptions{Context: ctx, Outdir: out})
	if err != nil {
		return "", err
	}
	app.Synth(nil)
	return out, nil
}

// cdkContext is cdk.json's context, found from the working directory upwards.
func cdkContext() (map[string]any, error) {
	dir, _ := os.Getwd()
	for {
		b, err := os.ReadFile(filepath.Join(dir, "cdk.json"))
		if err == nil {
			var cdk struct {
				Context map[string]any `json:"context"`
			}
			if err := json.Unmarshal(b, &cdk); err != nil {
				return nil, fmt.Errorf("cdk.json: %w", err)
			}
			root = dir
			return cdk.Context, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil, fmt.Errorf("no cdk.json above the working directory")
		}
		dir = parent
	}
}

// root is the repository root, where cdk.json is (set by cdkContext).
var root string

var (
	once    sync.Once
	defDir  string
	defErr  error
	tempDir string
)

// Default is the default stack's cloud assembly, synthesized once per test binary with
// the real bootstrap (linux/arm64); Main removes it.
func Default(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		if tempDir, defErr = os.MkdirTemp("", "orderbot-cfntest-"); defErr != nil {
			return
		}
		build := filepath.Join(tempDir, "build")
		code := infra.CodeDir(infra.Config{BuildDir: build})
		if defErr = os.MkdirAll(code, 0o755); defErr != nil {
			return
		}
		if defErr = buildBootstrap(filepath.Join(code, infra.HandlerName)); defErr != nil {
			return
		}
		defDir, defErr = Synth(tempDir, build, nil)
	})
	if defErr != nil {
		t.Fatalf("synth: %v", defErr)
	}
	return defDir
}

// buildBootstrap builds the functions' bootstrap as `make build` does (linux/arm64), so
// that the asset is the real one on any host.
func buildBootstrap(out string) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	if _, err := cdkContext(); err != nil { // sets root
		return err
	}
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", abs, "./cmd/bootstrap")
	cmd.Dir = filepath.Join(root, "lambdas")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build bootstrap: %v\n%s", err, b)
	}
	return nil
}

// Root is the repository root (where cdk.json is).
func Root() (string, error) {
	_, err := cdkContext()
	return root, err
}

// Main runs the tests, then stops the CDK's Node.js process and removes what Default made.
func Main(m *testing.M) int {
	code := m.Run()
	jsii.Close()
	if tempDir != "" {
		os.RemoveAll(tempDir)
	}
	return code
}

// Resources are a template's resources by logical id, to edit.
type Resources map[string]map[string]any

// Props are the Properties of the resource of type typ whose logical id contains match.
func (res Resources) Props(typ, match string) map[string]any {
	for id, r := range res {
		if r["Type"] == typ && strings.Contains(id, match) {
			return r["Properties"].(map[string]any)
		}
	}
	panic("no " + typ + " " + match)
}

// Edited is a copy of the stack Orderbot of the cloud assembly src, in a temporary
// directory of t, whose template edit changed (the assets are symlinks to src's): what a
// changed CDK app would synthesize, without synthesizing again.
func Edited(t testing.TB, src string, edit func(Resources)) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "asset.") {
			if err := os.Symlink(filepath.Join(src, e.Name()), filepath.Join(dir, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	b, err := os.ReadFile(filepath.Join(src, "Orderbot.template.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tpl map[string]any
	if err := json.Unmarshal(b, &tpl); err != nil {
		t.Fatal(err)
	}
	res := Resources{}
	for id, r := range tpl["Resources"].(map[string]any) {
		res[id] = r.(map[string]any)
	}
	edit(res)
	tpl["Resources"] = res
	if b, err = json.Marshal(tpl); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Orderbot.template.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Unthrottled edits the stage's method throttling to rate and burst requests a second:
// for tests that measure the stack behind API Gateway's throttle (10/s, burst 20 by
// default), not the throttle.
func Unthrottled(rate float64) func(Resources) {
	return func(res Resources) {
		for _, ms := range res.Props("AWS::ApiGateway::Stage", "")["MethodSettings"].([]any) {
			m := ms.(map[string]any)
			m["ThrottlingRateLimit"], m["ThrottlingBurstLimit"] = rate, rate
		}
	}
}
