package handler

import (
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// blocksText is every text of msg's blocks, where the context lines (who opened, who
// closed) are.
func blocksText(t *testing.T, msg *slack.Msg) string {
	t.Helper()
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace(mustJSON(t, msg.Blocks))
}

func TestAgainHistoryAndWhoOpenedAndClosed(t *testing.T) {
	f := newFixture(t)
	f.update(t, "U1", "Iced Latte")
	f.update(t, "U2", "mocha")
	if got := blocksText(t, f.list(t, "U3", "")); !strings.Contains(got, "Opened by <@U1>") {
		t.Errorf("open round: got %s, want it to say who opened it", got)
	}
	tally := f.list(t, "U2", "close")
	if got := blocksText(t, tally); !strings.Contains(got, "Opened by <@U1>") || !strings.Contains(got, "Closed by <@U2>") {
		t.Errorf("final tally: got %s, want who opened and who closed it", got)
	}

	wantText(t, f.update(t, "U1", "again"), slack.ResponseTypeEphemeral, "*Iced Latte*", "1 order in this round")
	if got := f.orderOf(t, "U1"); got != "Iced Latte" {
		t.Fatalf("U1's order after again: got %q, want %q (last round's)", got, "Iced Latte")
	}
	wantText(t, f.update(t, "U3", "again"), slack.ResponseTypeEphemeral, "no order in this channel's last closed round")
	if got := f.orderOf(t, "U3"); got != "" {
		t.Fatalf("U3's order after again without one: got %q, want none", got)
	}
	f.list(t, "U1", "close")

	h := f.list(t, "U3", "history")
	wantText(t, h, slack.ResponseTypeEphemeral, "closed by <@U1> · 1 order", "closed by <@U2> · 2 orders", "1× Iced Latte, 1× mocha")
	if first, second := strings.Index(h.Text, "<@U1>"), strings.Index(h.Text, "<@U2>"); first > second {
		t.Errorf("history: got %q, want the newest round first", h.Text)
	}
}

func TestAgainAndHistoryInKorean(t *testing.T) {
	f, _ := koFixture(t)
	f.update(t, "U1", "아이스 라떼")
	f.list(t, "U1", "마감")
	wantText(t, f.update(t, "U1", "다시"), slack.ResponseTypeEphemeral, "*아이스 라떼*")
	if got := f.orderOf(t, "U1"); got != "아이스 라떼" {
		t.Fatalf("U1's order after 다시: got %q, want %q", got, "아이스 라떼")
	}
	wantText(t, f.list(t, "U1", "기록"), slack.ResponseTypeEphemeral, "최근 마감된 취합", "마감: <@U1> · 주문 1건", "1× 아이스 라떼")
}
