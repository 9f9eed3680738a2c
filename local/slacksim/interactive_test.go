package slacksim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/slackio"
)

func loadJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

// keyTree maps the path of every object in v ("" for v itself, "a.b", "a.list[]" for the
// elements of a list, merged) to its sorted keys.
func keyTree(v any) map[string][]string {
	out := map[string][]string{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			keys := map[string]bool{}
			for _, k := range out[path] {
				keys[k] = true
			}
			for k, child := range x {
				keys[k] = true
				walk(join(path, k), child)
			}
			out[path] = sortedKeys(keys)
		case []any:
			for _, child := range x {
				walk(path+"[]", child)
			}
		}
	}
	walk("", v)
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// amend applies documented differences to a key tree: "+k" adds key k at a path (creating
// the path), "-k" removes it and everything below it.
func amend(tree map[string][]string, changes map[string][]string) map[string][]string {
	out := map[string][]string{}
	for p, keys := range tree {
		out[p] = append([]string(nil), keys...)
	}
	for p, ops := range changes {
		keys := map[string]bool{}
		for _, k := range out[p] {
			keys[k] = true
		}
		for _, op := range ops {
			k := op[1:]
			if op[0] == '+' {
				keys[k] = true
				continue
			}
			delete(keys, k)
			for q := range out {
				if q == join(p, k) || strings.HasPrefix(q, join(p, k)+".") || strings.HasPrefix(q, join(p, k)+"[]") {
					delete(out, q)
				}
			}
		}
		out[p] = sortedKeys(keys)
	}
	return out
}

// compareTrees reports every path whose keys differ, except below the ignored paths.
func compareTrees(t *testing.T, what string, got, want map[string][]string, ignore ...string) {
	t.Helper()
	paths := map[string]bool{}
	for p := range got {
		paths[p] = true
	}
	for p := range want {
		paths[p] = true
	}
	for _, p := range sortedKeys(paths) {
		skip := false
		for _, ig := range ignore {
			if p == ig || strings.HasPrefix(p, ig+".") || strings.HasPrefix(p, ig+"[]") {
				skip = true
			}
		}
		if skip {
			continue
		}
		g, w := got[p], want[p]
		sort.Strings(g)
		sort.Strings(w)
		if strings.Join(g, ",") != strings.Join(w, ",") {
			t.Errorf("%s: keys at %q: got %v, want %v", what, orDefault(p, "(top)"), g, w)
		}
	}
}

func decodePayload(t *testing.T, payload []byte) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal(payload, &out); err != nil {
		t.Fatalf("payload: got %q, want JSON: %v", payload, err)
	}
	return out
}

func testClient() (*Client, *fakeClock) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	c := New("http://127.0.0.1:1", []byte("secret"))
	c.Now = clock.now
	return c, clock
}

func postedRound() Posted {
	return Posted{Msg: slack.Msg{Type: "message", Text: "2× iced americano", Timestamp: "1700000000.000100",
		User: DefaultBotUser, BotID: DefaultBotID, Blocks: slack.Blocks{BlockSet: roundMessage()}}, Channel: "C0LOCAL"}
}

