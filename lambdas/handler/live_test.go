package handler

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
)

// updatingPoster is the fixture's poster with chat.update, recording each update's text.
type updatingPoster struct {
	*fakePoster
	mu      sync.Mutex
	updates []string
}

func (p *updatingPoster) UpdateMessage(_ context.Context, channel, ts string, msg *slack.Msg) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.updates = append(p.updates, channel+"|"+ts+"|"+msg.Text)
	return nil
}

func (p *updatingPoster) taken() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.updates
	p.updates = nil
	return out
}

// liveFixture is an interactive fixture whose channel C1 has a recurring round open with
// its live message at ts, and whose deferred work runs asynchronously.
func liveFixture(t *testing.T, ts string) (*fixture, *updatingPoster) {
	t.Helper()
	f, _ := interactiveFixture(t)
	up := &updatingPoster{fakePoster: f.poster}
	f.deps.Poster = up
	var hs map[string]func(context.Context, api.Event) (*slack.Msg, error)
	f.deps.Deferrer = asyncInvoker(t, func() map[string]func(context.Context, api.Event) (*slack.Msg, error) { return hs })
	inter := Interactive(f.deps)
	hs = map[string]func(context.Context, api.Event) (*slack.Msg, error){"order-update": OrderUpdate(f.deps), "order-list": OrderList(f.deps),
		"interactive": func(ctx context.Context, ev api.Event) (*slack.Msg, error) { _, err := inter(ctx, ev); return nil, err }}
	ctx, ch := context.Background(), orders.Channel{Team: "T1", Channel: "C1"}
	rec := orders.Recurring{ID: "rec1", Rec: orders.Recurrence{Days: 127, Open: 600, Length: time.Hour}, Zone: "UTC", SetBy: "U1", SetAt: now}
	if _, err := f.store.AddRecurring(ctx, ch, rec); err != nil {
		t.Fatal(err)
	}
	res, err := f.store.StartRound(ctx, ch, now.Add(time.Hour), orders.Request{ID: occurrencePrefix + "1", At: now, Signed: now, User: "U1"}, orders.NewRoundID(now))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.MarkLive(ctx, ch, "rec1", res.Round.ID, ts); err != nil {
		t.Fatal(err)
	}
	return f, up
}

// waitUpdates waits up to 3 windows for n updates.
func waitUpdates(t *testing.T, up *updatingPoster, n int) []string {
	t.Helper()
	var got []string
	for end := time.Now().Add(3 * liveWindow); len(got) < n && time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		got = append(got, up.taken()...)
	}
	return got
}

// TestLiveMessageFollowsModalOrdersAndClicks: orders from the order modal and clicks on
// another copy of the round update the live message (the second within a window by the
// trailing update, with both orders); a click on the live message itself does not — its
// response_url replaces it.
func TestLiveMessageFollowsModalOrdersAndClicks(t *testing.T) {
	if !Functions[api.FunctionInteractive].WebAPI {
		t.Fatalf("interactive function: got no bot token (WebAPI false), want one: it updates live messages")
	}
	f, up := liveFixture(t, "1700000000.000999")
	f.poster.modals = true
	f.update(t, "U2", "")
	v := f.poster.views[0]
	for _, u := range []string{"U2", "U3"} {
		if reply, err := Interactive(f.deps)(context.Background(), signed(submitBody(u, v, "mocha "+u), now)); reply != nil || err != nil {
			t.Fatalf("submission by %s: got %+v, %v, want an empty acknowledgement", u, reply, err)
		}
	}
	got := waitUpdates(t, up, 2)
	if len(got) != 2 || !strings.Contains(got[0], "C1|1700000000.000999|") || !strings.Contains(got[1], "mocha U2") || !strings.Contains(got[1], "mocha U3") {
		t.Fatalf("two modal orders in one window: got updates %q, want 2 of the live message, the last with both", got)
	}
	msg := f.roundMsg(t)
	f.click(t, "U4", button(t, msg, "round.join", ""), false) // on another copy: 1700000000.000100
	if got := waitUpdates(t, up, 1); len(got) != 1 || !strings.Contains(got[0], "U4") {
		t.Fatalf("click on another copy: got updates %q, want the live message updated with U4", got)
	}

	f2, up2 := liveFixture(t, "1700000000.000100") // the clicked message is the live one
	f2.update(t, "U2", "flat white")
	if got := waitUpdates(t, up2, 1); len(got) != 1 {
		t.Fatalf("typed order: got updates %q, want 1", got)
	}
	f2.click(t, "U4", button(t, f2.roundMsg(t), "round.join", ""), false)
	if got := waitUpdates(t, up2, 1); len(got) != 0 {
		t.Errorf("click on the live message: got chat.updates %q, want none (its response_url replaces it)", got)
	}
}

// roundMsg is the round's message with its buttons, as /order-list shows it.
func (f *fixture) roundMsg(t *testing.T) *slack.Msg {
	t.Helper()
	return f.list(t, "U1", "")
}
