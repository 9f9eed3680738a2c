package gateway_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/handler"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/schedule"
	"github.com/orderbot/orderbot/lambdas/slackio"
	"github.com/orderbot/orderbot/local/gateway"
	"github.com/orderbot/orderbot/local/slacksim"
)

// recordingScheduler keeps every schedule's input, so a test can fire one that was
// deleted, as a late or duplicate delivery of Scheduler would.
type recordingScheduler struct {
	*schedule.Local
	mu      sync.Mutex
	created map[string][]byte
	// refuse, when set, makes CreateSchedule of the names it matches fail, as a throttled
	// or unreachable Scheduler would.
	refuse func(name string) bool
}

func (s *recordingScheduler) Create(ctx context.Context, sc schedule.Schedule) error {
	s.mu.Lock()
	refuse := s.refuse != nil && s.refuse(sc.Name)
	if !refuse {
		s.created[sc.Name] = sc.Input
	}
	s.mu.Unlock()
	if refuse {
		return errors.New("scheduler: ThrottlingException: Rate exceeded")
	}
	return s.Local.Create(ctx, sc)
}

// channelPoster records chat.postMessage calls (the bot token's path).
type channelPoster struct {
	countingPoster
	mu       sync.Mutex
	messages []string
}

func (p *channelPoster) PostMessage(_ context.Context, channel string, msg *slack.Msg) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.messages = append(p.messages, channel+"|"+msg.Text)
	return "1.0", nil
}

// deadlineRig is the in-process deadline harness. In-process only, its cases but
// TestDeadlineClosesOnTimeOnce (which has a template twin): they move the functions' and
// the scheduler's clocks by hand, fire deleted schedules again, and refuse CreateSchedule
// for chosen names — none of which the template's Scheduler stand-in offers.
type deadlineRig struct {
	*rig
	sched  *recordingScheduler
	poster *channelPoster
}

func newDeadlineRig(t *testing.T, store orders.Store) *deadlineRig {
	t.Helper()
	return newDeadlineRigPosting(t, store, nil)
}