func TestBlockActionsHasTheDocumentedShape(t *testing.T) {
	c, _ := testClient()
	payload, err := c.BlockActions(postedRound(), "order_same", "")
	if err != nil {
		t.Fatalf("BlockActions: got error %v, want nil", err)
	}
	doc := loadJSON(t, "testdata/block_actions_message.json")
	want := amend(keyTree(doc), map[string][]string{
		// The documented example is a button in a message attachment; orderbot's are in blocks.
		"container": {"-attachment_id", "-is_app_unfurl"},
		// Listed in the page's properties table (and changelog 2020-09 "full state"): in every block_actions.
		"":             {"+state"},
		"state":        {"+values"},
		"state.values": {},
		// The Home tab example of the same page has it.
		"user": {"+name"},
		// "This will include the full state of the message": its blocks.
		"message": {"+blocks"},
	})
	got := decodePayload(t, payload)
	compareTrees(t, "block_actions", keyTree(got), want, "message.blocks")
	container := got["container"].(map[string]any)
	if container["type"] != "message" || container["is_ephemeral"] != false || container["message_ts"] != "1700000000.000100" {
		t.Errorf("container: got %v, want type message, is_ephemeral false, the message's ts", container)
	}
	action := got["actions"].([]any)[0].(map[string]any)
	if action["block_id"] != "round_actions" || action["value"] != "iced americano" || action["type"] != "button" {
		t.Errorf("action: got %v, want block_id round_actions, value %q, type button", action, "iced americano")
	}
	if !strings.Contains(string(payload), `https:\/\/hooks.slack.com\/actions\/`) {
		t.Errorf("payload: got %s, want response_url with escaped slashes under hooks.slack.com/actions/ as Slack sends", payload)
	}
}

func TestBlockActionsOfAnEphemeralReply(t *testing.T) {
	c, _ := testClient()
	reply := &Reply{Status: 200, Msg: &slack.Msg{Text: "Your order: latte", Blocks: slack.Blocks{BlockSet: roundMessage()}}}
	p, err := PostedReply(reply)
	if err != nil || !p.Ephemeral {
		t.Fatalf("PostedReply: got %+v, %v; want an ephemeral message", p, err)
	}
	payload, err := c.BlockActions(p, "close_round", "")
	if err != nil {
		t.Fatalf("BlockActions: got error %v, want nil", err)
	}
	got := decodePayload(t, payload)
	if _, has := got["message"]; has {
		t.Errorf("payload: got a message, want none (Slack keeps no copy of an ephemeral message)")
	}
	container := got["container"].(map[string]any)
	if container["is_ephemeral"] != true || container["message_ts"] == "" {
		t.Errorf("container: got %v, want is_ephemeral true and a message_ts", container)
	}
	action := got["actions"].([]any)[0].(map[string]any)
	if action["style"] != "danger" {
		t.Errorf("action style: got %v, want danger", action["style"])
	}
}

func TestButtonsAndPicking(t *testing.T) {
	msg := postedRound().Msg
	want := []Button{
		{BlockID: "round_actions", ActionID: "order_same", Value: "iced americano", Text: "+1 same"},
		{BlockID: "round_actions", ActionID: "cancel_mine", Value: "cancel", Text: "Cancel mine"},
		{BlockID: "round_actions", ActionID: "close_round", Value: "close", Text: "Close round", Style: "danger"},
	}
	if got := Buttons(&msg); !reflect.DeepEqual(got, want) {
		t.Errorf("Buttons: got %+v, want %+v", got, want)
	}
	twice := slack.Msg{Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewActionBlock("",
		slack.NewButtonBlockElement("order_same", "latte", plain("+1 latte")),
		slack.NewButtonBlockElement("order_same", "mocha", plain("+1 mocha")))}}}
	c, _ := testClient()
	if _, err := c.BlockActions(Posted{Msg: twice}, "order_same", ""); err == nil || !strings.Contains(err.Error(), "2 buttons") {
		t.Errorf("ambiguous click: got %v, want an error naming the 2 buttons", err)
	}
	payload, err := c.BlockActions(Posted{Msg: twice}, "order_same", "mocha")
	if err != nil {
		t.Fatalf("click by value: got error %v, want nil", err)
	}
	got := decodePayload(t, payload)
	action := got["actions"].([]any)[0].(map[string]any)
	blockID := Buttons(&twice)[1].BlockID
	if action["value"] != "mocha" || blockID == "" || action["block_id"] != blockID {
		t.Errorf("click by value: got %v, want value mocha and the generated block_id %q Buttons reports", action, blockID)
	}
	if _, err := c.BlockActions(Posted{Msg: twice}, "nope", ""); err == nil || !strings.Contains(err.Error(), "+1 latte") {
		t.Errorf("unknown action_id: got %v, want an error listing the buttons", err)
	}
}

