package vtl_test

import (
	"context"
	"testing"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/local/vtl"
)

// The local gateway renders api's request template on the way in and its response
// template on the way out of every request; these benchmarks are that cost with the
// headers and reply sizes Slack produces. `make bench` reports them.

func BenchmarkTemplateRequest(b *testing.B) {
	tpl, err := vtl.Parse(api.RequestTemplate, api.MustTemplate(api.RequestTemplate))
	if err != nil {
		b.Fatal(err)
	}
	req := vtl.Request{
		Body: "token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=example&channel_id=C2147483705" +
			"&channel_name=coffee&user_id=U2147483697&user_name=steve&command=%2Forder-update" +
			"&text=iced+americano%2C+oat+milk&api_app_id=A123456&is_enterprise_install=false" +
			"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1234%2F5678&trigger_id=13345224609.738474920.8088930838d88f008e0",
		Path:  map[string]string{},
		Query: map[string]string{},
		Header: map[string]string{
			"Accept":                    "application/json,*/*",
			"Accept-Encoding":           "gzip,deflate",
			"Content-Type":              "application/x-www-form-urlencoded",
			"Host":                      "abc123.execute-api.us-east-1.amazonaws.com",
			"User-Agent":                "Slackbot 1.0 (+https://api.slack.com/robots)",
			"X-Amzn-Trace-Id":           "Root=1-5f84c7a9-0e5b2f7d3c8e4f1a2b3c4d5e",
			"X-Forwarded-For":           "3.4.5.6",
			"X-Forwarded-Port":          "443",
			"X-Forwarded-Proto":         "https",
			"X-Slack-Request-Timestamp": "1800000000",
			"X-Slack-Signature":         "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
		},
		Context: map[string]any{
			"requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "stage": "prod",
			"requestTime": "15/Jan/2027:08:00:00 +0000", "requestTimeEpoch": int64(1800000000000),
			"identity": map[string]any{"sourceIp": "3.4.5.6"},
		},
	}
	render(b, tpl, req)
}

func BenchmarkTemplateResponse(b *testing.B) {
	tpl, err := vtl.Parse(api.ResponseTemplate, api.MustTemplate(api.ResponseTemplate))
	if err != nil {
		b.Fatal(err)
	}
	// A /order-list reply for a round of three items: Block Kit sections plus the text
	// fallback, about 1 KB like the real one.
	reply := `{"response_type":"ephemeral","text":"Open round: 3 items, 10 orders","blocks":[` +
		`{"type":"header","text":{"type":"plain_text","text":"Open round"}},` +
		`{"type":"section","text":{"type":"mrkdwn","text":"*4 × flat white*\n<@U0001>, <@U0004>, <@U0007>, <@U0010>"}},` +
		`{"type":"section","text":{"type":"mrkdwn","text":"*3 × iced americano*\n<@U0002>, <@U0005>, <@U0008>"}},` +
		`{"type":"section","text":{"type":"mrkdwn","text":"*3 × oat latte ☕*\n<@U0003>, <@U0006>, <@U0009>"}},` +
		`{"type":"divider"},` +
		`{"type":"context","elements":[{"type":"mrkdwn","text":"10 orders · opened by <@U0001> · ` + "`/order-list share`" + ` to post it"}]}]}`
	render(b, tpl, vtl.Request{Body: reply, Context: map[string]any{"requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"}})
}

func render(b *testing.B, tpl *vtl.Template, req vtl.Request) {
	b.Helper()
	ctx := context.Background()
	b.SetBytes(int64(len(req.Body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tpl.Render(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