// newDeadlineRigPosting is newDeadlineRig with web as the Web API (nil: a channelPoster
// that records chat.postMessage and never refuses).
func newDeadlineRigPosting(t *testing.T, store orders.Store, web handler.WebAPI) *deadlineRig {
	t.Helper()
	r := &rig{t: t, inner: store, clock: &offsetClock{}}
	r.hooks = &slacksim.ResponseURLs{Now: r.clock.now}
	hookSrv := httptest.NewServer(r.hooks)
	t.Cleanup(hookSrv.Close)
	r.hookAt = hookSrv.URL
	d := &deadlineRig{rig: r, poster: &channelPoster{}}
	if web == nil {
		web = d.poster
	}
	d.sched = &recordingScheduler{created: map[string][]byte{}, Local: &schedule.Local{
		Now: time.Now, Twice: true, // Scheduler delivers at least once: every schedule fires twice
		Invoke: func(ctx context.Context, in []byte) error {
			return r.gw.InvokeAsync(ctx, api.ScheduleFunction, in)
		},
	}}
	seoul, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	deps := handler.Deps{
		Orders:               &orders.Service{Store: store, Now: r.clock.now},
		Verifier:             slackio.Verifier{Secret: secret, Now: r.clock.now},
		Log:                  slog.New(slog.NewTextHandler(io.Discard, nil)),
		LoopbackResponseURLs: true,
		Scheduler:            d.sched,
		Zone:                 seoul,
		Reminder:             5 * time.Minute,
		Poster:               web,
		// As in AWS: a command that fails or runs long is handed to a deferred run.
		Budget: 2 * time.Second,
		Deferrer: handler.DeferFunc(func(ctx context.Context, fn string, p []byte) error {
			return r.gw.InvokeAsync(ctx, fn, p)
		}),
	}
	r.gw, err = gateway.New(handler.Handlers(deps), gateway.Options{Now: r.clock.now,
		RetryDelays: []time.Duration{50 * time.Millisecond}, AsyncTimeout: 5 * time.Second,
		DeadLetter: func(fn string, _ []byte, err error) {
			r.mu.Lock()
			r.dead = append(r.dead, fn+": "+err.Error())
			r.mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r.gw)
	t.Cleanup(srv.Close)
	r.url = srv.URL
	t.Cleanup(r.gw.Wait)
	return d
}

// advance moves every clock forward (the scheduler's with the others) and lets what
// fired finish.
func (d *deadlineRig) advance(dur time.Duration) []string {
	d.clock.advance(dur)
	fired := d.sched.Advance(context.Background(), dur)
	d.gw.Wait()
	return fired
}

// fire delivers the input of schedule name again, as a late duplicate would.
func (d *deadlineRig) fire(name string) {
	d.t.Helper()
	d.sched.mu.Lock()
	in := d.sched.created[name]
	d.sched.mu.Unlock()
	if in == nil {
		d.t.Fatalf("no schedule %s was created", name)
	}
	if err := d.gw.InvokeAsync(context.Background(), api.ScheduleFunction, in); err != nil {
		d.t.Fatal(err)
	}
	d.gw.Wait()
}

func deadlineBy(t *testing.T, r orders.Round) string {
	t.Helper()
	if r.DeadlineBy == "" {
		t.Fatalf("round %s: got no deadline, want one", r.ID)
	}
	return r.DeadlineBy
}

// TestDeadlineClosesOnTimeOnce: nobody types close. The reminder and the tally reach the
// channel once each, though Scheduler fires every schedule twice.
func TestDeadlineClosesOnTimeOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, s orders.Store) {
		d := newDeadlineRig(t, s)
		d.send("U1", "/order-update", "iced americano")
		msg, url := d.send("U1", "/order-list", "close in 20m")
		wantContains(t, "deadline reply", msg.Text, "Orders close at", "KST", "in 20 minutes")
		if msg.ResponseType != slack.ResponseTypeInChannel {
			t.Fatalf("deadline reply: got %q, want in_channel", msg.ResponseType)
		}
		by := deadlineBy(t, d.round())
		list, _ := d.send("U2", "/order-list", "")
		wantContains(t, "round message", list.Text+blocksText(list), "Closes at")
		d.send("U2", "/order-update", "latte")
		if fired := d.advance(14 * time.Minute); len(fired) != 0 {
			t.Fatalf("before the reminder: fired %v", fired)
		}
		d.advance(time.Minute)
		msgs := d.hooks.Messages(url)
		if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "in 5 minutes") || !strings.Contains(msgs[0].Text, "2 orders") {
			t.Fatalf("after the reminder: got %v on response_url, want one reminder (in 5 minutes, 2 orders)", texts(msgs))
		}
		fired := d.advance(5 * time.Minute)
		if len(fired) != 1 || fired[0] != "close-"+by {
			t.Fatalf("at the deadline: fired %v, want close-%s", fired, by)
		}
		msgs = d.hooks.Messages(url)
		if len(msgs) != 2 || !strings.Contains(msgs[1].Text, "latte") || !strings.Contains(msgs[1].Text, "iced americano") ||
			msgs[1].ResponseType != slack.ResponseTypeInChannel {
			t.Fatalf("after the deadline: got %v, want the reminder and one final tally in the channel", texts(msgs))
		}
		if r := d.round(); r.ID != "" {
			t.Fatalf("after the deadline: round %s is open, want it closed", r.ID)
		}
		d.fire("close-" + by) // a late third delivery
		if msgs := d.hooks.Messages(url); len(msgs) != 2 || len(d.poster.messages) != 0 {
			t.Fatalf("a late firing: got %d posts on response_url and %v with the token, want nothing more", len(msgs), d.poster.messages)
		}
	})
}

