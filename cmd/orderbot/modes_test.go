package main

import (
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/orderbot/orderbot/local/devstack"
)

// The key scenarios of the built binary, driven as a person drives them with `orderbot
// send`, on `orderbot dev` serving the synthesized stack: the template's API, each
// function its own process, dynalite.

// sender runs `orderbot send` against one dev server from one directory (where send keeps
// the last message and modal for --click and --submit).
type sender struct {
	t   *testing.T
	bin string
	dev *devProcess
	dir string
}

func newSender(t *testing.T, bin string, dev *devProcess) *sender {
	return &sender{t: t, bin: bin, dev: dev, dir: t.TempDir()}
}

// run returns send's output and whether it exited 0.
func (s *sender) run(args ...string) (string, bool) {
	s.t.Helper()
	c := exec.Command(s.bin, append([]string{"send", "--url", s.dev.url}, args...)...)
	c.Env = append(os.Environ(), "SLACK_SIGNING_SECRET="+procSecret)
	c.Dir = s.dir
	out, err := c.CombinedOutput()
	if _, exit := err.(*exec.ExitError); err != nil && !exit {
		s.t.Fatalf("orderbot send %v: %v", args, err)
	}
	return string(out), err == nil
}

// want runs send and checks that it succeeded and its output has every string of wants.
func (s *sender) want(args []string, wants ...string) string {
	s.t.Helper()
	out, ok := s.run(args...)
	if !ok {
		s.t.Errorf("orderbot send %q: got a failure, want success\n%s\ndev:\n%s", args, out, s.dev.stderr.String())
	}
	for _, w := range wants {
		if !strings.Contains(out, w) {
			s.t.Errorf("orderbot send %q: got\n%s\nwant it to contain %q", args, out, w)
		}
	}
	return out
}

// TestScenarios: signed commands (and a wrong signature refused), the order modal and
// its submission, a button click on the shared round, and a deadline fired at
// --clock-speed, then the same in Korean, on `orderbot dev`.
func TestScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary (and synthesizes the stack)")
	}
	bin := buildOrderbot(t)
	start := time.Now()
	dev := startDev(t, bin, []string{"ORDERBOT_LOCALE=en"}, "--clock-speed", "600")
	t.Logf("serving after %v", time.Since(start).Round(time.Millisecond))
	if resp, err := http.Post(dev.url+"/nope", "application/json", nil); err != nil || resp.StatusCode != 403 {
		t.Errorf("unknown path: got %v, %v, want 403 (Missing Authentication Token)", resp, err)
	}
	if out := dev.stderr.String(); !strings.Contains(out, "λ Orderbot-order-list") {
		t.Errorf("banner: got\n%s\nwant each function and how it runs", out)
	}
	roundScenario(t, newSender(t, bin, dev))
	dev.stop(t)

	// As `make dev` runs it: the template's arm64 asset under qemu-aarch64 where it is
	// installed, else a host build; the banner says which.
	ko := startDev(t, bin, []string{"ORDERBOT_LOCALE=ko"}, "--host-build=false")
	newSender(t, bin, ko).want([]string{"/order-update", "아이스 라떼"}, "내 주문: *아이스 라떼*")
	want := "a host build (" + runtime.GOARCH + ") of lambdas/cmd/bootstrap: the asset is arm64 and no qemu-aarch64 is on PATH"
	if _, ok := devstack.Emulator("arm64"); ok {
		want = "the asset as deployed (arm64) under qemu-aarch64"
	}
	if out := ko.stderr.String(); strings.Count(out, want) != 4 {
		t.Errorf("banner without --host-build: got\n%s\nwant each of the 4 functions running %q", out, want)
	}
	ko.stop(t)
	t.Logf("both servers, all scenarios: %v", time.Since(start).Round(time.Millisecond))
}

func roundScenario(t *testing.T, s *sender) {
	t.Helper()
	if out, ok := s.run("--secret", "not-the-secret", "/order-list"); ok || !strings.Contains(out, "HTTP 401") {
		t.Errorf("wrong signature: got success %t\n%s\nwant HTTP 401 and a failure", ok, out)
	}
	s.want([]string{"/order-update", "iced americano"}, "Your order: *iced americano* — 1 order in this round.")

	// /order-update without text opens the modal on the Web API stand-in; submitting it
	// answers on the command's response_url.
	s.want([]string{"--user", "U2", "/order-update"}, "[modal] Your order", "Pick a recent item")
	s.want([]string{"--user", "U2", "--submit", "flat white"}, "Your order: *flat white* — 2 orders in this round.")

	s.want([]string{"/order-list", "share"}, "[in channel", "*1× iced americano* — <@U0LOCAL>", "*1× flat white* — <@U2>", "round.join.0")
	// U3's "+1 same" on the first line replaces the shared message.
	s.want([]string{"--user", "U3", "--click", "round.join.0"}, "[replaces the message]", "*2× iced americano*")

	s.want([]string{"/order-list", "close in 1m"}, "Orders close at")
	// At 600× the minute is 0.1 s; the fired close then runs asynchronously, through the
	// Scheduler stand-in and an asynchronous invocation of order-list's process.
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
		if out, _ := s.run("/order-list", "history"); strings.Contains(out, "closed by its deadline") {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	out, _ := s.run("/order-list", "history")
	t.Errorf("/order-list history after the deadline: got\n%s\nwant the round closed by its deadline; dev:\n%s", out, s.dev.stderr.String())
}
