// Package devstack runs a synthesized CloudFormation template on one machine, as
// `orderbot dev --cdk-out` serves it: the REST API of the template through the local
// gateway (package gateway, VTL by package vtl), every AWS::Lambda::Function as OS
// processes behind Lambda's Runtime API (package lambdaenv) with the template's
// environment, DynamoDB on dynalite with the template's table, and stand-ins for Secrets
// Manager, Lambda's Invoke (synchronous and asynchronous, with the EventInvokeConfig),
// SQS dead-letter queues (files under the data directory) and EventBridge Scheduler.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/schedule"
	"github.com/orderbot/orderbot/lambdas/store/dynamo/dynamotest"
	"github.com/orderbot/orderbot/local/awsfront"
	"github.com/orderbot/orderbot/local/cfn"
	"github.com/orderbot/orderbot/local/gateway"
	"github.com/orderbot/orderbot/local/lambdaenv"
)

// Options configure a Stack.
type Options struct {
	// CDKOut and StackName name the template: <CDKOut>/<StackName>.template.json.
	CDKOut, StackName string
	// DataDir keeps the local state: dynalite's tables (unless DynamoDBEndpoint), the
	// dead-letter queues, the host build of the bootstrap.
	DataDir string
	// DynamoDBEndpoint is a running DynamoDB-compatible server; empty starts dynalite.
	DynamoDBEndpoint string
	// BaseURL is where the dev server that serves Handler is reachable (the functions'
	// endpoints for the stand-ins); required.
	BaseURL string
	// SigningSecret and BotToken are the local secret's values.
	SigningSecret, BotToken string
	// SlackAPI is the Slack Web API the functions call with BotToken (a real workspace's,
	// set in their environment as SLACK_API_URL); empty: the dev server's stand-in under
	// BaseURL. The token itself reaches them only through the Secrets Manager stand-in.
	SlackAPI string
	// ModuleDir is the lambdas module, for the host build of the bootstrap when the
	// asset's architecture is not the host's and no qemu-user emulator runs it.
	ModuleDir string
	// HostBuild runs a host build of the bootstrap even where qemu-user could run the
	// asset as deployed (`orderbot dev --host-build`: a native process starts and runs
	// faster than an emulated one).
	HostBuild bool
	// AccessLog receives the stage's access-log lines; Log the functions' output and the
	// stand-ins' reports.
	AccessLog, Log io.Writer
	// RetryDelay is the wait before the first retry of a failed asynchronous run (Lambda:
	// about a minute); the second waits twice as long.
	RetryDelay time.Duration
	// StoreLatency delays every DynamoDB call; StoreLostAcks makes the next N writes commit
	// but lose their response.
	StoreLatency  time.Duration
	StoreLostAcks int
	// ClockSpeed runs schedules this many times faster (at least 1); Twice fires every
	// schedule twice, as Scheduler's at-least-once delivery may.
	ClockSpeed float64
	Twice      bool
	// AsyncTwice delivers every asynchronous invocation twice (each delivery with its own
	// request id and retries), as Lambda's at-least-once event queue may.
	AsyncTwice bool
	// Overrides replace these variables in every function's environment (a developer's
	// `ORDERBOT_LOCALE=ko make dev`, as `-c locale=ko` would set them); the banner says so.
	Overrides map[string]string
	// MaxEnvironments caps each function's execution environments where the template
	// reserves no concurrency (10 when 0).
	MaxEnvironments int
	// IAM is what a call the function's role does not allow does: refused as AWS refuses
	// it (awsfront.Enforce, the default) or logged and let through (awsfront.Warn).
	IAM awsfront.Mode
}

// Stack is a running template.
type Stack struct {
	opts    Options
	Stack   *cfn.Stack
	Gateway *gateway.Gateway
	pools   map[string]*lambdaenv.Pool // by logical id
	// Code says, per function name, which executable runs: the asset or a host build.
	Code    map[string]string
	async   *asyncQueue
	secrets map[string]string // secret string by ARN
	sched   map[string]*schedule.Local
	schedMu sync.Mutex
	stop    []func()
	proxy   *storeProxy
	built   string // the host build of the bootstrap, once made
	runCtx  context.Context
	// Front is where every AWS call of a function arrives (iam.go); dynamoURL its
	// DynamoDB endpoint.
	Front     *awsfront.Front
	dynamoURL string
}

