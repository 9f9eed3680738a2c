package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/say"
	"github.com/orderbot/orderbot/local/slacksim"
	"github.com/orderbot/orderbot/manifest"
)

type clientFlags struct {
	url, secret, team, channel, user, userName *string
}

func addClientFlags(fs *flag.FlagSet, defaultURL string) clientFlags {
	return clientFlags{
		url:      fs.String("url", defaultURL, "API base URL (local gateway or https://<api>/<stage>)"),
		secret:   fs.String("secret", "", "signing secret (default: SLACK_SIGNING_SECRET, then "+secretFile+")"),
		team:     fs.String("team", "T0LOCAL", "team_id"),
		channel:  fs.String("channel", "C0LOCAL", "channel_id"),
		user:     fs.String("user", "U0LOCAL", "user_id"),
		userName: fs.String("user-name", "", "user_name (default: the user id in lower case)"),
	}
}

func (f clientFlags) client() (*slacksim.Client, error) {
	secret := *f.secret
	if secret == "" {
		secret = os.Getenv("SLACK_SIGNING_SECRET")
	}
	if secret == "" {
		b, err := os.ReadFile(secretFile)
		if err != nil {
			return nil, usageError("no signing secret: pass --secret, set SLACK_SIGNING_SECRET, or start `orderbot dev` first (it saves one in %s)", secretFile)
		}
		secret = strings.TrimSpace(string(b))
	}
	c := slacksim.New(*f.url, []byte(secret))
	c.Team, c.Channel, c.User = *f.team, *f.channel, *f.user
	c.UserName = *f.userName
	if c.UserName == "" {
		c.UserName = strings.ToLower(c.User)
	}
	return c, nil
}

func send(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	cf := addClientFlags(fs, "http://127.0.0.1:"+envOr("PORT", "3000"))
	event := fs.String("event", "", "send an Events API payload instead: url_verification or app_mention")
	sslCheck := fs.Bool("ssl-check", false, "send Slack's ssl_check to the command's URL instead (the answer must be an empty 200)")
	follow := fs.Int("follow", 0, "after a command's answer, wait for this many later posts on its response_url (a deadline's reminder and tally) and print them (local gateway only)")
	wait := fs.Duration("wait", api.DeferredTimeout+5*time.Second, "how long to wait for a deferred answer on response_url (local gateway only)")
	clickID := fs.String("click", "", "click the button with this action_id in the last message with buttons (local gateway only)")
	value := fs.String("value", "", "with --click: the button's value, when several share the action_id")
	submitText := fs.String("submit", "", "submit the last modal opened with this order typed in (local gateway only)")
	home := fs.Bool("home", false, "open --user's App Home tab as Slack would (a signed app_home_opened) and print the Home published; with --click, click that button of the Home last shown (orderbot dev only)")
	if err := fs.Parse(reorder(fs, args)); err != nil {
		return usageError("%v", err)
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	if isLocal(c.BaseURL) {
		// orderbot dev serves response_urls: deferred answers and clicks' updates can be shown.
		c.ResponseBase = c.BaseURL + ResponseURLPath
	}
	var reply *slacksim.Reply
	switch {
	case *home:
		return sendHome(ctx, c, *clickID, *value, *wait)
	case *clickID != "":
		return click(ctx, c, *clickID, *value, *wait)
	case *submitText != "":
		return submit(ctx, c, *submitText, *wait)
	case *event != "":
		reply, _, err = c.Event(ctx, *event)
	case *sslCheck && fs.NArg() >= 1:
		if reply, err = c.SSLCheck(ctx, fs.Arg(0)); err == nil && reply.OK() && len(reply.Body) != 0 {
			return fmt.Errorf("ssl_check answered HTTP %d with a body (%d bytes); Slack wants it empty", reply.Status, len(reply.Body))
		}
	case fs.NArg() >= 1:
		reply, lastResponseURL, err = sendCommand(ctx, c, fs.Args(), *wait)
	default:
		return usageError("usage: orderbot send [flags] /order-update \"iced americano\"  |  --event url_verification  |  --click <action_id> [--value V]  |  --home [--click <action_id>]  |  --submit \"<order>\"")
	}
	if err != nil {
		return err
	}
	fmt.Print(slacksim.Render(reply))
	if !reply.OK() {
		return fmt.Errorf("HTTP %d", reply.Status)
	}
	remember(reply)
	if *follow > 0 && fs.NArg() >= 1 && c.ResponseBase != "" {
		return followPosts(ctx, c.HTTP, lastResponseURL, *follow, *wait)
	}
	if reply.Msg == nil && fs.NArg() >= 1 && isLocal(c.BaseURL) {
		showModal(ctx, c) // a command answered with an empty 200 may have opened a modal
	}
	return nil
}

// sendCommand posts the command args name and returns its answer — the deferred one when
// it answered "working on it" — and its response_url.
func sendCommand(ctx context.Context, c *slacksim.Client, args []string, wait time.Duration) (*slacksim.Reply, string, error) {
	form := c.CommandForm(args[0], strings.Join(args[1:], " "))
	reply, err := c.PostCommand(ctx, args[0], form)
	if err == nil && c.ResponseBase != "" && reply.OK() && isWorkingOnIt(reply) {
		fmt.Print(slacksim.Render(reply))
		reply, err = deferredAnswer(ctx, c.HTTP, form.Get("response_url"), wait)
	}
	return reply, form.Get("response_url"), err
}

func isLocal(base string) bool {
	u, err := url.Parse(base)
	if err != nil {
		return false
	}
	ip := net.ParseIP(u.Hostname())
	return u.Hostname() == "localhost" || ip != nil && ip.IsLoopback()
}

func isWorkingOnIt(r *slacksim.Reply) bool {
	return r.Msg != nil && say.IsWorkingOnIt(r.Msg.Text)
}

// deferredAnswer waits for the answer a deferred run posts to responseURL.
func deferredAnswer(ctx context.Context, client *http.Client, responseURL string, wait time.Duration) (*slacksim.Reply, error) {
	msgs, err := pollAnswers(ctx, client, responseURL, 1, wait)
	if err != nil {
		return nil, err
	}
	if len(msgs) == 0 {
		return nil, fmt.Errorf("no deferred answer on response_url within %v (see the orderbot dev log)", wait)
	}
	msg := webhookMsg(msgs[len(msgs)-1])
	return &slacksim.Reply{Status: http.StatusOK, Msg: &msg}, nil
}

// reorder lets flags follow the command (`send /order-update latte --user U2`): Go's flag
// package stops at the first argument that is not a flag.
func reorder(fs *flag.FlagSet, args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && i+1 < len(args) {
				if f := fs.Lookup(name); f != nil {
					if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !bf.IsBoolFlag() {
						flags = append(flags, args[i+1])
						i++
					}
				}
			}
			continue
		}
		rest = append(rest, a)
	}
	return append(flags, rest...)
}

