package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/local/slacksim"
)

// Files where `orderbot send` keeps what Slack would show, so that the next send can click
// a button of it or submit it.
const (
	lastMessageFile = ".orderbot/last-message.json" // slacksim.Posted: the last message with buttons
	lastViewFile    = ".orderbot/last-view.json"    // slack.View: the last modal opened
)

// remember keeps a reply with buttons as the message the next --click clicks, and lists
// its buttons.
func remember(r *slacksim.Reply) {
	if r == nil || r.Msg == nil {
		return
	}
	p, err := slacksim.PostedReply(r)
	if err != nil {
		return
	}
	rememberPosted(p)
}

func rememberPosted(p slacksim.Posted) {
	buttons := slacksim.Buttons(&p.Msg)
	if len(buttons) == 0 {
		return
	}
	if err := writeJSON(lastMessageFile, p); err != nil {
		fmt.Fprintln(os.Stderr, "orderbot: cannot keep the message for --click:", err)
		return
	}
	var ids []string
	for _, b := range buttons {
		ids = append(ids, b.ActionID+" ("+b.Text+")")
	}
	fmt.Printf("  clickable with --click: %s\n", strings.Join(ids, ", "))
}

// click clicks the button actionID (value picks among several) of the message the last
// send remembered, and prints what Slack shows afterwards: the round message as the click
// replaced it and the clicker's own answer.
func click(ctx context.Context, c *slacksim.Client, actionID, value string, wait time.Duration) error {
	var p slacksim.Posted
	if err := readJSON(lastMessageFile, &p); err != nil {
		return usageError("no message to click: send /order-list share (or any reply with buttons) first (%v)", err)
	}
	if p.Channel == "" {
		p.Channel = c.Channel
	}
	payload, err := c.BlockActions(p, actionID, value)
	if err != nil {
		return usageError("%v", err)
	}
	var sent struct {
		ResponseURL string `json:"response_url"`
	}
	if err := json.Unmarshal(payload, &sent); err != nil {
		return err
	}
	reply, err := c.Post(ctx, interactivePath(), api.ContentTypeForm, slacksim.InteractionBody(payload), nil)
	if err != nil {
		return err
	}
	if !reply.OK() {
		fmt.Print(slacksim.Render(reply))
		return fmt.Errorf("HTTP %d", reply.Status)
	}
	msgs, err := answers(ctx, c.HTTP, sent.ResponseURL, wait)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		fmt.Print(renderAnswer(m))
		if m.ReplaceOriginal {
			p.Msg = webhookMsg(m)
			rememberPosted(p)
		}
	}
	return nil
}

// answers waits for the first answer on a click's response_url, then briefly for the
// rest (the round message's update and the clicker's answer arrive together).
func answers(ctx context.Context, client *http.Client, responseURL string, wait time.Duration) ([]slack.WebhookMessage, error) {
	first, err := pollAnswers(ctx, client, responseURL, 1, wait)
	if err != nil || len(first) == 0 {
		if err == nil {
			err = fmt.Errorf("no answer on the click's response_url within %v (see the orderbot dev log)", wait)
		}
		return nil, err
	}
	return pollAnswers(ctx, client, responseURL, len(first)+1, 500*time.Millisecond)
}

func pollAnswers(ctx context.Context, client *http.Client, responseURL string, min int, wait time.Duration) ([]slack.WebhookMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, wait+5*time.Second)
	defer cancel()
	u := fmt.Sprintf("%s?wait=%s&min=%d", responseURL, wait, min)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	hc := *client
	hc.Timeout = 0 // the context bounds the long poll
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("wait for the answer: %w", err)
	}
	defer resp.Body.Close()
	var msgs []slack.WebhookMessage
	if err := json.NewDecoder(resp.Body).Decode(&msgs); err != nil {
		return nil, fmt.Errorf("wait for the answer: %w", err)
	}
	return msgs, nil
}

func webhookMsg(m slack.WebhookMessage) slack.Msg {
	msg := slack.Msg{Text: m.Text, ResponseType: m.ResponseType, ReplaceOriginal: m.ReplaceOriginal}
	if m.Blocks != nil {
		msg.Blocks = *m.Blocks
	}
	return msg
}

// renderAnswer prints an answer on a response_url as Slack would show it.
func renderAnswer(m slack.WebhookMessage) string {
	msg := webhookMsg(m)
	head := "[new message]"
	if m.ReplaceOriginal {
		head = "[replaces the message]"
	}
	return head + " " + slacksim.Render(&slacksim.Reply{Status: http.StatusOK, Msg: &msg})
}

func interactivePath() string {
	if rs := api.RoutesOf(api.KindInteractive); len(rs) == 1 {
		return rs[0].Path
	}
	return "/interactive"
}

// showModal prints the modal a command opened on the dev server's Web API stand-in and
// keeps it for --submit.
func showModal(ctx context.Context, c *slacksim.Client) {
	u := strings.TrimRight(c.BaseURL, "/") + WebAPIPath + "/slacksim.views?min=1&wait=2s"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	var views []slacksim.OpenedView
	if json.NewDecoder(resp.Body).Decode(&views) != nil || len(views) == 0 {
		return
	}
	v := views[len(views)-1].View
	fmt.Print(slacksim.RenderView(v))
	if err := writeJSON(lastViewFile, v); err == nil {
		fmt.Println(`  submit with: orderbot send --submit "<your order>"`)
	}
}

// submit submits the last modal with text typed into its order field.
func submit(ctx context.Context, c *slacksim.Client, text string, wait time.Duration) error {
	var v slack.View
	if err := readJSON(lastViewFile, &v); err != nil {
		return usageError("no modal to submit: send /order-update with no text first (%v)", err)
	}
	reply, err := c.Submit(ctx, interactivePath(), v, slacksim.Input{BlockID: "order.text", ActionID: "text", Value: text})
	if err != nil {
		return err
	}
	fmt.Print(slacksim.Render(reply))
	if !reply.OK() {
		return fmt.Errorf("HTTP %d", reply.Status)
	}
	// The modal closed (or shows field errors); the answer goes to the response_url of
	// the command that opened it, which the modal carries.
	var m struct {
		ResponseURL string `json:"u"`
	}
	if len(reply.Body) > 2 || json.Unmarshal([]byte(v.PrivateMetadata), &m) != nil || m.ResponseURL == "" {
		return nil
	}
	msgs, err := pollAnswers(ctx, c.HTTP, m.ResponseURL, 1, wait)
	if err != nil {
		return err
	}
	for _, a := range msgs {
		fmt.Print(renderAnswer(a))
	}
	return nil
}

func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
