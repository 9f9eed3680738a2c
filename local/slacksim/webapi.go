package slacksim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/orderbot/orderbot/lambdas/slackio"
)

// The simulated app's identity: the bot that WebAPI posts as and that interaction payloads
// name as the author of the messages the bot posted.
const (
	DefaultBotID   = "B0LOCAL"
	DefaultBotUser = "U0LOCALBOT"
	DefaultAppID   = "A0LOCAL"
)

// TriggerValidity is how long Slack lets an app exchange a trigger_id: "Triggers expire in
// three seconds … Triggers may only be used once" (api.slack.com/docs/triggers).
const TriggerValidity = 3 * time.Second

// Slack's documented placeholder text of a message posted with blocks and no text, as an
// interaction payload carries it (docs.slack.dev, block_actions payload example).
const noTextPlaceholder = "This content can't be displayed."

// WebAPI plays the parts of Slack's Web API that orderbot calls — views.open,
// chat.postMessage, chat.postEphemeral and chat.update — the way slack-go calls them
// (chat.* form-encoded with the token as a form field, views.open as JSON with
// "Authorization: Bearer"; both encodings are accepted on every method, as Slack does) and
// answers as Slack does: HTTP 200 with {"ok":true,…} or {"ok":false,"error":…}. It is
// strict: a token it was not given is invalid_auth, a trigger_id it did not issue, issued
// more than TriggerValidity ago or already used is refused, and messages and views past
// Block Kit's limits are refused. Mount it so that its methods are at <base>/api/<method>
// and point a client at it with slack.OptionAPIURL(base + "/api/").
type WebAPI struct {
	Tokens []string // bot tokens that authenticate; anything else is invalid_auth

	Team, BotID, BotUser, AppID string // defaults T0LOCAL, DefaultBotID, DefaultBotUser, DefaultAppID

	// Channels, when set, are the channels that exist, each mapped to whether the bot is a
	// member. Nil: every channel exists and the bot is in all of them. Into a channel the
	// bot is not in, chat.* answers as Slack does: channel_not_found for a Private one (Slack
	// does not reveal it), chat.postMessage succeeds in a public one when the app has
	// chat:write.public (WritePublic), and everything else is not_in_channel. A user id as
	// the channel of chat.postMessage posts in the app's direct messages with that user.
	Channels map[string]bool
	// Private names the private channels among Channels.
	Private map[string]bool
	// WritePublic: the app has the chat:write.public scope.
	WritePublic bool
	// PublicUnlisted makes a channel missing from Channels a public channel the bot is in,
	// instead of one that does not exist: `orderbot dev` lists only the channels it was told
	// are private (SetPrivate) and every other channel works as it always has.
	PublicUnlisted bool

	// RateLimits are the calls a minute each method serves (DefaultRateLimits when nil);
	// a call over it is answered 429 ratelimited with Retry-After, as Slack does.
	RateLimits map[string]int

	Now func() time.Time // time.Now when nil

	// Open accepts a well-formed trigger_id it did not issue as issued at the time its first
	// part says (Unix milliseconds, as Trigger and a Client without Triggers make them) —
	// still once, and within TriggerValidity: `orderbot dev` checks the triggers that
	// `orderbot send`, another process, makes up.
	Open bool

	// Fail decides the n-th call (from 1) of method: 0 serves it; a status answers with it
	// and does nothing (429 with Retry-After: 1, as Slack's rate limiting); -1 does the
	// call and then drops the connection, so the caller never hears that it happened.
	Fail func(method string, n int) int

	mu       sync.Mutex
	calls    []Call
	counts   map[string]int
	triggers map[string]*issuedTrigger
	views    []OpenedView
	messages map[string][]*Message
	seq      int
	notify   chan struct{}
	served   map[string][]time.Time // per method, when the calls inside RateWindow were served
	homes    map[string]*slack.View
}

// NewWebAPI returns a WebAPI that accepts tokens.
func NewWebAPI(tokens ...string) *WebAPI {
	return &WebAPI{Tokens: tokens}
}

// Call is one request the WebAPI answered, as it understood it.
type Call struct {
	Method string
	Params url.Values // form fields, or the JSON body's top-level fields; never the token
	At     time.Time
	Error  string // "" when Slack would have said ok; the error code otherwise ("http 429" for an injected status)

	Msg  *slack.Msg                // chat.*: the message as decoded
	View *slack.ModalViewRequest   // views.open: the view as decoded
	Home *slack.HomeTabViewRequest // views.publish: the Home as decoded
}

