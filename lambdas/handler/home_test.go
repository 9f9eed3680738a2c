package handler

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// homePoster is fakePoster with views.publish.
type homePoster struct {
	*fakePoster
	mu     sync.Mutex
	users  []string
	hashes []string
	views  []slack.HomeTabViewRequest
}

func (p *homePoster) PublishHome(_ context.Context, user string, v slack.HomeTabViewRequest, hash string) error {
	if err := slackio.ValidateHome(v); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users, p.hashes, p.views = append(p.users, user), append(p.hashes, hash), append(p.views, v)
	return nil
}

// viewText is a Home's section, header and context texts, one per line.
func viewText(v slack.HomeTabViewRequest) string {
	var lines []string
	for _, b := range v.Blocks.BlockSet {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			lines = append(lines, b.Text.Text)
		case *slack.SectionBlock:
			lines = append(lines, b.Text.Text)
		case *slack.ContextBlock:
			for _, e := range b.ContextElements.Elements {
				if t, ok := e.(*slack.TextBlockObject); ok {
					lines = append(lines, t.Text)
				}
			}
		}
	}
	return strings.Join(lines, "\n")
}

func homeOpened(id, user, tab string) string {
	return `{"type":"event_callback","team_id":"T1","api_app_id":"A1","event_id":"` + id + `","event_time":1,
		"event":{"type":"app_home_opened","user":"` + user + `","channel":"D1","tab":"` + tab + `","event_ts":"1.2",
		"view":{"id":"V1","type":"home","hash":"1700000000.abc"}}}`
}

// The Home of a user with orders in two channels, in both languages: the open round with
// their order and its tally line, the closed one among their last orders, the open round
// they withdrew from without the withdrawn order; the Messages tab gets nothing; the view's hash goes with the publish.
func TestAppHomeOpened(t *testing.T) {
	for _, tc := range []struct {
		locale string
		want   []string
	}{
		{"en", []string{"Your orders", "<#C1> · Order round — 2 orders, 2 items\nYour order: *iced americano*", "• <#C2>: *라떼* — ", "Your last 10 orders"}},
		{"ko", []string{"내 주문", "<#C1> · 주문 취합 — 주문 2건, 메뉴 2개\n내 주문: *iced americano*", "• <#C2>: *라떼* — ", "최근 주문 (최대 10건)"}},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			f := newFixture(t)
			m, err := say.NewMessages(tc.locale)
			if err != nil {
				t.Fatal(err)
			}
			p := &homePoster{fakePoster: f.poster}
			f.deps.Poster, f.deps.Messages = p, m
			f.update(t, "U1", "iced americano")
			f.update(t, "U2", "green tea")
			ctx, c2, c3 := context.Background(), orders.Channel{Team: "T1", Channel: "C2"}, orders.Channel{Team: "T1", Channel: "C3"}
			_, err1 := f.deps.Orders.Set(ctx, c2, "U1", "kim", "라떼", orders.Request{ID: "r2", At: now.Add(-time.Hour)})
			_, err2 := f.deps.Orders.Close(ctx, c2, orders.Request{ID: "r3", At: now.Add(-time.Hour + time.Minute)})
			_, err3 := f.deps.Orders.Set(ctx, c3, "U1", "kim", "withdrawn", orders.Request{ID: "r4", At: now.Add(-time.Minute)})
			_, err4 := f.deps.Orders.Cancel(ctx, c3, "U1", orders.Request{ID: "r5", At: now.Add(-time.Second)})
			if err := errors.Join(err1, err2, err3, err4); err != nil {
				t.Fatal(err)
			}
			h := Events(f.deps)
			for _, body := range []string{homeOpened("EvH1", "U1", "messages"), homeOpened("EvH2", "U1", "home"), homeOpened("EvH2", "U1", "home")} {
				if _, err := h(ctx, signed(body, now)); err != nil {
					t.Fatalf("app_home_opened: got error %v, want nil", err)
				}
			}
			if len(p.views) != 1 || p.users[0] != "U1" || p.hashes[0] != "1700000000.abc" {
				t.Fatalf("views.publish calls: got users %v hashes %v, want one for U1 with hash 1700000000.abc", p.users, p.hashes)
			}
			got := viewText(p.views[0])
			t.Logf("Home (%s):\n%s", tc.locale, got)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("Home: got\n%s\nwant it to contain %q", got, w)
				}
			}
			if strings.Contains(got, "withdrawn") || !strings.Contains(got, "<#C3>") {
				t.Errorf("Home: got\n%s\nwant C3's open round without the order withdrawn from it", got)
			}
		})
	}
}
