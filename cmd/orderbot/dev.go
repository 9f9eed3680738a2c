package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/config"
	"github.com/orderbot/orderbot/lambdas/handler"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say"
	"github.com/orderbot/orderbot/lambdas/schedule"
	"github.com/orderbot/orderbot/lambdas/slackio"
	"github.com/orderbot/orderbot/lambdas/store/boltdb"
	"github.com/orderbot/orderbot/lambdas/store/faulty"
	"github.com/orderbot/orderbot/local/awsfront"
	"github.com/orderbot/orderbot/local/gateway"
	"github.com/orderbot/orderbot/local/slacksim"
)

// secretFile is where `orderbot dev` keeps a generated signing secret so `orderbot send`
// finds it without copy and paste.
const secretFile = ".orderbot/signing-secret"

// ResponseURLPath is where `orderbot dev` plays Slack's response_url endpoint.
const ResponseURLPath = "/_slack/response_url"

// devRetryDelays are Lambda's waits before retrying a failed deferred run (1 and 2
// minutes) in seconds, so that a rehearsal shows the retries and Ctrl-C does not wait
// minutes for them.
var devRetryDelays = []time.Duration{time.Second, 2 * time.Second}

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
	secret, generated, err := devSecret()
	if err != nil {
		return err
	}
	if !f.inProcess {
		return devTemplate(ctx, f, secret, generated)
	}
	// The functions' settings, read as a function reads them (config.Parse): one path.
	settings, err := config.Parse(os.Getenv)
	if err != nil {
		return err
	}
	var storeOpts []boltdb.Option
	if settings.HistoryTTL > 0 {
		storeOpts = append(storeOpts, boltdb.HistoryTTL(settings.HistoryTTL))
	}
	store, err := boltdb.Open(f.dbPath, storeOpts...)
	if err != nil {
		return err
	}
	defer store.Close()
	faults := storeFaults(store, f.latency, f.lostAcks)
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", f.port))
	if err != nil {
		return fmt.Errorf("listen on 127.0.0.1:%s: %w", f.port, err)
	}
	base := "http://" + ln.Addr().String()
	// Slack's side, for `orderbot send`: response_urls (deferred answers and clicks'
	// updates) and, unless SLACK_API_URL names a real one, the Web API (views.open,
	// chat.*), both strict stand-ins. API Gateway has no such paths; only the dev server does.
	web := slacksim.NewWebAPI(devBotToken)
	web.Open = true // send's trigger_ids are made in another process
	sched := devScheduler(f.clockSpeed)
	gw, err := devGatewayWith(settings, faults.store, secret, f.quiet, webAPIOf(base), sched)
	if err != nil {
		return err
	}
	defer gw.Close() // SIGINT: dead-letter what waits rather than sit out minutes of back-off
	go sched.Run(ctx, 100*time.Millisecond)
	mux := http.NewServeMux()
	responses := &slacksim.ResponseURLs{Open: true}
	mux.Handle(ResponseURLPath+"/", responses)
	mux.Handle(WebAPIPath+"/", http.StripPrefix(WebAPIPath, web))
	mux.Handle("/", gw)
	mountChannelPage(ctx, mux, base, secret, web, responses, settings)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second}
	devBanner(base, f.dbPath, faults, secret, generated)
	return serveUntilDone(ctx, srv, ln)
}

// devFlags are orderbot dev's flags.
type devFlags struct {
	port, dbPath string
	quiet        bool
	latency      time.Duration
	lostAcks     int
	clockSpeed   float64
	// Template mode (the default): the synthesized template, each function a process.
	cdkOut, stack string
	retryDelay    time.Duration
	twice         bool
	// inProcess serves the route table with in-process handlers instead: the unit-test
	// harness of the gateway, kept for the tests that still use it.
	inProcess bool
	// iam: what a call a function's role does not allow does (--iam enforce|warn).
	iam awsfront.Mode
	// private: the channels the Web API stand-in treats as private (--private-channel).
	private []privateChannel
}

