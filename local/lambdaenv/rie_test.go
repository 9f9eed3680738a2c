package lambdaenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// AWS's runtime interface emulator (github.com/aws/aws-lambda-runtime-interface-emulator,
// pinned in tools/go.mod) is the reference for how Lambda drives a runtime. These tests
// run the same invocations under it and under Pool and compare what the caller gets.

// rie builds the emulator from tools/go.mod.
func rie(t *testing.T) string {
	t.Helper()
	dir, _ := os.Getwd()
	root := filepath.Join(dir, "..", "..")
	bin := filepath.Join(t.TempDir(), "aws-lambda-rie")
	cmd := exec.Command("go", "build", "-modfile="+filepath.Join(root, "tools", "go.mod"), "-o", bin,
		"github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie")
	cmd.Dir = filepath.Join(root, "tools")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the runtime interface emulator: %v\n%s", err, out)
	}
	return bin
}

// outcome of one invocation as a caller sees it, normalized: request ids and times
// removed, the process named by whether it is the previous invocation's.
type seen struct {
	Kind    string // "ok", "error" (the function's error document), "timeout"
	Payload string
	Process string // "new" or "same"
}

var (
	uuid  = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	stamp = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z `)
)

var sequence = []string{`{"env":"AWS_LAMBDA_FUNCTION_NAME"}`, `{"fail":"bad_request: no"}`, `{"sleepMs":2500}`, `{}`, `{"exit":2}`, `{}`}

func normalize(kind string, payload []byte, pid int, last *int) seen {
	p := stamp.ReplaceAllString(uuid.ReplaceAllString(string(payload), "<id>"), "")
	s := seen{Kind: kind, Payload: p, Process: "same"}
	if kind == "ok" {
		var r reply
		json.Unmarshal(payload, &r)
		r.PID, r.RequestID = 0, ""
		b, _ := json.Marshal(r)
		s.Payload = string(b)
		if pid != *last {
			s.Process = "new"
		}
		*last = pid
	} else {
		s.Process = "-"
	}
	if kind == "timeout" {
		// The emulator answers the bare message; Lambda (and Pool) the JSON error document
		// whose errorMessage carries it after a time and the request id.
		s.Payload = strings.TrimPrefix(strings.TrimSuffix(strings.TrimPrefix(p, `{"errorMessage":"`), `"}`), "<id> ")
	}
	return s
}

func underRIE(t *testing.T, bin string) []seen {
	addr, api := freeAddr(t), freeAddr(t)
	cmd := exec.Command(bin, "--runtime-interface-emulator-address", addr, "--runtime-api-address", api, fnBin)
	cmd.Env = append(os.Environ(), "AWS_LAMBDA_FUNCTION_TIMEOUT=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var out []seen
	last := -1
	for _, ev := range sequence {
		var resp *http.Response
		var err error
		for range 50 { // until the emulator listens
			resp, err = http.Post("http://"+addr+"/2015-03-31/functions/function/invocations", "application/json", strings.NewReader(ev))
			if err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		kind := "ok"
		switch {
		case strings.Contains(string(body), "Task timed out"):
			kind = "timeout"
		case strings.Contains(string(body), `"errorType"`):
			kind = "error"
		}
		if resp.StatusCode != http.StatusOK && kind == "ok" {
			t.Fatalf("emulator: %s: %s", resp.Status, body)
		}
		var r reply
		json.Unmarshal(body, &r)
		out = append(out, normalize(kind, body, r.PID, &last))
	}
	return out
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func underPool(t *testing.T) []seen {
	p, _ := pool(t, time.Second, 1, map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "test_function"})
	var out []seen
	last := -1
	for _, ev := range sequence {
		body, err := p.Invoke(context.Background(), "", []byte(ev))
		var fe *FunctionError
		switch {
		case errors.As(err, &fe) && strings.Contains(fe.Message, "Task timed out"):
			out = append(out, normalize("timeout", fe.Payload, 0, &last))
		case errors.As(err, &fe):
			out = append(out, normalize("error", fe.Payload, 0, &last))
		case err != nil:
			t.Fatal(err)
		default:
			var r reply
			json.Unmarshal(body, &r)
			out = append(out, normalize("ok", body, r.PID, &last))
		}
	}
	return out
}

// TestSameAsRuntimeInterfaceEmulator: success, a handler error, a timeout (the process is
// killed: the next invocation is a new process) and a crash (Runtime.ExitError) look the
// same to the caller under AWS's emulator and under Pool.
func TestSameAsRuntimeInterfaceEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs AWS's runtime interface emulator")
	}
	ref := underRIE(t, rie(t))
	ours := underPool(t)
	for i := range sequence {
		if fmt.Sprint(ref[i]) != fmt.Sprint(ours[i]) {
			t.Errorf("invocation %d %s: emulator %+v, ours %+v", i+1, sequence[i], ref[i], ours[i])
		}
	}
	t.Logf("emulator: %+v", ref)
}
