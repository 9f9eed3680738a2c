package main

import (
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot/local/cfn/cfntest"
)

func TestMain(m *testing.M) { os.Exit(cfntest.Main(m)) }

// TestDevServesTheTemplate runs `orderbot dev --cdk-out` on the synthesized stack as the
// README's commands use it: `orderbot send` sets an order and lists the round through the
// template's methods and the functions' processes, a deadline set with `close in 1m`
// fires at --clock-speed through the Scheduler stand-in and closes the round, and SIGINT
// stops everything.
func TestDevServesTheTemplate(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesizes the stack and runs the binary")
	}
	bin := buildOrderbot(t)
	p := startDevIn(t, templateMode, bin, nil, "--clock-speed", "600")
	if resp, err := http.Post(p.url+"/nope", "application/json", nil); err != nil || resp.StatusCode != 403 {
		t.Errorf("unknown path: got %v, %v, want 403", resp, err)
	}
	if out := p.stderr.String(); !strings.Contains(out, "λ Orderbot-order-list") {
		t.Errorf("banner: got\n%s\nwant each function and how it runs", out)
	}
	send := func(args ...string) string {
		t.Helper()
		c := exec.Command(bin, append([]string{"send", "--url", p.url}, args...)...)
		c.Env = append(os.Environ(), "SLACK_SIGNING_SECRET="+procSecret)
		c.Dir = t.TempDir()
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("orderbot send %v: %v\n%s\ndev:\n%s", args, err, out, p.stderr.String())
		}
		return string(out)
	}
	if out := send("/order-update", "iced americano"); !strings.Contains(out, "Your order: *iced americano* — 1 order in this round.") {
		t.Errorf("/order-update: got\n%s", out)
	}
	if out := send("/order-list", "close in 1m"); !strings.Contains(out, "Orders close at") {
		t.Errorf("/order-list close in 1m: got\n%s", out)
	}
	deadline := time.Now().Add(90 * time.Second) // 1 min at 600× is 0.1 s; the rest is slack for a busy machine
	for time.Now().Before(deadline) && !strings.Contains(p.stderr.String(), "/close-") {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // the fired close runs asynchronously
	if out := send("/order-list", "history"); !strings.Contains(out, "closed by its deadline") {
		t.Errorf("/order-list history: got\n%s\nwant the round closed by its deadline; dev:\n%s", out, p.stderr.String())
	}
	p.stop(t)
}