// Message is a message the WebAPI holds, as Slack stores it.
type Message struct {
	Channel   string
	TS        string
	Msg       slack.Msg // type, ts, text, blocks (with the block_ids Slack assigns), user and bot_id
	Ephemeral bool      // posted with chat.postEphemeral: only To sees it, and it cannot be updated
	To        string
	At        time.Time
}

// Posted is the message as a person sees it in the channel, to click its buttons.
func (m Message) Posted() Posted {
	return Posted{Msg: m.Msg, Channel: m.Channel, Ephemeral: m.Ephemeral}
}

// OpenedView is a modal views.open opened.
type OpenedView struct {
	View      slack.View // as views.open answered it: id, hash, team_id, blocks with block_ids …
	TriggerID string
	At        time.Time
}

type issuedTrigger struct {
	at   time.Time
	used bool
}

type apiError struct {
	code     string
	messages []string
}

func (e *apiError) Error() string { return e.code }

func errCode(code string, messages ...string) *apiError {
	return &apiError{code: code, messages: messages}
}

func (s *WebAPI) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *WebAPI) team() string    { return orDefault(s.Team, "T0LOCAL") }
func (s *WebAPI) botID() string   { return orDefault(s.BotID, DefaultBotID) }
func (s *WebAPI) botUser() string { return orDefault(s.BotUser, DefaultBotUser) }
func (s *WebAPI) appID() string   { return orDefault(s.AppID, DefaultAppID) }

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// Trigger issues a trigger_id, as Slack puts one in a slash command's and an interaction's
// payload; views.open accepts it once, within TriggerValidity.
func (s *WebAPI) Trigger() string {
	now := s.now()
	id := fmt.Sprintf("%d.%012d.%s", now.UnixMilli(), now.UnixNano()%1e12, randomHex(32))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.triggers == nil {
		s.triggers = map[string]*issuedTrigger{}
	}
	s.triggers[id] = &issuedTrigger{at: now}
	return id
}

// Calls returns every call answered so far, in order.
func (s *WebAPI) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Views returns the modals opened so far, in order.
func (s *WebAPI) Views() []OpenedView {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]OpenedView(nil), s.views...)
}

// Messages returns the messages in channel, ephemeral ones included, in the order they were
// posted, each as it is now (after any chat.update).
func (s *WebAPI) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages[channel] {
		out = append(out, *m)
	}
	return out
}

// Wait returns the messages in channel once there are at least n, or what there is when
// ctx ends (with its error).
func (s *WebAPI) Wait(ctx context.Context, channel string, n int) ([]Message, error) {
	for {
		s.mu.Lock()
		s.init()
		ch := s.notify
		s.mu.Unlock()
		if msgs := s.Messages(channel); len(msgs) >= n {
			return msgs, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return s.Messages(channel), ctx.Err()
		}
	}
}

// PostAs puts a message from a person (not the bot) into channel and returns its ts: the
// bot cannot chat.update it.
func (s *WebAPI) PostAs(channel, user, text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	ts := s.nextTS()
	s.store(&Message{Channel: channel, TS: ts, At: s.now(),
		Msg: slack.Msg{Type: "message", User: user, Text: text, Timestamp: ts}})
	return ts
}

// init prepares the maps; s.mu is held.
func (s *WebAPI) init() {
	if s.messages == nil {
		s.messages = map[string][]*Message{}
		s.counts = map[string]int{}
		s.notify = make(chan struct{})
	}
	if s.triggers == nil {
		s.triggers = map[string]*issuedTrigger{}
	}
}

// nextTS is a new message ts, "<unix seconds>.<6 digits>" like Slack's; s.mu is held.
func (s *WebAPI) nextTS() string {
	s.seq++
	return fmt.Sprintf("%d.%06d", s.now().Unix(), s.seq%1000000)
}

// store records m and wakes waiters; s.mu is held.
func (s *WebAPI) store(m *Message) {
	s.messages[m.Channel] = append(s.messages[m.Channel], m)
	s.changed()
}

// changed wakes everyone waiting for a message or a view; s.mu is held.
func (s *WebAPI) changed() {
	close(s.notify)
	s.notify = make(chan struct{})
}