// TestDeadlineClosesOnTimeOnceTemplate is TestDeadlineClosesOnTimeOnce on the synthesized
// stack: the deadline's schedules are created through the Scheduler stand-in (its group,
// its role's permission to invoke the target) and fire, twice each, into the order-list
// function's process; the reminder and the tally reach the command's response_url once
// each and the bot posts nothing with its token. Not one case with the in-process test:
// that one moves the functions' clocks by hand, while here the functions read the real
// clock and the stand-in's runs 600× faster (the times in messages stay real).
func TestDeadlineClosesOnTimeOnceTemplate(t *testing.T) {
	s := templateSide(t, &plainStack)
	s.send(t, "U1", "/order-update", "iced americano")
	msg, url := s.send(t, "U1", "/order-list", "close in 20m")
	wantContains(t, "deadline reply", msg.Text, "Orders close at", "KST", "in 20 minutes")
	if msg.ResponseType != slack.ResponseTypeInChannel {
		t.Fatalf("deadline reply: got %q, want in_channel", msg.ResponseType)
	}
	deadlineBy(t, s.open(t))
	list, _ := s.send(t, "U2", "/order-list", "")
	wantContains(t, "round message", list.Text+blocksText(list), "Closes at")
	s.send(t, "U2", "/order-update", "latte")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, err := s.urls.Wait(ctx, url, 2) // the reminder after 1.5 s, the tally after 2 s
	if err != nil {
		t.Fatalf("response_url: got %v (%v), want the reminder and the tally", texts(msgs), err)
	}
	time.Sleep(time.Second) // the second firings, and anything else that would come
	s.wait()
	msgs = s.urls.Messages(url)
	if len(msgs) != 2 || !strings.Contains(msgs[0].Text, "in 5 minutes") || !strings.Contains(msgs[0].Text, "2 orders") {
		t.Fatalf("response_url: got %v, want one reminder (in 5 minutes, 2 orders) and one tally", texts(msgs))
	}
	if !strings.Contains(msgs[1].Text, "latte") || !strings.Contains(msgs[1].Text, "iced americano") ||
		msgs[1].ResponseType != slack.ResponseTypeInChannel {
		t.Fatalf("tally: got %q (%s), want the final tally in the channel", msgs[1].Text, msgs[1].ResponseType)
	}
	if r := s.open(t); r.ID != "" {
		t.Fatalf("after the deadline: round %s is open, want it closed", r.ID)
	}
	// Each schedule fired twice and its second firing found the answer given.
	if n := s.waitLogged(2, "[Orderbot-order-list]", "reply already sent by another delivery"); n != 2 {
		t.Errorf("order-list's log: got %d second firings answered already, want 2 (the reminder's, the close's)", n)
	}
	for _, c := range s.web.CallRecords() {
		if c.Method == "chat.postMessage" {
			t.Errorf("bot posts: got chat.postMessage %v, want none (the response_url is alive)", c.Args)
		}
	}
}

// TestReplacedRemovedOrClosedDeadlineDoesNotFire: a deadline replaced, removed or
// overtaken by a close by hand has no effect, even when its schedule fires after all.
func TestReplacedRemovedOrClosedDeadlineDoesNotFire(t *testing.T) {
	eachStore(t, func(t *testing.T, s orders.Store) {
		d := newDeadlineRig(t, s)
		d.send("U1", "/order-update", "mocha")
		_, url1 := d.send("U1", "/order-list", "close in 10m")
		first := deadlineBy(t, d.round())
		d.clock.advance(time.Second) // a newer request
		_, url2 := d.send("U2", "/order-list", "close in 30m")
		second := deadlineBy(t, d.round())
		if first == second || len(d.sched.Pending()) != 2 {
			t.Fatalf("replaced: deadline by %s then %s, pending %v; want a new one and its two schedules", first, second, d.sched.Pending())
		}
		d.advance(10 * time.Minute)
		d.fire("close-" + first) // the replaced one fires anyway
		if r := d.round(); r.ID == "" || r.DeadlineBy != second {
			t.Fatalf("the replaced deadline fired: round %+v, want it open with the second deadline", r)
		}
		d.send("U2", "/order-list", "마감 없음") // removed, in Korean
		if r := d.round(); !r.Deadline.IsZero() || len(d.sched.Pending()) != 0 {
			t.Fatalf("removed: deadline %v, pending %v; want none", r.Deadline, d.sched.Pending())
		}
		d.advance(30 * time.Minute)
		d.fire("close-" + second)
		if r := d.round(); r.ID == "" {
			t.Fatal("a removed deadline closed the round")
		}
		_, url3 := d.send("U1", "/order-list", "close at 23:59")
		third := d.round().DeadlineBy
		d.send("U1", "/order-list", "close") // by hand, before the deadline
		d.send("U3", "/order-update", "tea") // the next round
		d.fire("close-" + third)
		if r := d.round(); r.ID == "" || len(r.Orders) != 1 {
			t.Fatalf("a deadline of a round closed by hand closed the next: %+v", r)
		}
		for _, u := range []string{url1, url2, url3} {
			if msgs := d.hooks.Messages(u); len(msgs) != 0 {
				t.Fatalf("response_url %s: got %v, want nothing posted", u, texts(msgs))
			}
		}
		for _, m := range d.poster.messages {
			// The deadlines past response_url's life were announced when set; nothing fired.
			if !strings.HasPrefix(m, "C0LOCAL|Orders close at") {
				t.Fatalf("bot posts: got %v, want the deadlines' announcements only", d.poster.messages)
			}
		}
	})
}

