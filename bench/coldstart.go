package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/syncbuf"
	"github.com/orderbot/orderbot/local/gateway"
	"github.com/orderbot/orderbot/local/slacksim"
)

// coldSecret signs every cold-start request; the stub Secrets Manager hands out the same.
const coldSecret = "bench-cold-start-signing-secret"

// signedRequest is one Slack slash command as it reaches AWS: the HTTP request Slack sends,
// the Lambda event our request template renders from it, and the API Gateway proxy event
// that Bolt's and the Python handler's deployments (Lambda proxy integration) receive.
type signedRequest struct {
	body       []byte
	header     http.Header
	event      []byte // our non-proxy event, rendered by the request template
	proxyEvent []byte // API Gateway REST proxy event with the same body and headers
}

// newSignedRequest signs a fresh /order-list command (the timestamp must be within five
// minutes of the handler's clock) and renders the event through the local gateway, so the
// event bytes are exactly what the gateway, and API Gateway, hand the function.
func newSignedRequest(ctx context.Context) (*signedRequest, error) {
	sim := slacksim.New("http://bench.invalid", []byte(coldSecret))
	body := []byte(sim.CommandForm("/order-list", "").Encode())
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/order-list", bytes.NewReader(body))
	req.Header = sim.Headers(body)
	req.Header.Set("Content-Type", api.ContentTypeForm)
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	req.Host = "abc123.execute-api.us-east-1.amazonaws.com"
	req.RemoteAddr = "3.4.5.6:443"

	var captured []byte
	capture := func(_ context.Context, ev json.RawMessage) (map[string]string, error) {
		captured = append([]byte(nil), ev...)
		return map[string]string{"text": "captured"}, nil
	}
	handlers := map[string]any{}
	for _, r := range api.Routes {
		handlers[r.Function] = capture
	}
	gw, err := gateway.New(handlers, gateway.Options{})
	if err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	gw.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || captured == nil {
		return nil, fmt.Errorf("rendering the request template through the gateway: HTTP %d %s", rec.Code, rec.Body)
	}

	headers := map[string]string{}
	for k, v := range req.Header {
		headers[k] = v[0]
	}
	headers["Host"] = req.Host
	proxy, err := json.Marshal(map[string]any{
		"resource": "/order-list", "path": "/order-list", "httpMethod": "POST",
		"headers": headers, "multiValueHeaders": req.Header,
		"queryStringParameters": nil, "pathParameters": nil, "stageVariables": nil,
		"requestContext": map[string]any{
			"resourcePath": "/order-list", "httpMethod": "POST", "stage": "prod",
			"requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "requestTimeEpoch": time.Now().UnixMilli(),
			"identity": map[string]any{"sourceIp": "3.4.5.6", "userAgent": headers["User-Agent"]},
		},
		"body": base64.StdEncoding.EncodeToString(body), "isBase64Encoded": true,
	})
	if err != nil {
		return nil, err
	}
	return &signedRequest{body: body, header: req.Header, event: captured, proxyEvent: proxy}, nil
}

// coldSample is one process start.
type coldSample struct {
	total   time.Duration // spawn → reply
	init    time.Duration // spawn → first GET /next (orderbot only)
	handler time.Duration // GET /next → POST /response (orderbot only)
}

// runtimeAPI is a minimal Lambda Runtime API (2018-06-01). Each GET /next hands out the
// next invocation the harness queued and blocks while there is none — an idle sandbox,
// frozen until the harness kills the process, as Lambda does.
type runtimeAPI struct {
	srv  *http.Server
	addr string

	queue chan invocation
	// onFirst runs when the function first asks for an invocation, before it gets it:
	// the end of Lambda's init phase.
	onFirst func()
	mu      sync.Mutex
	n       int       // invocations handed out
	next    time.Time // when the latest was handed out
	done    chan runtimeResult
}

// invocation is one event for the function, with its request id.
type invocation struct {
	id    string
	event []byte
}

type runtimeResult struct {
	at        time.Time // the function's POST …/response (or …/error) arrived
	delivered time.Time // its GET /next returned the event
	body      []byte
	err       error
}

// startRuntimeAPI serves a Runtime API with event queued as the first invocation.
func startRuntimeAPI(event []byte) (*runtimeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &runtimeAPI{addr: ln.Addr().String(), queue: make(chan invocation, 1), done: make(chan runtimeResult, 4)}
	r.queue <- invocation{id: requestID, event: event}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go r.srv.Serve(ln)
	return r, nil
}

// invoke queues one more invocation (the function must be waiting in GET /next or about
// to call it) and waits for its result.
func (r *runtimeAPI) invoke(ctx context.Context, id string, event []byte, exited <-chan error) (runtimeResult, error) {
	select {
	case r.queue <- invocation{id: id, event: event}:
	case <-ctx.Done():
		return runtimeResult{}, ctx.Err()
	}
	select {
	case res := <-r.done:
		return res, res.err
	case err := <-exited:
		return runtimeResult{}, fmt.Errorf("function exited (%v)", err)
	case <-time.After(30 * time.Second):
		return runtimeResult{}, errors.New("no reply within 30s")
	case <-ctx.Done():
		return runtimeResult{}, ctx.Err()
	}
}