// ServeHTTP answers one Web API call.
func (s *WebAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	if r.Method == http.MethodGet {
		s.serveState(w, r, method)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method_not_allowed", http.StatusMethodNotAllowed)
		return
	}
	call := Call{Method: method, At: s.now()}
	s.mu.Lock()
	s.init()
	s.counts[method]++
	n := s.counts[method]
	s.mu.Unlock()
	fail := 0
	if s.Fail != nil {
		fail = s.Fail(method, n)
	}
	s.mu.Lock()
	limited, retryAfter := s.rateLimited(method)
	s.mu.Unlock()
	if limited && fail == 0 {
		call.Error = "ratelimited"
		call.Params, _, _ = decodeCall(r)
		s.record(call)
		refuseRateLimited(w, retryAfter)
		return
	}
	if fail > 0 {
		call.Error = fmt.Sprintf("http %d", fail)
		s.record(call)
		if fail == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		http.Error(w, http.StatusText(fail), fail)
		return
	}
	body, err := s.serve(r, method, &call)
	if err != nil {
		call.Error = err.code
		body = errorBody(err)
	}
	s.record(call)
	if fail < 0 {
		dropConnection(w)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(body)
}

// serveState is an extension for `orderbot send`, not Slack's: GET slacksim.messages?channel=C
// and GET slacksim.views answer what Messages and Views would, as JSON, waiting up to
// ?wait= for at least ?min= of them; GET slacksim.home?user=U&not=HASH answers WaitHome's.
func (s *WebAPI) serveState(w http.ResponseWriter, r *http.Request, method string) {
	q := r.URL.Query()
	wait, _ := time.ParseDuration(q.Get("wait"))
	n, _ := strconv.Atoi(q.Get("min"))
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	var out any
	switch method {
	case "slacksim.messages":
		msgs, _ := s.Wait(ctx, q.Get("channel"), n)
		out = append([]Message{}, msgs...)
	case "slacksim.views":
		views, _ := s.WaitViews(ctx, n)
		out = append([]OpenedView{}, views...)
	case "slacksim.home":
		// ?user=U&not=HASH: user's Home once its hash is not HASH; null when none yet.
		if v, err := s.WaitHome(ctx, q.Get("user"), q.Get("not")); err == nil || v.ID != "" {
			out = viewJSON(v)
		}
	default:
		http.Error(w, "unknown_method", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// WaitViews returns the modals opened so far once there are at least n, or what there is
// when ctx ends (with its error).
func (s *WebAPI) WaitViews(ctx context.Context, n int) ([]OpenedView, error) {
	for {
		s.mu.Lock()
		s.init()
		ch := s.notify
		views := append([]OpenedView(nil), s.views...)
		s.mu.Unlock()
		if len(views) >= n {
			return views, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return views, ctx.Err()
		}
	}
}

func (s *WebAPI) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

// dropConnection closes the connection without an answer.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	http.Error(w, "injected failure", http.StatusBadGateway)
}

func errorBody(e *apiError) []byte {
	out := map[string]any{"ok": false, "error": e.code}
	if len(e.messages) > 0 {
		out["response_metadata"] = map[string]any{"messages": e.messages}
	}
	b, _ := json.Marshal(out)
	return b
}

func okBody(fields map[string]any) []byte {
	fields["ok"] = true
	b, _ := json.Marshal(fields)
	return b
}

// serve authenticates and dispatches a call.
func (s *WebAPI) serve(r *http.Request, method string, call *Call) ([]byte, *apiError) {
	params, token, err := decodeCall(r)
	if err != nil {
		return nil, err
	}
	call.Params = params
	if token == "" {
		return nil, errCode("not_authed")
	}
	if !s.validToken(token) {
		return nil, errCode("invalid_auth")
	}
	switch method {
	case "views.open":
		return s.viewsOpen(params, call)
	case "chat.postMessage":
		return s.chatPost(params, call, false)
	case "chat.postEphemeral":
		return s.chatPost(params, call, true)
	case "chat.update":
		return s.chatUpdate(params, call)
	case "views.publish":
		return s.viewsPublish(params, call)
	case "conversations.history":
		return s.conversationsHistory(params, call)
	}
	return nil, errCode("unknown_method")
}

func (s *WebAPI) validToken(token string) bool {
	for _, t := range s.Tokens {
		if t != "" && t == token {
			return true
		}
	}
	return false
}

// decodeCall reads a call's arguments and token as Slack does: a form body takes the token
// as a field or as "Authorization: Bearer"; a JSON body only in the header ("To make use of
// sending JSON on write operations, you must provide your token value using an
// Authorization HTTP header", changelog 2017-10 "Keeping up with the JSONs").
func decodeCall(r *http.Request) (url.Values, string, *apiError) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 2<<20))
	if err != nil {
		return nil, "", errCode("request_timeout")
	}
	bearer := ""
	if h := r.Header.Get("Authorization"); h != "" {
		var ok bool
		if bearer, ok = strings.CutPrefix(h, "Bearer "); !ok {
			return nil, "", errCode("invalid_auth")
		}
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		if len(body) > 0 {
			return nil, "", errCode("missing_post_type")
		}
		return url.Values{}, bearer, nil
	}
	mt, mp, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, "", errCode("invalid_post_type")
	}
	if cs := strings.ToLower(mp["charset"]); cs != "" && cs != "utf-8" && cs != "iso-8859-1" {
		return nil, "", errCode("invalid_charset")
	}
	switch mt {
	case "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, "", errCode("invalid_form_data")
		}
		token := vals.Get("token")
		vals.Del("token")
		return vals, orDefault(bearer, token), nil
	case "application/json":
		vals, err := jsonParams(body)
		if err != nil {
			return nil, "", errCode("invalid_json")
		}
		vals.Del("token") // ignored in a JSON body
		return vals, bearer, nil
	}
	return nil, "", errCode("invalid_post_type")
}

