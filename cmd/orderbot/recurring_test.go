package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// slackCalls reads GET /_slack/calls.
func slackCalls(t *testing.T, p *devProcess) []struct {
	Method string            `json:"method"`
	Args   map[string]string `json:"args"`
	OK     bool              `json:"ok"`
	Error  string            `json:"error"`
} {
	t.Helper()
	resp, err := http.Get(p.url + SlackCallsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var calls []struct {
		Method string            `json:"method"`
		Args   map[string]string `json:"args"`
		OK     bool              `json:"ok"`
		Error  string            `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&calls); err != nil {
		t.Fatal(err)
	}
	return calls
}

// posted counts the bot's successful chat.postMessage calls to channel whose text holds want.
func posted(t *testing.T, p *devProcess, channel, want string) int {
	n := 0
	for _, c := range slackCalls(t, p) {
		if c.Method == "chat.postMessage" && c.OK && c.Args["channel"] == channel && strings.Contains(c.Args["text"], want) {
			n++
		}
	}
	return n
}

func waitPosted(t *testing.T, p *devProcess, channel, want string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for posted(t, p, channel, want) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no post to %s holding %q within %v; calls %+v\ndev:\n%s", channel, want, within, slackCalls(t, p), p.stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// liveWindowForTest is handler.liveWindow: one chat.update per workspace per window.
const liveWindowForTest = 1250 * time.Millisecond

// lastLiveText is the text of the last successful chat.update.
func lastLiveText(t *testing.T, p *devProcess) string {
	t.Helper()
	last := ""
	for _, c := range slackCalls(t, p) {
		if c.Method == "chat.update" && c.OK {
			last = c.Args["text"]
		}
	}
	return last
}

// waitUpdated waits for a chat.update whose text holds want.
func waitUpdated(t *testing.T, p *devProcess, want string, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(200 * time.Millisecond) {
		for _, c := range slackCalls(t, p) {
			if c.Method == "chat.update" && c.OK && strings.Contains(c.Args["text"], want) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no chat.update holding %q within %v; dev:\n%s", want, within, p.stderr.String())
		}
	}
}

// TestRecurringRoundEndToEnd runs a recurring round through `orderbot dev --clock-speed 60
// --schedules-twice` on the synthesized template: set in Korean a minute or two ahead
// (seconds at 60×), refused in a private channel the bot is not in; the occurrence — fired
// twice, as Scheduler may — keeps the round someone opened just before, gives it the
// deadline and posts its live message once; orders fill it, and its deadline turns that
// message into the final tally, once.
func TestRecurringRoundEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesizes the stack and runs the binary")
	}
	bin := buildOrderbot(t)
	p := startDev(t, bin, nil, "--clock-speed", "60", "--schedules-twice", "--private-channel", "C0SECRET")
	ctx := context.Background()
	seoul, _ := time.LoadLocation("Asia/Seoul")
	at := time.Now().In(seoul).Add(2 * time.Minute)
	// The 24-hour clock with a colon is read as written (an hour alone from 1 to 6 would
	// be the afternoon one).
	set := at.Format("15:04") + "~" + at.Add(10*time.Minute).Format("15:04") // e.g. 11:05~11:15
	secret := p.client("U1")
	secret.Channel = "C0SECRET"
	if r, err := secret.Command(ctx, "/order-list", "매일 "+set); err != nil || r.Msg == nil || !strings.Contains(r.Msg.Text, "/invite @orderbot") {
		t.Fatalf("set in a private channel the bot is not in: got %+v, %v, want the /invite fix", r, err)
	}
	r, err := p.client("U1").Command(ctx, "/order-list", "매일 "+set)
	if err != nil || r.Msg == nil || !strings.Contains(r.Msg.Text, "1. *every day "+at.Format("15:04")) {
		t.Fatalf("set: got %+v, %v, want the list with it", r, err)
	}
	// A round opened by hand before the occurrence (1–2 s away at 60×) is kept and given
	// the recurring round's deadline, and the live message says so.
	if r, err := p.client("U9").Command(ctx, "/order-update", "mocha"); err != nil || r.Status != 200 {
		t.Fatalf("order before the occurrence: got %+v, %v", r, err)
	}
	waitPosted(t, p, "C0LOCAL", "A round was already open", 60*time.Second)
	for _, u := range []string{"U2", "U3"} {
		if r, err := p.client(u).Command(ctx, "/order-update", "아이스 라떼"); err != nil || r.Status != 200 {
			t.Fatalf("order by %s: got %+v, %v", u, r, err)
		}
	}
	waitUpdated(t, p, "final tally: 3 orders", 60*time.Second)
	time.Sleep(2 * time.Second) // the second firings' runs
	tallies := 0
	for _, c := range slackCalls(t, p) {
		if c.Method == "chat.update" && strings.Contains(c.Args["text"], "final tally") {
			tallies++
		}
	}
	if n, m := posted(t, p, "C0LOCAL", "A round was already open"), posted(t, p, "C0LOCAL", "final tally"); n != 1 || m != 0 || tallies != 1 {
		t.Errorf("each firing twice: got %d opened messages, %d tallies posted and %d updated in, want 1, 0 and 1", n, m, tallies)
	}
	if posted(t, p, "C0SECRET", "") != 0 {
		t.Errorf("the private channel got a post, want none")
	}
	h, err := p.client("U1").Command(ctx, "/order-list", "history")
	if err != nil || h.Msg == nil || strings.Count(h.Msg.Text, "closed by its deadline") != 1 {
		t.Errorf("history: got %+v, %v, want one round closed by its deadline", h, err)
	}
	p.stop(t)
}

// TestRecurringLiveMessageUnderABurst: 100 orders into a recurring round within seconds
// keep its live message current with coalesced chat.updates that stay inside the Web API
// stand-in's Tier 3 limit (none refused ratelimited, at most one per 1.25 s), and at the
// deadline that same message — updated in place — is the final tally of all 100.
func TestRecurringLiveMessageUnderABurst(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesizes the stack and runs the binary")
	}
	bin := buildOrderbot(t)
	p := startDev(t, bin, nil, "--cdk-out", unthrottled(t), "--clock-speed", "60")
	ctx := context.Background()
	seoul, _ := time.LoadLocation("Asia/Seoul")
	at := time.Now().In(seoul).Add(2 * time.Minute)
	if r, err := p.client("U1").Command(ctx, "/order-list", "every day at "+at.Format("15:04")+" for 40m"); err != nil || r.Status != 200 {
		t.Fatalf("set: got %+v, %v", r, err)
	}
	waitPosted(t, p, "C0LOCAL", "The recurring round is open", 60*time.Second)
	start := time.Now()
	jobs := make(chan int)
	errs := make(chan error, 100)
	for range 8 {
		go func() {
			for i := range jobs {
				r, err := p.client(fmt.Sprintf("U%03d", i)).Command(ctx, "/order-update", fmt.Sprintf("item %d", i%7))
				if err == nil && r.Status != 200 {
					err = fmt.Errorf("status %d", r.Status)
				}
				errs <- err
			}
		}()
	}
	for i := range 100 {
		jobs <- i
	}
	close(jobs)
	for range 100 {
		if err := <-errs; err != nil {
			t.Fatalf("an order of the burst: %v", err)
		}
	}
	burst := time.Since(start)
	// Then silence: the trailing update (handler/live.go) shows the last orders of the
	// burst within a window or two, long before the close (40 min at 60× = 40 s).
	time.Sleep(4 * liveWindowForTest)
	if last := lastLiveText(t, p); !strings.Contains(last, "100 orders") {
		t.Errorf("%v after a burst of 100 orders: live message is %q, want it showing 100 orders", 4*liveWindowForTest, last)
	}
	waitUpdated(t, p, "final tally: 100 orders", 90*time.Second)
	updates, refused := 0, 0
	for _, c := range slackCalls(t, p) {
		if c.Method == "chat.update" {
			updates++
			if c.Error == "ratelimited" {
				refused++
			}
		}
	}
	// Updates during the burst and the silence after it (one per 1.25 s window at most,
	// plus the one that may straddle its end), and the final tally: under the stand-in's
	// 50 a minute, which refuses none.
	if most := int((burst+4*liveWindowForTest)/liveWindowForTest) + 3; updates < 2 || updates > most || refused > 0 {
		t.Errorf("100 orders in %v: got %d chat.update calls (%d ratelimited), want 2 to %d and none refused", burst, updates, refused, most)
	}
	if n := posted(t, p, "C0LOCAL", "final tally"); n != 0 {
		t.Errorf("final tally: got %d new messages, want the live message updated in place", n)
	}
	t.Logf("100 orders in %v: %d chat.update calls, none ratelimited", burst.Round(time.Millisecond), updates)
	p.stop(t)
}
