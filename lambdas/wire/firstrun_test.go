package wire

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/config"
	"github.com/orderbot/orderbot/lambdas/handler"
	"github.com/orderbot/orderbot/lambdas/orders"
	"github.com/orderbot/orderbot/lambdas/slackio"
	"github.com/orderbot/orderbot/lambdas/store/boltdb"
	"github.com/orderbot/orderbot/lambdas/syncbuf"
)

// These tests play the first run of a deployed stack: a function starts against a
// Secrets Manager secret that the operator fills in (or rotates) while it is warm. Secrets
// Manager is an httptest server speaking GetSecretValue's JSON 1.1 protocol, reached through
// Load and the real SDK client (AWS_ENDPOINT_URL_SECRETS_MANAGER).

const testARN = "arn:aws:secretsmanager:us-east-1:000000000000:secret:orderbot-slack-AbCdEf"

// Values the logs must never contain.
const (
	placeholder = "Q7xPlaceholderGeneratedByTheStk9" // what the stack's GenerateSecretString puts in
	signing     = "8f742231b10e8888abcd99yyyzzz85a5"
	rotated     = "0c1f5e44a2b84f6fa1d2e3c4b5a69788"
	botToken    = "xoxb-1111-2222-firstrunTOKEN"
	botToken2   = "xoxb-3333-4444-rotatedTOKEN"
)

// secretsStub is Secrets Manager holding one secret.
type secretsStub struct {
	mu      sync.Mutex
	value   string // the SecretString
	errType string // when set, GetSecretValue fails with this exception
	delay   time.Duration
	calls   atomic.Int64 // GetSecretValue calls
}

func (s *secretsStub) put(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.value = v
}

func secretJSON(signingSecret, token string) string {
	b, _ := json.Marshal(map[string]string{"signing_secret": signingSecret, "bot_token": token})
	return string(b)
}

func (s *secretsStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct{ SecretId string }
	if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" || json.NewDecoder(r.Body).Decode(&in) != nil {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"InvalidRequestException","message":"only GetSecretValue"}`)
		return
	}
	s.calls.Add(1)
	s.mu.Lock()
	value, errType, delay := s.value, s.errType, s.delay
	s.mu.Unlock()
	time.Sleep(delay)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if in.SecretId != testARN {
		errType = "ResourceNotFoundException"
	}
	if errType != "" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":%q,"message":"refused by the stub"}`, errType)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{
		"ARN": testARN, "Name": "orderbot-slack", "SecretString": value,
		"VersionId": "00000000-0000-0000-0000-000000000001", "VersionStages": []string{"AWSCURRENT"},
		"CreatedDate": float64(time.Now().Unix()),
	})
}

// slackStub is Slack's chat.postMessage: it accepts the tokens in valid and records the
// token of every post.
type slackStub struct {
	mu     sync.Mutex
	valid  map[string]bool
	tokens []string
}

func (s *slackStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token == "" {
		r.ParseForm()
		token = r.Form.Get("token")
	}
	s.mu.Lock()
	s.tokens = append(s.tokens, token)
	ok := s.valid[token]
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
		return
	}
	io.WriteString(w, `{"ok":true,"channel":"C1","ts":"1700000000.000200"}`)
}

// accept makes tokens the only ones Slack accepts.
func (s *slackStub) accept(tokens ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.valid = map[string]bool{}
	for _, t := range tokens {
		s.valid[t] = true
	}
}

func (s *slackStub) posts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.tokens...)
}

type testClock struct{ ns atomic.Int64 }

func (c *testClock) Now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *testClock) Add(d time.Duration) { c.ns.Add(int64(d)) }

// function is one execution environment of a deployed function.
type function struct {
	deps  handler.Deps
	sm    *secretsStub
	slack *slackStub
	clock *testClock
	logs  *syncbuf.Buffer
}