// jsonParams flattens a JSON object's top-level fields into strings: a string as itself,
// anything else (blocks, view) as its JSON text — the form a form-encoded call carries.
func jsonParams(body []byte) (url.Values, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, err
	}
	vals := url.Values{}
	for k, raw := range fields {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			vals.Set(k, s)
			continue
		}
		if string(raw) == "null" {
			continue
		}
		vals.Set(k, string(raw))
	}
	return vals, nil
}

// channelProblem is why the bot cannot post into channel, or nil.
func (s *WebAPI) channelProblem(channel string) *apiError {
	if channel == "" {
		return errCode("channel_not_found")
	}
	if s.Channels == nil {
		return nil
	}
	member, ok := s.Channels[channel]
	if !ok && s.PublicUnlisted {
		return nil
	}
	if !ok {
		return errCode("channel_not_found")
	}
	switch {
	case member:
		return nil
	case s.Private[channel]:
		return errCode("channel_not_found") // Slack does not reveal a private channel to a non-member
	}
	return errCode("not_in_channel")
}

// postProblem is channelProblem for chat.postMessage (ephemeral false) and
// chat.postEphemeral, with Slack's answers for channels the bot is not in.
func (s *WebAPI) postProblem(channel string, ephemeral bool) *apiError {
	if !ephemeral && (strings.HasPrefix(channel, "U") || strings.HasPrefix(channel, "W")) {
		return nil // the app's direct messages with that user
	}
	perr := s.channelProblem(channel)
	if perr != nil && perr.code == "not_in_channel" && !ephemeral && s.WritePublic {
		return nil // chat:write.public: a public channel without joining it
	}
	return perr
}

// messageArgs decodes and checks the text and blocks of a chat.* call.
func messageArgs(p url.Values) (*slack.Msg, *apiError) {
	msg := &slack.Msg{Text: p.Get("text")}
	if raw := p.Get("blocks"); raw != "" {
		if err := json.Unmarshal([]byte(raw), &msg.Blocks); err != nil {
			return msg, errCode("invalid_blocks_format")
		}
	}
	if strings.TrimSpace(msg.Text) == "" && len(msg.Blocks.BlockSet) == 0 {
		return msg, errCode("no_text")
	}
	if slackio.Chars(msg.Text) > 40000 {
		return msg, errCode("msg_too_long")
	}
	if err := slackio.Validate(msg); err != nil {
		return msg, errCode("invalid_blocks", "[ERROR] "+err.Error()+" "+blockPointer("", err))
	}
	return msg, nil
}

var blockIndex = regexp.MustCompile(`^block (\d+): `)

// blockPointer is Slack's "[json-pointer:…]" suffix for a Validate error naming a block.
func blockPointer(prefix string, err error) string {
	if m := blockIndex.FindStringSubmatch(err.Error()); m != nil {
		return "[json-pointer:" + prefix + "/blocks/" + m[1] + "]"
	}
	return "[json-pointer:" + orDefault(prefix, "/") + "]"
}

