package lambdaenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// The comparison with AWS's emulator again, now with orderbot's own bootstrap: the
// events function's cold start reads the signing secret from Secrets Manager (a stand-in
// here, as local/devstack gives the functions) and its answers to Slack's requests must
// be the same under the emulator and under Pool.

const (
	bootSecretARN = "arn:aws:secretsmanager:us-east-1:000000000000:secret:orderbot-slack-AbCdEf"
	bootSigning   = "8f742231b10e8888abcd99yyyzzz85a5"
)

// orderbotBootstrap builds lambdas/cmd/bootstrap for the host with `make build`'s tags.
func orderbotBootstrap(t *testing.T) string {
	t.Helper()
	dir, _ := os.Getwd()
	bin := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", bin, "./cmd/bootstrap")
	cmd.Dir = filepath.Join(dir, "..", "..", "lambdas")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the bootstrap: %v\n%s", err, out)
	}
	return bin
}

// secretsManager is a Secrets Manager stand-in holding the function's secret (JSON 1.1
// GetSecretValue, as lambdas/config's client speaks it); it counts the reads.
func secretsManager(t *testing.T, reads *atomic.Int64) *httptest.Server {
	secret, _ := json.Marshal(map[string]string{api.SecretKeySigningSecret: bootSigning, api.SecretKeyBotToken: "xoxb-test"})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ SecretId string }
		if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" || json.NewDecoder(r.Body).Decode(&in) != nil || in.SecretId != bootSecretARN {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"__type":"ResourceNotFoundException","message":"no such secret"}`)
			return
		}
		reads.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(map[string]any{"ARN": bootSecretARN, "Name": "orderbot-slack", "SecretString": string(secret),
			"VersionId": "00000000-0000-0000-0000-000000000001", "VersionStages": []string{"AWSCURRENT"}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// functionEnv is what local/devstack gives the events function, less what neither
// invocation needs: the template's settings, Lambda's, and the stand-ins' endpoints.
func functionEnv(secrets string) map[string]string {
	return map[string]string{
		api.EnvFunction: "events", api.EnvTableName: "orderbot", api.EnvSecretARN: bootSecretARN,
		api.EnvLogLevel: "INFO", api.EnvLocale: "en", api.EnvReplyBudget: "2500",
		"AWS_LAMBDA_FUNCTION_NAME": "test_function", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "AKIDLOCAL", "AWS_SECRET_ACCESS_KEY": "local", "TZ": ":UTC",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": secrets,
		// Nothing listens there: the cold start's preconnect gives up, and neither event
		// reaches the table.
		"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:1",
	}
}

// slackEvents are the invocations: Events API's url_verification signed with the secret,
// and a slash command whose signature is wrong.
func slackEvents(t *testing.T) []string {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	verify := []byte(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	command := []byte("command=%2Forder-update&text=iced+americano&user_id=U1&channel_id=C1&team_id=T1&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1")
	ev := func(body []byte, sig, ctype string) string {
		b, _ := json.Marshal(api.Event{Body: body,
			Headers: api.Headers{Signature: []byte(sig), Timestamp: []byte(ts), ContentType: []byte(ctype)},
			Context: api.Context{RequestID: "req-1", SourceIP: "127.0.0.1", Stage: "prod"}})
		return string(b)
	}
	return []string{
		ev(verify, slackio.Sign([]byte(bootSigning), ts, verify), "application/json"),
		ev(command, slackio.Sign([]byte("not the secret"), ts, command), "application/x-www-form-urlencoded"),
		ev(verify, slackio.Sign([]byte(bootSigning), ts, verify), "application/json"),
	}
}

// answer is one invocation's outcome: "ok" or "error" and the payload, request ids and
// times removed.
func answer(kind string, payload []byte) string {
	return kind + " " + stamp.ReplaceAllString(uuid.ReplaceAllString(strings.TrimSpace(string(payload)), "<id>"), "")
}

func bootUnderRIE(t *testing.T, rieBin, exe string, env map[string]string, events []string) []string {
	addr, rapi := freeAddr(t), freeAddr(t)
	cmd := exec.Command(rieBin, "--runtime-interface-emulator-address", addr, "--runtime-api-address", rapi, exe)
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		cmd.Env = append(cmd.Env, k+"="+env[k])
	}
	cmd.Env = append(cmd.Env, "AWS_LAMBDA_FUNCTION_TIMEOUT=3")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var out []string
	for _, ev := range events {
		var resp *http.Response
		var err error
		for range 50 { // until the emulator listens
			if resp, err = http.Post("http://"+addr+"/2015-03-31/functions/function/invocations", "application/json", strings.NewReader(ev)); err == nil {
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
		if strings.Contains(string(body), `"errorType"`) {
			kind = "error"
		}
		out = append(out, answer(kind, body))
	}
	return out
}

func bootUnderPool(t *testing.T, exe string, env map[string]string, events []string) []string {
	p := New(Function{Name: "test_function", ARN: "arn:aws:lambda:us-east-1:000000000000:function:test_function",
		Exec: exe, Dir: filepath.Dir(exe), Env: env, Timeout: 3 * time.Second, MemoryMB: 128, MaxEnvironments: 1, Log: io.Discard})
	t.Cleanup(p.Close)
	var out []string
	for _, ev := range events {
		body, err := p.Invoke(context.Background(), "", []byte(ev))
		var fe *FunctionError
		switch {
		case errors.As(err, &fe):
			out = append(out, answer("error", fe.Payload))
		case err != nil:
			t.Fatal(err)
		default:
			out = append(out, answer("ok", body))
		}
	}
	if got := p.ColdStarts(); got != 1 {
		t.Errorf("cold starts under Pool: got %d, want 1 (the environment is reused)", got)
	}
	return out
}

// TestBootstrapSameAsRuntimeInterfaceEmulator: orderbot's bootstrap, with the environment
// a function gets and a Secrets Manager stand-in, answers a signed url_verification with
// its challenge and a badly signed command with the unauthorized error document, the same
// under AWS's emulator and under Pool, reading the secret once per cold start in both.
func TestBootstrapSameAsRuntimeInterfaceEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("builds orderbot's bootstrap and AWS's runtime interface emulator")
	}
	rieBin, exe := rie(t), orderbotBootstrap(t)
	events := slackEvents(t)
	var rieReads, poolReads atomic.Int64
	ref := bootUnderRIE(t, rieBin, exe, functionEnv(secretsManager(t, &rieReads).URL), events)
	ours := bootUnderPool(t, exe, functionEnv(secretsManager(t, &poolReads).URL), events)
	if !strings.Contains(ref[0], `3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P`) || !strings.HasPrefix(ref[0], "ok ") {
		t.Errorf("url_verification under the emulator: got %s, want ok with the challenge", ref[0])
	}
	if !strings.HasPrefix(ref[1], "error ") || !strings.Contains(ref[1], `"errorMessage":"`+string(api.CodeUnauthorized)+":") {
		t.Errorf("bad signature under the emulator: got %s, want the %s error document", ref[1], api.CodeUnauthorized)
	}
	for i := range events {
		if ref[i] != ours[i] {
			t.Errorf("invocation %d: emulator %s, ours %s", i+1, ref[i], ours[i])
		}
	}
	if r, p := rieReads.Load(), poolReads.Load(); r != 1 || p != 1 {
		t.Errorf("GetSecretValue calls: emulator %d, ours %d; want 1 each (one cold start)", r, p)
	}
	t.Logf("emulator: %s", fmt.Sprint(ref))
}
