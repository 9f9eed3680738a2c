package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/say"
	"github.com/orderbot/orderbot/lambdas/slackio"
)

// koFixture is a fixture whose handlers speak Korean (ORDERBOT_LOCALE=ko), recording
// what they post to response_urls.
func koFixture(t *testing.T) (*fixture, *[]*slack.Msg) {
	t.Helper()
	f := newFixture(t)
	m, err := say.NewMessages("ko")
	if err != nil {
		t.Fatalf("NewMessages(ko): got error %v, want nil", err)
	}
	f.deps.Messages = m
	var posts []*slack.Msg
	f.deps.Respond = func(_ context.Context, _ string, msg *slack.Msg) error {
		posts = append(posts, msg)
		return nil
	}
	return f, &posts
}

// TestKoreanRound runs a whole round in Korean: orders, the listing, share, a cancel in
// Korean and one in English, help, an unknown argument, close and after.
func TestKoreanRound(t *testing.T) {
	f, _ := koFixture(t)
	eph, ch := slack.ResponseTypeEphemeral, slack.ResponseTypeInChannel
	wantText(t, f.update(t, "U1", "아이스 아메리카노"), eph, "내 주문: *아이스 아메리카노* — 이번 취합의 주문은 1건이에요.")
	wantText(t, f.update(t, "U2", "라떼"), eph, "주문은 2건이에요.")
	wantText(t, f.update(t, "U3", "  아이스   아메리카노 "), eph, "주문은 3건이에요.")
	wantText(t, f.update(t, "U4", "M&M <b>"), eph, "*M&amp;M &lt;b&gt;*", "4건")

	listed := f.list(t, "U1", "")
	wantText(t, listed, eph, "주문 취합 — 주문 4건, 메뉴 3개", "2× 아이스 아메리카노 — <@U1>, <@U3>", "1× 라떼 — <@U2>")
	if got := blockTexts(listed); !strings.Contains(got, "`/order-list 공유` 채널에 게시 · `/order-list 마감` 취합 마감") ||
		!strings.Contains(got, "+1 같은 걸로") || !strings.Contains(got, "내 주문 취소") || !strings.Contains(got, "이 취합을 마감할까요?") {
		t.Errorf("listing's blocks: got %s, want the Korean hint, buttons and confirmation", got)
	}
	wantText(t, f.list(t, "U1", "공유"), ch, "주문 취합 — 주문 4건")
	wantText(t, f.list(t, "U1", "SHARE"), ch, "주문 취합 — 주문 4건")

	wantText(t, f.update(t, "U2", "취소"), eph, "주문을 취소했어요. 이번 취합에 주문 3건이 남았어요.")
	wantText(t, f.update(t, "U2", "CANCEL"), eph, "이 채널의 취합에 내 주문이 없어서 취소할 게 없어요.")
	wantText(t, f.update(t, "U4", "cancel"), eph, "2건이 남았어요")

	wantText(t, f.update(t, "U1", "도움말"), eph, "`/order-update <메뉴>`", "`/order-update 취소` 내 주문을 취소해요")
	wantText(t, f.list(t, "U1", "도움말"), eph, "`/order-list 마감` 취합을 마감하고 최종 집계를 게시해요")
	wantText(t, f.list(t, "U1", "아무거나 <x>"), eph, "알 수 없는 명령어예요: `아무거나 &lt;x&gt;`\n", "`/order-list 공유`")
	wantText(t, f.update(t, "U9", strings.Repeat("가", orders.MaxItemRunes+1)), eph, "주문이 너무 길어요. 200자 이내로 적어 주세요.")

	wantText(t, f.list(t, "U1", "마감"), ch, "취합 마감 — 최종 집계: 주문 2건, 메뉴 1개", "2× 아이스 아메리카노 — <@U1>, <@U3>")
	if r := f.openRound(t); r.ID != "" {
		t.Fatalf("open round after 마감: got %+v, want none", r)
	}
	wantText(t, f.list(t, "U1", "close"), eph, "이 채널에 진행 중인 취합이 없어요.")
	wantText(t, f.list(t, "U1", ""), eph, "이번 취합에 아직 주문이 없어요.")
	wantText(t, f.list(t, "U1", "공유"), eph, "이 채널에 진행 중인 취합이 없어요.")
}

