package vtl

import (
	"context"
	"testing"
)

const benchTemplate = `#set($h = $input.params().header)
#set($sig = "")
#foreach($k in $h.keySet())#if($k.toLowerCase() == "x-slack-signature")#set($sig = $h.get($k))#end#end
{"body":"$util.base64Encode($input.body)","sig":"$util.base64Encode($sig)","requestId":"$context.requestId"}
`

func benchRequest() Request {
	return Request{
		Body: "token=abc&team_id=T1&channel_id=C1&user_id=U1&command=%2Forder&text=2+pizzas&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1",
		Header: map[string]string{
			"Content-Type":              "application/x-www-form-urlencoded",
			"Host":                      "api.example.com",
			"User-Agent":                "Slackbot 1.0",
			"X-Amzn-Trace-Id":           "Root=1-abc",
			"X-Forwarded-For":           "1.2.3.4",
			"X-Slack-Request-Timestamp": "1700000000",
			"X-Slack-Signature":         "v0=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		},
		Context: map[string]any{"requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "stage": "prod",
			"identity": map[string]any{"sourceIp": "1.2.3.4"}},
	}
}

func TestBenchTemplate(t *testing.T) {
	tpl, err := Parse("bench", benchTemplate)
	if err != nil {
		t.Fatal(err)
	}
	res, err := tpl.Render(context.Background(), benchRequest())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"body":"dG9rZW49YWJjJnRlYW1faWQ9VDEmY2hhbm5lbF9pZD1DMSZ1c2VyX2lkPVUxJmNvbW1hbmQ9JTJGb3JkZXImdGV4dD0yK3BpenphcyZyZXNwb25zZV91cmw9aHR0cHMlM0ElMkYlMkZob29rcy5zbGFjay5jb20lMkZjb21tYW5kcyUyRjE=","sig":"djA9MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZg==","requestId":"c6af9ac6-7b61-11e6-9a41-93e8deadbeef"}` + "\n"
	if res.Output != want {
		t.Errorf("got %q, want %q", res.Output, want)
	}
}

func BenchmarkRender(b *testing.B) {
	tpl, err := Parse("bench", benchTemplate)
	if err != nil {
		b.Fatal(err)
	}
	req := benchRequest()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tpl.Render(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderParallel(b *testing.B) {
	tpl, err := Parse("bench", benchTemplate)
	if err != nil {
		b.Fatal(err)
	}
	req := benchRequest()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := tpl.Render(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