// chatPost is chat.postMessage and chat.postEphemeral.
func (s *WebAPI) chatPost(p url.Values, call *Call, ephemeral bool) ([]byte, *apiError) {
	channel := p.Get("channel")
	msg, err := messageArgs(p)
	call.Msg = msg
	if perr := s.postProblem(channel, ephemeral); perr != nil {
		return nil, perr
	}
	if ephemeral && p.Get("user") == "" {
		return nil, errCode("user_not_in_channel")
	}
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.nextTS()
	m := &Message{Channel: channel, TS: ts, Ephemeral: ephemeral, To: p.Get("user"), At: s.now(),
		Msg: s.stored(msg, ts, p.Get("thread_ts"))}
	s.store(m)
	if ephemeral {
		return okBody(map[string]any{"message_ts": ts}), nil
	}
	return okBody(map[string]any{"channel": channel, "ts": ts, "message": messageJSON(m.Msg)}), nil
}

// stored is msg as Slack keeps it when the bot posts it.
func (s *WebAPI) stored(msg *slack.Msg, ts, threadTS string) slack.Msg {
	return slack.Msg{Type: "message", Text: msg.Text, Timestamp: ts, ThreadTimestamp: threadTS,
		User: s.botUser(), BotID: s.botID(), Team: s.team(),
		Blocks: slack.Blocks{BlockSet: withBlockIDs(msg.Blocks.BlockSet, ts)}}
}