func (r *runtimeAPI) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if r.srv.Shutdown(ctx) != nil {
		r.srv.Close()
	}
}

const requestID = "8476a536-e9f4-11e8-9739-2dfe598c3fcd"

func (r *runtimeAPI) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	const prefix = "/2018-06-01/runtime/"
	path, ok := strings.CutPrefix(req.URL.Path, prefix)
	if !ok {
		http.NotFound(w, req)
		return
	}
	if req.Method == http.MethodGet && path == "invocation/next" {
		var inv invocation
		select {
		case inv = <-r.queue:
		case <-req.Context().Done(): // an idle sandbox: frozen until killed
			return
		}
		r.mu.Lock()
		first := r.n == 0
		r.mu.Unlock()
		if first && r.onFirst != nil {
			r.onFirst()
		}
		now := time.Now()
		r.mu.Lock()
		r.n++
		r.next = now
		r.mu.Unlock()
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(now.Add(3*time.Second).UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:order-list")
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-5f84c7a9-0e5b2f7d3c8e4f1a2b3c4d5e;Parent=0;Sampled=0")
		h.Set("Content-Type", "application/json")
		w.Write(inv.event)
		return
	}
	now := time.Now()
	r.mu.Lock()
	delivered := r.next
	r.mu.Unlock()
	body, readErr := io.ReadAll(req.Body)
	res := runtimeResult{at: now, delivered: delivered}
	switch id, kind, _ := strings.Cut(strings.TrimPrefix(path, "invocation/"), "/"); {
	case req.Method == http.MethodPost && strings.HasPrefix(path, "invocation/") && kind == "response":
		res.body, res.err = body, readErr
	case req.Method == http.MethodPost && strings.HasPrefix(path, "invocation/") && kind == "error":
		res.err = fmt.Errorf("invocation %s error: %s", id, body)
	case req.Method == http.MethodPost && path == "init/error":
		res.err = fmt.Errorf("init error: %s", body)
	default:
		http.NotFound(w, req)
		return
	}
	w.WriteHeader(http.StatusAccepted)
	r.done <- res
}

// runOrderbotCold starts bootstrap as a fresh process under a fresh Runtime API and times
// spawn → POST /response.
func runOrderbotCold(ctx context.Context, bootstrap string, env []string, sr *signedRequest) (coldSample, error) {
	s, _, err := runOrderbotColdStderr(ctx, bootstrap, env, sr)
	return s, err
}

// runOrderbotColdStderr is runOrderbotCold that also returns the process's stderr once it
// has replied (GODEBUG=inittrace=1 writes there).
func runOrderbotColdStderr(ctx context.Context, bootstrap string, env []string, sr *signedRequest) (coldSample, string, error) {
	rt, err := startRuntimeAPI(sr.event)
	if err != nil {
		return coldSample{}, "", err
	}
	defer rt.close()
	cmd := exec.Command(bootstrap)
	cmd.Env = append(env, "AWS_LAMBDA_RUNTIME_API="+rt.addr)
	var stderr syncbuf.Buffer
	cmd.Stderr = &stderr
	exited := make(chan error, 1)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return coldSample{}, "", err
	}
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		<-exited
	}()
	var res runtimeResult
	select {
	case res = <-rt.done:
	case err := <-exited:
		exited <- err
		return coldSample{}, "", fmt.Errorf("bootstrap exited before replying (%v): %s", err, tail(stderr.String()))
	case <-time.After(30 * time.Second):
		return coldSample{}, "", fmt.Errorf("bootstrap did not reply within 30s: %s", tail(stderr.String()))
	case <-ctx.Done():
		return coldSample{}, "", ctx.Err()
	}
	if res.err != nil {
		return coldSample{}, "", fmt.Errorf("%v (stderr: %s)", res.err, tail(stderr.String()))
	}
	var msg struct {
		Text   string            `json:"text"`
		Blocks []json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(res.body, &msg); err != nil || (msg.Text == "" && len(msg.Blocks) == 0) {
		return coldSample{}, "", fmt.Errorf("reply is not a Slack message: %.200s", res.body)
	}
	return coldSample{total: res.at.Sub(start), init: res.delivered.Sub(start), handler: res.at.Sub(res.delivered)}, stderr.String(), nil
}