// Start loads the template and starts what it needs; Close stops it.
func Start(ctx context.Context, o Options) (*Stack, error) {
	st, err := cfn.Load(o.CDKOut, o.StackName)
	if err != nil {
		return nil, err
	}
	s := &Stack{opts: o, Stack: st, pools: map[string]*lambdaenv.Pool{}, Code: map[string]string{},
		secrets: map[string]string{}, sched: map[string]*schedule.Local{}}
	if err := s.start(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Stack) start(ctx context.Context) error {
	o := s.opts
	var cancel context.CancelFunc
	s.runCtx, cancel = context.WithCancel(context.Background())
	s.stop = append(s.stop, cancel)
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return err
	}
	endpoint := o.DynamoDBEndpoint
	if endpoint == "" {
		dir := filepath.Join(o.DataDir, "dynamodb")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		ep, stop, err := dynamotest.Serve(dir)
		if err != nil {
			return fmt.Errorf("DynamoDB (dynalite): %w", err)
		}
		endpoint = ep
		s.stop = append(s.stop, stop)
	}
	if err := createTables(ctx, endpoint, s.Stack.Tables); err != nil {
		return err
	}
	proxy, err := newStoreProxy(endpoint, o.StoreLatency, o.StoreLostAcks)
	if err != nil {
		return err
	}
	s.proxy = proxy
	s.stop = append(s.stop, proxy.close)
	secret := `{"` + api.SecretKeySigningSecret + `":` + strconv.Quote(o.SigningSecret) + `,"` + api.SecretKeyBotToken + `":` + strconv.Quote(o.BotToken) + `}`
	for _, arn := range s.Stack.Secrets {
		s.secrets[arn] = secret
	}
	if err := s.startFront(); err != nil {
		return err
	}
	if err := s.startFunctions(); err != nil {
		return err
	}
	s.async = newAsyncQueue(s, o.RetryDelay, o.AsyncTwice)
	s.Gateway, err = gateway.NewFromStack(s.Stack, s.gatewayInvoke, gateway.Options{AccessLog: o.AccessLog})
	return err
}

// startFunctions makes each function's pool: the template's environment, what Lambda
// sets, and the stand-ins' endpoints.
func (s *Stack) startFunctions() error {
	for _, id := range s.Stack.FunctionIDs() {
		f := s.Stack.Functions[id]
		exe, args, how, err := s.executable(f)
		if err != nil {
			return fmt.Errorf("function %s: %w", f.Name, err)
		}
		s.Code[f.Name] = how
		envs := f.Reserved
		if envs == 0 {
			envs = cmpOr(s.opts.MaxEnvironments, 10)
		}
		s.pools[id] = lambdaenv.New(lambdaenv.Function{
			Name: f.Name, ARN: f.ARN, Exec: exe, Args: args, Dir: f.AssetDir, Env: s.environment(f),
			Timeout: f.Timeout, MemoryMB: f.MemoryMB, MaxEnvironments: envs,
			Log: prefixed(s.opts.Log, f.Name), JSONLogs: f.LogFormat == "JSON",
		})
	}
	return nil
}

// environment is exactly the template's Environment.Variables (intrinsics resolved to the
// stand-ins), plus what Lambda sets in every execution environment
// (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime)
// and the stand-ins' endpoints (AWS_ENDPOINT_URL_<SERVICE>, ORDERBOT_LOCAL_SLACK).
func (s *Stack) environment(f *cfn.Function) map[string]string {
	env := map[string]string{}
	for k, v := range f.Env {
		env[k] = v
	}
	base := s.opts.BaseURL
	lambdaSet := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME": f.Name, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(f.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_REGION": cfn.Region, "AWS_DEFAULT_REGION": cfn.Region,
		"AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/" + f.Name, "AWS_LAMBDA_LOG_STREAM_NAME": "local/[$LATEST]0",
		"_HANDLER": f.Handler, "LAMBDA_TASK_ROOT": "/var/task", "LAMBDA_RUNTIME_DIR": "/var/runtime",
		"TZ": ":UTC", "LANG": "en_US.UTF-8", "PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"AWS_XRAY_CONTEXT_MISSING":         "LOG_ERROR",
		"AWS_ENDPOINT_URL_DYNAMODB":        s.dynamoURL,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": base + AWSPath + "secretsmanager",
		"AWS_ENDPOINT_URL_LAMBDA":          base + AWSPath + "lambda",
		"AWS_ENDPOINT_URL_SCHEDULER":       base + AWSPath + "scheduler",
		api.EnvLocalSlack:                  base,
	}
	if s.opts.SlackAPI != "" {
		lambdaSet[api.EnvSlackAPI] = s.opts.SlackAPI
	}
	if f.LogFormat == "JSON" {
		lambdaSet["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
		if f.AppLogLevel != "" {
			lambdaSet["AWS_LAMBDA_LOG_LEVEL"] = f.AppLogLevel
		}
	}
	for k, v := range s.opts.Overrides {
		env[k] = v
	}
	for k, v := range s.credentials(f) {
		lambdaSet[k] = v
	}
	for k, v := range lambdaSet {
		env[k] = v
	}
	return env
}

// AWSPath is where the dev server serves the AWS stand-ins: AWSPath + service.
const AWSPath = "/_aws/"