func printManifest(args []string) error {
	fs := flag.NewFlagSet("manifest", flag.ContinueOnError)
	url := fs.String("url", "", "the API's base URL, e.g. https://<api>.execute-api.<region>.amazonaws.com/prod")
	if err := fs.Parse(args); err != nil {
		return usageError("%v", err)
	}
	if *url == "" {
		return usageError("usage: orderbot manifest --url https://<api>/<stage>")
	}
	b, err := manifest.Build(*url, manifest.Indent())
	if err != nil {
		return err
	}
	fmt.Println(string(b))
	return nil
}

// smoke checks a deployed API end to end with a throwaway channel: the events route
// answers the challenge, a command round trips through DynamoDB, and forged or mistyped
// requests are refused.
func smoke(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("smoke", flag.ContinueOnError)
	cf := addClientFlags(fs, "")
	if err := fs.Parse(args); err != nil {
		return usageError("%v", err)
	}
	if *cf.url == "" {
		return usageError("usage: orderbot smoke --url https://<api>/<stage> [--secret S]")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	c.Team, c.Channel, c.User = "T0SMOKE", "C0SMOKE", "U0SMOKE"
	var failed []string
	check := func(name string, ok bool, detail string) {
		mark := "ok  "
		if !ok {
			mark = "FAIL"
			failed = append(failed, name)
		}
		fmt.Printf("%s %-34s %s\n", mark, name, detail)
	}
	r, body, err := c.Event(ctx, "url_verification")
	if err != nil {
		return err
	}
	var challenge struct{ Challenge string }
	_ = jsonUnmarshal(body, &challenge)
	check("events: url_verification", r.Status == 200 && strings.Contains(string(r.Body), challenge.Challenge), fmt.Sprintf("HTTP %d", r.Status))
	r, err = c.Command(ctx, "/order-update", "smoke test ☕")
	if err != nil {
		return err
	}
	check("/order-update sets an order", r.Status == 200 && r.Msg != nil && strings.Contains(r.Msg.Text, "smoke test ☕"), fmt.Sprintf("HTTP %d", r.Status))
	r, err = c.Command(ctx, "/order-list", "close")
	if err != nil {
		return err
	}
	check("/order-list close tallies it", r.Status == 200 && r.Msg != nil && strings.Contains(r.Msg.Text, "1× smoke test ☕"), fmt.Sprintf("HTTP %d", r.Status))
	path := api.Routes[1].Path
	form := []byte(c.CommandForm("/order-update", "forged").Encode())
	h := c.Headers(form)
	h.Set("X-Slack-Signature", "v0="+strings.Repeat("0", 64))
	r, err = c.Post(ctx, path, api.ContentTypeForm, form, h)
	if err != nil {
		return err
	}
	check("forged signature refused", r.Status == 401, fmt.Sprintf("HTTP %d", r.Status))
	r, err = c.Post(ctx, path, "text/plain", form, nil)
	if err != nil {
		return err
	}
	check("unknown content type refused", r.Status == 415, fmt.Sprintf("HTTP %d", r.Status))
	if len(failed) > 0 {
		return errors.New("smoke test failed: " + strings.Join(failed, ", "))
	}
	return nil
}

// lastResponseURL is the response_url of the command send posted.
var lastResponseURL string

// followPosts prints the first n posts on responseURL (a deadline's reminder and tally
// arrive there minutes later), waiting up to wait for them.
func followPosts(ctx context.Context, client *http.Client, responseURL string, n int, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, wait+5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s?min=%d&wait=%s", responseURL, n, wait), nil)
	if err != nil {
		return err
	}
	hc := *client
	hc.Timeout = 0
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("follow response_url: %w", err)
	}
	defer resp.Body.Close()
	var msgs []slack.WebhookMessage
	if err := json.NewDecoder(resp.Body).Decode(&msgs); err != nil {
		return fmt.Errorf("follow response_url: %w", err)
	}
	for _, m := range msgs {
		msg := slack.Msg{ResponseType: m.ResponseType, Text: m.Text}
		if m.Blocks != nil {
			msg.Blocks = *m.Blocks
		}
		fmt.Print(slacksim.Render(&slacksim.Reply{Status: http.StatusOK, Msg: &msg}))
	}
	if len(msgs) < n {
		return fmt.Errorf("%d of %d posts on response_url within %v", len(msgs), n, wait)
	}
	return nil
}