func parseDevFlags(args []string) (devFlags, error) {
	var f devFlags
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.StringVar(&f.port, "port", envOr("PORT", "3000"), "port on 127.0.0.1 (PORT)")
	fs.StringVar(&f.dbPath, "db", envOr("ORDERBOT_DB", ".orderbot/orders.db"), "embedded database file (ORDERBOT_DB)")
	fs.BoolVar(&f.quiet, "quiet", false, "no access log on stdout")
	fs.DurationVar(&f.latency, "store-latency", 0, "make every store call wait this long first, like a throttled DynamoDB (e.g. 2s)")
	fs.IntVar(&f.lostAcks, "store-lost-acks", 0, "make the next N store writes take effect but report a timeout, like a lost DynamoDB response")
	fs.Float64Var(&f.clockSpeed, "clock-speed", 1, "run round deadlines and reminders this many times faster than real time (e.g. 60: a 20-minute deadline in 20 s)")
	fs.StringVar(&f.cdkOut, "cdk-out", "", "serve this cloud assembly as it is (default: cdk.out, synthesized first when missing or stale)")
	fs.StringVar(&f.stack, "stack", envOr("STACK", "Orderbot"), "the stack of the cloud assembly to serve (STACK)")
	fs.DurationVar(&f.retryDelay, "async-retry-delay", time.Second, "wait before the first retry of a failed asynchronous run, twice that before the second (Lambda: about 1 and 2 minutes)")
	fs.BoolVar(&f.twice, "schedules-twice", false, "fire every schedule twice, as EventBridge Scheduler's at-least-once delivery may")
	fs.BoolVar(&f.inProcess, "in-process", false, "serve the route table with in-process handlers and the embedded store (the gateway's unit-test harness) instead of the template")
	fs.Func("private-channel", "treat this channel as private, the bot not in it (C123) or in it (C123:member); repeatable. Every other channel is public", f.addPrivateChannel)
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

// devGateway is the local API Gateway in front of the handlers, wired as in Lambda but
// with the embedded store and the secret given.
func devGateway(store orders.Store, secret string, quiet bool, web webAPI) (*gateway.Gateway, error) {
	settings, err := config.Parse(os.Getenv)
	if err != nil {
		return nil, err
	}
	return devGatewayWith(settings, store, secret, quiet, web, nil)
}

// devScheduler is the in-process stand-in for EventBridge Scheduler: it fires rounds'
// deadlines and reminders speed times sooner than they are due (the times in messages
// stay real) and says so on stderr.
func devScheduler(speed float64) *schedule.Local {
	return &schedule.Local{Speed: speed, Fired: func(name string, at time.Time) {
		fmt.Fprintf(os.Stderr, "orderbot dev: schedule %s fired (due %s)\n", name, at.Local().Format("15:04:05"))
	}}
}

// devGatewayWith is devGateway with the functions' settings c and rounds' deadlines run
// by sched (none when nil): a due schedule invokes the schedule function through the
// gateway's asynchronous invoke, as EventBridge Scheduler invokes the function in Lambda.
func devGatewayWith(c config.Config, store orders.Store, secret string, quiet bool, web webAPI, sched *schedule.Local) (*gateway.Gateway, error) {
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	messages, err := say.NewMessages(c.Locale)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", api.EnvLocale, err)
	}
	deps := handler.Deps{
		Orders:   &orders.Service{Store: store},
		Verifier: slackio.Verifier{Secret: []byte(secret)},
		Log:      log,
		// Deferred answers go to this server's response_url endpoint.
		LoopbackResponseURLs: true,
		Messages:             messages,
		// Every function shows deadlines in the team's zone, not only the scheduling one.
		Zone: c.Zone, Reminder: c.Reminder,
	}
	if web.token != "" {
		deps.Poster = slackio.NewPoster(web.token, web.url)
	}
	opts := gateway.Options{Stage: "local", AccessLog: os.Stdout, RetryDelays: devRetryDelays}
	if quiet {
		opts.AccessLog = nil
	}
	// Slow commands answer "working on it" and finish through the gateway's async invoke,
	// as they do in Lambda through an asynchronous self-invoke.
	var gw *gateway.Gateway
	deps.Budget = c.ReplyBudget
	deps.Deferrer = handler.DeferFunc(func(ctx context.Context, fn string, payload []byte) error {
		return gw.InvokeAsync(ctx, fn, payload)
	})
	if sched != nil {
		deps.Scheduler = sched
		sched.Invoke = func(ctx context.Context, input []byte) error {
			return gw.InvokeAsync(ctx, api.ScheduleFunction, input)
		}
	}
	gw, err = gateway.New(handler.Handlers(deps), opts)
	return gw, err
}

// WebAPIPath is where orderbot dev serves its stand-in for Slack's Web API.
const WebAPIPath = "/_slack/api"

// devBotToken is the bot token of orderbot dev's Web API stand-in.
const devBotToken = "xoxb-orderbot-dev"

// webAPI is the Slack Web API the handlers call, and with which token.
type webAPI struct{ url, token string }

// webAPIOf is Slack's Web API with SLACK_BOT_TOKEN when it is set (at SLACK_API_URL, or
// slack.com's), and the dev server's own stand-in at base otherwise.
func webAPIOf(base string) webAPI {
	if token := os.Getenv("SLACK_BOT_TOKEN"); token != "" {
		return webAPI{url: os.Getenv("SLACK_API_URL"), token: token}
	}
	return webAPI{url: base + WebAPIPath + "/", token: devBotToken}
}

// devBanner tells the person at the terminal where everything is.
func devBanner(base, dbPath string, faults devFaults, secret string, generated bool) {
	fmt.Fprintf(os.Stderr, "orderbot dev: serving on %s (database %s)\n", base, dbPath)
	for _, r := range api.Routes {
		name := r.Command
		switch r.Kind {
		case api.KindEvents:
			name = "Events API"
		case api.KindInteractive:
			name = "Interactivity"
		}
		fmt.Fprintf(os.Stderr, "  %-14s %s %s%s\n", name, r.Method, base, r.Path)
	}
	if faults.active {
		fmt.Fprintf(os.Stderr, "orderbot dev: store faults active: %s; failed deferred runs retry after %v and %v (Lambda: 1 and 2 minutes)\n",
			faults.summary, devRetryDelays[0], devRetryDelays[1])
	}
	if generated {
		fmt.Fprintf(os.Stderr, "signing secret (generated, saved in %s): %s\n", secretFile, secret)
	}
	fmt.Fprintf(os.Stderr, "try: go run ./cmd/orderbot send --url %s /order-update \"iced americano\"\n", base)
}

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

// devFaults is the store the handlers get and what it injects.
type devFaults struct {
	store   orders.Store
	active  bool
	summary string
}

// storeFaults wraps store in a fault injector when --store-latency or --store-lost-acks
// asks for one, so that the handlers meet a slow or flaky table as they would DynamoDB.
func storeFaults(store orders.Store, latency time.Duration, lostAcks int) devFaults {
	if latency <= 0 && lostAcks <= 0 {
		return devFaults{store: store}
	}
	f := faulty.New(store)
	f.SetLatency(latency)
	f.LoseAcks(lostAcks)
	var parts []string
	if latency > 0 {
		parts = append(parts, fmt.Sprintf("every store call waits %v", latency))
	}
	if lostAcks > 0 {
		parts = append(parts, fmt.Sprintf("the next %d store writes take effect but report a timeout", lostAcks))
	}
	return devFaults{store: f, active: true, summary: strings.Join(parts, "; ")}
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