// runStdioCold spawns a process that reads the proxy event on stdin and prints its reply
// on one stdout line, and times spawn → that line.
func runStdioCold(ctx context.Context, spec stdioSpec, sr *signedRequest) (coldSample, error) {
	name := spec.name
	cmd := exec.CommandContext(ctx, spec.name, spec.args...)
	cmd.Dir = spec.dir
	cmd.Env = spec.env
	cmd.Stdin = bytes.NewReader(append(slices.Clone(sr.proxyEvent), '\n'))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return coldSample{}, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return coldSample{}, err
	}
	line, readErr := bufio.NewReader(out).ReadBytes('\n')
	at := time.Now()
	waitErr := cmd.Wait()
	if readErr != nil {
		return coldSample{}, fmt.Errorf("%s: no reply (%v, %v): %s", name, readErr, waitErr, tail(stderr.String()))
	}
	if err := checkProxyReply(line); err != nil {
		return coldSample{}, fmt.Errorf("%s: %v (stderr: %s)", name, err, tail(stderr.String()))
	}
	return coldSample{total: at.Sub(start)}, nil
}

// checkProxyReply checks a stdio handler's reply line: a 200 proxy response with a body.
func checkProxyReply(line []byte) error {
	var res struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if err := json.Unmarshal(line, &res); err != nil || res.StatusCode != http.StatusOK || res.Body == "" {
		return fmt.Errorf("unexpected reply %.200s", line)
	}
	return nil
}

// pythonInterpreter picks the interpreter for the Python variant: $PYTHON, else the
// distribution's /usr/bin/python3, else python3 on PATH. A version-manager shim (pyenv's
// is a shell script) or a site-packages .pth hook would add its own start-up time, which
// a Lambda Python runtime does not have.
func pythonInterpreter() (string, error) {
	if p := os.Getenv("PYTHON"); p != "" {
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3", nil
	}
	return exec.LookPath("python3")
}

// InitCost is one package's init as GODEBUG=inittrace=1 reports it.
type InitCost struct {
	Package string
	Clock   time.Duration
	Bytes   int64
	Allocs  int64
}

var initLine = regexp.MustCompile(`^init (\S+) @[0-9.]+ ms, ([0-9.]+) ms clock, (\d+) bytes, (\d+) allocs`)

// parseInitTrace returns the package inits, slowest first.
func parseInitTrace(stderr string) []InitCost {
	var res []InitCost
	for _, l := range strings.Split(stderr, "\n") {
		m := initLine.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			continue
		}
		f, _ := strconv.ParseFloat(m[2], 64)
		n, _ := strconv.ParseInt(m[3], 10, 64)
		a, _ := strconv.ParseInt(m[4], 10, 64)
		res = append(res, InitCost{Package: m[1], Clock: time.Duration(f * float64(time.Millisecond)), Bytes: n, Allocs: a})
	}
	sort.SliceStable(res, func(i, j int) bool { return res[i].Clock > res[j].Clock })
	return res
}

func tail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 400 {
		s = "…" + s[len(s)-400:]
	}
	return s
}

// secretsStub answers Secrets Manager's GetSecretValue (JSON 1.1 protocol) on loopback.
func secretsStub() (*httptest.Server, string) {
	const arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:orderbot-slack-AbCdEf"
	secret, _ := json.Marshal(map[string]string{"signing_secret": coldSecret, "bot_token": "xoxb-bench"})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"__type":"InvalidRequestException","message":"only GetSecretValue"}`)
			return
		}
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(map[string]any{
			"ARN": arn, "Name": "orderbot-slack", "SecretString": string(secret),
			"VersionId": "00000000-0000-0000-0000-000000000001", "VersionStages": []string{"AWSCURRENT"},
			"CreatedDate": float64(time.Now().Unix()),
		})
	}))
	return srv, arn
}

// lambdaEnv is the environment Lambda gives a function, plus the local endpoints. Shared
// config files are pointed at /dev/null and IMDS is off so the SDK does not look for
// credentials anywhere Lambda would not have them.
func lambdaEnv(extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.TempDir(),
		"LANG=C.UTF-8",
		"TZ=:UTC",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=dummy",
		"AWS_SECRET_ACCESS_KEY=dummy",
		"AWS_SESSION_TOKEN=dummy",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_LAMBDA_FUNCTION_NAME=order-list",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/order-list",
		"AWS_LAMBDA_LOG_STREAM_NAME=2026/11/25/[$LATEST]bench",
		"AWS_LAMBDA_LOG_LEVEL=WARN",
	}
	return append(env, extra...)
}

// buildHostBootstrap builds pkg (in module dir moduleDir) for this machine with the
// production flags of `make build`.
func buildHostBootstrap(ctx context.Context, moduleDir, pkg, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg)
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

// ensureBolt installs the pinned Bolt fixture with npm ci when its node_modules is missing
// or older than the lock file.
func ensureBolt(ctx context.Context, dir string, install bool) error {
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return err
	}
	if fi, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json")); err == nil && !fi.ModTime().Before(lock.ModTime()) {
		return nil
	}
	if !install {
		return errors.New("bench/fixtures/bolt/node_modules is not installed (make bench runs npm ci there)")
	}
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci in %s: %v\n%s", dir, err, tail(string(b)))
	}
	return nil
}