func openedOrderModal(t *testing.T) slack.View {
	t.Helper()
	r := newAPIRig(t)
	resp, err := r.slackClient(testToken).OpenView(r.api.Trigger(), orderModal())
	if err != nil {
		t.Fatalf("OpenView: got error %v, want nil", err)
	}
	return resp.View
}

func TestViewSubmissionHasTheDocumentedShape(t *testing.T) {
	c, _ := testClient()
	v := openedOrderModal(t)
	payload, err := c.ViewSubmission(v, Input{BlockID: "item", ActionID: "item", Value: "iced americano"},
		Input{BlockID: "size", ActionID: "size", Value: "L"})
	if err != nil {
		t.Fatalf("ViewSubmission: got error %v, want nil", err)
	}
	doc := loadJSON(t, "testdata/view_submission.json")
	home := keyTree(loadJSON(t, "testdata/block_actions_home_tab.json"))
	want := amend(keyTree(doc), map[string][]string{
		// The properties table lists api_app_id; Bolt's ViewSubmitAction has token and
		// trigger_id, and response_urls at the top level (as slack-go decodes it).
		"":     {"+api_app_id", "+token", "+trigger_id", "+response_urls"},
		"user": {"+name", "+team_id"},
		"view": {"-response_urls"},
	})
	got := decodePayload(t, payload)
	gotTree := keyTree(got)
	compareTrees(t, "view_submission", gotTree, want, "view", "view.state.values")
	// The view as Slack sends it: every key of the Home tab example's view, and a title.
	wantView := amend(home, map[string][]string{"view": {"+title"}})["view"]
	if !reflect.DeepEqual(gotTree["view"], wantView) {
		t.Errorf("view_submission view keys: got %v, want %v", gotTree["view"], wantView)
	}
	docTree := keyTree(doc)
	if g, w := gotTree["view.state.values.item.item"], docTree["view.state.values.multiline.mlvalue"]; !reflect.DeepEqual(g, w) {
		t.Errorf("plain_text_input state: got keys %v, want %v", g, w)
	}
	values := got["view"].(map[string]any)["state"].(map[string]any)["values"].(map[string]any)
	size := values["size"].(map[string]any)["size"].(map[string]any)
	if size["type"] != "static_select" || size["selected_option"].(map[string]any)["value"] != "L" {
		t.Errorf("static_select state: got %v, want type static_select and selected_option L", size)
	}
	if urls, ok := got["response_urls"].([]any); !ok || len(urls) != 0 {
		t.Errorf("response_urls: got %v, want []", got["response_urls"])
	}
}