// invoke is a synchronous invocation of the function with logical id fn.
func (s *Stack) invoke(ctx context.Context, fn string, payload []byte) ([]byte, error) {
	p, ok := s.pools[fn]
	if !ok {
		return nil, fmt.Errorf("invoke %s: no such function", fn)
	}
	return p.Invoke(ctx, "", payload)
}

// ColdStarts is how many execution environments the function named name has started.
func (s *Stack) ColdStarts(name string) int {
	if f := s.Stack.FunctionNamed(name); f != nil {
		return s.pools[f.LogicalID].ColdStarts()
	}
	return 0
}

// Recycle stops the idle execution environments of the function named name, as Lambda
// reclaims environments that sat idle: its next invocation is a cold start (a new
// process, its init, the secret read again). Busy environments are left alone.
func (s *Stack) Recycle(name string) {
	if f := s.Stack.FunctionNamed(name); f != nil {
		s.pools[f.LogicalID].Close()
	}
}

// SetStoreFaults replaces the store faults Options.StoreLatency and StoreLostAcks set at
// start: every DynamoDB call from now on waits latency, and the next lostAcks writes commit
// but lose their response. Tests that share one stack set them per test.
func (s *Stack) SetStoreFaults(latency time.Duration, lostAcks int) {
	s.proxy.set(latency, lostAcks)
}

// Wait waits for every queued asynchronous invocation to finish.
func (s *Stack) Wait() {
	if s.async != nil {
		s.async.wg.Wait()
	}
}

// Close stops every process and server the stack started.
func (s *Stack) Close() {
	for _, p := range s.pools {
		p.Close()
	}
	for i := len(s.stop) - 1; i >= 0; i-- {
		s.stop[i]()
	}
}

// Banner describes what runs, for the person at the terminal.
func (s *Stack) Banner(w io.Writer) {
	names := make([]string, 0, len(s.Code))
	for n := range s.Code {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f := s.Stack.FunctionNamed(n)
		fmt.Fprintf(w, "  λ %-24s %s, timeout %v, %d MB, %s\n", n, f.Runtime, f.Timeout, f.MemoryMB, s.Code[n])
	}
	for _, k := range sortedKeys(s.opts.Overrides) {
		fmt.Fprintf(w, "  every function: %s=%s (from the environment, over the template's)\n", k, s.opts.Overrides[k])
	}
	for _, m := range s.Stack.API.Methods {
		fmt.Fprintf(w, "  %-6s %-14s → %s\n", m.HTTPMethod, m.Path, s.Stack.Functions[m.Function].Name)
	}
}

// executable is the function's bootstrap: the asset itself when its architecture is the
// host's; else the asset under qemu-user's emulator of its architecture when one is on
// PATH (Debian's qemu-user: qemu-aarch64 runs the provided.al2023/arm64 bootstrap, a
// static Go binary, as is); else a host build of the same source (lambdas/cmd/bootstrap),
// once per start. args are exe's arguments.
func (s *Stack) executable(f *cfn.Function) (exe string, args []string, how string, err error) {
	asset, err := filepath.Abs(filepath.Join(f.AssetDir, f.Handler))
	if err != nil {
		return "", nil, "", err
	}
	if _, err := os.Stat(asset); err != nil {
		return "", nil, "", fmt.Errorf("asset: %w", err)
	}
	if goArch(f.Arch) == runtime.GOARCH {
		return asset, nil, "the asset as deployed (" + f.Arch + ")", nil
	}
	if emu, ok := Emulator(f.Arch); ok && !s.opts.HostBuild {
		return emu, []string{asset}, "the asset as deployed (" + f.Arch + ") under " + filepath.Base(emu), nil
	}
	bin, err := s.hostBuild()
	if err != nil {
		return "", nil, "", err
	}
	why := "the asset is " + f.Arch + " and no " + qemuName(f.Arch) + " is on PATH"
	if s.opts.HostBuild {
		why = "--host-build"
	}
	return bin, nil, "a host build (" + runtime.GOARCH + ") of lambdas/cmd/bootstrap: " + why, nil
}

// Emulator is the path of qemu-user's emulator of a Lambda architecture ("arm64",
// "x86_64") on PATH, if there is one.
func Emulator(lambdaArch string) (string, bool) {
	p, err := exec.LookPath(qemuName(lambdaArch))
	return p, err == nil
}

// qemuName is the emulator Debian's qemu-user installs for a Lambda architecture.
func qemuName(lambdaArch string) string {
	if lambdaArch == "x86_64" {
		return "qemu-x86_64"
	}
	return "qemu-aarch64"
}

func goArch(lambdaArch string) string {
	if lambdaArch == "x86_64" {
		return "amd64"
	}
	return lambdaArch
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func cmpOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// ErrNoFunction is a Lambda call naming no function of the template.
var ErrNoFunction = errors.New("function not found")

var _ http.Handler = (*Stack)(nil)
