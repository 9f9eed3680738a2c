package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The channel page (local/devui) in a real browser: headless Chromium (Debian's
// chromium; .ci/run installs it) driven with chromedp against the real `orderbot dev`
// binary. Without Chromium the test skips on a developer's machine and fails under CI.

// chromiumPath finds Chromium: $CHROMIUM, else chromium, chromium-browser or
// google-chrome on PATH.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium (chromium, chromium-browser, google-chrome or $CHROMIUM): CI must run the browser test; .ci/run installs Debian's chromium")
	}
	t.Skip("no Chromium on PATH: apt-get install chromium to run the browser test")
	return ""
}

// artifactsDir is where the test leaves its screenshots: $ORDERBOT_TEST_ARTIFACTS, else
// <tmp>/orderbot-browser.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ORDERBOT_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "orderbot-browser")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// newBrowser starts headless Chromium with the flags that work on a machine without a
// network or a GPU, and a fresh profile.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: got %v, want it running", err)
	}
	return ctx
}

// tab is one browser tab on the channel page, as one person.
type tab struct {
	t    *testing.T
	ctx  context.Context
	name string
}

// openTab opens the page as user in a new tab of the browser.
func openTab(t *testing.T, browser context.Context, url, user, name string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	// The first run on a tab's context opens the tab for the context's lifetime: no timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("%s: opening a tab: %v", name, err)
	}
	tb := &tab{t: t, ctx: ctx, name: name}
	tb.run(chromedp.Navigate(url + "/?user=" + user + "&channel=C0LOCAL"))
	tb.waitJS(`document.body.dataset.ready === "1" && document.body.dataset.live === "1"`, "the page ready and live")
	return tb
}

func (tb *tab) run(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	// A person acts in the tab in front of them: keys go to the active tab only.
	actions = append([]chromedp.Action[chromedp.Void]{bringToFront}, actions...)
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %v", tb.name, err)
	}
}

// waitJS waits until the JavaScript expression is true.
func (tb *tab) waitJS(expr, what string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	ok, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil || !ok {
		dctx, dcancel := context.WithTimeout(tb.ctx, 5*time.Second)
		defer dcancel()
		diag, _ := chromedp.Run(dctx, chromedp.Evaluate[string](`"focus=" + (document.activeElement && document.activeElement.id) + " composer=" + JSON.stringify(document.getElementById("message").value) + " modal=" + document.getElementById("modal").open + " confirm=" + document.getElementById("confirm").open + " hint=" + document.getElementById("hint").textContent`))
		tb.t.Fatalf("%s: waiting for %s: got %v (%s); the page shows:\n%s", tb.name, what, err, diag, tb.text())
	}
}

// evalJS is the value of a JavaScript expression in tb.
func evalJS[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("%s: %v", tb.name, err)
	}
	return v
}

