package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/local/slacksim"
)

// lastHomeFile keeps the last Home `orderbot send --home` showed a user, for --click: a
// click is made on the Home as it was shown, with its hash — as in Slack, a Home replaced
// since is clicked with a stale hash.
func lastHomeFile(user string) string { return ".orderbot/last-home-" + user + ".json" }

// sendHome opens user's Home tab as Slack would — a signed app_home_opened carrying the
// Home they see now — or, with actionID, clicks that button of the Home last shown, and
// prints the Home the bot publishes (read from the dev server's Web API stand-in).
func sendHome(ctx context.Context, c *slacksim.Client, actionID, value string, wait time.Duration) error {
	if !isLocal(c.BaseURL) {
		return usageError("--home needs the dev server's Web API stand-in (orderbot dev): the Home is read from it")
	}
	shown, err := currentHome(ctx, c, "", 0)
	if err != nil {
		return err
	}
	var body []byte
	path := ""
	if actionID == "" {
		body, err = c.HomeOpenedBody(shown)
		path = eventsPath()
	} else {
		var last slack.View
		if rerr := readJSON(lastHomeFile(c.User), &last); rerr != nil {
			return usageError("no Home to click: run `orderbot send --home --user %s` first (%v)", c.User, rerr)
		}
		var payload []byte
		if payload, err = c.HomeBlockActions(last, actionID, value); err == nil {
			body, path = slacksim.InteractionBody(payload), interactivePath()
		}
	}
	if err != nil {
		return usageError("%v", err)
	}
	if err := postHomeRequest(ctx, c, path, body); err != nil {
		return err
	}
	before := ""
	if shown != nil {
		before = shown.Hash
	}
	v, err := currentHome(ctx, c, before, wait)
	if err != nil || v == nil || v.Hash == before {
		return fmt.Errorf("no Home published for %s within %v (see the orderbot dev log; GET %s?method=views.publish)", c.User, wait, SlackCallsPath)
	}
	printHome(c.User, *v)
	return nil
}

// postHomeRequest posts a signed event or interaction and wants Slack's 200.
func postHomeRequest(ctx context.Context, c *slacksim.Client, path string, body []byte) error {
	ct := api.ContentTypeForm
	if path == eventsPath() {
		ct = api.ContentTypeJSON
	}
	reply, err := c.Post(ctx, path, ct, body, nil)
	if err != nil {
		return err
	}
	if !reply.OK() {
		fmt.Print(slacksim.Render(reply))
		return fmt.Errorf("HTTP %d", reply.Status)
	}
	return nil
}

// currentHome is user's Home on the stand-in once its hash is not notHash (waiting up to
// wait); nil when none was ever published.
func currentHome(ctx context.Context, c *slacksim.Client, notHash string, wait time.Duration) (*slack.View, error) {
	q := url.Values{"user": {c.User}, "not": {notHash}, "wait": {wait.String()}}
	u := strings.TrimRight(c.BaseURL, "/") + WebAPIPath + "/slacksim.home?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	hc := *c.HTTP
	hc.Timeout = wait + 5*time.Second
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read the Home from the Web API stand-in: %w", err)
	}
	defer resp.Body.Close()
	var v *slack.View
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return nil, fmt.Errorf("read the Home from the Web API stand-in: %w", err)
	}
	return v, nil
}

// printHome shows a Home and keeps it for --click.
func printHome(user string, v slack.View) {
	fmt.Print(slacksim.RenderHome(v))
	if err := writeJSON(lastHomeFile(user), v); err != nil {
		fmt.Println("orderbot: cannot keep the Home for --click:", err)
		return
	}
	var ids []string
	for _, b := range slacksim.HomeButtons(v) {
		ids = append(ids, b.ActionID+" ("+b.Text+")")
	}
	if len(ids) > 0 {
		fmt.Printf("  clickable with --home --click: %s\n", strings.Join(ids, ", "))
	}
}

func eventsPath() string {
	if rs := api.RoutesOf(api.KindEvents); len(rs) == 1 {
		return rs[0].Path
	}
	return "/events"
}