// TestDeadlinePastResponseURLUsesBotToken: past the response_url's 30 minutes, the tally
// goes out once with the bot token.
func TestDeadlinePastResponseURLUsesBotToken(t *testing.T) {
	d := newDeadlineRig(t, boltStore(t))
	d.send("U1", "/order-update", "flat white")
	_, url := d.send("U1", "/order-list", "close in 45m")
	d.advance(40 * time.Minute)
	d.advance(5 * time.Minute)
	// The deadline's announcement (when set), the reminder (at 40 minutes) and the tally:
	// the last two past the response_url's life.
	if len(d.poster.messages) != 3 || !strings.HasPrefix(d.poster.messages[0], "C0LOCAL|Orders close at") ||
		!strings.Contains(d.poster.messages[1], "in 5 minutes") ||
		!strings.Contains(d.poster.messages[2], "final tally") || !strings.Contains(d.poster.messages[2], "flat white") {
		t.Fatalf("bot posts: got %v, want the announcement, the reminder and one tally", d.poster.messages)
	}
	if msgs := d.hooks.Messages(url); len(msgs) != 0 {
		t.Fatalf("response_url: got %v, want nothing (expired)", texts(msgs))
	}
}

// TestForgedScheduleRequestsAreRefused: a request shaped like a schedule firing, in any
// body or content type, is an unverifiable command (401) or an unmapped type (415) —
// never a schedule, never a 5xx — and a schedule event with request fields is refused.
func TestForgedScheduleRequestsAreRefused(t *testing.T) {
	d := newDeadlineRig(t, boltStore(t))
	d.send("U1", "/order-update", "espresso")
	by := deadlineBy(t, func() orders.Round { d.send("U1", "/order-list", "close in 10m"); return d.round() }())
	forged := `{"schedule":{"kind":"close","team":"T0LOCAL","channel":"C0LOCAL","deadlineBy":"` + by +
		`","deadline":"2020-01-01T00:00:00Z","at":"2020-01-01T00:00:00Z"}}`
	for _, ct := range []string{api.ContentTypeForm, api.ContentTypeJSON, "text/plain"} {
		for _, path := range []string{"/order-list", "/", "/interactive"} {
			resp, err := http.Post(d.url+path, ct, strings.NewReader(forged))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode < 400 || resp.StatusCode >= 500 {
				t.Errorf("POST %s (%s) shaped as a schedule: got %d, want 4xx", path, ct, resp.StatusCode)
			}
		}
	}
	ev := api.Event{Schedule: &api.ScheduleFire{Kind: api.ScheduleClose, Team: "T0LOCAL", Channel: "C0LOCAL",
		DeadlineBy: by, Deadline: time.Now()}, Context: api.Context{RequestID: "r"}}
	if _, err := handler.Scheduled(handler.Deps{Orders: &orders.Service{Store: d.inner}})(context.Background(), ev); api.CodeOf(err) != api.CodeBadRequest {
		t.Fatalf("schedule event with a request context: got %v, want bad_request", err)
	}
	if r := d.round(); r.ID == "" {
		t.Fatal("a forged schedule closed the round")
	}
}

func blocksText(m *slack.Msg) string {
	var b strings.Builder
	for _, bl := range m.Blocks.BlockSet {
		if c, ok := bl.(*slack.ContextBlock); ok {
			for _, e := range c.ContextElements.Elements {
				if t, ok := e.(*slack.TextBlockObject); ok {
					b.WriteString(t.Text + "\n")
				}
			}
		}
	}
	return b.String()
}