// coldStart starts a function against a secret holding value, the way main.go does
// (Load, then the Deps), with a test clock, a captured log and a local Slack API.
func coldStart(t *testing.T, value string, withPoster bool) *function {
	t.Helper()
	f := &function{sm: &secretsStub{value: value}, slack: &slackStub{valid: map[string]bool{}}, clock: &testClock{}, logs: &syncbuf.Buffer{}}
	f.clock.ns.Store(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC).UnixNano())
	sm := httptest.NewServer(f.sm)
	t.Cleanup(sm.Close)
	api := httptest.NewServer(f.slack)
	t.Cleanup(api.Close)
	for k, v := range map[string]string{
		"TABLE_NAME": "orderbot", "SECRET_ARN": testARN,
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "dummy", "AWS_SESSION_TOKEN": "",
		"AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_SECRETS_MANAGER": sm.URL, "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:1",
		"AWS_LAMBDA_FUNCTION_NAME": "", "SLACK_SIGNING_SECRET": "", "SLACK_BOT_TOKEN": "",
	} {
		t.Setenv(k, v)
	}
	c, err := config.Load(context.Background())
	if err != nil {
		t.Fatalf("cold start: got %v, want nil", err)
	}
	log := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.deps = build(c, withPoster, overrides{now: f.clock.Now, log: log, slackAPI: api.URL + "/"})
	store, err := boltdb.Open(filepath.Join(t.TempDir(), "orders.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f.deps.Orders = &orders.Service{Store: store, Now: f.clock.Now}
	if got := f.sm.calls.Load(); got != 1 {
		t.Fatalf("GetSecretValue calls at cold start: got %d, want 1", got)
	}
	t.Cleanup(func() {
		logs := f.logs.String()
		for _, v := range []string{placeholder, signing, rotated, botToken, botToken2} {
			if strings.Contains(logs, v) {
				t.Errorf("log contains a secret value: got %q in\n%s\nwant no secret values", v, logs)
			}
		}
	})
	return f
}

// reads is how many GetSecretValue calls the function made after its cold start.
func (f *function) reads() int64 { return f.sm.calls.Load() - 1 }

func (f *function) event(secret, body string) api.Event {
	stamp := strconv.FormatInt(f.clock.Now().Unix(), 10)
	return api.Event{
		Body:    []byte(body),
		Headers: api.Headers{Signature: []byte(slackio.Sign([]byte(secret), stamp, []byte(body))), Timestamp: []byte(stamp)},
		Context: api.Context{RequestID: "req-1", RequestTimeEpoch: strconv.FormatInt(f.clock.Now().UnixMilli(), 10)},
	}
}

const challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"

// urlVerification is what Slack sends the Events URL when the app is created from the
// manifest.
func (f *function) urlVerification(secret string) (handler.EventReply, error) {
	body := `{"token":"x","challenge":"` + challenge + `","type":"url_verification"}`
	return handler.Events(f.deps)(context.Background(), f.event(secret, body))
}

func (f *function) mention(secret, eventID string) error {
	// Each event id is another message: its own ts (the bot answers a message once).
	ts := fmt.Sprintf("1700000000.%06d", crc32.ChecksumIEEE([]byte(eventID))%1_000_000)
	body := `{"token":"x","team_id":"T1","api_app_id":"A1","type":"event_callback","event_id":"` + eventID + `","event_time":1,
		"event":{"type":"app_mention","user":"U1","text":"<@B1> help","ts":"` + ts + `","channel":"C1","event_ts":"` + ts + `"}}`
	_, err := handler.Events(f.deps)(context.Background(), f.event(secret, body))
	return err
}

func (f *function) orderList(secret string) error {
	body := url.Values{"team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {"U1"}, "command": {"/order-list"},
		"text": {""}, "response_url": {"https://hooks.slack.com/commands/T1/1/x"}, "trigger_id": {"1.2.3"}}.Encode()
	_, err := handler.OrderList(f.deps)(context.Background(), f.event(secret, body))
	return err
}

func wantCode(t *testing.T, what string, err error, code api.Code, reason string) {
	t.Helper()
	if err == nil || api.CodeOf(err) != code || !strings.Contains(err.Error(), reason) {
		t.Fatalf("%s: got %v, want %s: …%s…", what, err, code, reason)
	}
}

// (a) First run: the secret is not filled in when Slack first calls. The function starts
// anyway, refuses until the operator puts the secret, and then — one refresh interval
// after its last read at the latest — answers without a restart.
func TestFirstRunSecretFilledInLater(t *testing.T) {
	for _, tc := range []struct {
		name   string
		value  string // the secret at cold start
		code   api.Code
		reason string
	}{
		// The stack's secret before put-secret-value: a random signing secret, no bot token.
		{"stack placeholder", secretJSON(placeholder, ""), api.CodeUnauthorized, "signature does not match"},
		{"empty signing_secret", secretJSON("", ""), api.CodeInternal, "signing secret not configured"},
		{"no signing_secret key", `{"bot_token":""}`, api.CodeInternal, "signing secret not configured"},
		{"empty object", `{}`, api.CodeInternal, "signing secret not configured"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := coldStart(t, tc.value, true)
			_, err := f.urlVerification(signing)
			wantCode(t, "url_verification before the secret is put", err, tc.code, tc.reason)
			wantCode(t, "/order-list before the secret is put", f.orderList(signing), tc.code, tc.reason)

			f.sm.put(secretJSON(signing, botToken))
			f.clock.Add(10 * time.Second)
			_, err = f.urlVerification(signing)
			wantCode(t, "url_verification 10 s after the put (within the interval)", err, tc.code, tc.reason)
			if got := f.reads(); got != 0 {
				t.Fatalf("GetSecretValue calls within the interval of the cold start: got %d, want 0", got)
			}

			f.clock.Add(slackio.DefaultRefreshInterval)
			reply, err := f.urlVerification(signing)
			if err != nil || reply.Challenge != challenge {
				t.Fatalf("url_verification after the interval: got %+v, %v, want the challenge", reply, err)
			}
			if err := f.orderList(signing); err != nil {
				t.Fatalf("/order-list after the interval: got %v, want nil", err)
			}
			if got := f.reads(); got != 1 {
				t.Fatalf("GetSecretValue calls after the put: got %d, want 1", got)
			}
			// The bot token arrived with the same read: mentions are answered.
			f.slack.accept(botToken)
			if err := f.mention(signing, "Ev1"); err != nil {
				t.Fatalf("mention: got %v, want nil", err)
			}
			if got := f.slack.posts(); len(got) != 1 || got[0] != botToken {
				t.Fatalf("chat.postMessage: got %d posts, want 1 with the bot token put", len(got))
			}
			if got := f.reads(); got != 1 {
				t.Fatalf("GetSecretValue calls after the mentions: got %d, want 1", got)
			}
		})
	}
}

