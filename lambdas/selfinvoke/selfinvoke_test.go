package selfinvoke

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

func TestDeferInvokesSelfAsynchronously(t *testing.T) {
	var got *http.Request
	var body string
	status := http.StatusAccepted
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got, body = r, string(b)
		w.WriteHeader(status)
		io.WriteString(w, `{"Type":"User","message":"AccessDeniedException"}`)
	}))
	defer srv.Close()
	d := Deferrer{Self: "Orderbot-order-update", AWS: aws.Config{
		Region:       "eu-west-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "token"),
		BaseEndpoint: aws.String(srv.URL),
	}}
	if err := d.Defer(context.Background(), "order-update", []byte(`{"deferred":true}`)); err != nil {
		t.Fatalf("Defer: got error %v, want nil", err)
	}
	if got.Method != "POST" || got.URL.Path != "/2015-03-31/functions/Orderbot-order-update/invocations" ||
		got.Header.Get("X-Amz-Invocation-Type") != "Event" || body != `{"deferred":true}` {
		t.Fatalf("request: got %s %s %v body %s; want POST /2015-03-31/functions/Orderbot-order-update/invocations, X-Amz-Invocation-Type Event, body {\"deferred\":true}", got.Method, got.URL.Path, got.Header, body)
	}
	auth := got.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") || !strings.Contains(auth, "/eu-west-1/lambda/aws4_request") ||
		got.Header.Get("X-Amz-Security-Token") != "token" {
		t.Fatalf("Authorization: got %q (security token %q), want AWS4-HMAC-SHA256 by AKIDEXAMPLE for lambda in eu-west-1 with token \"token\"", auth, got.Header.Get("X-Amz-Security-Token"))
	}
	status = http.StatusForbidden
	err := d.Defer(context.Background(), "order-update", nil)
	if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("Defer answered 403: got error %v, want one naming 403 and AccessDenied", err)
	}
}
