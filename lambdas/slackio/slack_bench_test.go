package slackio_test

import (
	"encoding/json"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/orderbot/orderbot/lambdas/slackio"
)

// These benchmarks are the per-request cost of the Slack adapter; `make bench` runs them
// and reports ns/op and allocs/op in docs/BENCHMARKS.md. The bodies are what Slack sends
// (every field of a slash command), so the numbers match production sizes.

var benchSecret = []byte("8f742231b10e8888abcd99yyyzzz85a5")

func benchCommandBody() []byte {
	return []byte(url.Values{
		"token": {"gIkuvaNzQIHg97ATvDxqgjtO"}, "team_id": {"T0001"}, "team_domain": {"example"},
		"channel_id": {"C2147483705"}, "channel_name": {"coffee"}, "user_id": {"U2147483697"},
		"user_name": {"steve"}, "command": {"/order-update"}, "text": {"iced americano, oat milk"},
		"api_app_id": {"A123456"}, "is_enterprise_install": {"false"},
		"response_url": {"https://hooks.slack.com/commands/1234/5678"}, "trigger_id": {"13345224609.738474920.8088930838d88f008e0"},
	}.Encode())
}

func BenchmarkVerify(b *testing.B) {
	body := benchCommandBody()
	now := time.Unix(1_800_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	sig := slackio.Sign(benchSecret, ts, body)
	v := slackio.Verifier{Secret: benchSecret, Now: func() time.Time { return now }}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(ts, sig, body); err != nil {
			b.Fatalf("Verify: got error %v, want nil", err)
		}
	}
}

func BenchmarkParseCommand(b *testing.B) {
	body := benchCommandBody()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := slackio.ParseCommand(body); err != nil {
			b.Fatalf("ParseCommand: got error %v, want nil", err)
		}
	}
}

func BenchmarkParseEvent(b *testing.B) {
	bodies := []struct {
		name string
		v    any
	}{
		{"url_verification", map[string]string{"token": "x", "type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}},
		{"app_mention", map[string]any{
			"token": "x", "team_id": "T0001", "api_app_id": "A123456", "type": "event_callback",
			"event_id": "Ev0PV52K21", "event_time": 1800000000,
			"event": map[string]string{"type": "app_mention", "user": "U2147483697", "text": "<@B0001> help",
				"ts": "1800000000.000100", "channel": "C2147483705", "event_ts": "1800000000.000100"},
		}},
	}
	for _, tc := range bodies {
		body, err := json.Marshal(tc.v)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := slackio.ParseEvent(body); err != nil {
					b.Fatalf("ParseEvent(%s): got error %v, want nil", tc.name, err)
				}
			}
		})
	}
}
