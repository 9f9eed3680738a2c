package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/orderbot/orderbot/lambdas/config"
	"github.com/orderbot/orderbot/local/awsfront"
)

// secretFile is where `orderbot dev` keeps a generated signing secret so `orderbot send`
// finds it without copy and paste.
const secretFile = ".orderbot/signing-secret"

// ResponseURLPath is where `orderbot dev` plays Slack's response_url endpoint.
const ResponseURLPath = "/_slack/response_url"

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func dev(ctx context.Context, args []string) error {
	f, err := parseDevFlags(args)
	if err != nil {
		return err
	}
	if err := checkOverrides(settingOverrides()); err != nil {
		return err
	}
	secret, generated, err := devSecret()
	if err != nil {
		return err
	}
	return devTemplate(ctx, f, secret, generated)
}

// checkOverrides reads the settings given to orderbot dev as a function reads its
// environment (config.Parse), so that ORDERBOT_LOCALE=xx stops the dev server at start,
// naming what is supported, instead of failing every function's cold start.
func checkOverrides(overrides map[string]string) error {
	_, err := config.Parse(func(name string) string { return overrides[name] })
	if err != nil {
		return fmt.Errorf("orderbot dev's environment: %w", err)
	}
	return nil
}

// devFlags are orderbot dev's flags.
type devFlags struct {
	port, dbPath string
	quiet        bool
	latency      time.Duration
	lostAcks     int
	clockSpeed   float64
	// The synthesized template to serve, each function its own processes.
	cdkOut, stack string
	retryDelay    time.Duration
	twice         bool
	asyncTwice    bool
	// hostBuild: a host build of the bootstrap even where qemu-user runs the asset.
	hostBuild bool
	// iam: what a call a function's role does not allow does (--iam enforce|warn).
	iam awsfront.Mode
	// private: the channels the Web API stand-in treats as private (--private-channel).
	private []privateChannel
}

func parseDevFlags(args []string) (devFlags, error) {
	var f devFlags
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.StringVar(&f.port, "port", envOr("PORT", "3000"), "port on 127.0.0.1 (PORT)")
	fs.StringVar(&f.dbPath, "db", envOr("ORDERBOT_DB", ".orderbot/orders.db"), "the local state (DynamoDB's tables, dead-letter queues, the host build) lives in this file's directory (ORDERBOT_DB)")
	fs.BoolVar(&f.quiet, "quiet", false, "no access log on stdout")
	fs.DurationVar(&f.latency, "store-latency", 0, "make every DynamoDB call wait this long first, like a throttled table (e.g. 2s)")
	fs.IntVar(&f.lostAcks, "store-lost-acks", 0, "make the next N DynamoDB writes commit but lose their response")
	fs.Float64Var(&f.clockSpeed, "clock-speed", 1, "run round deadlines and reminders this many times faster than real time (e.g. 60: a 20-minute deadline in 20 s)")
	fs.StringVar(&f.cdkOut, "cdk-out", "", "serve this cloud assembly as it is (default: cdk.out, synthesized first when missing or stale)")
	fs.StringVar(&f.stack, "stack", envOr("STACK", "Orderbot"), "the stack of the cloud assembly to serve (STACK)")
	fs.DurationVar(&f.retryDelay, "async-retry-delay", time.Second, "wait before the first retry of a failed asynchronous run, twice that before the second (Lambda: about 1 and 2 minutes)")
	fs.BoolVar(&f.twice, "schedules-twice", false, "fire every schedule twice, as EventBridge Scheduler's at-least-once delivery may")
	fs.Func("private-channel", "treat this channel as private, the bot not in it (C123) or in it (C123:member); repeatable. Every other channel is public", f.addPrivateChannel)
	fs.BoolVar(&f.asyncTwice, "async-twice", false, "deliver every asynchronous invocation (deferred runs, schedules' firings) twice, as Lambda's at-least-once event queue may")
	fs.BoolVar(&f.hostBuild, "host-build", false, "run a host build of the bootstrap even where qemu-user (qemu-aarch64) could run the template's arm64 asset as is")
	iamMode := fs.String("iam", "enforce", "a function's AWS call its role in the template does not allow: enforce (refused as AWS refuses it) or warn (logged, let through)")
	if err := fs.Parse(args); err != nil {
		return f, usageError("%v", err)
	}
	var err error
	if f.iam, err = awsfront.ParseMode(*iamMode); err != nil {
		return f, usageError("%v", err)
	}
	if f.clockSpeed < 1 {
		return f, usageError("--clock-speed must be at least 1")
	}
	if f.latency < 0 || f.lostAcks < 0 {
		return f, usageError("--store-latency and --store-lost-acks must not be negative")
	}
	return f, nil
}

// WebAPIPath is where orderbot dev serves its stand-in for Slack's Web API.
const WebAPIPath = "/_slack/api"

// devBotToken is the bot token of orderbot dev's Web API stand-in.
const devBotToken = "xoxb-orderbot-dev"

// serveUntilDone serves until ctx is done (SIGINT/SIGTERM), then shuts down cleanly.
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(os.Stderr, "orderbot dev: shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// devSecret is SLACK_SIGNING_SECRET, else the secret saved by an earlier run, else a new
// one (saved for `orderbot send`).
func devSecret() (secret string, generated bool, err error) {
	if s := os.Getenv("SLACK_SIGNING_SECRET"); s != "" {
		return s, false, nil
	}
	if b, err := os.ReadFile(secretFile); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), false, nil
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", false, err
	}
	secret = hex.EncodeToString(b[:])
	if err := os.MkdirAll(filepath.Dir(secretFile), 0o700); err != nil {
		return "", false, err
	}
	if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o600); err != nil {
		return "", false, err
	}
	return secret, true, nil
}