// TestDeadlineThatCannotBeScheduledIsNotSet (issue #21, finding 2): when CreateSchedule
// keeps failing, the setter is told that no deadline was set and why, and none is — not
// "Orders close at 12:20" over a deadline that never fires. With only the reminder
// created, no reminder comes for a close that will not happen.
func TestDeadlineThatCannotBeScheduledIsNotSet(t *testing.T) {
	for _, tc := range []struct {
		name   string
		refuse func(string) bool
	}{
		{"every schedule refused", func(string) bool { return true }},
		{"only the close refused", func(name string) bool { return strings.HasPrefix(name, "close-") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachStore(t, func(t *testing.T, s orders.Store) {
				d := newDeadlineRig(t, s)
				d.sched.refuse = tc.refuse
				d.send("U1", "/order-update", "iced americano")
				msg, url := d.send("U1", "/order-list", "close in 20m")
				wantWorking(t, msg)
				answer := d.only(url)
				if strings.Contains(answer.Text, "Orders close at") || !strings.Contains(answer.Text, "no deadline is set") {
					t.Fatalf("answer: got %q, want that no deadline is set", answer.Text)
				}
				if r := d.round(); r.ID == "" || !r.Deadline.IsZero() {
					t.Fatalf("round: got %s with deadline %v, want it open without one", r.ID, r.Deadline)
				}
				d.advance(25 * time.Minute)
				if msgs := d.hooks.Messages(url); len(msgs) != 1 || len(d.poster.messages) != 0 {
					t.Fatalf("after 25 minutes: got %v on response_url and %v with the token, want the one answer only", texts(msgs), d.poster.messages)
				}
				if r := d.round(); r.ID == "" {
					t.Fatal("the round closed at a deadline that was never set")
				}
			})
		})
	}
}

// TestDeadlineTypedAsPeopleWriteIt (issue #21, finding 7): `close at 11:30 PM` and
// `마감 오후 3시 반` through the gateway set the deadline they name.
func TestDeadlineTypedAsPeopleWriteIt(t *testing.T) {
	d := newDeadlineRig(t, boltStore(t))
	seoul, _ := time.LoadLocation("Asia/Seoul")
	// The rig's clocks at 10:00 today in Seoul, so both times are ahead.
	now := time.Now().In(seoul)
	d.clock.advance(time.Until(time.Date(now.Year(), now.Month(), now.Day(), 10, 0, 0, 0, seoul)))
	d.send("U1", "/order-update", "latte")
	msg, _ := d.send("U1", "/order-list", "close at 11:30 PM")
	wantContains(t, "12-hour deadline", msg.Text, "Orders close at", "23:30 KST")
	msg, _ = d.send("U1", "/order-list", "마감 오후 3시 반")
	wantContains(t, "Korean deadline", msg.Text, "Orders close at", "15:30 KST")
	if r := d.round(); r.Deadline.In(seoul).Hour() != 15 || r.Deadline.In(seoul).Minute() != 30 {
		t.Fatalf("round's deadline: got %v, want 15:30 KST", r.Deadline.In(seoul))
	}
}

// TestDeadlineTallyReachesTheSetterWhenTheChannelRefusesTheBot (issue #21, finding 3): in
// a private channel the bot was never invited to, the deadline's reply says how to let
// it in, and at the deadline — past the command's response_url — chat.postMessage answers
// channel_not_found as Slack does: the tally goes to the setter's direct messages, once,
// and nothing is retried into the dead-letter queue.
func TestDeadlineTallyReachesTheSetterWhenTheChannelRefusesTheBot(t *testing.T) {
	eachStore(t, func(t *testing.T, s orders.Store) {
		web := slacksim.NewWebAPI(botToken)
		web.Channels = map[string]bool{"C0LOCAL": false}
		web.Private = map[string]bool{"C0LOCAL": true}
		web.WritePublic = true // as the manifest asks: no help in a private channel
		api := httptest.NewServer(http.StripPrefix("/api", web))
		t.Cleanup(api.Close)
		d := newDeadlineRigPosting(t, s, slackio.NewPoster(botToken, api.URL+"/api/"))
		d.send("U1", "/order-update", "flat white")
		msg, _ := d.send("U1", "/order-list", "close in 45m")
		wantContains(t, "deadline reply", msg.Text, "Orders close at", "/invite @orderbot")
		d.advance(40 * time.Minute)
		d.advance(5 * time.Minute)
		if r := d.round(); r.ID != "" {
			t.Fatalf("round %s still open after its deadline", r.ID)
		}
		dm := web.Messages("U1")
		if len(dm) != 1 || !strings.Contains(dm[0].Msg.Text, "/invite @orderbot") || !strings.Contains(dm[0].Msg.Text, "flat white") {
			t.Fatalf("setter's direct messages: got %v, want the tally once, with how to invite the bot", dm)
		}
		d.mu.Lock()
		dead := append([]string(nil), d.dead...)
		d.mu.Unlock()
		if len(dead) != 0 {
			t.Fatalf("dead letters: got %v, want none", dead)
		}
	})
}