// TestKeywordsInEitherLanguage: whatever the setting, both languages' keywords work, and
// only alone: `again please` is an item.
func TestKeywordsInEitherLanguage(t *testing.T) {
	for _, locale := range []string{"en", "ko"} {
		t.Run(locale, func(t *testing.T) {
			f := newFixture(t)
			m, err := say.NewMessages(locale)
			if err != nil {
				t.Fatal(err)
			}
			f.deps.Messages = m
			eph := slack.ResponseTypeEphemeral
			for _, cancel := range []string{"cancel", "취소", "Cancel"} {
				f.update(t, "U1", "latte")
				wantText(t, f.update(t, "U1", cancel), eph, m.OrderCancelled(orders.Round{}).Text[:12])
				if got := f.openRound(t); len(got.Orders) != 0 {
					t.Fatalf("%q: got orders %+v, want none", cancel, got.Orders)
				}
			}
			for _, help := range []string{"help", "도움말", "HELP"} {
				wantText(t, f.update(t, "U1", help), eph, m.Usage(api.FunctionOrderUpdate, "").Text)
				wantText(t, f.list(t, "U1", help), eph, m.Usage(api.FunctionOrderList, "").Text)
			}
			wantText(t, f.update(t, "U1", "취소 수수료"), eph, "*취소 수수료*")
			for _, history := range []string{"history", "기록", "HISTORY"} {
				wantText(t, f.list(t, "U1", history), eph, m.History(nil, nil, now).Text)
			}
			for _, again := range []string{"again", "다시"} {
				wantText(t, f.update(t, "U2", again), eph, m.AgainNone().Text)
			}
			wantText(t, f.update(t, "U3", "again please"), eph, "*again please*")
			for _, share := range []string{"share", "공유"} {
				if got := f.list(t, "U1", share); got.ResponseType != slack.ResponseTypeInChannel {
					t.Errorf("%q: got %s %q, want the round in the channel", share, got.ResponseType, got.Text)
				}
			}
			closed := f.list(t, "U1", map[string]string{"en": "마감", "ko": "close"}[locale])
			if closed.ResponseType != slack.ResponseTypeInChannel || f.openRound(t).ID != "" {
				t.Errorf("close in the other language: got %s %q and round %+v, want the final tally", closed.ResponseType, closed.Text, f.openRound(t))
			}
		})
	}
}

// TestKoreanClicksAndModal: a click's answers, the round message it updates and the
// modal's field errors, in Korean.
func TestKoreanClicksAndModal(t *testing.T) {
	f, posts := koFixture(t)
	f.update(t, "U1", "라떼")
	shared := f.list(t, "U1", "공유")
	join := koButton(t, shared, say.ActionJoin)
	koClick(t, f, "U2", join)
	if len(*posts) != 2 || !strings.Contains((*posts)[0].Text, "주문 취합 — 주문 2건, 메뉴 1개") || !strings.Contains((*posts)[1].Text, "내 주문: *라떼*") {
		t.Fatalf("join: got posts %s, want the round updated and the Korean confirmation", postTexts(*posts))
	}
	*posts = nil
	koClick(t, f, "U1", koButton(t, shared, say.ActionClose))
	if len(*posts) != 2 || !strings.Contains((*posts)[0].Text, "취합 마감 — 최종 집계: 주문 2건") || !strings.Contains((*posts)[1].Text, "취합을 마감했어요 (주문 2건)") {
		t.Fatalf("close: got posts %s, want the final tally and the Korean confirmation", postTexts(*posts))
	}
	*posts = nil
	koClick(t, f, "U3", koButton(t, shared, say.ActionClose))
	if len(*posts) != 1 || !strings.Contains((*posts)[0].Text, "이미 마감된 취합이라 바뀐 것은 없어요") {
		t.Fatalf("stale click: got posts %s, want the Korean answer", postTexts(*posts))
	}

	f.poster.modals = true
	if msg := f.update(t, "U2", ""); msg != nil {
		t.Fatalf("/order-update alone: got %q, want the modal", msg.Text)
	}
	v := f.poster.views[len(f.poster.views)-1]
	if err := slackio.ValidateView(v); err != nil || v.Title.Text != "내 주문" || v.Submit.Text != "주문하기" || v.Close.Text != "취소" {
		t.Fatalf("modal: got %v, title %q, submit %q, close %q, want a valid Korean modal", err, v.Title.Text, v.Submit.Text, v.Close.Text)
	}
	reply, err := Interactive(f.deps)(context.Background(), signed(koSubmit("U2", v, " "), now))
	if err != nil || reply == nil || reply.Errors[say.BlockText] != "최근 메뉴를 고르거나 직접 입력해 주세요." {
		t.Fatalf("empty submission: got %+v, %v, want the Korean field error", reply, err)
	}
}

