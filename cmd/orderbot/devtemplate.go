package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/local/devstack"
	"github.com/orderbot/orderbot/local/slacksim"
)

// devTemplate serves the synthesized template (package devstack): the API of the
// template, each function its own processes, the stand-ins of Secrets Manager, Lambda's
// Invoke, SQS and Scheduler, and Slack's side (response_url, Web API) for `orderbot send`.
func devTemplate(ctx context.Context, f devFlags, secret string, generated bool) error {
	start := time.Now()
	dir := f.cdkOut
	if dir == "" {
		dir = "cdk.out"
		if err := synthIfStale(dir, f.stack); err != nil {
			return err
		}
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", f.port))
	if err != nil {
		return fmt.Errorf("listen on 127.0.0.1:%s: %w", f.port, err)
	}
	base := "http://" + ln.Addr().String()
	token, slackAPI := slackWebAPI()
	var access io.Writer = os.Stdout
	if f.quiet {
		access = nil
	}
	st, err := devstack.Start(ctx, devstack.Options{
		CDKOut: dir, StackName: f.stack, DataDir: filepath.Dir(f.dbPath), BaseURL: base,
		SigningSecret: secret, BotToken: token, SlackAPI: slackAPI, ModuleDir: filepath.Join(root, "lambdas"),
		AccessLog: access, Log: os.Stderr, RetryDelay: f.retryDelay,
		StoreLatency: f.latency, StoreLostAcks: f.lostAcks, ClockSpeed: f.clockSpeed, Twice: f.twice, AsyncTwice: f.asyncTwice,
		Overrides: settingOverrides(), IAM: f.iam, HostBuild: f.hostBuild,
	})
	if err != nil {
		ln.Close()
		return err
	}
	defer st.Close()
	web := devWebAPI(f)
	mux := http.NewServeMux()
	mountSlackCalls(mux, web)
	responses := &slacksim.ResponseURLs{Open: true}
	mux.Handle(ResponseURLPath+"/", responses)
	mux.Handle(WebAPIPath+"/", http.StripPrefix(WebAPIPath, web))
	mux.Handle(devstack.AWSPath, st)
	mux.Handle("/", st.Gateway)
	mountChannelPage(ctx, mux, base, secret, web, responses, templateSettings(st, settingOverrides()))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second}
	fmt.Fprintf(os.Stderr, "orderbot dev: serving %s/%s.template.json on %s (ready in %v; data in %s)\n",
		dir, f.stack, base, time.Since(start).Round(time.Millisecond), filepath.Dir(f.dbPath))
	st.Banner(os.Stderr)
	if f.latency > 0 || f.lostAcks > 0 {
		fmt.Fprintf(os.Stderr, "orderbot dev: store faults active: every DynamoDB call waits %v; the next %d writes commit but lose their response\n", f.latency, f.lostAcks)
	}
	if generated {
		fmt.Fprintf(os.Stderr, "signing secret (generated, saved in %s): %s\n", secretFile, secret)
	}
	fmt.Fprintf(os.Stderr, "try: go run ./cmd/orderbot send --url %s /order-update \"iced americano\"\n", base)
	err = serveUntilDone(ctx, srv, ln)
	st.Wait()
	return err
}

// slackWebAPI is the bot token the functions get through the Secrets Manager stand-in's
// secret (never their environment) and the Web API they call with it: SLACK_BOT_TOKEN at
// SLACK_API_URL (slack.com's when unset), a real workspace; otherwise the dev server's
// stand-in's token and "" (devstack points the functions at the stand-in).
func slackWebAPI() (token, url string) {
	if token := os.Getenv("SLACK_BOT_TOKEN"); token != "" {
		return token, cmp.Or(os.Getenv("SLACK_API_URL"), slack.APIURL)
	}
	return devBotToken, ""
}

// repoRoot is the directory of the go.mod of this module, from the working directory up.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module github.com/orderbot/orderbot\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("orderbot dev runs from the orderbot repository (no go.mod of github.com/orderbot/orderbot above the working directory); --cdk-out still needs it for the host build")
		}
		dir = parent
	}
}

// synthIfStale runs `make build` and `cdk synth` into dir when its template is missing or
// older than a source it is made from: the CDK app, the functions' code, cdk.json.
func synthIfStale(dir, stack string) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	tpl, err := os.Stat(filepath.Join(dir, stack+".template.json"))
	if err == nil {
		newer, err := newerSource(root, tpl.ModTime())
		if err != nil {
			return err
		}
		if newer == "" {
			return nil
		}
		fmt.Fprintf(os.Stderr, "orderbot dev: %s is newer than %s: synthesizing\n", newer, dir)
	} else {
		fmt.Fprintf(os.Stderr, "orderbot dev: no %s/%s.template.json: synthesizing\n", dir, stack)
	}
	for _, c := range [][]string{{"make", "--no-print-directory", "build"},
		{"npx", "cdk", "synth", "--quiet", "--no-notices", "-o", dir, stack}} {
		cmd := exec.Command(c[0], c[1:]...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stderr, os.Stderr
		cmd.Env = append(os.Environ(), "CDK_DISABLE_CLI_TELEMETRY=true", "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1")
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w", strings.Join(c, " "), err)
		}
	}
	return nil
}

// newerSource is the first source file modified after t, or "".
func newerSource(root string, t time.Time) (string, error) {
	var newer string
	for _, top := range []string{"infra", "lambdas", "manifest", "cdk.json", "go.mod", "go.sum"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil || newer != "" {
				return err
			}
			if d.IsDir() && (d.Name() == "build" || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if d.IsDir() || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			if info, err := d.Info(); err == nil && info.ModTime().After(t) {
				newer, _ = filepath.Rel(root, p)
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	return newer, nil
}

// settingOverrides are the functions' settings set in orderbot dev's own environment
// (ORDERBOT_LOCALE=ko make dev): the stack's settings other than the resources' names.
func settingOverrides() map[string]string {
	out := map[string]string{}
	for _, st := range api.Settings {
		switch st.Name {
		case api.EnvFunction, api.EnvTableName, api.EnvSecretARN:
			continue
		}
		if v := os.Getenv(st.Name); v != "" && st.By == api.ByStack {
			out[st.Name] = v
		}
	}
	return out
}