// The bot token alone is put later (the signing secret was there): a mention without a
// token re-reads the secret (once per interval) and is answered once the token is in.
func TestFirstRunBotTokenFilledInLater(t *testing.T) {
	f := coldStart(t, secretJSON(signing, ""), true)
	f.slack.accept(botToken)
	if err := f.mention(signing, "Ev1"); err != nil {
		t.Fatalf("mention without a bot token: got %v, want nil (logged, not retried)", err)
	}
	if got := f.slack.posts(); len(got) != 0 {
		t.Fatalf("posts without a bot token: got %d, want 0", len(got))
	}
	if !strings.Contains(f.logs.String(), "no bot token configured") {
		t.Fatalf("log: got %s, want the unanswered mention explained", f.logs.String())
	}
	f.sm.put(secretJSON(signing, botToken))
	f.clock.Add(slackio.DefaultRefreshInterval)
	if err := f.mention(signing, "Ev2"); err != nil {
		t.Fatalf("mention after the token is put: got %v, want nil", err)
	}
	if got := f.slack.posts(); len(got) != 1 || got[0] != botToken {
		t.Fatalf("posts after the token is put: got %d, want 1 with the new token", len(got))
	}

	// The app is reinstalled: Slack refuses the old token, the secret has a new one.
	f.slack.accept(botToken2)
	f.sm.put(secretJSON(signing, botToken2))
	f.clock.Add(slackio.DefaultRefreshInterval)
	if err := f.mention(signing, "Ev3"); err != nil {
		t.Fatalf("mention after the token is rotated: got %v, want nil", err)
	}
	got := f.slack.posts()
	if len(got) != 3 || got[1] != botToken || got[2] != botToken2 {
		t.Fatalf("posts after rotation: got %d, want 3: refused with the old token, then posted with the new", len(got))
	}
	if got := f.reads(); got != 2 {
		t.Fatalf("GetSecretValue calls: got %d, want 2", got)
	}
}

// (b) A flood of forged requests re-reads the secret at most once per interval.
func TestForgedFloodReadsOncePerInterval(t *testing.T) {
	f := coldStart(t, secretJSON(signing, botToken), false)
	f.clock.Add(slackio.DefaultRefreshInterval) // the next failure may read
	// 1000 forged requests within 29.97 s.
	for i := 0; i < 1000; i++ {
		wantCode(t, fmt.Sprintf("forged request %d", i), f.orderList("forged-secret"), api.CodeUnauthorized, "signature does not match")
		f.clock.Add(29970 * time.Microsecond)
	}
	if got := f.reads(); got != 1 {
		t.Fatalf("GetSecretValue calls for 1000 forged requests within 30 s: got %d, want 1", got)
	}
	// 1000 more, over the next 90 s: one per 30 s.
	for i := 0; i < 1000; i++ {
		f.orderList("forged-secret")
		f.clock.Add(90 * time.Millisecond)
	}
	t.Logf("GetSecretValue calls after the cold start: %d", f.reads())
	if got := f.reads(); got > 1+3 {
		t.Fatalf("GetSecretValue calls for 2000 forged requests over 120 s: got %d, want ≤ 4", got)
	}
	if err := f.orderList(signing); err != nil {
		t.Fatalf("valid request after the flood: got %v, want nil", err)
	}
}