// TestKoreanRepliesWithinBlockKitLimits: the largest round and the longest arguments,
// in Korean.
func TestKoreanRepliesWithinBlockKitLimits(t *testing.T) {
	f, _ := koFixture(t)
	valid := func(what string, msg *slack.Msg, phrase string) {
		t.Helper()
		if err := slackio.Validate(msg); err != nil {
			t.Fatalf("%s: Validate: got error %v, want nil", what, err)
		}
		if !strings.Contains(msg.Text, phrase) {
			t.Fatalf("%s: reply text: got %.200q…, want it to contain %q", what, msg.Text, phrase)
		}
	}
	arg := strings.Repeat("&<>가😀x", 500)
	valid("unknown argument", f.list(t, "U0", arg), "알 수 없는 명령어예요: `&amp;&lt;&gt;가😀x")
	valid("item too long", f.update(t, "U0", arg), "너무 길어요")
	users := make([]string, orders.MaxOrders)
	for i := range users {
		users[i] = fmt.Sprintf("U%010d", i)
		valid(fmt.Sprintf("order %d", i), f.update(t, users[i], maximalItem(i)), fmt.Sprintf("주문은 %d건이에요", i+1))
	}
	valid("round full", f.update(t, "UFULL", "라떼"), fmt.Sprintf("이미 주문이 %d건 있어요", orders.MaxOrders))
	valid("list", f.list(t, users[0], ""), fmt.Sprintf("주문 취합 — 주문 %d건, 메뉴 %d개", orders.MaxOrders, orders.MaxOrders))
	closed := f.list(t, users[0], "마감")
	valid("close", closed, "취합 마감 — 최종 집계")
	if more := blockTexts(closed); !strings.Contains(more, "…외 메뉴 ") {
		t.Errorf("final tally of 250 long items: got no \"…외 메뉴 N개\" in %.300q…, want one", more)
	}
	for _, u := range users {
		if !strings.Contains(closed.Text, "<@"+u+">") {
			t.Fatalf("final tally's text: got no mention of %s, want everyone named", u)
		}
	}
}