func TestViewSubmissionIsRefusedWhereSlackWouldNotSubmit(t *testing.T) {
	c, _ := testClient()
	v := openedOrderModal(t)
	for _, tc := range []struct {
		name   string
		inputs []Input
		want   string
	}{
		{"required field empty", nil, "required"},
		{"option not offered", []Input{{"item", "item", "latte"}, {"size", "size", "XL"}}, "no option"},
		{"unknown field", []Input{{"item", "item", "latte"}, {"notes", "notes", "hot"}}, "no input block"},
		{"same field twice", []Input{{"item", "item", "latte"}, {"item", "item", "mocha"}}, "two inputs"},
	} {
		if _, err := c.ViewSubmission(v, tc.inputs...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
	payload, err := c.ViewSubmission(v, Input{"item", "item", "latte"})
	if err != nil {
		t.Fatalf("optional menu left alone: got error %v, want nil", err)
	}
	size := decodePayload(t, payload)["view"].(map[string]any)["state"].(map[string]any)["values"].(map[string]any)["size"].(map[string]any)["size"].(map[string]any)
	if v, has := size["selected_option"]; !has || v != nil {
		t.Errorf("unselected menu: got %v, want selected_option null", size)
	}
}

// TestPayloadsDecodeWithSlackGo decodes both payloads the way a handler built on slack-go
// would (slack.InteractionCallback).
func TestPayloadsDecodeWithSlackGo(t *testing.T) {
	c, _ := testClient()
	payload, _ := c.BlockActions(postedRound(), "cancel_mine", "")
	var click slack.InteractionCallback
	if err := json.Unmarshal(payload, &click); err != nil {
		t.Fatalf("block_actions: got error %v, want slack-go to decode it", err)
	}
	acts := click.ActionCallback.BlockActions
	if click.Type != slack.InteractionTypeBlockActions || len(acts) != 1 || acts[0].ActionID != "cancel_mine" ||
		click.User.ID != c.User || click.Channel.ID != "C0LOCAL" || click.Message.Timestamp != "1700000000.000100" ||
		click.Container.MessageTs != "1700000000.000100" || !strings.HasPrefix(click.ResponseURL, "https://hooks.slack.com/actions/") {
		t.Errorf("block_actions decoded: got %+v, want the click on cancel_mine by %s in C0LOCAL", click, c.User)
	}
	payload, _ = c.ViewSubmission(openedOrderModal(t), Input{"item", "item", "flat white"})
	var submit slack.InteractionCallback
	if err := json.Unmarshal(payload, &submit); err != nil {
		t.Fatalf("view_submission: got error %v, want slack-go to decode it", err)
	}
	if submit.Type != slack.InteractionTypeViewSubmission || submit.View.CallbackID != "order" ||
		submit.View.State.Values["item"]["item"].Value != "flat white" || submit.View.PrivateMetadata != "C0LOCAL" {
		t.Errorf("view_submission decoded: got %+v, want callback order with item %q", submit.View, "flat white")
	}
}

type capture struct {
	mu     sync.Mutex
	body   []byte
	header http.Header
	path   string
	answer string
}

func (c *capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.body, c.header, c.path = b, r.Header.Clone(), r.URL.Path
	answer := c.answer
	c.mu.Unlock()
	io.WriteString(w, answer)
}

func TestClickAndSubmitAreSignedFormPosts(t *testing.T) {
	cap := &capture{}
	srv := httptest.NewServer(cap)
	defer srv.Close()
	c, clock := testClient()
	c.BaseURL = srv.URL
	verifier := slackio.Verifier{Secret: c.Secret, Now: clock.now}
	check := func(what string) url.Values {
		t.Helper()
		cap.mu.Lock()
		defer cap.mu.Unlock()
		if err := verifier.Verify(cap.header.Get("X-Slack-Request-Timestamp"), cap.header.Get("X-Slack-Signature"), cap.body); err != nil {
			t.Errorf("%s: signature check: got %v, want nil", what, err)
		}
		if cap.path != "/interactive" {
			t.Errorf("%s: path: got %q, want the route table's /interactive", what, cap.path)
		}
		if ct := cap.header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("%s: Content-Type: got %q, want the form type", what, ct)
		}
		form, err := url.ParseQuery(string(cap.body))
		if err != nil || len(form) != 1 || !json.Valid([]byte(form.Get("payload"))) {
			t.Errorf("%s: body: got %q, want one field, payload, holding JSON", what, cap.body)
		}
		return form
	}
	reply, err := c.Click(context.Background(), "", postedRound(), "order_same", "")
	if err != nil || !reply.OK() {
		t.Fatalf("Click: got %v, %v; want a 200", reply, err)
	}
	if form := check("Click"); !strings.Contains(form.Get("payload"), `"type":"block_actions"`) {
		t.Errorf("Click: got payload %s, want a block_actions", form.Get("payload"))
	}
	cap.answer = `{"response_action":"errors","errors":{"item":"We are out of that"}}`
	v := openedOrderModal(t)
	reply, err = c.Submit(context.Background(), "/interactive", v, Input{"item", "item", "latte"})
	if err != nil || !reply.OK() {
		t.Fatalf("Submit: got %v, %v; want a 200", reply, err)
	}
	check("Submit")
	if resp, err := ViewResponse(reply, v); err != nil || resp.ResponseAction != slack.RAErrors {
		t.Errorf("ViewResponse: got %+v, %v; want the errors action accepted", resp, err)
	}
	reply.Body = []byte(`{"response_action":"errors","errors":{"not_an_input":"x"}}`)
	if _, err := ViewResponse(reply, v); err == nil {
		t.Errorf("ViewResponse with an errors key that is no input block: got nil, want an error")
	}
}

// TestTriggersOfCommandsAndClicksOpenModals follows a trigger_id from the payload Slack
// sends to the views.open the app makes with it.
func TestTriggersOfCommandsAndClicksOpenModals(t *testing.T) {
	r := newAPIRig(t)
	c, _ := testClient()
	c.Triggers = r.api
	api := r.slackClient(testToken)
	if _, err := api.OpenView(c.CommandForm("/order-update", "").Get("trigger_id"), orderModal()); err != nil {
		t.Errorf("views.open with a command's trigger_id: got %v, want nil", err)
	}
	payload, _ := c.BlockActions(postedRound(), "order_same", "")
	trigger := decodePayload(t, payload)["trigger_id"].(string)
	r.clock.advance(3100 * time.Millisecond)
	if _, err := api.OpenView(trigger, orderModal()); err == nil || err.Error() != "expired_trigger_id" {
		t.Errorf("views.open 3.1 s after the click: got %v, want expired_trigger_id", err)
	}
}

// TestClickResponseURLTakesAnswers: a click's response_url is served like a command's.
func TestClickResponseURLTakesAnswers(t *testing.T) {
	hooks := &ResponseURLs{}
	srv := httptest.NewServer(hooks)
	defer srv.Close()
	c, _ := testClient()
	c.Responses, c.ResponseBase = hooks, srv.URL
	payload, _ := c.BlockActions(postedRound(), "order_same", "")
	var p struct {
		ResponseURL string `json:"response_url"`
	}
	json.Unmarshal(payload, &p)
	if !strings.HasPrefix(p.ResponseURL, srv.URL+"/actions/") {
		t.Fatalf("response_url: got %q, want one under %s/actions/", p.ResponseURL, srv.URL)
	}
	resp, err := http.Post(p.ResponseURL, "application/json", strings.NewReader(`{"replace_original":true,"text":"3× iced americano"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if msgs := hooks.Messages(p.ResponseURL); resp.StatusCode != 200 || len(msgs) != 1 || !msgs[0].ReplaceOriginal {
		t.Errorf("answer on the click's response_url: got HTTP %d and %+v, want 200 and the replace_original answer", resp.StatusCode, msgs)
	}
}

// TestPayloadsPassOrderbotsParser: what the simulator sends, orderbot's own adapter
// (slackio.ParseInteraction, which checks what Slack promises) accepts.
func TestPayloadsPassOrderbotsParser(t *testing.T) {
	c, _ := testClient()
	ephemeral := postedRound()
	ephemeral.Ephemeral = true
	for _, p := range []Posted{postedRound(), ephemeral} {
		payload, err := c.BlockActions(p, "order_same", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := slackio.ParseInteraction(InteractionBody(payload)); err != nil {
			t.Errorf("ParseInteraction(block_actions, ephemeral=%v): got %v, want nil", p.Ephemeral, err)
		}
	}
	payload, err := c.ViewSubmission(openedOrderModal(t), Input{"item", "item", "latte"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := slackio.ParseInteraction(InteractionBody(payload)); err != nil {
		t.Errorf("ParseInteraction(view_submission): got %v, want nil", err)
	}
}