// (b) The same flood, concurrent in one execution environment, with a slow Secrets
// Manager: one read, the others wait for it or are refused without reading.
func TestConcurrentForgedFloodOneRead(t *testing.T) {
	f := coldStart(t, secretJSON(signing, botToken), false)
	f.sm.mu.Lock()
	f.sm.delay = 50 * time.Millisecond
	f.sm.mu.Unlock()
	f.clock.Add(slackio.DefaultRefreshInterval)
	var wg sync.WaitGroup
	var refused atomic.Int64
	for w := 0; w < 50; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if api.CodeOf(f.orderList("forged-secret")) == api.CodeUnauthorized {
					refused.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if got := refused.Load(); got != 1000 {
		t.Fatalf("forged requests refused with 401: got %d, want 1000", got)
	}
	if got := f.reads(); got != 1 {
		t.Fatalf("GetSecretValue calls for 1000 concurrent forged requests: got %d, want 1", got)
	}
}

// (c) Rotation: requests signed with the new secret pass once a failed one re-read it;
// the old secret is refused from then on.
func TestSecretRotationPickedUp(t *testing.T) {
	f := coldStart(t, secretJSON(signing, botToken), false)
	for i := 0; i < 100; i++ {
		if err := f.orderList(signing); err != nil {
			t.Fatalf("request %d with the current secret: got %v, want nil", i, err)
		}
		f.clock.Add(time.Second)
	}
	if got := f.reads(); got != 0 {
		t.Fatalf("GetSecretValue calls for 100 valid requests: got %d, want 0", got)
	}
	f.sm.put(secretJSON(rotated, botToken))
	if err := f.orderList(rotated); err != nil {
		t.Fatalf("first request signed with the rotated secret: got %v, want nil", err)
	}
	wantCode(t, "request signed with the old secret", f.orderList(signing), api.CodeUnauthorized, "signature does not match")
	if got := f.reads(); got != 1 {
		t.Fatalf("GetSecretValue calls after rotation: got %d, want 1", got)
	}
	if !strings.Contains(f.logs.String(), `"signing_secret_changed":true`) {
		t.Fatalf("log: got %s, want the change noted", f.logs.String())
	}
}

// A secret that cannot be read while warm keeps the credentials held; the error is logged
// without any value.
func TestRereadFailureKeepsSecret(t *testing.T) {
	f := coldStart(t, secretJSON(signing, botToken), false)
	f.sm.mu.Lock()
	f.sm.errType = "AccessDeniedException"
	f.sm.mu.Unlock()
	f.clock.Add(slackio.DefaultRefreshInterval)
	wantCode(t, "forged request", f.orderList("forged-secret"), api.CodeUnauthorized, "signature does not match")
	if err := f.orderList(signing); err != nil {
		t.Fatalf("valid request after a failed read: got %v, want nil", err)
	}
	if logs := f.logs.String(); !strings.Contains(logs, "AccessDeniedException") || !strings.Contains(logs, testARN) {
		t.Fatalf("log: got %s, want the failed read with the secret's ARN", logs)
	}
	// Not JSON (a put-secret-value with the bare signing secret): logged without it.
	f.sm.mu.Lock()
	f.sm.errType = ""
	f.sm.mu.Unlock()
	f.sm.put(rotated)
	f.clock.Add(slackio.DefaultRefreshInterval)
	wantCode(t, "request signed with a non-JSON secret", f.orderList(rotated), api.CodeUnauthorized, "signature does not match")
	if logs := f.logs.String(); !strings.Contains(logs, "not a JSON object") {
		t.Fatalf("log: got %s, want the malformed secret reported", logs)
	}
}

// Without SECRET_ARN nothing can fill the secret in later: a missing signing secret still
// fails the cold start.
func TestLoadWithoutSecretSourceNeedsSigningSecret(t *testing.T) {
	for k, v := range map[string]string{
		"TABLE_NAME": "t", "SECRET_ARN": "", "SLACK_SIGNING_SECRET": "", "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "dummy",
	} {
		t.Setenv(k, v)
	}
	if _, err := config.Load(context.Background()); err == nil || !strings.Contains(err.Error(), "no signing secret") {
		t.Fatalf("Load without SECRET_ARN or SLACK_SIGNING_SECRET: got %v, want a no signing secret error", err)
	}
}

// A secret that does not exist (or cannot be read) still fails the cold start: that is a
// deployment error, not a first run.
func TestLoadUnreadableSecretFails(t *testing.T) {
	sm := httptest.NewServer(&secretsStub{errType: "ResourceNotFoundException"})
	defer sm.Close()
	for k, v := range map[string]string{
		"TABLE_NAME": "t", "SECRET_ARN": testARN, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY": "dummy", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_SECRETS_MANAGER": sm.URL,
	} {
		t.Setenv(k, v)
	}
	if _, err := config.Load(context.Background()); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Fatalf("Load of a missing secret: got %v, want ResourceNotFoundException", err)
	}
}