// text is what the person reads in the channel.
func (tb *tab) text() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("messages").innerText`))
	return s
}

// waitText waits until the channel shows s.
func (tb *tab) waitText(s string) {
	tb.t.Helper()
	tb.waitJS(fmt.Sprintf(`document.getElementById("messages").innerText.includes(%s)`, strconv.Quote(s)), strconv.Quote(s)+" in the channel")
}

// send types text into the composer and presses Enter.
func (tb *tab) send(text string) {
	tb.t.Helper()
	// A click, as a person's: after a modal dialog closes, Chromium routes keys to an
	// element focused by script only once it is clicked.
	tb.run(chromedp.Click(chromedp.ID("message")), chromedp.SendKeys(chromedp.ID("message"), text))
	tb.waitJS(fmt.Sprintf(`document.getElementById("message").value === %s`, strconv.Quote(text)), "the composer holding "+strconv.Quote(text))
	tb.run(pressEnter)
	tb.waitJS(`document.getElementById("message").value === ""`, "the composer emptied (sent)")
}

// as switches the page's user with the "User" select.
func (tb *tab) as(user string) {
	tb.t.Helper()
	tb.run(chromedp.SetValue(chromedp.ID("user"), user))
	evalJS[bool](tb, `document.getElementById("user").dispatchEvent(new Event("change"))`)
	tb.waitJS(fmt.Sprintf(`document.body.dataset.user === %q && document.body.dataset.live === "1"`, user), "user "+user)
}

// click clicks, with the mouse, the button named label in the last message (not only
// visible to the person) whose text contains near; within is a CSS selector narrowing
// where the button is (a section of the message).
func (tb *tab) click(near, within, label string) {
	tb.t.Helper()
	found := evalJS[bool](tb, fmt.Sprintf(`(() => {
	  document.querySelectorAll("[data-target]").forEach((n) => n.removeAttribute("data-target"));
	  const arts = [...document.querySelectorAll("#messages article:not(.ephemeral)")].filter((a) => a.innerText.includes(%[1]s));
	  const art = arts[arts.length - 1];
	  if (!art) return false;
	  const scope = [...art.querySelectorAll(%[2]s)].find((s) => s.innerText.includes(%[1]s)) || art;
	  const b = [...scope.querySelectorAll("button")].find((b) => b.textContent === %[3]s);
	  if (!b) return false;
	  b.setAttribute("data-target", "1");
	  return true;
	})()`, strconv.Quote(near), strconv.Quote(within), strconv.Quote(label)))
	if !found {
		tb.t.Fatalf("%s: got no button %q in a message with %q, want one; the page shows:\n%s", tb.name, label, near, tb.text())
	}
	tb.run(chromedp.Click(chromedp.CSS(`[data-target="1"]`)))
}

var bringToFront = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	_, err := cdp.Call(ctx, t, page.BringToFront, cdp.Empty{})
	return err
})

// pressEnter presses Enter as a keyboard does: one keyDown carrying the text "\r" (a
// page that handles it prevents the newline) and a keyUp. chromedp.KeyEvent sends the
// character as a separate char event, which types a newline whatever the page did.
var pressEnter = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	enter := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyDown, Key: "Enter", Code: "Enter",
		WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13, Text: "\r", UnmodifiedText: "\r"}
	if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, enter); err != nil {
		return err
	}
	enter.Type, enter.Text, enter.UnmodifiedText = input.DispatchKeyEventTypeKeyUp, "", ""
	_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, enter)
	return err
})

func (tb *tab) screenshot(path string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Fatalf("%s: screenshot: %v", tb.name, err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

func (tb *tab) count(expr string) int {
	tb.t.Helper()
	return evalJS[int](tb, expr)
}

// TestChannelPageInBrowser runs whole rounds through the channel page in Chromium, two
// people in two tabs: orders (Korean and hostile ones among them), a shared round whose
// "+1 same" updates it in place for everyone, ephemeral answers only their person sees,
// the order modal with a field error and a submission, a close through the confirm
// dialog, a deadline's tally arriving live; then the same round in Korean. Screenshots
// go to artifactsDir (and to docs/screenshots with ORDERBOT_UPDATE_DOCS=1).
func TestChannelPageInBrowser(t *testing.T) {
	start := time.Now()
	browser := newBrowser(t) // first: without Chromium, skip or fail before building anything
	bin := buildOrderbot(t)
	dir := artifactsDir(t)
	t.Run("en", func(t *testing.T) { browserRoundEnglish(t, bin, browser, dir) })
	t.Run("ko", func(t *testing.T) { browserRoundKorean(t, bin, browser, dir) })
	if os.Getenv("ORDERBOT_UPDATE_DOCS") != "" && !t.Failed() {
		for _, name := range []string{"round-en.png", "round-ko.png"} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("..", "..", "docs", "screenshots", name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("browser test: %v; screenshots in %s", time.Since(start).Round(100*time.Millisecond), dir)
}

func browserRoundEnglish(t *testing.T, bin string, browser context.Context, dir string) {
	dev := startDev(t, bin, []string{"ORDERBOT_LOCALE=en", "ORDERBOT_TIMEZONE=Asia/Seoul"}, "--clock-speed", "120")
	alex := openTab(t, browser, dev.url, "U0LOCAL", "Alex's tab")
	minji := openTab(t, browser, dev.url, "U02MINJI", "김민지's tab")
	checkAccessible(t, alex)
	env := evalJS[string](alex, `document.getElementById("env").textContent`)
	if !strings.Contains(env, "Locale: en") || !strings.Contains(env, "Asia/Seoul (UTC+09:00)") {
		t.Fatalf("header: got %q, want the locale en and the zone Asia/Seoul (UTC+09:00)", env)
	}

	alex.send("/order-update iced americano")
	alex.waitText("Your order: iced americano — 1 order in this round.")
	alex.waitText("Only visible to you")
	minji.send("/order-update 아이스 라떼 🧊")
	minji.waitText("Your order: 아이스 라떼 🧊")
	if s := minji.text(); strings.Contains(s, "Your order: iced americano") {
		t.Fatalf("김민지's page: got Alex's ephemeral answer, want it only on Alex's page:\n%s", s)
	}
	if s := alex.text(); strings.Contains(s, "아이스 라떼") {
		t.Fatalf("Alex's page: got 김민지's ephemeral answer, want it only on hers:\n%s", s)
	}
	hostileOrder(t, minji)

	alex.send("/nope soon")
	alex.waitText("/nope is not a valid command.")
	alex.send("hi @orderbot, help?")
	minji.waitText("hi @orderbot, help?")
	minji.waitText("replied in a thread")
	checkMrkdwn(t, alex)

	alex.send("/order-list share")
	for _, tb := range []*tab{alex, minji} {
		tb.waitText("Order round — 3 orders, 3 items")
	}
	alex.screenshot(filepath.Join(dir, "round-en.png"))

	// 김민지 clicks "+1 same" on iced americano: the round message changes in place, live,
	// on both pages; her own answer is hers only.
	minji.click("1× iced americano", ".block.section", "+1 same")
	for _, tb := range []*tab{alex, minji} {
		tb.waitText("2× iced americano")
		if n := tb.count(`[...document.querySelectorAll("#messages article:not(.ephemeral)")].filter((a) => a.innerText.includes("Order round")).length`); n != 1 {
			t.Fatalf("%s: got %d round messages in the channel, want 1 (the click replaces it in place)", tb.name, n)
		}
	}
	browserModal(t, alex, minji, dir)
	browserClose(t, alex, minji, dir)
	browserDeadline(t, alex, minji)
}

// hostileOrder orders, as 박지호, an item of markup, a forged mention and a script: the
// page shows it as typed text, runs nothing and links no one.
func hostileOrder(t *testing.T, tb *tab) {
	tb.as("U03JIHO")
	tb.send(`/order-update <script>window.pwned=1</script> & <@U0LOCAL|the CEO> <b>x</b>`)
	// The bot keeps a user mention as markup (README, "Slack's escaping"): Slack shows the
	// person's name, whatever label the markup carries.
	tb.waitText(`Your order: <script>window.pwned=1</script> & @Alex Morgan <b>x</b>`)
	pwned := evalJS[bool](tb, `window.pwned === 1 || document.querySelectorAll("#messages script, #messages b b").length > 0`)
	if pwned {
		t.Fatal("hostile item: got a script run or markup parsed, want it shown as text")
	}
	if n := tb.count(`[...document.querySelectorAll("#messages .body")].filter((b) => !b.querySelector(".command-echo") && b.innerText.includes("the CEO")).length`); n != 0 {
		t.Fatalf("hostile item: got the label of <@U0LOCAL|the CEO> in %d messages, want the person's name only:\n%s", n, tb.text())
	}
	// 200 characters of Korean and emoji (UTF-16 units, the bot's limit) wrap, no sideways scroll.
	long := strings.Repeat("가나다라마바사아자", 20) + strings.Repeat("🧋", 10)
	tb.as("U05SEOYEON")
	tb.send("/order-update " + long)
	tb.waitText(long)
	if wide := evalJS[bool](tb, `document.getElementById("messages").scrollWidth > document.getElementById("messages").clientWidth`); wide {
		t.Fatal("a 200-character item: got the channel scrolling sideways, want it wrapped")
	}
	tb.send("/order-update cancel")
	tb.as("U02MINJI")
}

// checkMrkdwn renders Slack's markup with the page's own renderer: each construct becomes
// its element, and a link or mention is never raw markup.
func checkMrkdwn(t *testing.T, tb *tab) {
	got := evalJS[string](tb, `(() => {
	  const n = mrkdwn("*b* _i_ ~s~ `+"`c`"+` &amp; :coffee:\n&gt; quoted\n• one\n• two\n<https://example.test/a?b=1|a link> <@U02MINJI> <#C0LOCAL> <!here>");
	  const q = (sel) => [...n.querySelectorAll(sel)].map((e) => e.textContent).join("|");
	  return [q("b"), q("i"), q("s"), q("code"), q("blockquote"), q("ul li"), q("a"), n.querySelector("a").getAttribute("href"), q(".mention"), n.textContent.includes("& :coffee:")].join(" / ");
	})()`)
	want := "b / i / s / c / quoted / one|two / a link / https://example.test/a?b=1 / @김민지|#orders|@here / true"
	if got != want {
		t.Fatalf("mrkdwn: got %q, want %q", got, want)
	}
}

// browserModal: Sam (Alex's tab, switched) opens the order modal, submits it empty and
// sees the field error under its field, then orders through it.
func browserModal(t *testing.T, alex, minji *tab, dir string) {
	alex.as("U04SAM")
	alex.send("/order-update")
	alex.waitJS(`document.getElementById("modal").open && document.getElementById("modal-title").textContent === "Your order"`, "the order modal")
	if evalJS[bool](minji, `document.getElementById("modal").open`) {
		t.Fatal("김민지's page: got Sam's modal open, want it on Sam's page only")
	}
	alex.run(chromedp.Click(chromedp.ID("modal-submit")))
	alex.waitJS(`document.getElementById("err-order.text").textContent === "Pick a recent item or type your order."`, "the field error under the text field")
	alex.screenshot(filepath.Join(dir, "modal-en.png"))
	alex.run(chromedp.SendKeys(chromedp.CSS(`#in-order\.text`), "oat flat white"), chromedp.Click(chromedp.ID("modal-submit")))
	alex.waitJS(`!document.getElementById("modal").open`, "the modal closed")
	alex.waitText("Your order: oat flat white")
}