// chatUpdate is chat.update: only a message the bot posted, not ephemeral, in that channel.
func (s *WebAPI) chatUpdate(p url.Values, call *Call) ([]byte, *apiError) {
	channel, ts := p.Get("channel"), p.Get("ts")
	msg, err := messageArgs(p)
	call.Msg = msg
	if perr := s.channelProblem(channel); perr != nil {
		return nil, perr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var m *Message
	for _, c := range s.messages[channel] {
		if c.TS == ts && ts != "" && !c.Ephemeral {
			m = c
		}
	}
	switch {
	case m == nil:
		return nil, errCode("message_not_found")
	case m.Msg.BotID != s.botID():
		return nil, errCode("cant_update_message")
	case err != nil:
		return nil, err
	}
	m.Msg.Text = msg.Text
	if p.Has("blocks") {
		m.Msg.Blocks = slack.Blocks{BlockSet: withBlockIDs(msg.Blocks.BlockSet, ts+"/"+s.nextTS())}
	}
	m.Msg.Edited = &slack.Edited{User: s.botUser(), Timestamp: s.nextTS()}
	s.changed()
	return okBody(map[string]any{"channel": channel, "ts": ts, "text": m.Msg.Text, "message": messageJSON(m.Msg)}), nil
}

var triggerFormat = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9a-f]+$`)

// checkTrigger is why trigger_id cannot be exchanged now, or nil; s.mu is held. Slack
// checks the trigger "before getting to any possible validation errors" of the view
// (docs.slack.dev views.open, typical error response).
func (s *WebAPI) checkTrigger(id string) *apiError {
	if id == "" {
		return errCode("invalid_arguments", "invalid `trigger_id`")
	}
	t := s.triggers[id]
	if t == nil && s.Open && triggerFormat.MatchString(id) {
		ms, err := strconv.ParseInt(id[:strings.IndexByte(id, '.')], 10, 64)
		if err == nil {
			t = &issuedTrigger{at: time.UnixMilli(ms)}
			s.triggers[id] = t
		}
	}
	switch {
	case !triggerFormat.MatchString(id) || t == nil:
		return errCode("invalid_trigger_id")
	case t.used:
		return errCode("exchanged_trigger_id")
	case s.now().Sub(t.at) > TriggerValidity:
		return errCode("expired_trigger_id")
	}
	return nil
}

// viewsOpen is views.open. A refused view does not use the trigger up.
func (s *WebAPI) viewsOpen(p url.Values, call *Call) ([]byte, *apiError) {
	trigger := p.Get("trigger_id")
	s.mu.Lock()
	terr := s.checkTrigger(trigger)
	s.mu.Unlock()
	if terr != nil {
		return nil, terr
	}
	raw := p.Get("view")
	if raw == "" {
		return nil, errCode("invalid_arguments", "missing required field: view")
	}
	var v slack.ModalViewRequest
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return nil, errCode("invalid_arguments", "[ERROR] failed to match all allowed schemas [json-pointer:/view]")
	}
	call.View = &v
	if problems := checkView(&v); len(problems) > 0 {
		return nil, errCode("invalid_arguments", problems...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if terr := s.checkTrigger(trigger); terr != nil {
		return nil, terr
	}
	s.triggers[trigger].used = true
	view := s.openedView(v)
	s.views = append(s.views, OpenedView{View: view, TriggerID: trigger, At: s.now()})
	s.changed()
	return okBody(map[string]any{"view": viewJSON(view)}), nil
}

// openedView is v as Slack keeps and answers it; s.mu is held.
func (s *WebAPI) openedView(v slack.ModalViewRequest) slack.View {
	id := "V" + strings.ToUpper(randomHex(10))
	return slack.View{
		ID: id, TeamID: s.team(), Type: slack.VTModal, Title: v.Title, Close: v.Close, Submit: v.Submit,
		Blocks:          slack.Blocks{BlockSet: withBlockIDs(v.Blocks.BlockSet, id)},
		PrivateMetadata: v.PrivateMetadata, CallbackID: v.CallbackID, ExternalID: v.ExternalID,
		State:        &slack.ViewState{Values: map[string]map[string]slack.BlockAction{}},
		Hash:         fmt.Sprintf("%d.%s", s.now().Unix(), randomHex(8)),
		ClearOnClose: v.ClearOnClose, NotifyOnClose: v.NotifyOnClose, RootViewID: id,
		AppID: s.appID(), BotID: s.botID(), AppInstalledTeamID: s.team(),
	}
}

// messageJSON is a stored message as Slack shows it in API answers and interaction
// payloads: bot_id, type, text, user, ts (docs.slack.dev block_actions example), and the
// blocks. A message with blocks and no text carries Slack's placeholder text.
func messageJSON(m slack.Msg) map[string]any {
	text := m.Text
	if text == "" && len(m.Blocks.BlockSet) > 0 {
		text = noTextPlaceholder
	}
	out := map[string]any{"type": orDefault(m.Type, "message"), "text": text, "ts": m.Timestamp}
	if m.User != "" {
		out["user"] = m.User
	}
	if m.BotID != "" {
		out["bot_id"] = m.BotID
	}
	if len(m.Blocks.BlockSet) > 0 {
		out["blocks"] = m.Blocks.BlockSet
	}
	if m.ThreadTimestamp != "" {
		out["thread_ts"] = m.ThreadTimestamp
	}
	if m.Edited != nil {
		out["edited"] = m.Edited
	}
	return out
}

// viewJSON is a view as Slack shows it in views.open's answer and in interaction payloads
// (the view objects of docs.slack.dev's views.open response and block_actions Home tab
// example): every field, previous_view_id null when there is none.
func viewJSON(v slack.View) map[string]any {
	state := map[string]any{"values": map[string]any{}}
	if v.State != nil && v.State.Values != nil {
		state["values"] = v.State.Values
	}
	out := map[string]any{
		"id": v.ID, "team_id": v.TeamID, "type": v.Type, "blocks": blocksOrEmpty(v.Blocks),
		"private_metadata": v.PrivateMetadata, "callback_id": v.CallbackID, "state": state, "hash": v.Hash,
		"title": v.Title, "clear_on_close": v.ClearOnClose, "notify_on_close": v.NotifyOnClose,
		"close": v.Close, "submit": v.Submit, "previous_view_id": nil, "root_view_id": v.RootViewID,
		"app_id": v.AppID, "external_id": v.ExternalID, "app_installed_team_id": v.AppInstalledTeamID, "bot_id": v.BotID,
	}
	if v.PreviousViewID != "" {
		out["previous_view_id"] = v.PreviousViewID
	}
	return out
}

func blocksOrEmpty(b slack.Blocks) []slack.Block {
	if b.BlockSet == nil {
		return []slack.Block{}
	}
	return b.BlockSet
}

// marshalSlack encodes v as Slack's JSON: forward slashes escaped ("https:\/\/hooks…"), as
// every captured interaction payload has them. A '/' only ever occurs inside JSON strings.
func marshalSlack(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return bytes.ReplaceAll(b, []byte("/"), []byte(`\/`)), nil
}

// sortedKeys is m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