// TestHandlersWordThroughMessages: the handlers' code never words a message in a language
// of its own choosing — no say.Messages{} (the zero value is English) and no
// say.NewMessages: every message goes through Deps.Messages, the configured language.
func TestHandlersWordThroughMessages(t *testing.T) {
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			var sel *ast.SelectorExpr
			switch n := n.(type) {
			case *ast.CompositeLit:
				sel, _ = n.Type.(*ast.SelectorExpr)
			case *ast.CallExpr:
				sel, _ = n.Fun.(*ast.SelectorExpr)
			}
			if sel == nil {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "say" && (sel.Sel.Name == "Messages" || sel.Sel.Name == "NewMessages") {
				t.Errorf("%s: got say.%s, want d.Messages (the configured language)", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
	if checked < 5 {
		t.Fatalf("checked %d handler files, want every one (5 or more)", checked)
	}
}

func blockTexts(msg *slack.Msg) string {
	b, _ := json.Marshal(msg.Blocks)
	var s string
	for _, part := range strings.Split(string(b), `"text":"`)[1:] {
		if i := strings.Index(part, `"`); i >= 0 {
			u, _ := strconv.Unquote(`"` + part[:i] + `"`)
			s += u + "\n"
		}
	}
	return s
}

func postTexts(posts []*slack.Msg) string {
	var out []string
	for _, p := range posts {
		out = append(out, strconv.Quote(p.Text))
	}
	return "[" + strings.Join(out, ", ") + "]"
}

type koBtn struct{ actionID, value string }

func koButton(t *testing.T, msg *slack.Msg, kind string) koBtn {
	t.Helper()
	for _, b := range msg.Blocks.BlockSet {
		var btns []*slack.ButtonBlockElement
		switch b := b.(type) {
		case *slack.SectionBlock:
			if b.Accessory != nil && b.Accessory.ButtonElement != nil {
				btns = append(btns, b.Accessory.ButtonElement)
			}
		case *slack.ActionBlock:
			for _, e := range b.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok {
					btns = append(btns, btn)
				}
			}
		}
		for _, btn := range btns {
			if strings.HasPrefix(btn.ActionID, kind) {
				return koBtn{btn.ActionID, btn.Value}
			}
		}
	}
	t.Fatalf("button %s: got none, want one", kind)
	return koBtn{}
}

// koClick posts user's click on b, on the channel's (not ephemeral) round message.
func koClick(t *testing.T, f *fixture, user string, b koBtn) {
	t.Helper()
	n := strconv.FormatInt(received.Add(1), 10)
	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "api_app_id": "A1", "token": "legacy", "trigger_id": "1.2." + n,
		"team":         map[string]any{"id": "T1", "domain": "acme"},
		"user":         map[string]any{"id": user, "username": strings.ToLower(user), "name": strings.ToLower(user), "team_id": "T1"},
		"container":    map[string]any{"type": "message", "message_ts": "1700000000.000100", "channel_id": "C1", "is_ephemeral": false},
		"channel":      map[string]any{"id": "C1", "name": "coffee"},
		"message":      map[string]any{"type": "message", "ts": "1700000000.000100", "text": "round", "blocks": []any{}},
		"response_url": "https://hooks.slack.com/actions/T1/" + n + "/x",
		"actions": []any{map[string]any{
			"type": "button", "block_id": "b", "action_id": b.actionID, "value": b.value,
			"text": map[string]any{"type": "plain_text", "text": "label"}, "action_ts": "1700000001." + n,
		}},
	})
	body := url.Values{"payload": {string(payload)}}.Encode()
	if reply, err := Interactive(f.deps)(context.Background(), signed(body, now)); err != nil || reply != nil {
		t.Fatalf("click %s by %s: got %v, %v, want an empty acknowledgement", b.actionID, user, reply, err)
	}
}

// koSubmit is the order modal's view_submission with typed text.
func koSubmit(user string, v slack.ModalViewRequest, typed string) string {
	payload, _ := json.Marshal(map[string]any{
		"type": "view_submission", "api_app_id": "A1", "token": "legacy", "trigger_id": "1.2." + strconv.FormatInt(received.Add(1), 10),
		"team": map[string]any{"id": "T1", "domain": "acme"},
		"user": map[string]any{"id": user, "username": strings.ToLower(user), "name": strings.ToLower(user), "team_id": "T1"},
		"view": map[string]any{
			"id": "V1", "type": "modal", "callback_id": v.CallbackID, "private_metadata": v.PrivateMetadata, "hash": "h",
			"state": map[string]any{"values": map[string]any{
				say.BlockText: map[string]any{"text": map[string]any{"type": "plain_text_input", "value": typed}},
			}},
		},
		"response_urls": []any{},
	})
	return url.Values{"payload": {string(payload)}}.Encode()
}