// browserClose: 김민지 closes the round with its button, through the confirm dialog; the
// round message becomes the final tally on both pages.
func browserClose(t *testing.T, alex, minji *tab, dir string) {
	minji.click("Order round", ".block.actions", "Close round")
	minji.waitJS(`document.getElementById("confirm").open && document.getElementById("confirm-title").textContent === "Close this round?"`, "the confirm dialog")
	minji.run(chromedp.Click(chromedp.ID("confirm-ok")))
	for _, tb := range []*tab{alex, minji} {
		tb.waitText("Round closed — final tally: 4 orders")
	}
	minji.waitText("You closed the round")
	if s := alex.text(); strings.Contains(s, "You closed the round") {
		t.Fatalf("Sam's page: got 김민지's click answer, want it on hers only:\n%s", s)
	}
	alex.screenshot(filepath.Join(dir, "closed-en.png"))
}

// browserDeadline: a deadline set in the page closes the next round at 120× speed, and
// its tally appears on the other page with no one doing anything.
func browserDeadline(t *testing.T, alex, minji *tab) {
	alex.send("/order-update latte")
	alex.waitText("Your order: latte")
	alex.send("/order-list close in 2m")
	minji.waitText("Closed at its deadline")
}

func browserRoundKorean(t *testing.T, bin string, browser context.Context, dir string) {
	dev := startDev(t, bin, []string{"ORDERBOT_LOCALE=ko", "ORDERBOT_TIMEZONE=Asia/Seoul"})
	minji := openTab(t, browser, dev.url, "U02MINJI", "김민지's tab")
	env := evalJS[string](minji, `document.getElementById("env").textContent`)
	if !strings.Contains(env, "Locale: ko") {
		t.Fatalf("header: got %q, want the locale ko", env)
	}
	minji.send("/order-update 아이스 아메리카노")
	minji.waitText("아이스 아메리카노")
	minji.as("U05SEOYEON")
	minji.send("/order-update 바닐라 라떼")
	minji.waitText("바닐라 라떼")
	minji.send("/order-list 공유")
	minji.waitText("주문 취합")
	minji.as("U03JIHO")
	minji.click("아이스 아메리카노", ".block.section", "+1 같은 걸로")
	minji.waitText("2× 아이스 아메리카노")
	minji.screenshot(filepath.Join(dir, "round-ko.png"))
	minji.click("주문 취합", ".block.actions", "취합 마감")
	minji.waitJS(`document.getElementById("confirm").open`, "the confirm dialog")
	minji.run(chromedp.Click(chromedp.ID("confirm-ok")))
	minji.waitText("취합 마감 — 최종 집계")
	minji.screenshot(filepath.Join(dir, "closed-ko.png"))
}

// checkAccessible: the composer is labelled "Message", the user switcher is a <select>
// labelled "User", every button has a name and is reachable with Tab.
func checkAccessible(t *testing.T, tb *tab) {
	problems := evalJS[[]string](tb, `(() => {
	  const p = [];
	  const label = (id) => { const l = document.querySelector('label[for="' + id + '"]'); return l ? l.textContent.trim() : ""; };
	  if (label("message") !== "Message") p.push("composer label: " + label("message"));
	  if (document.getElementById("user").tagName !== "SELECT" || label("user") !== "User") p.push("user switcher");
	  for (const b of document.querySelectorAll("button")) {
	    if (!b.textContent.trim() && !b.closest("dialog")) p.push("a button without a name");
	    if (b.tabIndex < 0) p.push("a button out of the tab order: " + b.textContent);
	  }
	  return p;
	})()`)
	if len(problems) > 0 {
		t.Fatalf("accessibility: got %v, want none", problems)
	}
}
